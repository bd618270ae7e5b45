/**
 * tshd's per-user workers, from the built code (they run dist/src/server/user/worker-main.js):
 * connects and binds happen with the user's rights (root-only unix socket refused, privileged
 * port refused), the handles come back to the daemon's process, one worker per user is shared
 * and goes away when released. Needs root (CI runs as root): it creates a system user.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/run.js';
import { WorkerPool } from '../../src/server/user/pool.js';
import { lookupAccount } from '../../src/server/accounts.js';

/** The workers run the built worker (the global setup builds dist/). */
const WORKER_SCRIPT = join(ROOT, 'dist', 'src', 'server', 'user', 'worker-main.js');

const USER = `tshdw${process.pid % 10000}`;
let dir: { path: string; cleanup: () => void };
let pool: WorkerPool;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('tshd worker tests need root (CI runs them as root): they create a system user');
  execFileSync('useradd', ['-M', '-s', '/bin/sh', '-p', '*', USER]);
  dir = tempDir('tshd-worker-');
  chmodSync(dir.path, 0o755);
  pool = new WorkerPool(() => undefined, WORKER_SCRIPT);
});

afterAll(() => {
  pool?.stopAll();
  try {
    execFileSync('userdel', ['-f', USER], { stdio: 'ignore' });
  } catch {
    // gone
  }
  dir?.cleanup();
});

describe('per-user workers', () => {
  it('binds as the user: a port below 1024 is refused, port 0 works and connections arrive here', async () => {
    const account = lookupAccount(USER)!;
    const services = pool.forAccount(account);
    try {
      await expect(services.listenTcp('127.0.0.1', 80)).rejects.toMatchObject({ code: 'EACCES' });
      const { server, port } = await services.listenTcp('127.0.0.1', 0);
      expect(port).toBeGreaterThan(1023);
      const got = new Promise<string>((resolve) => {
        server.on('connection', (s) => {
          s.resume();
          s.once('data', (d) => {
            resolve(d.toString());
            s.end();
          });
        });
      });
      const c = connect(port, '127.0.0.1', () => c.write('hello'));
      c.on('error', () => undefined);
      expect(await got).toBe('hello');
      server.close();
    } finally {
      services.release();
    }
  });

  it('connects as the user: a unix socket in a root-only directory is refused, a TCP server is reached', async () => {
    const account = lookupAccount(USER)!;
    const secret = join(dir.path, 'private');
    mkdirSync(secret, { mode: 0o700 });
    const path = join(secret, 'sock');
    const unixServer = createServer((s) => s.end('unix'));
    await new Promise<void>((r) => unixServer.listen(path, r));
    const tcp = createServer((s) => s.end('tcp'));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const services = pool.forAccount(account);
    try {
      await expect(services.connectUnix(path)).rejects.toMatchObject({ code: 'EACCES' });
      const sock = await services.connectTcp('127.0.0.1', (tcp.address() as { port: number }).port);
      sock.resume();
      const text = await new Promise<string>((resolve) => {
        let t = '';
        sock.on('data', (d: Buffer) => (t += d.toString()));
        sock.on('end', () => resolve(t));
      });
      expect(text).toBe('tcp');
      await expect(services.connectTcp('127.0.0.1', 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      services.release();
      unixServer.close();
      tcp.close();
    }
  });

  it('runs with the user\'s uid and exits when its last user releases it', async () => {
    const account = lookupAccount(USER)!;
    const a = pool.forAccount(account);
    const b = pool.forAccount(account);
    const { server } = await a.listenTcp('127.0.0.1', 0);
    server.close();
    await b.listenTcp('127.0.0.1', 0).then((r) => r.server.close());
    const pids = (): string[] => {
      try {
        return execFileSync('pgrep', ['-u', String(account.uid), '-f', 'worker-main.js'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    expect(pids()).toHaveLength(1);
    a.release();
    expect(pids()).toHaveLength(1);
    b.release();
    const deadline = Date.now() + 5000;
    while (pids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pids()).toHaveLength(0);
  });
});
