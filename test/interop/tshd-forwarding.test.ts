/**
 * tshd's forwarding with OpenSSH's ssh as the client, serving a real (unprivileged) account:
 * -L, -R and -D (curl through SOCKS5, 4 and 4a) moving 20 MiB with equal sha256, -R 0 port allocation, binds below 1024 refused for
 * the user, and each policy knob refusing: AllowTcpForwarding, PermitOpen, PermitListen,
 * authorized_keys no-port-forwarding and permitopen=. Needs root (CI runs as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { freePort } from '../helpers/sshd.js';
import { startTshd, waitPort, type Tshd } from '../helpers/tshd.js';
import { blobServer, curl } from './tsh-forward-util.js';

const USER = `tshdf${process.pid % 10000}`;
let client: { path: string; cleanup: () => void };
let pub = '';
let sink: Server;
let sinkPort = 0;
const sinkHashes: string[] = [];

/** A TCP server that hashes what it receives and answers with the hex digest. */
function hashServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => {
      const h = createHash('sha256');
      s.on('data', (d: Buffer) => h.update(d));
      s.on('end', () => {
        const hex = h.digest('hex');
        sinkHashes.push(hex);
        s.end(hex);
      });
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/**
 * Sends `data` to 127.0.0.1:port and returns the reply (the digest the far end computed); a
 * forward that ssh could not open ends with a reset, and the reply is then ''.
 */
function sendThrough(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const s = connect(port, '127.0.0.1', () => s.end(data));
    s.on('data', (d: Buffer) => (reply += d.toString()));
    s.on('close', () => resolve(reply));
    s.on('error', () => undefined);
  });
}

function sshArgs(t: Tshd, extra: string[]): string[] {
  return ['-p', String(t.port), '-i', join(client.path, 'id'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=INFO', ...extra, `${USER}@127.0.0.1`];
}

/** ssh -N with forwards, until `ready` matches its stderr or the port answers. */
async function forwarding(t: Tshd, extra: string[]): Promise<{ ssh: ChildProcess; stderr: () => string }> {
  const ssh = spawn('/usr/bin/ssh', ['-N', ...sshArgs(t, extra)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  ssh.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await t.waitLog(`Accepted publickey for ${USER}`);
  return { ssh, stderr: () => err };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('tshd forwarding tests need root (CI runs them as root): they create a system user');
  client = tempDir('tshd-fwd-');
  execFileSync('useradd', ['-m', '-s', '/bin/sh', '-p', '*', USER]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(client.path, 'id')]);
  pub = readFileSync(join(client.path, 'id.pub'), 'utf8').trim();
  const home = `/home/${USER}`;
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'authorized_keys'), `${pub}\n`, { mode: 0o600 });
  chownSync(join(home, '.ssh'), uid, uid);
  chownSync(join(home, '.ssh', 'authorized_keys'), uid, uid);
  ({ server: sink, port: sinkPort } = await hashServer());
});

afterAll(() => {
  sink?.close();
  try {
    execFileSync('userdel', ['-r', '-f', USER], { stdio: 'ignore' });
  } catch {
    // gone
  }
  client?.cleanup();
});

const data = randomBytes(20 * 1024 * 1024);
const digest = createHash('sha256').update(data).digest('hex');

describe('tshd forwarding with OpenSSH ssh', () => {
  it('-L moves 20 MiB intact; -R too, and -R 0 allocates a port', async () => {
    const t = await startTshd(['PerSourcePenalties no']);
    const lport = await freePort();
    const rport = await freePort();
    const f = await forwarding(t, ['-L', `${lport}:127.0.0.1:${sinkPort}`, '-R', `${rport}:127.0.0.1:${sinkPort}`]);
    try {
      await waitPort(lport);
      expect(await sendThrough(lport, data), f.stderr() + t.log()).toBe(digest);
      await waitPort(rport);
      expect(await sendThrough(rport, data), f.stderr()).toBe(digest);
      const zero = await run('/usr/bin/ssh', [...sshArgs(t, ['-o', 'LogLevel=INFO', '-R', `0:127.0.0.1:${sinkPort}`]), 'sleep 2'], { home: client.path });
      expect(zero.stderr).toMatch(new RegExp(`Allocated port \\d+ for remote forward to 127\\.0\\.0\\.1:${sinkPort}`));
    } finally {
      f.ssh.kill();
      await t.stop();
    }
  });

  it('-D: curl through ssh\'s SOCKS5 (remote DNS), SOCKS4 and SOCKS4a moves 20 MiB intact', async () => {
    const t = await startTshd(['PerSourcePenalties no']);
    const blob = await blobServer(20 * 1024 * 1024);
    const socks = await freePort();
    const f = await forwarding(t, ['-D', `127.0.0.1:${socks}`]);
    try {
      await waitPort(socks);
      for (const [how, host] of [['--socks5-hostname', 'localhost'], ['--socks4', '127.0.0.1'], ['--socks4a', 'localhost']] as const) {
        const r = await curl([how, `127.0.0.1:${socks}`, `http://${host}:${blob.port}/`]);
        expect([r.code, r.stderr, r.sha], `${how} ${f.stderr()}`).toEqual([0, '', blob.sha]);
      }
    } finally {
      f.ssh.kill();
      await blob.close();
      await t.stop();
    }
  });

  it('a user cannot listen below 1024', async () => {
    const t = await startTshd(['PerSourcePenalties no']);
    try {
      // The command waits: ssh does not hold the session for the forward's reply.
      const r = await run('/usr/bin/ssh', [...sshArgs(t, ['-o', 'LogLevel=INFO', '-o', 'ExitOnForwardFailure=yes', '-R', `80:127.0.0.1:${sinkPort}`]), 'sleep 5'], { home: client.path });
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('Error: remote port forwarding failed for listen port 80');
    } finally {
      await t.stop();
    }
  });

  for (const [name, config, keyOption] of [
    ['AllowTcpForwarding no', ['AllowTcpForwarding no'], ''],
    ['AllowTcpForwarding remote', ['AllowTcpForwarding remote'], ''],
    ['PermitOpen elsewhere', ['PermitOpen 127.0.0.1:1'], ''],
    ['DisableForwarding', ['DisableForwarding yes'], ''],
    ['no-port-forwarding', [], 'no-port-forwarding '],
    ['permitopen= elsewhere', [], 'permitopen="127.0.0.1:1" '],
  ] as const) {
    it(`-L is refused under ${name}`, async () => {
      const ak = `/home/${USER}/.ssh/authorized_keys`;
      writeFileSync(ak, `${keyOption}${pub}\n`);
      const t = await startTshd(['PerSourcePenalties no', ...config]);
      const lport = await freePort();
      const f = await forwarding(t, ['-L', `${lport}:127.0.0.1:${sinkPort}`]);
      try {
        await waitPort(lport);
        const reply = await sendThrough(lport, Buffer.from('x'));
        expect(reply).toBe('');
        const deadline = Date.now() + 5000;
        while (!f.stderr().includes('open failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(f.stderr()).toMatch(/channel \d+: open failed: administratively prohibited: open failed/);
      } finally {
        f.ssh.kill();
        writeFileSync(ak, `${pub}\n`);
        await t.stop();
      }
    });
  }

  it('-R is refused under PermitListen and AllowTcpForwarding local', async () => {
    for (const config of [['PermitListen 127.0.0.1:1'], ['AllowTcpForwarding local']]) {
      const t = await startTshd(['PerSourcePenalties no', ...config]);
      try {
        const rport = await freePort();
        const r = await run('/usr/bin/ssh', [...sshArgs(t, ['-o', 'LogLevel=INFO', '-o', 'ExitOnForwardFailure=yes', '-R', `${rport}:127.0.0.1:${sinkPort}`]), 'sleep 5'], { home: client.path });
        expect(r.code).toBe(255);
        expect(r.stderr).toContain(`Error: remote port forwarding failed for listen port ${rport}`);
      } finally {
        await t.stop();
      }
    }
  });

  it('agent forwarding: the session lists the local agent\'s keys through SSH_AUTH_SOCK; refused when disallowed', async () => {
    const agentSock = join(client.path, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
          break;
        } catch (e) {
          if ((e as { status?: number }).status === 1) break; // "The agent has no identities."
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      execFileSync('ssh-add', [join(client.path, 'id')], { env: { SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
      const t = await startTshd(['PerSourcePenalties no']);
      try {
        const r = await run('/usr/bin/ssh', [...sshArgs(t, ['-A']), 'ssh-add -l; echo "sock=$SSH_AUTH_SOCK"; stat -c %U "$SSH_AUTH_SOCK"'], { home: client.path, env: { SSH_AUTH_SOCK: agentSock } });
        expect(r.stdout).toMatch(/^256 SHA256:\S+ .* \(ED25519\)\n/);
        expect(r.stdout).toMatch(new RegExp(`sock=/tmp/ssh-\\w+/agent\\.\\d+\\n${USER}\\n$`));
      } finally {
        await t.stop();
      }
      const off = await startTshd(['PerSourcePenalties no', 'AllowAgentForwarding no']);
      try {
        const r = await run('/usr/bin/ssh', [...sshArgs(off, ['-A']), 'echo "[$SSH_AUTH_SOCK]"'], { home: client.path, env: { SSH_AUTH_SOCK: agentSock } });
        expect(r.stdout).toBe('[]\n');
      } finally {
        await off.stop();
      }
    } finally {
      agent.kill();
    }
  });

  it('a connect that fails is reported as sshd does', async () => {
    const t = await startTshd(['PerSourcePenalties no']);
    const lport = await freePort();
    const dead = await freePort();
    const f = await forwarding(t, ['-L', `${lport}:127.0.0.1:${dead}`]);
    try {
      await waitPort(lport);
      await sendThrough(lport, Buffer.from('x'));
      const deadline = Date.now() + 5000;
      while (!f.stderr().includes('open failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(f.stderr()).toMatch(/channel \d+: open failed: connect failed: Connection refused/);
    } finally {
      f.ssh.kill();
      await t.stop();
    }
  });
});
