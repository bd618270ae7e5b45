/**
 * tshd with UsePAM yes against the system's PAM, with OpenSSH's ssh as the client: an expired
 * password (chage -d 0) is changed at login through keyboard-interactive (pam_chauthtok's own
 * prompts) and through the password method's change request (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ),
 * then the new password logs in; after a key login sshd's "no TTY" refusal. The PAM session:
 * pam_open_session before the user's programs, pam_close_session when the connection ends
 * (recorded by pam_exec), and pam_env's variables in the session's environment.
 *
 * tshd's PAM service is its program name, as sshd's is: the tests run it through a link named
 * after a service of their own (/etc/pam.d/tshd-ptN), so the system's files are left alone.
 * Needs root (CI runs as root): it creates users and a PAM service, and removes them afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, run, runPty, tempDir } from '../helpers/run.js';
import { freePort } from '../helpers/sshd.js';

const suffix = `${process.pid % 100000}`;
const SERVICE = `tshd-pt${suffix}`;
const PAM_FILE = `/etc/pam.d/${SERVICE}`;
const users = { kbd: `tshpk${suffix}`, pw: `tshpp${suffix}`, key: `tshpe${suffix}`, sess: `tshps${suffix}` };
const OLD = `Pw-${suffix}-${Date.now().toString(36)}`;
const NEW = 'Zt7#qLw9-Xv2&Rm';
const created: string[] = [];

let dir: { path: string; cleanup: () => void };
let record = '';

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function addUser(name: string): void {
  sh('useradd', ['-m', '-s', '/bin/sh', name]);
  created.push(name);
  sh('chpasswd', [], `${name}:${OLD}\n`);
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('tshd PAM session tests need root (CI runs them as root): they create users and a PAM service');
  dir = tempDir('tshd-pamsess-');
  record = join(dir.path, 'record');
  const script = join(dir.path, 'record.sh');
  writeFileSync(script, `#!/bin/sh\necho "$PAM_TYPE $PAM_USER $PAM_RHOST" >> ${record}\n`, { mode: 0o755 });
  writeFileSync(join(dir.path, 'pam_env.conf'), 'TSHD_PAM_VAR DEFAULT=set-by-pam-env\n');
  writeFileSync(
    PAM_FILE,
    [
      '@include common-auth',
      '@include common-account',
      `session optional pam_exec.so quiet ${script}`,
      `session required pam_env.so readenv=0 conffile=${join(dir.path, 'pam_env.conf')}`,
      'session required pam_unix.so',
      '@include common-password',
      '',
    ].join('\n'),
  );
  for (const u of Object.values(users)) addUser(u);
  sh('chage', ['-d', '0', users.kbd]);
  sh('chage', ['-d', '0', users.pw]);
  sh('chage', ['-d', '0', users.key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', join(dir.path, 'host_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'client', '-f', join(dir.path, 'id_ed25519')]);
  writeFileSync(join(dir.path, 'authorized_keys'), readFileSync(join(dir.path, 'id_ed25519.pub')), { mode: 0o644 });
  chmodSync(dir.path, 0o755);
});

afterAll(() => {
  for (const u of created) {
    try {
      sh('userdel', ['-r', '-f', u]);
    } catch {
      // already gone
    }
  }
  rmSync(PAM_FILE, { force: true });
  dir?.cleanup();
});

interface Daemon {
  readonly port: number;
  log(): string;
  stop(): Promise<void>;
}

/** tshd -D -e started through a link named SERVICE: its PAM service is SERVICE. */
async function startTshd(): Promise<Daemon> {
  const link = join(dir.path, SERVICE);
  if (!existsSync(link)) symlinkSync(binPath('tshd'), link);
  const config = join(dir.path, 'tshd_config');
  writeFileSync(
    config,
    [
      `HostKey ${join(dir.path, 'host_ed25519')}`,
      'ListenAddress 127.0.0.1',
      'UsePAM yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication yes',
      `AuthorizedKeysFile ${join(dir.path, 'authorized_keys')}`,
      'StrictModes no',
      'PerSourcePenalties no',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(process.execPath, [link, '-D', '-e', '-f', config, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const deadline = Date.now() + 10_000;
  while (!log.includes(`Server listening on 127.0.0.1 port ${port}.`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`tshd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const common = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];

function passwordLogin(t: Daemon, method: string, user: string, password: string, command: string) {
  return run(
    '/usr/bin/sshpass',
    ['-p', password, '/usr/bin/ssh', '-p', String(t.port), ...common, '-o', `PreferredAuthentications=${method}`, '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', `${user}@127.0.0.1`, command],
    { home: dir.path },
  );
}

/** Waits (bounded) until `pred` holds. */
async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const recorded = (): string => (existsSync(record) ? readFileSync(record, 'utf8') : '');

describe('tshd: expired passwords (PAM_NEW_AUTHTOK_REQD) are changed at login', () => {
  let t: Daemon;
  beforeAll(async () => {
    t = await startTshd();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('keyboard-interactive: pam_unix\'s own prompts (current, new, retype) go to ssh, then the new password logs in', async () => {
    const u = users.kbd;
    const s = runPty('/usr/bin/ssh', ['-p', String(t.port), ...common, '-o', 'PreferredAuthentications=keyboard-interactive', '-o', 'PubkeyAuthentication=no', `${u}@127.0.0.1`, 'echo changed-in'], { home: dir.path });
    try {
      await s.expect(`(${u}@127.0.0.1) Password:`);
      s.write(`${OLD}\r`);
      await s.expect('You are required to change your password immediately');
      await s.expect(`(${u}@127.0.0.1) Current password:`);
      s.write(`${OLD}\r`);
      await s.expect(`(${u}@127.0.0.1) New password:`);
      s.write(`${NEW}\r`);
      await s.expect(`(${u}@127.0.0.1) Retype new password:`);
      s.write(`${NEW}\r`);
      await s.expect('changed-in');
      expect(await s.exit()).toBe(0);
    } finally {
      s.kill();
    }
    expect(t.log()).toContain(`Accepted keyboard-interactive/pam for ${u} from 127.0.0.1`);
    const fresh = await passwordLogin(t, 'password', u, NEW, 'id -un');
    expect(fresh.stdout, fresh.stderr).toBe(`${u}\n`);
    expect((await passwordLogin(t, 'password', u, OLD, 'true')).code).not.toBe(0);
  });

  it('password: a change request (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ) that OpenSSH answers, then the new password logs in', async () => {
    const u = users.pw;
    const s = runPty('/usr/bin/ssh', ['-p', String(t.port), ...common, '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', `${u}@127.0.0.1`, 'echo changed-in'], { home: dir.path });
    try {
      await s.expect(`${u}@127.0.0.1's password:`);
      s.write(`${OLD}\r`);
      await s.expect('You are required to change your password immediately');
      await s.expect(`Enter ${u}@127.0.0.1's old password:`);
      s.write(`${OLD}\r`);
      await s.expect(`Enter ${u}@127.0.0.1's new password:`);
      s.write(`${NEW}\r`);
      await s.expect(`Retype ${u}@127.0.0.1's new password:`);
      s.write(`${NEW}\r`);
      await s.expect('changed-in');
      expect(await s.exit()).toBe(0);
    } finally {
      s.kill();
    }
    expect(t.log()).toContain(`Password changed for ${u} from 127.0.0.1`);
    expect(t.log()).toContain(`Accepted password for ${u} from 127.0.0.1`);
    const fresh = await passwordLogin(t, 'keyboard-interactive', u, NEW, 'id -un');
    expect(fresh.stdout, fresh.stderr).toBe(`${u}\n`);
    expect((await passwordLogin(t, 'password', u, OLD, 'true')).code).not.toBe(0);
  });

  it('a weak new password is refused by PAM and the password stays as it was', async () => {
    const u = users.key;
    const s = runPty('/usr/bin/ssh', ['-p', String(t.port), ...common, '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', `${u}@127.0.0.1`, 'echo in'], { home: dir.path });
    try {
      await s.expect(`${u}@127.0.0.1's password:`);
      s.write(`${OLD}\r`);
      await s.expect(`Enter ${u}@127.0.0.1's old password:`);
      s.write(`${OLD}\r`);
      await s.expect(`Enter ${u}@127.0.0.1's new password:`);
      s.write('abc\r');
      await s.expect(`Retype ${u}@127.0.0.1's new password:`);
      s.write('abc\r');
      await s.expect('Permission denied');
      expect(await s.exit()).toBe(255);
      expect(s.output()).not.toContain('\nin\n');
    } finally {
      s.kill();
    }
    expect(t.log()).toMatch(/error: PAM: pam_chauthtok\(\): /);
    // Still expired with the old password.
    const r = await passwordLogin(t, 'password', u, OLD, 'true');
    expect(r.code).not.toBe(0);
  });

  it('after a key login with an expired password, a session without a pty is refused as sshd does', async () => {
    const r = await run('/usr/bin/ssh', ['-p', String(t.port), ...common, '-i', join(dir.path, 'id_ed25519'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', `${users.key}@127.0.0.1`, 'echo in'], { home: dir.path });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('WARNING: Your password has expired.\nPassword change required but no TTY available.\n');
    expect(r.code).toBe(1);
    expect(t.log()).toContain(`Accepted publickey for ${users.key} from 127.0.0.1`);
  });

  it('after a key login with an expired password and a pty, passwd runs instead of the shell (sshd\'s do_pwchange)', async () => {
    const u = users.key;
    const s = runPty('/usr/bin/ssh', ['-tt', '-p', String(t.port), ...common, '-i', join(dir.path, 'id_ed25519'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', `${u}@127.0.0.1`], { home: dir.path });
    try {
      await s.expect('WARNING: Your password has expired.\nYou must change your password now and login again!');
      await s.expect('Current password:');
      s.write(`${OLD}\r`);
      await s.expect('New password:');
      s.write(`${NEW}\r`);
      await s.expect('Retype new password:');
      s.write(`${NEW}\r`);
      await s.expect('password updated successfully');
      expect(await s.exit()).toBe(0);
    } finally {
      s.kill();
    }
    expect(t.log()).toContain(`Password change required for ${u}: running passwd`);
    const fresh = await passwordLogin(t, 'password', u, NEW, 'id -un');
    expect(fresh.stdout, fresh.stderr).toBe(`${u}\n`);
  });
});

describe('tshd: the PAM session of a connection', () => {
  let t: Daemon;
  beforeAll(async () => {
    t = await startTshd();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('opens before the session\'s programs run (pam_env\'s variables in their environment) and closes when the connection ends', async () => {
    const u = users.sess;
    const before = recorded();
    const r = await passwordLogin(t, 'password', u, OLD, 'echo "var=$TSHD_PAM_VAR"');
    expect(r.stdout, r.stderr).toBe('var=set-by-pam-env\n');
    await until(() => recorded().slice(before.length).includes(`close_session ${u} 127.0.0.1`), 'pam_close_session');
    expect(recorded().slice(before.length)).toBe(`open_session ${u} 127.0.0.1\nclose_session ${u} 127.0.0.1\n`);
  });

  it('holds the session open while the connection lasts, also after a public key login', async () => {
    const u = users.sess;
    writeFileSync(join(dir.path, 'authorized_keys'), readFileSync(join(dir.path, 'id_ed25519.pub')), { mode: 0o644 });
    const before = recorded();
    const s = runPty('/usr/bin/ssh', ['-tt', '-p', String(t.port), ...common, '-i', join(dir.path, 'id_ed25519'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', `${u}@127.0.0.1`], { home: dir.path });
    try {
      s.write('echo "pam=$TSHD_PAM_VAR"\r');
      await s.expect('pam=set-by-pam-env');
      expect(recorded().slice(before.length)).toBe(`open_session ${u} 127.0.0.1\n`);
      s.write('exit\r');
      expect(await s.exit()).toBe(0);
    } finally {
      s.kill();
    }
    await until(() => recorded().slice(before.length).includes('close_session'), 'pam_close_session');
    expect(recorded().slice(before.length)).toBe(`open_session ${u} 127.0.0.1\nclose_session ${u} 127.0.0.1\n`);
  });
});
