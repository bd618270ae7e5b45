/**
 * Shared pieces of the forwarding interop tests (tsh-forward-*.test.ts): tsh or ssh running in
 * the background with its stderr collected, waits on ports and messages, an echo server, an HTTP
 * server with a random blob, and sha256 round trips. Every wait is bounded; only 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { binPath, testEnv } from '../helpers/run.js';
import { clientHome, sshHomeArgs, trustSshd, type ClientHome } from '../helpers/client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import type { Tshd } from '../helpers/tshd.js';

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface Bg {
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Waits until stderr matches; returns the match. */
  waitStderr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null if killed by a signal). */
  exited(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts tsh or ssh (pointed at the test HOME) with `args`; stdin is /dev/null. */
export function startBg(prog: 'tsh' | 'ssh', args: readonly string[], home: string, env: Record<string, string> = {}): Bg {
  const file = prog === 'tsh' ? process.execPath : '/usr/bin/ssh';
  const argv = prog === 'tsh' ? [binPath('tsh'), ...args] : [...sshHomeArgs(home), ...args];
  const child = spawn(file, argv, { env: testEnv(home, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  let code: number | null | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    wake();
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.on('close', (c) => {
    code = c;
    wake();
  });
  const wait = <T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const tryIt = (): boolean => {
        const v = check();
        if (v === undefined) return false;
        waiters.delete(poll);
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      const poll = (): void => void tryIt();
      const timer = setTimeout(() => {
        waiters.delete(poll);
        reject(new Error(`${prog}: timed out waiting for ${what}; stderr so far:\n${err}`));
      }, timeoutMs);
      if (!tryIt()) waiters.add(poll);
    });
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    waitStderr: (re, timeoutMs = 15_000) => wait(() => err.match(re) ?? undefined, String(re), timeoutMs),
    exited: (timeoutMs = 15_000) => wait(() => (code === undefined ? undefined : { code }), 'exit', timeoutMs).then((r) => r.code),
    stop: async () => {
      if (code !== undefined) return;
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      try {
        await wait(() => (code === undefined ? undefined : true), 'exit after SIGTERM', 5_000);
      } catch {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }
    },
  };
}

/** Runs tsh or ssh to the end: exit code, stdout, stderr. */
export async function runTo(
  prog: 'tsh' | 'ssh',
  args: readonly string[],
  home: string,
  timeoutMs = 20_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bg = startBg(prog, args, home, env);
  try {
    const code = await bg.exited(timeoutMs);
    return { code, stdout: bg.stdout(), stderr: bg.stderr() };
  } finally {
    await bg.stop();
  }
}

/** Waits until something accepts connections on 127.0.0.1:port. */
export async function waitPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestServer {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** A listening server as a TestServer: close() drops its open connections too. */
async function serving(server: Server): Promise<TestServer> {
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** Echoes every connection back to itself, half-close included (EOF in, EOF out). */
export async function echoServer(): Promise<TestServer> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  return serving(server);
}

/** Serves one random blob of `size` bytes over HTTP at every path. */
export async function blobServer(size: number): Promise<TestServer & { sha: string }> {
  const blob = randomBytes(size);
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(blob.length) });
    res.end(blob);
  });
  const port = await listen(server);
  return {
    port,
    sha: sha256(blob),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Sends `size` random bytes to 127.0.0.1:port (an echo behind a forward), half-closes, reads
 * everything back until EOF: the sha256 sent and received.
 */
export function roundTrip(port: number, size: number, timeoutMs = 30_000): Promise<{ sent: string; received: string; bytes: number }> {
  const data = randomBytes(size);
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`round trip through ${port} timed out after ${got.reduce((n, b) => n + b.length, 0)} bytes`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('end', () => {
      clearTimeout(timer);
      const all = Buffer.concat(got);
      s.destroy();
      resolve({ sent: sha256(data), received: sha256(all), bytes: all.length });
    });
    s.end(data);
  });
}

/** What a connection to 127.0.0.1:port sees: bytes then EOF or reset. */
export function connectAndRead(port: number, timeoutMs = 10_000): Promise<{ data: Buffer; how: 'end' | 'error' }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end on ${port}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(got), how: 'end' });
    });
    s.on('error', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(got), how: 'error' });
    });
  });
}

/** Holds 127.0.0.1:port open (a busy port). */
export async function holdPort(): Promise<TestServer> {
  const server = createServer();
  const port = await listen(server);
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}

/** Runs curl; resolves with its exit code and the sha256 of what it wrote. */
export function curl(args: readonly string[], timeoutMs = 30_000): Promise<{ code: number | null; sha: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-S', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`curl ${args.join(' ')} timed out`));
    }, timeoutMs + 5_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, sha: sha256(Buffer.concat(out)), stderr: err });
    });
  });
}

export interface Fixture {
  readonly sshd: Sshd;
  readonly home: ClientHome;
  readonly echo: TestServer;
}

/**
 * For a test file: an sshd that authorizes and is trusted by a fresh client HOME, and an echo
 * server, made in beforeAll and removed in afterAll. The fields are there once beforeAll ran.
 */
export function forwardFixture(): Fixture {
  const f = {} as { sshd: Sshd; home: ClientHome; echo: TestServer };
  beforeAll(async () => {
    f.home = clientHome();
    f.sshd = await startSshd({ authorizedKeys: [f.home.pub] });
    trustSshd(f.home, f.sshd);
    f.echo = await echoServer();
  });
  afterAll(async () => {
    await f.echo?.close();
    await f.sshd?.stop();
    f.home?.cleanup();
  });
  return f;
}

/**
 * A server that hashes everything a connection sends and, at its EOF, answers with the sha256 in
 * hex: a 20 MiB stream is checked without echoing it back.
 */
export async function hashServer(): Promise<TestServer> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    const h = createHash('sha256');
    s.on('data', (d: Buffer) => h.update(d));
    s.on('end', () => s.end(h.digest('hex')));
    s.on('error', () => undefined);
  });
  return serving(server);
}

/**
 * Sends `data` to 127.0.0.1:port or a unix socket path (a hash server behind a forward) and
 * resolves with the reply: the digest the far end computed, or '' when the forward failed.
 */
export function sendForDigest(to: number | string, data: Buffer, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const s = typeof to === 'number' ? connect({ port: to, host: '127.0.0.1', allowHalfOpen: true }) : connect({ path: to, allowHalfOpen: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply through ${to} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.end(data));
    s.on('data', (d: Buffer) => (reply += d.toString()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    s.on('error', () => undefined);
  });
}

/** Waits (bounded) until `check` holds. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A system account made for a test (useradd -m, no password): tshd as root serves it. */
export interface TestUser {
  readonly name: string;
  readonly home: string;
  readonly uid: number;
  readonly gid: number;
  /** Rewrites ~/.ssh/authorized_keys (owned by the user, 0600). */
  authorize(lines: readonly string[]): void;
  remove(): void;
}

export function createUser(prefix: string): TestUser {
  if (process.getuid?.() !== 0) throw new Error('these tests need root (CI runs them as root): they create a system user');
  const name = `${prefix}${process.pid % 10000}`;
  execFileSync('useradd', ['-m', '-s', '/bin/sh', '-p', '*', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  const home = `/home/${name}`;
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  chownSync(join(home, '.ssh'), uid, gid);
  return {
    name,
    home,
    uid,
    gid,
    authorize: (lines) => {
      const ak = join(home, '.ssh', 'authorized_keys');
      writeFileSync(ak, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      chownSync(ak, uid, gid);
    },
    remove: () => {
      try {
        execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
      } catch {
        // gone
      }
    },
  };
}

/** Adds tshd's host key to the client's known_hosts as [127.0.0.1]:PORT. */
export function trustTshd(home: ClientHome, t: Tshd): void {
  appendFileSync(join(home.ssh, 'known_hosts'), `[127.0.0.1]:${t.port} ${t.hostKey.split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o644 });
}

/** tsh/ssh arguments for `user` on tshd `t`, batch mode. */
export function tshdTarget(t: Tshd, user: string, extra: readonly string[] = []): string[] {
  return ['-p', String(t.port), '-o', 'BatchMode=yes', ...extra, `${user}@127.0.0.1`];
}

/** The PIDs of background tsh copies (-f: TSH_FORK_CHILD=1) whose arguments include `arg`. */
export function backgroundTsh(arg: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(arg) || !argv.some((a) => a.endsWith('tsh.js'))) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes('TSH_FORK_CHILD=1')) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** An ssh-agent on a socket in `dir` holding `keys`; stop() kills it. */
export async function startAgent(dir: string, keys: readonly string[]): Promise<{ sock: string; stop: () => void }> {
  const sock = join(dir, `agent.${process.pid}.${Date.now()}`);
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  await waitFor(() => existsSync(sock), `ssh-agent's socket ${sock}`, 5_000);
  for (const k of keys) execFileSync('ssh-add', ['-q', k], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  return { sock, stop: () => agent.kill() };
}
