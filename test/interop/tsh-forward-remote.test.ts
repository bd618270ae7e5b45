/**
 * tsh -R / RemoteForward against a real OpenSSH sshd (which listens on this machine, so its
 * remote ports are reachable on 127.0.0.1): data integrity, port 0 allocation, remote dynamic
 * (SOCKS) forwarding, and ssh's messages and exit codes for a busy remote port, ExitOnForwardFailure
 * and a refused local target, checked against `ssh` with the same arguments.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/run.js';
import { freePort } from '../helpers/sshd.js';
import { target } from '../helpers/client.js';
import { blobServer, connectAndRead, curl, holdPort, roundTrip, runTo, startBg, waitPort, forwardFixture } from './tsh-forward-util.js';

const f = forwardFixture();

describe('tsh -R', () => {
  it('carries 20 MiB each way with equal sha256', async () => {
    const port = await freePort();
    const bg = startBg('tsh', target(f.sshd, ['-N', '-R', `${port}:127.0.0.1:${f.echo.port}`]), f.home.home);
    try {
      await waitPort(port);
      const r = await roundTrip(port, 20 * 1024 * 1024 + 5);
      expect(r.received).toBe(r.sent);
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => roundTrip(port, 32 * 1024 + i)));
      for (const m of many) expect(m.received).toBe(m.sent);
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toBe('');
  });

  it('-R 0 prints the allocated port as ssh does, and it works', async () => {
    for (const prog of ['ssh', 'tsh'] as const) {
      const bg = startBg(prog, target(f.sshd, ['-N', '-R', `0:127.0.0.1:${f.echo.port}`]), f.home.home);
      try {
        const m = await bg.waitStderr(/^Allocated port (\d+) for remote forward to 127\.0\.0\.1:(\d+)\r\n$/);
        expect(Number(m[2])).toBe(f.echo.port);
        const r = await roundTrip(Number(m[1]), 100_000);
        expect(r.received).toBe(r.sent);
      } finally {
        await bg.stop();
      }
    }
  });

  it('-R 0 alone is a remote SOCKS proxy (curl with remote DNS)', async () => {
    const blob = await blobServer(3 * 1024 * 1024);
    const bg = startBg('tsh', target(f.sshd, ['-N', '-R', '0']), f.home.home);
    try {
      const m = await bg.waitStderr(/^Allocated port (\d+) for remote forward to socks:0\r\n$/);
      for (const how of ['--socks5-hostname', '--socks4a', '--socks4']) {
        const r = await curl([how, `127.0.0.1:${m[1]}`, `http://${how === '--socks4' ? '127.0.0.1' : 'localhost'}:${blob.port}/`]);
        expect(r.code, `${how}: ${r.stderr} / tsh: ${bg.stderr()}`).toBe(0);
        expect(r.sha).toBe(blob.sha);
      }
    } finally {
      await bg.stop();
      await blob.close();
    }
  });

  it('a remote Unix socket forwarded to a local port', async () => {
    const dir = tempDir('tsh-rfwd-unix-');
    const path = join(dir.path, 'remote.sock');
    const bg = startBg('tsh', target(f.sshd, ['-N', '-R', `${path}:127.0.0.1:${f.echo.port}`]), f.home.home);
    try {
      const deadline = Date.now() + 15_000;
      while (!existsSync(path)) {
        if (Date.now() > deadline) throw new Error(`sshd never listened on ${path}: ${bg.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const got = await new Promise<Buffer>((resolve, reject) => {
        const c = connect({ path, allowHalfOpen: true });
        const parts: Buffer[] = [];
        c.on('data', (d: Buffer) => parts.push(d));
        c.on('end', () => resolve(Buffer.concat(parts)));
        c.on('error', reject);
        c.end(Buffer.alloc(512 * 1024, 7));
      });
      expect(got.equals(Buffer.alloc(512 * 1024, 7))).toBe(true);
    } finally {
      await bg.stop();
      dir.cleanup();
    }
    expect(bg.stderr()).toBe('');
  });

  it('PermitRemoteOpen limits what a remote SOCKS client may reach (quietly, as ssh)', async () => {
    const blob = await blobServer(1000);
    const allowed = await blobServer(2000);
    const bg = startBg('tsh', target(f.sshd, ['-N', '-o', `PermitRemoteOpen=127.0.0.1:${allowed.port}`, '-R', '0']), f.home.home);
    try {
      const m = await bg.waitStderr(/^Allocated port (\d+) for remote forward to socks:0\r\n$/);
      const denied = await curl(['--socks5-hostname', `127.0.0.1:${m[1]}`, `http://localhost:${blob.port}/`]);
      expect(denied.code).toBe(97);
      const ok = await curl(['--socks5-hostname', `127.0.0.1:${m[1]}`, `http://127.0.0.1:${allowed.port}/`]);
      expect(ok.code).toBe(0);
      expect(ok.sha).toBe(allowed.sha);
    } finally {
      await bg.stop();
      await blob.close();
      await allowed.close();
    }
    expect(bg.stderr()).toBe(`Allocated port ${/Allocated port (\d+)/.exec(bg.stderr())![1]} for remote forward to socks:0\r\n`);
  });

  it('a busy remote port: a warning, or fatal with ExitOnForwardFailure', async () => {
    const busy = await holdPort();
    try {
      for (const exit of ['no', 'yes']) {
        const args = [...target(f.sshd, ['-o', `ExitOnForwardFailure=${exit}`, '-R', `127.0.0.1:${busy.port}:127.0.0.1:${f.echo.port}`]), 'echo', 'hi'];
        const ssh = await runTo('ssh', args, f.home.home);
        const tsh = await runTo('tsh', args, f.home.home);
        expect(tsh).toEqual(
          exit === 'yes'
            ? { code: 255, stdout: '', stderr: `Error: remote port forwarding failed for listen port ${busy.port}\r\n` }
            : { code: 0, stdout: 'hi\n', stderr: `Warning: remote port forwarding failed for listen port ${busy.port}\r\n` },
        );
        expect(tsh).toEqual(ssh);
      }
    } finally {
      await busy.close();
    }
  });

  it('a refused local target: connect_to ... failed., as ssh', async () => {
    const closed = await freePort();
    const out: Record<string, string> = {};
    for (const prog of ['ssh', 'tsh'] as const) {
      const port = await freePort();
      const bg = startBg(prog, target(f.sshd, ['-N', '-R', `${port}:127.0.0.1:${closed}`]), f.home.home);
      try {
        // sshd accepts, then closes once the client refuses the channel.
        await waitPort(port);
        await bg.waitStderr(/failed\.\r\n/);
        const r = await connectAndRead(port);
        expect(r.data.length).toBe(0);
        await bg.waitStderr(/failed\.\r\n.*failed\.\r\n/s);
      } finally {
        await bg.stop();
      }
      out[prog] = bg.stderr();
    }
    expect(out.tsh).toBe(`connect_to 127.0.0.1 port ${closed}: failed.\r\n`.repeat(2));
    expect(out.tsh).toBe(out.ssh);
  });
});
