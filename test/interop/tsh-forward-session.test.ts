/**
 * Forwarding around the session, against a real OpenSSH sshd: agent forwarding (-A: the remote
 * `ssh-add -l` lists the local agent's key, and the remote side logs in to a third host with it),
 * -f (back to the shell once authenticated with the forwards up, the forward keeps working), and
 * the `~C` command line (-L, -R, -D, -KL) and `~#` list, compared with ssh under a terminal.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPty, tempDir, type PtySession } from '../helpers/run.js';
import { freePort } from '../helpers/sshd.js';
import { LOGIN, sshHomeArgs, target } from '../helpers/client.js';
import { backgroundTsh, blobServer, curl, holdPort, roundTrip, runTo, waitPort, forwardFixture } from './tsh-forward-util.js';
import { connect, type Socket } from 'node:net';

const f = forwardFixture();

describe('tsh -A', () => {
  let agent: ChildProcess;
  let dir: { path: string; cleanup: () => void };
  let sock: string;

  beforeAll(async () => {
    dir = tempDir('tsh-agent-');
    sock = join(dir.path, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        break;
      } catch (err) {
        // exit 1: no identities yet (agent up); 2: not up yet
        if ((err as { status?: number }).status === 1) break;
        if (Date.now() > deadline) throw new Error('ssh-agent did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    execFileSync('ssh-add', ['-q', join(f.home.ssh, 'id_ed25519')], { env: { SSH_AUTH_SOCK: sock } });
  });

  afterAll(() => {
    agent?.kill();
    dir?.cleanup();
  });

  it('lets the remote ssh-add -l list the local key, as ssh -A does', async () => {
    const fp = execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: sock } }).toString();
    expect(fp).toMatch(/ED25519/);
    const args = [...target(f.sshd, ['-A']), 'ssh-add -l'];
    const tsh = await runTo('tsh', args, f.home.home, 20_000, { SSH_AUTH_SOCK: sock });
    const ssh = await runTo('ssh', args, f.home.home, 20_000, { SSH_AUTH_SOCK: sock });
    expect(tsh).toEqual({ code: 0, stdout: fp, stderr: '' });
    expect(tsh).toEqual(ssh);
  });

  it('without -A the remote side has no agent', async () => {
    const tsh = await runTo('tsh', [...target(f.sshd), 'ssh-add -l'], f.home.home, 20_000, { SSH_AUTH_SOCK: sock });
    expect(tsh.code).toBe(2);
    expect(tsh.stdout + tsh.stderr).toContain('Could not open a connection to your authentication agent.');
  });

  it('ForwardAgent=<socket> forwards that agent', async () => {
    const tsh = await runTo('tsh', [...target(f.sshd, ['-o', `ForwardAgent=${sock}`]), 'ssh-add -l'], f.home.home, 20_000, {});
    expect(tsh.code).toBe(0);
    expect(tsh.stdout).toMatch(/ED25519/);
  });

  it('the forwarded agent logs in to a third host', async () => {
    const hop = `ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p ${f.sshd.port} ${LOGIN}@127.0.0.1 echo third-hop`;
    const tsh = await runTo('tsh', [...target(f.sshd, ['-A']), hop], f.home.home, 20_000, { SSH_AUTH_SOCK: sock });
    expect(tsh).toEqual({ code: 0, stdout: 'third-hop\n', stderr: '' });
  });
});

describe('tsh -f', () => {
  it('returns once the forward is up; the forward keeps working in the background', async () => {
    const port = await freePort();
    const spec = `${port}:127.0.0.1:${f.echo.port}`;
    const t0 = Date.now();
    const r = await runTo('tsh', target(f.sshd, ['-f', '-N', '-L', spec]), f.home.home);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const pids = backgroundTsh(spec);
    try {
      expect(pids).toHaveLength(1);
      const rt = await roundTrip(port, 2 * 1024 * 1024);
      expect(rt.received).toBe(rt.sent);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGTERM');
    }
    const deadline = Date.now() + 10_000;
    while (await isListening(port)) {
      if (Date.now() > deadline) throw new Error('background tsh still listening after SIGTERM');
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  it('with a command: returns at once, the output still arrives, as ssh -f', async () => {
    const args = [...target(f.sshd, ['-f']), 'sleep 0.3; echo from-background'];
    const tsh = await runTo('tsh', args, f.home.home);
    const ssh = await runTo('ssh', args, f.home.home);
    expect(tsh).toEqual({ code: 0, stdout: 'from-background\n', stderr: '' });
    expect(tsh).toEqual(ssh);
  });

  it('ExitOnForwardFailure: the failure comes back as exit 255 with ssh messages', async () => {
    const busy = await holdPort();
    try {
      const args = target(f.sshd, ['-f', '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${busy.port}:127.0.0.1:${f.echo.port}`]);
      const tsh = await runTo('tsh', args, f.home.home);
      const ssh = await runTo('ssh', args, f.home.home);
      expect(tsh.code).toBe(255);
      expect(tsh).toEqual(ssh);
    } finally {
      await busy.close();
    }
  });
});

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('~C and ~#', () => {
  /** Waits until the output after offset `from` contains `text`. */
  async function waitAfter(p: PtySession, from: number, text: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!p.output().slice(from).includes(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; output:\n${p.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function commandLine(p: PtySession, line: string, answer: string): Promise<void> {
    const start = p.output().length;
    p.write('~C');
    await waitAfter(p, start, 'ssh> ');
    const before = p.output().length;
    p.write(`${line}\r`);
    await waitAfter(p, before, answer);
  }

  /** Runs the same ~C/~# script under ssh and tsh; returns what `~#` listed for each. */
  async function script(prog: 'tsh' | 'ssh'): Promise<string[]> {
    const lport = await freePort();
    const dport = await freePort();
    const rport = await freePort();
    const args = [...target(f.sshd, ['-t', '-o', 'EnableEscapeCommandline=yes']), 'sleep 60'];
    const p = prog === 'tsh' ? runPty('tsh', args, { home: f.home.home }) : runPty('/usr/bin/ssh', [...sshHomeArgs(f.home.home), ...args], { home: f.home.home });
    const blob = await blobServer(256 * 1024);
    const held: Socket[] = [];
    try {
      await new Promise((r) => setTimeout(r, 500));
      await commandLine(p, `-L ${lport}:127.0.0.1:${f.echo.port}`, 'Forwarding port.');
      await commandLine(p, `-D ${dport}`, 'Forwarding port.');
      await commandLine(p, `-R ${rport}:127.0.0.1:${f.echo.port}`, 'Forwarding port.');
      await waitPort(lport);
      await waitPort(rport);
      const rt = await roundTrip(lport, 300_000);
      expect(rt.received).toBe(rt.sent);
      const rr = await roundTrip(rport, 300_000);
      expect(rr.received).toBe(rr.sent);
      const c = await curl(['--socks5-hostname', `127.0.0.1:${dport}`, `http://localhost:${blob.port}/`]);
      expect(c.sha).toBe(blob.sha);
      // One connection held open through -L, listed by ~# (once the finished ones are gone).
      await new Promise((r) => setTimeout(r, 500));
      const s = connect(lport, '127.0.0.1');
      held.push(s);
      s.write('x');
      await new Promise<void>((res) => s.once('data', () => res()));
      // ...one through -R...
      const r = connect(rport, '127.0.0.1');
      held.push(r);
      r.write('y');
      await new Promise<void>((res) => r.once('data', () => res()));
      // ...and one through -D (SOCKS5 to the echo server).
      const d = connect(dport, '127.0.0.1');
      held.push(d);
      const req = Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, f.echo.port >> 8, f.echo.port & 0xff]);
      d.write(req);
      await new Promise<void>((res) => {
        let n = 0;
        d.on('data', (b: Buffer) => {
          n += b.length;
          if (n >= 12) res();
        });
      });
      const before = p.output().length;
      p.write('~#');
      await waitAfter(p, before, 'The following connections are open:');
      await new Promise((r) => setTimeout(r, 300));
      const listing = p
        .output()
        .slice(before)
        .split('\n')
        .filter((l) => l.startsWith('  #'))
        .map((l) => l.replace(/ \(t\d+ .*$/, '').replace(/port \d+ to/, 'port X to'));
      await commandLine(p, `-KL ${lport}`, 'Canceled forwarding.');
      await commandLine(p, `-KL ${lport}`, 'Unknown port forwarding.');
      expect(await isListening(lport)).toBe(false);
      await commandLine(p, `-KR ${rport}`, 'Canceled forwarding.');
      await commandLine(p, '-X', 'Invalid command.');
      s.destroy();
      p.write('~.');
      expect(await p.exit()).toBe(255);
      return listing;
    } finally {
      for (const s of held) s.destroy();
      p.kill();
      await blob.close();
    }
  }

  it('adds and cancels forwards and lists connections as ssh does', async () => {
    const tsh = await script('tsh');
    const ssh = await script('ssh');
    expect(tsh).toHaveLength(4);
    expect(tsh[0]).toBe('  #0 client-session');
    expect(tsh[1]).toMatch(/^  #5 direct-tcpip: listening port \d+ for 127\.0\.0\.1 port \d+, connect from 127\.0\.0\.1 port X to 127\.0\.0\.1 port \d+$/);
    expect(tsh[2]).toBe('  #6 127.0.0.1');
    expect(tsh[3]).toMatch(/^  #7 direct-tcpip: listening port \d+ for 127\.0\.0\.1 port \d+, connect from 127\.0\.0\.1 port X to 127\.0\.0\.1 port \d+$/);
    // Ports differ between the runs; the shape and channel numbers do not.
    const norm = (l: string): string => l.replace(/port \d+/g, 'port N');
    expect(tsh.map(norm)).toEqual(ssh.map(norm));
  });
});
