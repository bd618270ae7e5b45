/**
 * tsh running remote commands on a real OpenSSH sshd: exact exit status, signals, stdout and
 * stderr kept apart, binary-safe stdin/stdout (20 MiB round trip), -n, and OpenSSH's errors for
 * connections that fail. Each behaviour is checked against `ssh` with the same arguments.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, testEnv } from '../helpers/run.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, sshHomeArgs, target, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';

interface BinResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs tsh or ssh with binary stdin/stdout. */
function runBin(prog: 'tsh' | 'ssh', args: readonly string[], home: string, input?: Buffer, timeoutMs = 30_000): Promise<BinResult> {
  const file = prog === 'tsh' ? process.execPath : '/usr/bin/ssh';
  const argv = prog === 'tsh' ? [binPath('tsh'), ...args] : [...sshHomeArgs(home), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: testEnv(home), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`${prog} timed out: ${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** ssh's stderr with its program name as tsh's. */
const asTsh = (s: string): string => s.replace(/^ssh: /gm, 'tsh: ');

let sshd: Sshd;
let home: ClientHome;

beforeAll(async () => {
  home = clientHome();
  sshd = await startSshd({ authorizedKeys: [home.pub] });
  trustSshd(home, sshd);
});

afterAll(async () => {
  await sshd?.stop();
  home?.cleanup();
});

describe('tsh runs remote commands', () => {
  it('passes the remote exit status through exactly: 24 values across 0-255, every bit set once', async () => {
    // One connection per status, eight at a time (below sshd's MaxStartups 10). All 256 would
    // take over a minute; these cover both ends, each bit on its own, and values in between.
    const statuses = [0, 1, 2, 3, 4, 8, 16, 32, 42, 64, 100, 126, 127, 128, 129, 130, 137, 143, 191, 200, 240, 253, 254, 255];
    for (let i = 0; i < statuses.length; i += 8) {
      const batch = statuses.slice(i, i + 8);
      const results = await Promise.all(batch.map((st) => runBin('tsh', [...target(sshd), `exit ${st}`], home.home, undefined, 60_000)));
      results.forEach((r, j) => {
        expect(r.code, `exit ${batch[j]}: ${r.stderr}`).toBe(batch[j]);
        expect(r.stderr).toBe('');
      });
    }
    // Only the low 8 bits reach the client, as with ssh.
    const r = await runBin('tsh', [...target(sshd), 'exit 256'], home.home);
    expect(r.code).toBe(0);
  }, 120_000);

  it('keeps stdout and stderr apart, like ssh', async () => {
    const cmd = 'echo out1; echo err1 >&2; printf out2; printf err2 >&2';
    const t = await runBin('tsh', [...target(sshd), cmd], home.home);
    const s = await runBin('ssh', [...target(sshd), cmd], home.home);
    expect(t.stdout.toString()).toBe('out1\nout2');
    expect(t.stderr).toBe('err1\nerr2');
    expect(t.stdout.equals(s.stdout)).toBe(true);
    expect(t.stderr).toBe(s.stderr);
    expect(t.code).toBe(0);
  });

  it('joins the command words with spaces and drops a leading --, like ssh', async () => {
    const t = await runBin('tsh', [...target(sshd), '--', 'echo', 'a  b', 'c'], home.home);
    const s = await runBin('ssh', [...target(sshd), '--', 'echo', 'a  b', 'c'], home.home);
    expect(t.stdout.toString()).toBe('a b c\n');
    expect(t.stdout.equals(s.stdout)).toBe(true);
  });

  it('round-trips 20 MiB of random bytes through stdin and stdout unchanged', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const r = await runBin('tsh', [...target(sshd), 'cat'], home.home, data, 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('passes EOF on stdin to the remote command', async () => {
    const r = await runBin('tsh', [...target(sshd), 'wc -c; echo done'], home.home, Buffer.from('12345'));
    expect(r.stdout.toString().trim().split(/\s+/)).toEqual(['5', 'done']);
  });

  it('-n gives the remote command an empty stdin', async () => {
    const r = await runBin('tsh', [...target(sshd, ['-n']), 'wc -c'], home.home, Buffer.from('ignored'));
    expect(r.stdout.toString().trim()).toBe('0');
  });

  it('exits 255 with a message when the remote command dies by a signal', async () => {
    const t = await runBin('tsh', [...target(sshd), 'kill -TERM $$'], home.home);
    const s = await runBin('ssh', [...target(sshd), 'kill -TERM $$'], home.home);
    expect(s.code).toBe(255);
    expect(t.code).toBe(255);
    expect(t.stderr).toBe('Remote command killed by signal TERM.\r\n');
    const q = await runBin('tsh', [...target(sshd, ['-q']), 'kill -KILL $$'], home.home);
    expect(q.code).toBe(255);
    expect(q.stderr).toBe('');
  });

  it('runs RemoteCommand from the configuration and refuses it with a command-line command', async () => {
    const r = await runBin('tsh', [...target(sshd, ['-o', 'RemoteCommand=echo from-config'])], home.home);
    expect(r.stdout.toString()).toBe('from-config\n');
    const both = await runBin('tsh', [...target(sshd, ['-o', 'RemoteCommand=echo x']), 'true'], home.home);
    expect(both.code).toBe(255);
    expect(both.stderr).toBe('Cannot execute command-line and remote command.\r\n');
  });

  it('logs debug lines with -v and writes them to the -E file instead of stderr', async () => {
    const v = await runBin('tsh', [...target(sshd, ['-v']), 'true'], home.home);
    expect(v.stderr).toMatch(/^debug1: Connecting to 127\.0\.0\.1 \[127\.0\.0\.1\] port \d+\.\r\n/);
    expect(v.stderr).toMatch(/debug1: Authenticating to 127\.0\.0\.1:\d+ as '/);
    const log = `${home.home}/tsh.log`;
    const e = await runBin('tsh', [...target(sshd, ['-v', '-E', log]), 'echo hi'], home.home);
    expect(e.stderr).toBe('');
    expect(e.stdout.toString()).toBe('hi\n');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(log, 'utf8')).toMatch(/debug1: Connection established\./);
  });

  it('compresses with -C', async () => {
    const r = await runBin('tsh', [...target(sshd, ['-C', '-v']), 'echo hi'], home.home);
    expect(r.stdout.toString()).toBe('hi\n');
    expect(r.stderr).toMatch(/compression: zlib@openssh\.com/);
  });
});

describe('tsh notices a server that stops answering', () => {
  it('ServerAliveInterval/CountMax: "Timeout, server H not responding." and 255', async () => {
    const { execFileSync } = await import('node:child_process');
    const child = spawn(process.execPath, [binPath('tsh'), ...target(sshd, ['-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=2']), 'echo up; sleep 60'], {
      env: testEnv(home.home),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const stopped: number[] = [];
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes('up') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toBe('up\n');
      // Freeze the sshd processes serving this connection (children of the listener).
      const kids = execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
      for (const k of kids) {
        process.kill(k, 'SIGSTOP');
        stopped.push(k);
      }
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code).toBe(255);
      expect(err).toBe('Timeout, server 127.0.0.1 not responding.\r\n');
    } finally {
      for (const k of stopped) process.kill(k, 'SIGCONT');
      child.kill('SIGKILL');
    }
  });
});

describe('tsh fails the way ssh does', () => {
  it('a refused connection', async () => {
    const port = await freePort();
    const args = ['-p', String(port), '-o', 'BatchMode=yes', `${LOGIN}@127.0.0.1`, 'true'];
    const t = await runBin('tsh', args, home.home);
    const s = await runBin('ssh', args, home.home);
    expect(t.code).toBe(255);
    expect(t.stderr).toBe(asTsh(s.stderr));
    expect(t.stderr).toBe(`tsh: connect to host 127.0.0.1 port ${port}: Connection refused\r\n`);
  });

  it('a name that does not resolve', async () => {
    const args = ['-o', 'BatchMode=yes', 'nonexistent.invalid', 'true'];
    const t = await runBin('tsh', args, home.home);
    const s = await runBin('ssh', args, home.home);
    expect(t.code).toBe(255);
    expect(t.stderr).toBe(asTsh(s.stderr));
  });

  it('no authentication method left', async () => {
    const other = clientHome();
    try {
      trustSshd(other, sshd);
      const t = await runBin('tsh', [...target(sshd), 'true'], other.home);
      const s = await runBin('ssh', [...target(sshd), 'true'], other.home);
      expect(t.code).toBe(255);
      expect(t.stderr).toBe(`${LOGIN}@127.0.0.1: Permission denied (publickey).\r\n`);
      expect(t.stderr).toBe(s.stderr);
    } finally {
      other.cleanup();
    }
  });

  it('a server that closes the connection before the protocol starts', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer((c) => c.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const args = ['-p', String(port), '-o', 'BatchMode=yes', '127.0.0.1', 'true'];
      const t = await runBin('tsh', args, home.home);
      const s = await runBin('ssh', args, home.home);
      expect(t.code).toBe(255);
      expect(s.code).toBe(255);
      expect(t.stderr).toBe(s.stderr.replace(/ port \d+/, ` port ${port}`));
    } finally {
      srv.close();
    }
  });

  it('no common cipher', async () => {
    const args = [...target(sshd, ['-o', 'Ciphers=aes128-cbc']), 'true'];
    const t = await runBin('tsh', args, home.home);
    const s = await runBin('ssh', args, home.home);
    expect(t.code).toBe(255);
    expect(s.code).toBe(255);
    expect(t.stderr).toMatch(new RegExp(`^Unable to negotiate with 127\\.0\\.0\\.1 port ${sshd.port}: no matching cipher found\\.`));
  });
});
