import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startSshd, type Sshd } from '../../test/helpers/sshd.js';
import { run, tempDir, tempHome } from '../../test/helpers/run.js';
import { LOG_LEVELS, createLogger, type Logger } from './log.js';
import {
  TransportError,
  connectTcp,
  gaiStrerror,
  pairDuplex,
  proxyCommand,
  resolveHost,
  type DialFn,
  type LookupFn,
  type TcpOptions,
} from './transport.js';

/** A Writable that keeps what is written to it. */
function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return { stream, text: () => text };
}

/** A DEBUG3 logger that keeps its lines. */
function capture(): { log: Logger; lines: () => string[] } {
  const out = sink();
  return { log: createLogger(out.stream, LOG_LEVELS.DEBUG3), lines: () => out.text().split('\r\n').filter((l) => l !== '') };
}

function tcp(over: Partial<TcpOptions> & { log: Logger }): TcpOptions {
  return {
    host: '127.0.0.1',
    port: 22,
    addressFamily: 'any',
    bindAddress: null,
    connectTimeout: null,
    connectionAttempts: 1,
    tcpKeepAlive: true,
    ...over,
  };
}

function dnsError(code: string, errno: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ${code} x`);
  err.code = code;
  err.errno = errno;
  err.syscall = 'getaddrinfo';
  return err;
}

/** A socket that fails with `code` on the next tick, as a refused connect does. */
function failingSocket(code: string): net.Socket {
  const sock = new net.Socket();
  setImmediate(() => {
    const err: NodeJS.ErrnoException = new Error(`connect ${code}`);
    err.code = code;
    err.syscall = 'connect';
    sock.destroy(err);
  });
  return sock;
}

async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error('expected a TransportError');
}

/** A TCP server on 127.0.0.1 that answers every connection with "hello\n". */
async function helloServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const open = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined); // the client may reset
    s.end('hello\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise<void>((r) => {
      srv.close(() => r());
      for (const s of open) s.destroy();
    });
  return { port, close };
}

function readAll(stream: Duplex, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no end of stream; so far ${JSON.stringify(text)}`)), timeoutMs);
    stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

function waitEvent(em: EventEmitter, name: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' within ${timeoutMs} ms`)), timeoutMs);
    em.once(name, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still running`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('resolveHost', () => {
  const base = { port: 22, addressFamily: 'any' as const };

  it('words resolver failures as glibc gai_strerror does, with the program name', async () => {
    const cases: Array<[NodeJS.ErrnoException, string]> = [
      [dnsError('ENOTFOUND', -3008), 'Name or service not known'],
      [dnsError('ENOTFOUND', -3007), 'No address associated with hostname'],
      [dnsError('EAI_AGAIN', -3001), 'Temporary failure in name resolution'],
      [dnsError('EAI_FAIL', -3004), 'Non-recoverable failure in name resolution'],
    ];
    for (const [err, text] of cases) {
      const { log, lines } = capture();
      const lookup: LookupFn = () => Promise.reject(err);
      const e = await rejection(resolveHost('foo.invalid', { ...base, port: 2222, log }, lookup));
      expect(e.message).toBe(`tsh: Could not resolve hostname foo.invalid: ${text}`);
      expect(e.kind).toBe('resolve');
      expect(e.exitCode).toBe(255);
      expect(e.code).toBe(err.code);
      expect(lines()).toEqual(['debug3: resolve_host: lookup foo.invalid:2222']);
    }
  });

  it('truncates the name at 100 characters and uses the given program name', async () => {
    const long = `${'a'.repeat(120)}.invalid`;
    const lookup: LookupFn = () => Promise.reject(dnsError('ENOTFOUND', -3008));
    const e = await rejection(resolveHost(long, { ...base, log: capture().log, progname: 'ssh' }, lookup));
    expect(e.message).toBe(`ssh: Could not resolve hostname ${'a'.repeat(100)}: Name or service not known`);
  });

  it('refuses an address literal of the other family, as getaddrinfo does', async () => {
    const lookup: LookupFn = () => Promise.reject(new Error('must not be called'));
    const v6 = await rejection(resolveHost('::1', { ...base, addressFamily: 'inet', log: capture().log }, lookup));
    expect(v6.message).toBe('tsh: Could not resolve hostname ::1: Address family for hostname not supported');
    const v4 = await rejection(resolveHost('127.0.0.1', { ...base, addressFamily: 'inet6', log: capture().log }, lookup));
    expect(v4.message).toBe('tsh: Could not resolve hostname 127.0.0.1: Address family for hostname not supported');
    expect(await resolveHost('127.0.0.1', { ...base, addressFamily: 'inet', log: capture().log }, lookup)).toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
  });

  it('an empty name is not known (and never reaches the resolver)', async () => {
    const lookup: LookupFn = () => Promise.reject(new Error('must not be called'));
    const e = await rejection(resolveHost('', { ...base, log: capture().log }, lookup));
    expect(e.message).toBe('tsh: Could not resolve hostname : Name or service not known');
  });

  it('passes the family to the resolver and keeps its order', async () => {
    const seen: Array<[string, number]> = [];
    const lookup: LookupFn = async (h, f) => {
      seen.push([h, f]);
      return [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ];
    };
    const addrs = await resolveHost('example.test', { ...base, addressFamily: 'inet6', log: capture().log }, lookup);
    expect(addrs.map((a) => a.address)).toEqual(['::1', '127.0.0.1']);
    expect(seen).toEqual([['example.test', 6]]);
  });

  it('a system error from getaddrinfo reads as strerror(errno)', () => {
    const err: NodeJS.ErrnoException = new Error('getaddrinfo EMFILE x');
    err.code = 'EMFILE';
    expect(gaiStrerror(err)).toBe('Too many open files');
    const odd: NodeJS.ErrnoException = new Error('getaddrinfo EWHATEVER x');
    odd.code = 'EWHATEVER';
    expect(gaiStrerror(odd)).toBe('System error');
  });
});

describe('connectTcp', () => {
  it('tries every address in order and reports each failure at debug1', async () => {
    const srv = await helloServer();
    try {
      const { log, lines } = capture();
      const lookup: LookupFn = async () => [
        { address: '192.0.2.7', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
      const dialed: string[] = [];
      const dial: DialFn = (t) => {
        dialed.push(`${t.address}:${t.port}`);
        return t.address === '127.0.0.1' ? net.connect({ host: t.address, port: t.port }) : failingSocket('EHOSTUNREACH');
      };
      const t = await connectTcp(tcp({ host: 'multi.test', port: srv.port, log }), { lookup, dial });
      expect(dialed).toEqual([`192.0.2.7:${srv.port}`, `127.0.0.1:${srv.port}`]);
      expect(t.remoteAddress).toBe('127.0.0.1');
      expect(t.remotePort).toBe(srv.port);
      expect(t.localAddress).toBe('127.0.0.1');
      expect(typeof t.localPort).toBe('number');
      expect(t.timeoutLeftMs).toBeNull();
      expect(await readAll(t.stream)).toBe('hello\n');
      t.close();
      expect(lines()).toEqual([
        `debug2: resolving "multi.test" port ${srv.port}`,
        `debug3: resolve_host: lookup multi.test:${srv.port}`,
        'debug3: ssh_connect_direct: entering',
        `debug1: Connecting to multi.test [192.0.2.7] port ${srv.port}.`,
        `debug1: connect to address 192.0.2.7 port ${srv.port}: No route to host`,
        `debug1: Connecting to multi.test [127.0.0.1] port ${srv.port}.`,
        'debug1: Connection established.',
      ]);
    } finally {
      await srv.close();
    }
  });

  it('sets TCP_NODELAY always and SO_KEEPALIVE as TCPKeepAlive says', async () => {
    const srv = await helloServer();
    try {
      for (const keep of [true, false]) {
        const socks: net.Socket[] = [];
        const dial: DialFn = (t) => {
          const s = net.connect({ host: t.address, port: t.port });
          vi.spyOn(s, 'setNoDelay');
          vi.spyOn(s, 'setKeepAlive');
          socks.push(s);
          return s;
        };
        const t = await connectTcp(tcp({ port: srv.port, tcpKeepAlive: keep, log: capture().log }), { dial });
        const s = socks[0]!;
        expect(s.setNoDelay).toHaveBeenCalledWith(true);
        if (keep) expect(s.setKeepAlive).toHaveBeenCalledWith(true);
        else expect(s.setKeepAlive).not.toHaveBeenCalledWith(true);
        t.close();
      }
    } finally {
      await srv.close();
    }
  });

  it('ConnectTimeout bounds each connect: "Connection timed out"', async () => {
    const { log, lines } = capture();
    const lookup: LookupFn = async () => [
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.2', family: 4 },
    ];
    const pending: net.Socket[] = [];
    const dial: DialFn = () => {
      const s = new net.Socket(); // never connects
      pending.push(s);
      return s;
    };
    const started = Date.now();
    const e = await rejection(connectTcp(tcp({ host: 'slow.test', connectTimeout: 0.2, log }), { lookup, dial }));
    const took = Date.now() - started;
    expect(e.message).toBe('tsh: connect to host slow.test port 22: Connection timed out');
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.kind).toBe('connect');
    expect(took).toBeGreaterThanOrEqual(380); // the timeout restarts for every address
    expect(took).toBeLessThan(3000);
    expect(pending.every((s) => s.destroyed)).toBe(true);
    expect(lines().filter((l) => l.startsWith('debug1:'))).toEqual([
      'debug1: Connecting to slow.test [192.0.2.1] port 22.',
      'debug1: connect to address 192.0.2.1 port 22: Connection timed out',
      'debug1: Connecting to slow.test [192.0.2.2] port 22.',
      'debug1: connect to address 192.0.2.2 port 22: Connection timed out',
    ]);
  });

  it('reports what is left of ConnectTimeout after connecting', async () => {
    const srv = await helloServer();
    try {
      const t = await connectTcp(tcp({ port: srv.port, connectTimeout: 5, log: capture().log }));
      expect(t.timeoutLeftMs).toBeGreaterThan(4000);
      expect(t.timeoutLeftMs).toBeLessThanOrEqual(5000);
      t.close();
    } finally {
      await srv.close();
    }
  });

  it('ConnectionAttempts: rounds over the addresses with a 1 s sleep and "Trying again..."', async () => {
    const { log, lines } = capture();
    const sleeps: number[] = [];
    const dial: DialFn = () => failingSocket('ECONNREFUSED');
    const e = await rejection(
      connectTcp(tcp({ port: 2200, connectionAttempts: 3, log }), { dial, sleep: async (ms) => void sleeps.push(ms) }),
    );
    expect(e.message).toBe('tsh: connect to host 127.0.0.1 port 2200: Connection refused');
    expect(sleeps).toEqual([1000, 1000]);
    const round = [
      'debug1: Connecting to 127.0.0.1 [127.0.0.1] port 2200.',
      'debug1: connect to address 127.0.0.1 port 2200: Connection refused',
    ];
    expect(lines()).toEqual([
      'debug2: resolve_canonicalize: hostname 127.0.0.1 is address',
      'debug3: ssh_connect_direct: entering',
      ...round,
      'debug1: Trying again...',
      ...round,
      'debug1: Trying again...',
      ...round,
    ]);
  });

  it('uses given addresses without resolving', async () => {
    const { log, lines } = capture();
    const lookup: LookupFn = () => Promise.reject(new Error('must not be called'));
    const dial: DialFn = () => failingSocket('ECONNREFUSED');
    await rejection(
      connectTcp(tcp({ host: 'canon.example', addresses: [{ address: '127.0.0.1', family: 4 }], log }), { lookup, dial }),
    );
    expect(lines()[0]).toBe('debug3: ssh_connect_direct: entering');
  });

  it('a resolver failure is the resolve_host message', async () => {
    const lookup: LookupFn = () => Promise.reject(dnsError('EAI_AGAIN', -3001));
    const e = await rejection(connectTcp(tcp({ host: 'foo.invalid', log: capture().log }), { lookup }));
    expect(e.message).toBe('tsh: Could not resolve hostname foo.invalid: Temporary failure in name resolution');
  });

  it('BindAddress binds the local end', async () => {
    const srv = await helloServer();
    try {
      const { log, lines } = capture();
      const t = await connectTcp(tcp({ port: srv.port, bindAddress: '127.0.0.1', log }));
      expect(t.localAddress).toBe('127.0.0.1');
      expect(lines().slice(-2)).toEqual(['debug1: ssh_create_socket: bound to 127.0.0.1', 'debug1: Connection established.']);
      t.close();
    } finally {
      await srv.close();
    }
  });

  it('a BindAddress that cannot be resolved or bound fails the attempt with "failure"', async () => {
    const { log, lines } = capture();
    const lookup: LookupFn = () => Promise.reject(dnsError('ENOTFOUND', -3008));
    const e = await rejection(connectTcp(tcp({ port: 2201, bindAddress: 'nohost.invalid', log }), { lookup }));
    expect(e.message).toBe('tsh: connect to host 127.0.0.1 port 2201: failure');
    expect(e.code).toBeUndefined();
    expect(lines()).toContain('getaddrinfo: nohost.invalid: Name or service not known');

    const v6 = capture();
    await rejection(connectTcp(tcp({ port: 2201, bindAddress: '::1', log: v6.log })));
    expect(v6.lines()).toContain('getaddrinfo: ::1: Address family for hostname not supported');
  });
});

describe('pairDuplex', () => {
  it('reads from one side, writes to the other, and ends like a socket', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const d = pairDuplex(input, output);
    let written = '';
    output.on('data', (c: Buffer) => (written += c.toString()));
    const got = readAll(d);
    const closed = waitEvent(d, 'close');
    d.write('to-output');
    input.write('from-input');
    input.end();
    expect(await got).toBe('from-input');
    await closed;
    expect(written).toBe('to-output');
    expect(output.writableEnded).toBe(true); // allowHalfOpen off: input's end ends the output
  });

  it('passes backpressure on: a stalled reader pauses the input', async () => {
    const input = new PassThrough();
    const d = pairDuplex(input, new PassThrough());
    d.pause();
    const big = Buffer.alloc(64 * 1024);
    let writes = 0;
    while (input.write(big) && writes < 1000) writes++;
    expect(writes).toBeLessThan(1000); // input's buffer filled up: nobody drained it past d's
    let total = 0;
    d.on('data', (c: Buffer) => (total += c.length));
    d.resume();
    input.end();
    await waitEvent(d, 'end');
    expect(total).toBe((writes + 1) * big.length);
  });

  it('an error on either side destroys the pair, and destroy reaches both sides', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const d = pairDuplex(input, output);
    const seen = new Promise<Error>((r) => d.once('error', r));
    output.destroy(new Error('EPIPE-ish'));
    expect((await seen).message).toBe('EPIPE-ish');
    expect(input.destroyed).toBe(true);

    const a = new PassThrough();
    const b = new PassThrough();
    pairDuplex(a, b).destroy();
    expect(a.destroyed && b.destroyed).toBe(true);
  });
});

describe('proxyCommand', () => {
  const sh = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  it('runs $SHELL -c "exec COMMAND" (/bin/sh when SHELL is unset or empty) and logs it', async () => {
    for (const [shell, expected] of [
      [undefined, '/bin/sh'],
      ['', '/bin/sh'],
      ['/bin/bash', '/bin/bash'],
    ] as const) {
      const { log, lines } = capture();
      const env = shell === undefined ? sh : { ...sh, SHELL: shell };
      const t = await proxyCommand({ command: 'printf "%s" "$0"', log, env });
      const closed = waitEvent(t.stream, 'close');
      expect(await readAll(t.stream)).toBe(expected);
      await closed;
      expect(lines()).toEqual(['debug1: Executing proxy command: exec printf "%s" "$0"']);
      expect(t.remoteAddress).toBe('UNKNOWN');
      expect(t.remotePort).toBe(65535);
      expect(t.stream.destroyed).toBe(true);
    }
  });

  it('stdin reaches the command; its exit ends the stream; its stderr goes to ours', async () => {
    const err = sink();
    const t = await proxyCommand({ command: 'sh -c "echo oops >&2; tr a-z A-Z"', log: capture().log, env: sh, stderr: err.stream });
    const got = readAll(t.stream);
    const closed = waitEvent(t.stream, 'close');
    t.stream.end('hello\n');
    expect(await got).toBe('HELLO\n');
    await closed;
    await waitGone(t.pid!);
    expect(err.text()).toBe('oops\n');
  });

  it('a shell that cannot be run prints perror and the stream ends, as with ssh', async () => {
    const err = sink();
    const t = await proxyCommand({ command: 'true', log: capture().log, env: { ...sh, SHELL: '/nonexistent/sh' }, stderr: err.stream });
    t.stream.write('SSH-2.0-x\r\n');
    expect(await readAll(t.stream)).toBe('');
    expect(err.text()).toBe('/nonexistent/sh: No such file or directory\n');
  });

  it('close() hangs up on a command that is still running', async () => {
    const t = await proxyCommand({ command: 'sleep 30', log: capture().log, env: sh });
    expect(alive(t.pid!)).toBe(true);
    const closed = waitEvent(t.stream, 'close');
    t.close();
    await closed;
    await waitGone(t.pid!);
  });

  it('destroying the stream (as ssh2 does at the end) hangs up on the command too', async () => {
    const t = await proxyCommand({ command: 'sleep 30', log: capture().log, env: sh });
    t.stream.destroy();
    await waitGone(t.pid!);
  });
});

describe('against OpenSSH', () => {
  const ours = /^(debug\d: (resolve_canonicalize: hostname|resolving "|resolve_host: lookup|ssh_connect_direct: entering|Connecting to|connect to address|Trying again|Connection established|ssh_create_socket: bound)|bind |getaddrinfo: |ssh: )/;

  /** ssh -vvv's lines that this module is responsible for, with ssh: → tsh:. */
  async function sshLines(args: string[]): Promise<string[]> {
    const home = tempHome();
    try {
      const r = await run('/usr/bin/ssh', ['-F', 'none', '-vvv', '-o', 'BatchMode=yes', ...args, 'true'], { home: home.home });
      expect(r.code).toBe(255);
      return r.stderr
        .split(/\r?\n/)
        .filter((l) => ours.test(l))
        .map((l) => l.replace(/^ssh: /, 'tsh: '));
    } finally {
      home.cleanup();
    }
  }

  async function tshLines(opts: Omit<TcpOptions, 'log'>): Promise<string[]> {
    const { log, lines } = capture();
    const e = await rejection(connectTcp({ ...opts, log }, { sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }));
    return [...lines(), e.message];
  }

  const base = { addressFamily: 'any' as const, bindAddress: null, connectTimeout: null, connectionAttempts: 1, tcpKeepAlive: true };

  it('a refused port, with ConnectionAttempts=2', async () => {
    const port = await freePort();
    const theirs = await sshLines(['-o', 'ConnectionAttempts=2', '-p', String(port), '127.0.0.1']);
    const mine = await tshLines({ ...base, host: '127.0.0.1', port, connectionAttempts: 2 });
    expect(mine).toEqual(theirs);
    expect(mine.at(-1)).toBe(`tsh: connect to host 127.0.0.1 port ${port}: Connection refused`);
  });

  it('a name from /etc/hosts', async () => {
    const port = await freePort();
    const theirs = await sshLines(['-p', String(port), 'localhost']);
    const mine = await tshLines({ ...base, host: 'localhost', port });
    expect(mine).toEqual(theirs);
  });

  it('an address of the wrong family', async () => {
    const theirs = await sshLines(['-4', '-p', '2222', '::1']);
    const mine = await tshLines({ ...base, host: '::1', port: 2222, addressFamily: 'inet' });
    expect(mine.at(-1)).toBe(theirs.at(-1));
    expect(mine.at(-1)).toBe('tsh: Could not resolve hostname ::1: Address family for hostname not supported');
  });

  it('a BindAddress that cannot be bound', async () => {
    const port = await freePort();
    const theirs = await sshLines(['-b', '192.0.2.1', '-p', String(port), '127.0.0.1']);
    const mine = await tshLines({ ...base, host: '127.0.0.1', port, bindAddress: '192.0.2.1' });
    expect(mine).toEqual(theirs);
    expect(mine.slice(-2)).toEqual(['bind 192.0.2.1: Cannot assign requested address', `tsh: connect to host 127.0.0.1 port ${port}: failure`]);
  });
});

describe('ssh2 over the transports, against sshd', () => {
  let sshd: Sshd;
  let keyDir: { path: string; cleanup: () => void };
  let privateKey: Buffer;

  beforeAll(async () => {
    keyDir = tempDir('tsh-transport-');
    const key = join(keyDir.path, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'transport-test', '-f', key]);
    privateKey = readFileSync(key);
    sshd = await startSshd({ authorizedKeys: [readFileSync(`${key}.pub`, 'utf8').trim()] });
  });

  afterAll(async () => {
    await sshd?.stop();
    keyDir?.cleanup();
  });

  /** Authenticates over `sock`, runs `echo hi`, returns its output once the connection closed. */
  function echoHi(sock: Duplex): Promise<string> {
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      const timer = setTimeout(() => {
        client.destroy();
        reject(new Error(`ssh2 session timed out; sshd log:\n${sshd.log()}`));
      }, 15_000);
      let out = '';
      client.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      client.on('ready', () => {
        client.exec('echo hi', (err, ch) => {
          if (err) return reject(err);
          ch.on('data', (d: Buffer) => (out += d.toString()));
          ch.on('close', () => client.end());
        });
      });
      client.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      client.connect({
        sock,
        username: userInfo().username,
        privateKey,
        hostVerifier: () => true,
        readyTimeout: 10_000,
      });
    });
  }

  it('connectTcp', async () => {
    const t = await connectTcp(tcp({ port: sshd.port, log: capture().log }));
    expect(await echoHi(t.stream)).toBe('hi\n');
    expect(t.stream.destroyed).toBe(true);
    t.close();
  });

  it('proxyCommand piping through a local relay, which is gone afterwards', async () => {
    const relay =
      `const s=require("net").connect(${sshd.port},"127.0.0.1");` +
      'process.stdin.pipe(s);s.pipe(process.stdout);s.on("error",()=>process.exit(1));';
    const t = await proxyCommand({ command: `'${process.execPath}' -e '${relay}'`, log: capture().log, env: { PATH: process.env.PATH ?? '' } });
    expect(t.pid).toBeGreaterThan(0);
    expect(await echoHi(t.stream)).toBe('hi\n');
    await waitGone(t.pid!);
  });
});
