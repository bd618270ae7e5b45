import { PassThrough, Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  SOCKS5_REPLY,
  SocksError,
  ipv6ToString,
  parseSocks4,
  parseSocks5Greeting,
  parseSocks5Request,
  socks4Reply,
  socks5FailureCode,
  socks5Reply,
  socksHandshake,
} from './socks.js';

const b = (...xs: (number | string)[]): Buffer =>
  Buffer.concat(xs.map((x) => (typeof x === 'number' ? Buffer.of(x) : Buffer.from(x, 'latin1'))));

describe('parseSocks4', () => {
  const req = b(4, 1, 0x1f, 0x90, 127, 0, 0, 1, 'bob', 0);
  it('reads a SOCKS4 CONNECT', () => {
    expect(parseSocks4(req)).toEqual({ kind: 'ok', consumed: req.length, version: 4, user: 'bob', host: '127.0.0.1', port: 8080 });
  });
  it('asks for more at every shorter prefix', () => {
    for (let n = 0; n < req.length; n++) expect(parseSocks4(req.subarray(0, n)).kind).toBe('more');
  });
  it('reads a SOCKS4a host name after the user id', () => {
    const r = b(4, 1, 0, 80, 0, 0, 0, 9, 0, 'localhost', 0, 'extra');
    expect(parseSocks4(r)).toEqual({ kind: 'ok', consumed: r.length - 5, version: 4, user: '', host: 'localhost', port: 80 });
    expect(parseSocks4(r.subarray(0, 12)).kind).toBe('more');
  });
  it('takes 0.0.0.0 as an address, not 4a', () => {
    expect(parseSocks4(b(4, 1, 0, 80, 0, 0, 0, 0, 0))).toMatchObject({ kind: 'ok', host: '0.0.0.0' });
  });
  it('refuses BIND, other versions, empty 4a hosts and endless user ids', () => {
    expect(parseSocks4(b(4, 2, 0, 80, 127, 0, 0, 1, 0))).toMatchObject({ kind: 'bad', reply: socks4Reply(false) });
    expect(parseSocks4(b(5))).toMatchObject({ kind: 'bad' });
    expect(parseSocks4(b(4, 1, 0, 80, 0, 0, 0, 1, 0, 0))).toMatchObject({ kind: 'bad' });
    expect(parseSocks4(Buffer.concat([b(4, 1, 0, 80, 1, 2, 3, 4), Buffer.alloc(2000, 0x41)]))).toMatchObject({ kind: 'bad' });
  });
  it('replies 90 or 91', () => {
    expect([...socks4Reply(true)]).toEqual([0, 90, 0, 0, 0, 0, 0, 0]);
    expect([...socks4Reply(false)]).toEqual([0, 91, 0, 0, 0, 0, 0, 0]);
  });
});

describe('SOCKS5', () => {
  it('reads the method list', () => {
    expect(parseSocks5Greeting(b(5, 2, 0, 2))).toEqual({ kind: 'ok', consumed: 4, methods: [0, 2] });
    expect(parseSocks5Greeting(b(5, 2, 0)).kind).toBe('more');
    expect(parseSocks5Greeting(b(4)).kind).toBe('bad');
  });
  it('reads IPv4, domain and IPv6 CONNECT requests', () => {
    expect(parseSocks5Request(b(5, 1, 0, 1, 10, 1, 2, 3, 0, 22))).toEqual({ kind: 'ok', consumed: 10, version: 5, host: '10.1.2.3', port: 22 });
    const dom = b(5, 1, 0, 3, 9, 'localhost', 0x01, 0xbb);
    expect(parseSocks5Request(dom)).toEqual({ kind: 'ok', consumed: dom.length, version: 5, host: 'localhost', port: 443 });
    for (let n = 0; n < dom.length; n++) expect(parseSocks5Request(dom.subarray(0, n)).kind).toBe('more');
    const v6 = Buffer.concat([b(5, 1, 0, 4), Buffer.from('00000000000000000000000000000001', 'hex'), b(0, 80)]);
    expect(parseSocks5Request(v6)).toEqual({ kind: 'ok', consumed: 22, version: 5, host: '::1', port: 80 });
  });
  it('answers BIND/UDP and unknown address types with the RFC 1928 codes', () => {
    expect(parseSocks5Request(b(5, 2, 0, 1, 1, 2, 3, 4, 0, 80))).toMatchObject({ kind: 'bad', reply: socks5Reply(SOCKS5_REPLY.commandNotSupported) });
    expect(parseSocks5Request(b(5, 1, 0, 9, 1, 2, 3, 4, 0, 80))).toMatchObject({ kind: 'bad', reply: socks5Reply(SOCKS5_REPLY.addressTypeNotSupported) });
  });
  it('maps failures to reply codes', () => {
    expect(socks5FailureCode(2)).toBe(SOCKS5_REPLY.connectionRefused);
    expect(socks5FailureCode(1)).toBe(SOCKS5_REPLY.notAllowed);
    expect(socks5FailureCode('ENOTFOUND')).toBe(SOCKS5_REPLY.hostUnreachable);
    expect(socks5FailureCode(undefined)).toBe(SOCKS5_REPLY.generalFailure);
  });
  it('formats IPv6 as inet_ntop does', () => {
    expect(ipv6ToString(Buffer.from('20010db8000000000000000000000001', 'hex'))).toBe('2001:db8::1');
    expect(ipv6ToString(Buffer.alloc(16))).toBe('::');
  });
});

/** A Duplex whose writes are collected and whose input the test pushes. */
function fakeSocket(): { sock: Duplex; written: Buffer[]; input: PassThrough; ended: () => boolean } {
  const input = new PassThrough();
  const written: Buffer[] = [];
  let ended = false;
  const sock = new Duplex({
    read() {
      // fed from input
    },
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  input.on('data', (d: Buffer) => sock.push(d));
  input.on('end', () => sock.push(null));
  return { sock, written, input, ended: () => ended };
}

describe('socksHandshake', () => {
  it('negotiates SOCKS5 split over many chunks and keeps the bytes after the request', async () => {
    const f = fakeSocket();
    const p = socksHandshake(f.sock);
    const all = b(5, 1, 0, 5, 1, 0, 3, 9, 'localhost', 0);
    for (const byte of all) f.input.write(Buffer.of(byte));
    f.input.write(b(80, 'GET'));
    const req = await p;
    expect(req).toMatchObject({ version: 5, host: 'localhost', port: 80 });
    expect(req.rest.toString()).toBe('GET');
    expect(Buffer.concat(f.written)).toEqual(b(5, 0));
    req.granted();
    expect(f.written.at(-1)).toEqual(socks5Reply(0));
  });
  it('answers SOCKS4 failures with 91 and ends the stream', async () => {
    const f = fakeSocket();
    const p = socksHandshake(f.sock);
    f.input.write(b(4, 1, 0, 1, 127, 0, 0, 1, 0));
    const req = await p;
    req.failed(2);
    expect(f.written.at(-1)).toEqual(socks4Reply(false));
    await new Promise((r) => setImmediate(r));
    expect(f.ended()).toBe(true);
  });
  it('refuses a SOCKS5 client without the no-auth method', async () => {
    const f = fakeSocket();
    const p = socksHandshake(f.sock);
    f.input.write(b(5, 1, 2));
    await expect(p).rejects.toBeInstanceOf(SocksError);
    expect(f.written.at(-1)).toEqual(b(5, 0xff));
  });
  it('rejects on EOF in the middle of a request', async () => {
    const f = fakeSocket();
    const p = socksHandshake(f.sock);
    f.input.end(b(4, 1, 0));
    await expect(p).rejects.toThrow(/closed during the SOCKS handshake/);
  });
});
