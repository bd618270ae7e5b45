import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { ConfigError, dumpClientConfig, memoryLoader, parseClientConfig, resolveClientConfig, type ResolveClientOptions } from './index.js';

const base = { localUser: 'me', home: '/home/me', uid: 1000, thisHost: 'box.local' };

function resolve(files: Record<string, string>, extra: Partial<ResolveClientOptions> = {}) {
  return resolveClientConfig({
    host: 'foo',
    files: [{ path: '/cfg' }],
    loader: memoryLoader(files),
    env: { HOME: '/home/me' },
    ...base,
    ...extra,
  });
}

describe('parseClientConfig', () => {
  it('returns entries with line numbers', () => {
    const e = parseClientConfig('# c\nHost a b\n  Port=22\n', 'f');
    expect(e.map((x) => [x.line, x.opcode, x.args])).toEqual([
      [2, 'host', ['a', 'b']],
      [3, 'port', ['22']],
    ]);
  });
  it('names file and line for unknown keywords, honouring IgnoreUnknown', () => {
    let err: unknown;
    try {
      parseClientConfig('Port 1\nBogus x\n', 'cfg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ConfigError).line).toBe(2);
    expect((err as ConfigError).lines).toEqual(['cfg: line 2: Bad configuration option: bogus', 'cfg: terminating, 1 bad configuration options']);
    expect(parseClientConfig('IgnoreUnknown bog*\nBogus x\n', 'cfg')[1]!.opcode).toBe('ignored');
  });
});

describe('resolveClientConfig', () => {
  it('first value wins and -o beats files', () => {
    const c = resolve({ '/cfg': 'Port 1\nPort 2\nUser a\n' }, { overrides: ['User b'] });
    expect(c.port).toBe(1);
    expect(c.user).toBe('b');
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('applies defaults so nothing is unset', () => {
    const c = resolve({ '/cfg': '' });
    expect(c.user).toBe('me');
    expect(c.port).toBe(22);
    expect(c.hostname).toBe('foo');
    expect(c.identityFiles[0]).toBe('~/.ssh/id_rsa');
    expect(c.identityFilesExpanded[0]).toBe('/home/me/.ssh/id_rsa');
    expect(c.userKnownHostsFiles).toEqual(['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
    expect(c.strictHostKeyChecking).toBe('ask');
  });
  it('switches Host sections with patterns and negation', () => {
    const cfg = 'Host bar\n  Port 1\nHost !foo *\n  Port 2\nHost f?o\n  Port 3\n';
    expect(resolve({ '/cfg': cfg }).port).toBe(3);
    expect(resolve({ '/cfg': cfg }, { host: 'baz' }).port).toBe(2);
  });
  it('evaluates Match criteria, exec through the callback, and a final pass', () => {
    const cmds: string[] = [];
    const cfg = [
      'Host foo',
      '  HostName real.example',
      'Match exec "check %h %n %r"',
      '  User execd',
      'Match final host real.example',
      '  Port 7',
      'Match !localuser me',
      '  Compression yes',
      '',
    ].join('\n');
    const c = resolve({ '/cfg': cfg }, { exec: (cmd) => (cmds.push(cmd), 0) });
    expect(cmds[0]).toBe('check real.example foo me');
    expect(c.user).toBe('execd');
    expect(c.port).toBe(7);
    expect(c.compression).toBe(false);
  });
  it('follows Include globs relative to ~/.ssh, keeping the includer\'s section state', () => {
    const c = resolveClientConfig({
      host: 'foo',
      files: [{ path: '/home/me/.ssh/config' }],
      loader: memoryLoader({
        '/home/me/.ssh/config': 'Include d/*.conf\nHost nomatch\n  Include other.conf\nHost *\n  Port 9\n',
        '/home/me/.ssh/d/1.conf': 'Host zzz\n',
        '/home/me/.ssh/d/2.conf': 'User two\n',
        '/home/me/.ssh/other.conf': 'Compression yes\n',
      }),
      env: { HOME: '/home/me' },
      ...base,
    });
    expect(c.user).toBe('two');
    expect(c.compression).toBe(false);
    expect(c.port).toBe(9);
  });
  it('limits Include depth', () => {
    expect(() => resolve({ '/cfg': 'Include /cfg\n' })).toThrow('Too many recursive configuration includes');
  });
  it('expands tokens and environment variables', () => {
    const c = resolve(
      { '/cfg': 'HostName %h.example\nControlPath ~/cm-%r@%h:%p-%L-%l-%n-%u-%i-%%\nIdentityFile ${KEYDIR}/id\nRemoteCommand echo %d\n' },
      { env: { HOME: '/home/me', KEYDIR: '/keys' } },
    );
    expect(c.hostname).toBe('foo.example');
    expect(c.controlPath).toBe('/home/me/cm-me@foo.example:22-box-box.local-foo-me-1000-%');
    expect(c.identityFilesExpanded).toEqual(['/keys/id']);
    expect(c.remoteCommand).toBe('echo /home/me');
  });
  it('reports every bad line with file and line, then terminates', () => {
    let err: unknown;
    try {
      resolve({ '/cfg': 'Port 0\nFoo 1\nHost *\n  User a b\n' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      [
        "/cfg line 1: Bad port '0'.",
        '/cfg: line 2: Bad configuration option: foo',
        '/cfg line 4: keyword user extra arguments at end of line',
        '/cfg: terminating, 3 bad configuration options',
      ].join('\n'),
    );
    expect((err as ConfigError).exitCode).toBe(255);
  });
  it('rejects Host in -o', () => {
    expect(() => resolve({ '/cfg': '' }, { overrides: ['Host x'] })).toThrow('Host directive not supported');
  });
  it('dumps in ssh -G order', () => {
    const text = dumpClientConfig(resolve({ '/cfg': 'User u\nProxyJump j:2\n' }));
    expect(text.split('\n').slice(0, 4)).toEqual(['host foo', 'user u', 'hostname foo', 'port 22']);
    expect(text.endsWith('proxyjump j:2\n')).toBe(true);
  });
});
