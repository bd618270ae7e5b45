import { describe, expect, it } from 'vitest';
import { ChannelTable } from './channels.js';
import { bindAddresses, clientBindAddress } from './listen.js';
import { openFailure } from './local.js';
import { isRemoteDynamic, remoteOpenPermitted, rfwdBindHost } from './remote.js';
import { parseForward } from '../config/forward.js';

describe('clientBindAddress (channel_fwd_bind_addr for ssh)', () => {
  it('follows GatewayPorts only without an address', () => {
    expect(clientBindAddress(null, false)).toEqual({ wildcard: false, addr: null });
    expect(clientBindAddress(null, true)).toEqual({ wildcard: true, addr: null });
    expect(clientBindAddress('', false)).toEqual({ wildcard: true, addr: null });
    expect(clientBindAddress('*', false)).toEqual({ wildcard: true, addr: null });
    expect(clientBindAddress('localhost', true)).toEqual({ wildcard: false, addr: null });
    expect(clientBindAddress('127.0.0.1', true)).toEqual({ wildcard: false, addr: '127.0.0.1' });
  });
  it('lists addresses in getaddrinfo order', async () => {
    expect(await bindAddresses(null, { gatewayPorts: false, addressFamily: 'any' })).toEqual(['::1', '127.0.0.1']);
    expect(await bindAddresses(null, { gatewayPorts: false, addressFamily: 'inet' })).toEqual(['127.0.0.1']);
    expect(await bindAddresses('*', { gatewayPorts: false, addressFamily: 'any' })).toEqual(['0.0.0.0', '::']);
    expect(await bindAddresses('127.0.0.1', { gatewayPorts: false, addressFamily: 'any' })).toEqual(['127.0.0.1']);
  });
});

describe('remote forwards', () => {
  it('sends the bind host as channel_rfwd_bind_host does', () => {
    expect(rfwdBindHost(null)).toBe('localhost');
    expect(rfwdBindHost('*')).toBe('');
    expect(rfwdBindHost('')).toBe('');
    expect(rfwdBindHost('127.0.0.1')).toBe('127.0.0.1');
  });
  it('tells dynamic remote forwards apart', () => {
    expect(isRemoteDynamic(parseForward('8080', true, true, {})!)).toBe(true);
    expect(isRemoteDynamic(parseForward('8080:localhost:80', false, true, {})!)).toBe(false);
  });
  it('checks PermitRemoteOpen', () => {
    expect(remoteOpenPermitted([], 'a', 1)).toBe(true);
    expect(remoteOpenPermitted(['any'], 'a', 1)).toBe(true);
    expect(remoteOpenPermitted(['none'], 'a', 1)).toBe(false);
    expect(remoteOpenPermitted(['localhost:80', '*:22'], 'localhost', 80)).toBe(true);
    expect(remoteOpenPermitted(['localhost:80'], 'LOCALHOST', 80)).toBe(false);
    expect(remoteOpenPermitted(['localhost:80', '*:22'], 'h', 22)).toBe(true);
    expect(remoteOpenPermitted(['localhost:80', '*:22'], 'h', 80)).toBe(false);
    expect(remoteOpenPermitted(['[::1]:*'], '::1', 5)).toBe(true);
  });
});

describe('messages', () => {
  it('formats channel-open failures as reason2txt + description', () => {
    expect(openFailure(Object.assign(new Error('(SSH) Channel open failure: Connection refused'), { reason: 2 }))).toBe('connect failed: Connection refused');
    expect(openFailure(Object.assign(new Error('(SSH) Channel open failure: '), { reason: 1 }))).toBe('administratively prohibited');
  });
});

describe('ChannelTable', () => {
  it('hands out the lowest free number and lists open connections', () => {
    const t = new ChannelTable();
    expect(t.alloc('listener', 'direct-tcpip')).toBe(0);
    expect(t.alloc('listener', 'direct-tcpip')).toBe(1);
    expect(t.alloc('session', 'session', 'client-session')).toBe(2);
    const c = t.alloc('connection', 'direct-tcpip', 'direct-tcpip: listening port 1');
    expect(c).toBe(3);
    t.free(c);
    expect(t.alloc('connection', 'direct-tcpip', 'x')).toBe(3);
    expect(t.openMessage()).toBe(
      'The following connections are open:\r\n' +
        '  #2 client-session (t4 [session] r0 i0/0 o0/0 e[write]/4 fd 4/5/6 sock -1 cc -1 io 0x01/0x01)\r\n' +
        '  #3 x (t4 [direct-tcpip] r0 i0/0 o0/0 e[closed]/0 fd -1/-1/-1 sock -1 cc -1 io 0x01/0x00)\r\n',
    );
  });
});
