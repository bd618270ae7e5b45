/**
 * tsh -L / LocalForward against a real OpenSSH sshd: data integrity both ways with half-close,
 * many connections at once, and ssh's messages and exit codes (checked against `ssh` with the same
 * arguments) for a closed target, a busy local port and ExitOnForwardFailure.
 */
import { statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/run.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { target, trustSshd } from '../helpers/client.js';
import { connectAndRead, holdPort, roundTrip, runTo, startBg, waitPort, forwardFixture } from './tsh-forward-util.js';

const f = forwardFixture();

/**
 * Runs prog with -N, a forward to `to` and a second one to the echo server; one connection to the
 * first must be refused (closed at once). `otherWorks`: the second forward then still carries data.
 * Returns prog's stderr.
 */
async function refusedOnce(prog: 'ssh' | 'tsh', server: Sshd, to: string, otherWorks: boolean): Promise<string> {
  const port = await freePort();
  const other = await freePort();
  const bg = startBg(prog, target(server, ['-N', '-L', `${port}:${to}`, '-L', `${other}:127.0.0.1:${f.echo.port}`]), f.home.home);
  try {
    // Both listen once the second does (a probe of the first would be a refused connection too),
    // and the probe's channel is let close, so channel numbers are as in a quiet ssh.
    await waitPort(other);
    await new Promise((r) => setTimeout(r, 300));
    const r = await connectAndRead(port);
    expect(r.data.length).toBe(0);
    await bg.waitStderr(/open failed.*\r\n/);
    if (otherWorks) {
      const rt = await roundTrip(other, 1000);
      expect(rt.received).toBe(rt.sent);
    }
  } finally {
    await bg.stop();
  }
  return bg.stderr();
}

describe('tsh -L', () => {
  it('carries 20 MiB each way with equal sha256, EOF passed on in each direction', async () => {
    const port = await freePort();
    const bg = startBg('tsh', target(f.sshd, ['-N', '-L', `${port}:127.0.0.1:${f.echo.port}`]), f.home.home);
    try {
      await waitPort(port);
      const r = await roundTrip(port, 20 * 1024 * 1024 + 17);
      expect(r.bytes).toBe(20 * 1024 * 1024 + 17);
      expect(r.received).toBe(r.sent);
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toBe('');
  });

  it('serves 40 connections at once', async () => {
    const port = await freePort();
    const bg = startBg('tsh', target(f.sshd, ['-N', '-o', `LocalForward=127.0.0.1:${port} 127.0.0.1:${f.echo.port}`]), f.home.home);
    try {
      await waitPort(port);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => roundTrip(port, 64 * 1024 + i * 997)));
      for (const r of results) expect(r.received).toBe(r.sent);
    } finally {
      await bg.stop();
    }
  });

  it('reports a refused target as ssh does and keeps serving', async () => {
    const closed = await freePort();
    const out: Record<string, string> = {};
    for (const prog of ['ssh', 'tsh'] as const) out[prog] = await refusedOnce(prog, f.sshd, `127.0.0.1:${closed}`, true);
    expect(out.tsh).toBe('channel 4: open failed: connect failed: Connection refused\r\n');
    expect(out.tsh).toBe(out.ssh);
  });

  it('warns about a busy port on one address and goes on (::1 still listens)', async () => {
    const busy = await holdPort();
    try {
      const args = [...target(f.sshd, ['-L', `${busy.port}:127.0.0.1:${f.echo.port}`]), 'echo', 'hi'];
      const ssh = await runTo('ssh', args, f.home.home);
      const tsh = await runTo('tsh', args, f.home.home);
      expect(tsh).toEqual({ code: 0, stdout: 'hi\n', stderr: `bind [127.0.0.1]:${busy.port}: Address already in use\r\n` });
      expect(tsh).toEqual(ssh);
    } finally {
      await busy.close();
    }
  });

  it('fails a busy explicit address; fatal only with ExitOnForwardFailure', async () => {
    const busy = await holdPort();
    try {
      for (const exit of ['no', 'yes']) {
        const args = [...target(f.sshd, ['-o', `ExitOnForwardFailure=${exit}`, '-L', `127.0.0.1:${busy.port}:127.0.0.1:${f.echo.port}`]), 'echo', 'hi'];
        const ssh = await runTo('ssh', args, f.home.home);
        const tsh = await runTo('tsh', args, f.home.home);
        expect(tsh).toEqual(ssh);
        expect(tsh.stderr).toBe(
          `bind [127.0.0.1]:${busy.port}: Address already in use\r\n` +
            `channel_setup_fwd_listener_tcpip: cannot listen to port: ${busy.port}\r\n` +
            'Could not request local forwarding.\r\n',
        );
        expect(tsh.code).toBe(exit === 'yes' ? 255 : 0);
        expect(tsh.stdout).toBe(exit === 'yes' ? '' : 'hi\n');
      }
    } finally {
      await busy.close();
    }
  });

  it('listens on 127.0.0.1 only by default (GatewayPorts no)', async () => {
    const port = await freePort();
    const bg = startBg('tsh', target(f.sshd, ['-N', '-v', '-L', `${port}:127.0.0.1:${f.echo.port}`]), f.home.home);
    try {
      await waitPort(port);
      await bg.waitStderr(new RegExp(`Local forwarding listening on 127\\.0\\.0\\.1 port ${port}\\.`));
      expect(bg.stderr()).toContain(`debug1: Local connections to LOCALHOST:${port} forwarded to remote address 127.0.0.1:${f.echo.port}\r\n`);
      expect(bg.stderr()).toContain(`debug1: Local forwarding listening on ::1 port ${port}.\r\n`);
      expect(bg.stderr()).not.toContain('0.0.0.0');
    } finally {
      await bg.stop();
    }
  });

  it('GatewayPorts (-g) listens on every address, as ssh', async () => {
    const lines: Record<string, string[]> = {};
    for (const prog of ['ssh', 'tsh'] as const) {
      const port = await freePort();
      const bg = startBg(prog, target(f.sshd, ['-N', '-g', '-v', '-L', `${port}:127.0.0.1:${f.echo.port}`]), f.home.home);
      try {
        await waitPort(port);
        await bg.waitStderr(/Local forwarding listening on :: port/);
        const rt = await roundTrip(port, 10_000);
        expect(rt.received).toBe(rt.sent);
      } finally {
        await bg.stop();
      }
      lines[prog] = bg
        .stderr()
        .split('\r\n')
        .filter((l) => /Local (forwarding listening|connections to)/.test(l))
        .map((l) => l.replaceAll(String(port), 'P'));
    }
    expect(lines.tsh).toEqual([
      `debug1: Local connections to *:P forwarded to remote address 127.0.0.1:${f.echo.port}`,
      'debug1: Local forwarding listening on 0.0.0.0 port P.',
      'debug1: Local forwarding listening on :: port P.',
    ]);
    expect(lines.tsh).toEqual(lines.ssh);
  });

  it('forwards a local Unix socket to a TCP port, and a TCP port to a remote Unix socket', async () => {
    const dir = tempDir('tsh-fwd-unix-');
    const remoteSock = join(dir.path, 'remote.sock');
    const unixEcho = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
    await new Promise<void>((r) => unixEcho.listen(remoteSock, () => r()));
    const localSock = join(dir.path, 'local.sock');
    const port = await freePort();
    const bg = startBg('tsh', target(f.sshd, ['-N', '-L', `${localSock}:127.0.0.1:${f.echo.port}`, '-L', `${port}:${remoteSock}`]), f.home.home);
    try {
      await waitPort(port);
      const rt = await roundTrip(port, 1024 * 1024);
      expect(rt.received).toBe(rt.sent);
      expect(statSync(localSock).isSocket()).toBe(true);
      // StreamLocalBindMask 0177: only the owner may connect.
      expect(statSync(localSock).mode & 0o777).toBe(0o600);
      const viaUnix = await new Promise<string>((resolve, reject) => {
        const c = connect({ path: localSock, allowHalfOpen: true });
        let got = '';
        c.on('data', (d: Buffer) => (got += d.toString()));
        c.on('end', () => resolve(got));
        c.on('error', reject);
        c.end('through a unix socket');
      });
      expect(viaUnix).toBe('through a unix socket');
    } finally {
      await bg.stop();
      unixEcho.close();
      dir.cleanup();
    }
    expect(bg.stderr()).toBe('');
  });

  it('waits for forwarded connections after the session ends, as ssh', async () => {
    for (const prog of ['ssh', 'tsh'] as const) {
      const port = await freePort();
      const bg = startBg(prog, [...target(f.sshd, ['-L', `${port}:127.0.0.1:${f.echo.port}`]), 'sleep 1'], f.home.home);
      try {
        await waitPort(port);
        const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        const got: Buffer[] = [];
        c.on('data', (d: Buffer) => got.push(d));
        c.write('before');
        await new Promise((r) => setTimeout(r, 1800));
        // The session is over by now; the connection still works.
        expect(bg.child.exitCode).toBe(null);
        c.end('after');
        await new Promise<void>((r) => c.on('end', () => r()));
        c.destroy();
        expect(Buffer.concat(got).toString()).toBe('beforeafter');
        expect(await bg.exited()).toBe(0);
      } finally {
        await bg.stop();
      }
    }
  });

  it('a server that refuses local forwarding: ssh\'s message', async () => {
    const own = await startSshd({ authorizedKeys: [f.home.pub], config: ['AllowTcpForwarding remote'] });
    trustSshd(f.home, own);
    const out: Record<string, string> = {};
    try {
      for (const prog of ['ssh', 'tsh'] as const) out[prog] = await refusedOnce(prog, own, `127.0.0.1:${f.echo.port}`, false);
    } finally {
      await own.stop();
      trustSshd(f.home, f.sshd);
    }
    // The readiness probe is refused too; ssh does not always log it, so only each line is compared.
    for (const prog of ['ssh', 'tsh']) {
      const lines = out[prog]!.split('\r\n').filter((l) => l !== '');
      expect(lines.length, out[prog]).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^channel [45]: open failed: administratively prohibited: open failed$/);
    }
  });

  it('ClearAllForwardings drops them', async () => {
    const port = await freePort();
    const r = await runTo('tsh', [...target(f.sshd, ['-o', 'ClearAllForwardings=yes', '-L', `${port}:127.0.0.1:${f.echo.port}`]), 'echo ok'], f.home.home);
    expect(r).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });
});
