/**
 * `tshd -d`, sshd's debug mode, with OpenSSH's ssh as the client: tshd stays in the foreground,
 * logs at DEBUG1 (DEBUG2, DEBUG3 with -dd, -ddd) to stderr, serves one connection (a second one
 * is refused: the listener is gone) and exits once it ends: 0 after a login, 255 when the
 * connection never logged in. No PidFile is written, as sshd -d writes none.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, run, tempDir } from '../helpers/run.js';
import { freePort } from '../helpers/sshd.js';
import { LOGIN } from '../helpers/client.js';

let dir: { path: string; cleanup: () => void };

beforeAll(() => {
  dir = tempDir('tshd-debug-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', join(dir.path, 'host_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'client', '-f', join(dir.path, 'id_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', join(dir.path, 'id_other')]);
  writeFileSync(join(dir.path, 'authorized_keys'), readFileSync(join(dir.path, 'id_ed25519.pub')), { mode: 0o600 });
  writeFileSync(
    join(dir.path, 'tshd_config'),
    [
      `HostKey ${join(dir.path, 'host_ed25519')}`,
      'ListenAddress 127.0.0.1',
      `PidFile ${join(dir.path, 'tshd.pid')}`,
      `AuthorizedKeysFile ${join(dir.path, 'authorized_keys')}`,
      'StrictModes no',
      'PerSourcePenalties no',
      '',
    ].join('\n'),
  );
});

afterAll(() => dir?.cleanup());

interface DebugTshd {
  readonly port: number;
  log(): string;
  /** The exit status (bounded wait). */
  exited(timeoutMs?: number): Promise<number | null>;
}

async function startDebug(flags: string[]): Promise<DebugTshd> {
  const port = await freePort();
  const child = spawn(process.execPath, [binPath('tshd'), ...flags, '-f', join(dir.path, 'tshd_config'), '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!log.includes(`Server listening on 127.0.0.1 port ${port}.`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`tshd -d did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    log: () => log,
    exited: (timeoutMs = 10_000) =>
      Promise.race([
        status,
        new Promise<number | null>((_, reject) =>
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`tshd -d did not exit:\n${log}`));
          }, timeoutMs).unref(),
        ),
      ]),
  };
}

function ssh(port: number, command: string, key = 'id_ed25519') {
  return run(
    '/usr/bin/ssh',
    [
      '-p', String(port),
      '-i', join(dir.path, key),
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      `${LOGIN}@127.0.0.1`,
      command,
    ],
    { home: dir.path, timeoutMs: 20_000 },
  );
}

/** Whether a TCP connection to the port is accepted. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('tshd -d (debug mode)', () => {
  it('serves one ssh login with DEBUG1 lines on stderr, refuses a second connection, then exits 0', async () => {
    const t = await startDebug(['-d']);
    const first = ssh(t.port, 'sleep 1; echo served');
    // While the first connection is served, the listener is already closed.
    const deadline = Date.now() + 15_000;
    while (!t.log().includes(`Accepted publickey for ${LOGIN}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(t.log()).toContain(`Accepted publickey for ${LOGIN}`);
    expect(await connects(t.port)).toBe(false);
    const r = await first;
    expect(r.stdout, r.stderr).toBe('served\n');
    expect(r.code).toBe(0);
    expect(await t.exited()).toBe(0);
    expect(await connects(t.port)).toBe(false);
    const log = t.log();
    expect(log).toMatch(/^debug1: tshd version tshd_/m);
    expect(log).toContain(`debug1: Bind to port ${t.port} on 127.0.0.1.`);
    expect(log).toContain('debug1: Server will not fork when running in debugging mode.');
    expect(log).toMatch(/debug1: Remote protocol version 2\.0, remote software version OpenSSH_/);
    expect(log).toContain(`debug1: userauth-request for user ${LOGIN} service ssh-connection method publickey [preauth]`);
    // VERBOSE lines (below DEBUG1) show too, without a prefix, as sshd prints them.
    expect(log).toMatch(/\nConnection from 127\.0\.0\.1 port \d+ on 127\.0\.0\.1 port \d+ rdomain ""/);
    expect(log).toMatch(/\nClosing connection to 127\.0\.0\.1 port \d+/);
    expect(log).not.toContain('debug2:');
    expect(existsSync(join(dir.path, 'tshd.pid'))).toBe(false);
  });

  it('-d -d adds DEBUG2 lines and -d -d -d DEBUG3 lines (ssh2\'s packet trace)', async () => {
    const t2 = await startDebug(['-d', '-d']);
    expect((await ssh(t2.port, 'true')).code).toBe(0);
    expect(await t2.exited()).toBe(0);
    expect(t2.log()).toMatch(/debug2: fd \d+ setting TCP_NODELAY/);
    expect(t2.log()).not.toContain('debug3:');

    const t3 = await startDebug(['-ddd']);
    expect((await ssh(t3.port, 'true')).code).toBe(0);
    expect(await t3.exited()).toBe(0);
    expect(t3.log()).toContain('debug3: ');
    expect(t3.log()).toMatch(/debug2: fd \d+ setting TCP_NODELAY/);
  });

  it('exits 255 when its one connection ends without logging in', async () => {
    const t = await startDebug(['-d']);
    const r = await ssh(t.port, 'true', 'id_other');
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied');
    expect(await t.exited()).toBe(255);
    expect(t.log()).toMatch(/Connection closed by authenticating user \S+ 127\.0\.0\.1 port \d+ \[preauth\]/);
  });
});
