/**
 * tshd's privilege separation, as root: the protocol process (ssh2's Server, every connection)
 * runs as the unprivileged `sshd` account (else `nobody`) with no supplementary groups and
 * NoNewPrivs, the monitor stays root; a hostile pre-auth client is held by the protocol process,
 * never by the monitor; a protocol process killed with SIGKILL is replaced and the next
 * connection is served. CI runs as root; elsewhere these tests fail with a clear message.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { startTshd, type Tshd } from '../helpers/tshd.js';

const USER = `tshdp${process.pid % 10000}`;
let client: { path: string; cleanup: () => void };
let t: Tshd;

function ssh(command: string) {
  return run(
    '/usr/bin/ssh',
    ['-p', String(t.port), '-i', join(client.path, 'id'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER}@127.0.0.1`, command],
    { home: client.path, timeoutMs: 20_000 },
  );
}

/** /proc/<pid>/status as a map. */
function status(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** The children of a process. */
function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .map(Number)
    .filter((n) => n > 0);
}

/** tshd's protocol process: its child running net-main (bounded wait). */
async function netPid(exclude = 0): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const pid of children(t.pid)) {
      if (pid === exclude) continue;
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('net-main')) return pid;
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no protocol process under tshd ${t.pid}`);
}

/** The pids holding an established TCP connection from local port `port` (ss -p). */
function holders(clientPort: number): number[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${clientPort} )`], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(t.port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('tshd privsep tests need root (CI runs them as root): they create a system user');
  client = tempDir('tshd-privsep-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(client.path, 'id')]);
  execFileSync('useradd', ['-m', '-s', '/bin/bash', '-p', '*', USER]);
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  const home = `/home/${USER}`;
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'authorized_keys'), readFileSync(join(client.path, 'id.pub')), { mode: 0o600 });
  chownSync(join(home, '.ssh'), uid, gid);
  chownSync(join(home, '.ssh', 'authorized_keys'), uid, gid);
  t = await startTshd(['LogLevel DEBUG1', 'PerSourcePenalties no', 'LoginGraceTime 30']);
});

afterAll(async () => {
  await t?.stop();
  try {
    execFileSync('userdel', ['-r', '-f', USER], { stdio: 'ignore' });
  } catch {
    // gone
  }
  client?.cleanup();
});

describe('tshd privilege separation', () => {
  it('speaks SSH in a process of the unprivileged account: no groups, NoNewPrivs, no capabilities; the monitor is root', async () => {
    const expected = execFileSync('getent', ['passwd', 'sshd'], { encoding: 'utf8' }).split(':');
    const net = status(await netPid());
    expect(net.get('Uid')!.split(/\s+/)).toEqual(Array(4).fill(expected[2]));
    expect(net.get('Gid')!.split(/\s+/)).toEqual(Array(4).fill(expected[3]));
    expect(net.get('Groups')).toBe('');
    expect(net.get('NoNewPrivs')).toBe('1');
    expect(net.get('CapEff')).toBe('0000000000000000');
    expect(net.get('CapBnd')).toBe('0000000000000000');
    const monitor = status(t.pid);
    expect(monitor.get('Uid')!.split(/\s+/)[0]).toBe('0');
    // And a login works through it, as the user.
    const r = await ssh('id -un');
    expect(r.stdout.trim()).toBe(USER);
  });

  it('holds a hostile pre-auth client in the protocol process, never in the monitor', async () => {
    const net = await netPid();
    // Half a handshake: a version line, then nothing.
    const half = await open();
    half.write('SSH-2.0-half\r\n');
    await new Promise((r) => half.once('data', r));
    const port = half.localPort!;
    const owners = holders(port);
    expect(owners).toContain(net);
    expect(owners).not.toContain(t.pid);
    // Garbage instead of a version line.
    const junk = await open();
    junk.write(Buffer.alloc(4096, 0xa5));
    junk.write('\r\nnot ssh at all\r\n');
    await new Promise<void>((r) => {
      junk.once('close', () => r());
      junk.on('error', () => r());
      junk.resume();
    });
    half.destroy();
    // The same protocol process still serves.
    expect((await ssh('echo alive')).stdout.trim()).toBe('alive');
    expect(await netPid()).toBe(net);
  });

  it('relays a signal request to the program and its exit status back (program started by the monitor, pipes in the protocol process)', async () => {
    const c = new ssh2.Client();
    const ready = new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve());
      c.once('error', reject);
    });
    c.connect({ host: '127.0.0.1', port: t.port, username: USER, privateKey: readFileSync(join(client.path, 'id')), hostVerifier: () => true });
    try {
      await ready;
      const result = await new Promise<{ out: string; code: number | null }>((resolve, reject) => {
        c.exec('trap "echo got-usr1; exit 3" USR1; echo ready; while :; do sleep 0.1; done', (err, stream) => {
          if (err) return reject(err);
          let out = '';
          let code: number | null = null;
          stream.on('data', (d: Buffer) => {
            out += d.toString();
            if (out === 'ready\n') stream.signal('USR1');
          });
          stream.on('exit', (c2: number | null) => (code = c2));
          stream.on('close', () => resolve({ out, code }));
        });
      });
      expect(result).toEqual({ out: 'ready\ngot-usr1\n', code: 3 });
    } finally {
      c.end();
    }
  });

  it('survives the protocol process being killed: the monitor starts a new one and the next connection is served', async () => {
    const before = await netPid();
    // A connection in progress is lost with it.
    const held = await open();
    held.on('error', () => undefined);
    const lost = new Promise<void>((r) => held.once('close', () => r()));
    await new Promise((r) => held.once('data', r));
    process.kill(before, 'SIGKILL');
    await lost;
    await t.waitLog(`the protocol process (pid ${before}) exited (SIGKILL)`);
    const after = await netPid(before);
    expect(after).not.toBe(before);
    expect((await ssh('echo again')).stdout.trim()).toBe('again');
    expect(status(after).get('NoNewPrivs')).toBe('1');
    // The monitor is the same process.
    expect(status(t.pid).get('Uid')!.split(/\s+/)[0]).toBe('0');
  });
});
