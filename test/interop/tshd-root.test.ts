/**
 * tshd run as root serving real system accounts, with OpenSSH's ssh as the client: sessions run
 * with the user's uid, gid and groups (a root-only file stays unreadable), the login environment,
 * AllowUsers/DenyUsers/Match, MaxAuthTries, LoginGraceTime, hostile clients, SIGHUP reloads.
 * CI runs as root; elsewhere these tests fail with a clear message instead of skipping.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runPty, tempDir } from '../helpers/run.js';
import { ensurePamService, startTshd, type Tshd } from '../helpers/tshd.js';

const suffix = `${process.pid % 10000}`;
const USER_A = `tshda${suffix}`;
const USER_B = `tshdb${suffix}`;
const GROUP = `tshdg${suffix}`;

let client: { path: string; cleanup: () => void };
let secretDir: { path: string; cleanup: () => void };
const created: string[] = [];

function keyFor(name: string): string {
  const key = join(client.path, `id_${name}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  return readFileSync(`${key}.pub`, 'utf8').trim();
}

function addUser(name: string, groups: string[]): void {
  // -p '*': no password, but not locked ("!"), so key logins are allowed as by sshd without PAM.
  execFileSync('useradd', ['-m', '-s', '/bin/bash', '-p', '*', ...(groups.length ? ['-G', groups.join(',')] : []), name]);
  created.push(name);
  const home = `/home/${name}`;
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'authorized_keys'), `${keyFor(name)}\n`, { mode: 0o600 });
  chownSync(join(home, '.ssh'), uid, gid);
  chownSync(join(home, '.ssh', 'authorized_keys'), uid, gid);
}

function ssh(t: Tshd, user: string, command: string, extra: string[] = [], key = user) {
  return run(
    '/usr/bin/ssh',
    [
      '-p', String(t.port),
      '-i', join(client.path, `id_${key}`),
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      // Every tshd of these tests has a new host key, and a later one may get an earlier one's
      // port: no known_hosts, so no "host key has changed".
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      ...extra,
      `${user}@127.0.0.1`,
      command,
    ],
    { home: client.path, timeoutMs: 20_000 },
  );
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('tshd-root tests need root (CI runs them as root): they create system users');
  client = tempDir('tshd-client-');
  secretDir = tempDir('tshd-secret-');
  chmodSync(secretDir.path, 0o755);
  writeFileSync(join(secretDir.path, 'secret'), 'root only\n', { mode: 0o600 });
  execFileSync('groupadd', [GROUP]);
  addUser(USER_A, [GROUP]);
  addUser(USER_B, []);
});

afterAll(() => {
  for (const u of created) {
    try {
      execFileSync('userdel', ['-r', '-f', u], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  try {
    execFileSync('groupdel', [GROUP], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  client?.cleanup();
  secretDir?.cleanup();
});

describe('tshd as root', () => {
  let t: Tshd;
  beforeAll(async () => {
    // Failures from 127.0.0.1 would otherwise put the tests' own address in the penalty box.
    t = await startTshd(['StrictModes yes', `DenyUsers ${USER_B}`, 'AcceptEnv LANG LC_*', 'PerSourcePenalties no']);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('runs the session as the user: uid, gid, supplementary groups; a root-only file stays unreadable', async () => {
    const r = await ssh(t, USER_A, `id -u; id -g; id -Gn; cat ${join(secretDir.path, 'secret')}`);
    const [uid, gid, groups] = r.stdout.trim().split('\n');
    expect(uid).toBe(execFileSync('id', ['-u', USER_A], { encoding: 'utf8' }).trim());
    expect(gid).toBe(execFileSync('id', ['-g', USER_A], { encoding: 'utf8' }).trim());
    expect(groups!.split(' ').sort()).toEqual([USER_A, GROUP].sort());
    expect(r.stderr).toContain('Permission denied');
    expect(r.code).toBe(1);
    expect(t.log()).toMatch(new RegExp(`Accepted publickey for ${USER_A} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 SHA256:`));
  });

  it('gives the login environment of the account', async () => {
    const r = await ssh(t, USER_A, 'echo "$USER $LOGNAME $HOME $SHELL"; pwd; echo "$MAIL"');
    expect(r.stdout).toBe(`${USER_A} ${USER_A} /home/${USER_A} /bin/bash\n/home/${USER_A}\n/var/mail/${USER_A}\n`);
  });

  it('refuses a DenyUsers user, an unknown user and a wrong key with the same answer', async () => {
    const denied = await ssh(t, USER_B, 'true');
    const unknown = await ssh(t, `nosuch${suffix}`, 'true', [], USER_A);
    const wrongKey = await ssh(t, USER_A, 'true', [], USER_B);
    for (const r of [denied, unknown, wrongKey]) expect(r.code).toBe(255);
    expect(denied.stderr.replace(USER_B, 'U')).toBe(wrongKey.stderr.replace(USER_A, 'U'));
    expect(unknown.stderr.replace(`nosuch${suffix}`, 'U')).toBe(wrongKey.stderr.replace(USER_A, 'U'));
    expect(t.log()).toContain(`User ${USER_B} from 127.0.0.1 not allowed because listed in DenyUsers`);
    expect(t.log()).toContain(`Invalid user nosuch${suffix} from 127.0.0.1`);
  });

  it('refuses a locked and an expired account even with a good key, as sshd does without PAM', async () => {
    try {
      execFileSync('usermod', ['-L', USER_B]);
      const t2 = await startTshd([]);
      try {
        expect((await ssh(t2, USER_B, 'true')).code).toBe(255);
        expect(t2.log()).toContain(`User ${USER_B} not allowed because account is locked`);
      } finally {
        await t2.stop();
      }
      execFileSync('usermod', ['-U', USER_B]);
      execFileSync('chage', ['-E', '1', USER_B]);
      const t3 = await startTshd([]);
      try {
        expect((await ssh(t3, USER_B, 'true')).code).toBe(255);
        expect(t3.log()).toContain(`Account ${USER_B} has expired`);
      } finally {
        await t3.stop();
      }
    } finally {
      execFileSync('chage', ['-E', '-1', USER_B]);
    }
  });

  it('keeps serving after a client sends garbage or disconnects mid-handshake', async () => {
    await new Promise<void>((resolve) => {
      const s = connect(t.port, '127.0.0.1', () => s.end('GET / HTTP/1.0\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    await new Promise<void>((resolve) => {
      const s = connect(t.port, '127.0.0.1', () => s.write('SSH-2.0-half\r\n'));
      s.once('data', () => s.destroy());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const r = await ssh(t, USER_A, 'echo alive');
    expect(r.stdout).toBe('alive\n');
  });
});

describe('tshd sessions', () => {
  let t: Tshd;
  beforeAll(async () => {
    writeFileSync(join(client.path, 'banner'), 'Authorized use only.\n');
    t = await startTshd(['PerSourcePenalties no', `Banner ${join(client.path, 'banner')}`, 'SetEnv FROM_CONFIG=set-env', 'Subsystem sftp /usr/lib/openssh/sftp-server']);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a pty login shell: argv[0] "-bash", the window size follows a resize', async () => {
    const s = runPty('/usr/bin/ssh', ['-tt', '-p', String(t.port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`], { home: client.path, cols: 80, rows: 24 });
    s.write('echo "argv0=$0"; stty size\r');
    await s.expect(/argv0=-bash\n24 80/);
    s.resize(132, 41);
    await new Promise((r) => setTimeout(r, 300));
    s.write('stty size\r');
    await s.expect('41 132');
    s.write('exit\r');
    expect(await s.exit()).toBe(0);
  });

  it('shows the Banner before login and sets SetEnv variables', async () => {
    const r = await ssh(t, USER_A, 'echo "$FROM_CONFIG"');
    expect(r.stderr).toContain('Authorized use only.');
    expect(r.stdout).toBe('set-env\n');
  });

  it('runs an external Subsystem program: OpenSSH sftp through /usr/lib/openssh/sftp-server', async () => {
    const r = await run(
      '/usr/bin/sftp',
      ['-b', '-', '-P', String(t.port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`],
      { home: client.path, input: 'pwd\n' },
    );
    expect(r.stdout).toContain(`Remote working directory: /home/${USER_A}`);
    expect(r.code).toBe(0);
  });

  it('authorized_keys restrict (no pty unless re-allowed) and expiry-time', async () => {
    const ak = `/home/${USER_A}/.ssh/authorized_keys`;
    const original = readFileSync(ak, 'utf8');
    try {
      writeFileSync(ak, `restrict ${original}`);
      const noPty = await ssh(t, USER_A, 'tty', ['-t', '-t']);
      expect(noPty.stderr).toContain('PTY allocation request failed');
      writeFileSync(ak, `restrict,pty ${original}`);
      const withPty = await ssh(t, USER_A, 'tty', ['-t', '-t']);
      expect(withPty.stdout).toMatch(/^\/dev\/pts\/\d+/);
      writeFileSync(ak, `expiry-time="20000101" ${original}`);
      expect((await ssh(t, USER_A, 'true')).code).toBe(255);
    } finally {
      writeFileSync(ak, original);
    }
  });
});

describe('internal-sftp', () => {
  const sftpArgs = (t: Tshd, user: string): string[] => ['-b', '-', '-P', String(t.port), '-i', join(client.path, `id_${user}`), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${user}@127.0.0.1`];

  it('serves OpenSSH sftp and scp as the user: files round-trip, a root-only file stays unreadable', async () => {
    const t = await startTshd(['PerSourcePenalties no', 'Subsystem sftp internal-sftp']);
    const local = tempDir('tshd-sftp-');
    try {
      const { randomBytes, createHash } = await import('node:crypto');
      const data = randomBytes(5 * 1024 * 1024);
      writeFileSync(join(local.path, 'up.bin'), data);
      const secret = join(secretDir.path, 'secret');
      const r = await run('/usr/bin/sftp', sftpArgs(t, USER_A), {
        home: client.path,
        input: `put ${join(local.path, 'up.bin')} up.bin\nget up.bin ${join(local.path, 'down.bin')}\n-get ${secret} ${join(local.path, 'secret')}\npwd\n`,
      });
      expect(r.stdout).toContain(`Remote working directory: /home/${USER_A}`);
      expect(r.stderr).toContain('Permission denied');
      const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
      expect(sha(readFileSync(join(local.path, 'down.bin')))).toBe(sha(data));
      const uid = Number(execFileSync('id', ['-u', USER_A], { encoding: 'utf8' }));
      expect(execFileSync('stat', ['-c', '%u', `/home/${USER_A}/up.bin`], { encoding: 'utf8' }).trim()).toBe(String(uid));
      const scp = await run('/usr/bin/scp', ['-P', String(t.port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1:up.bin`, join(local.path, 'scp.bin')], { home: client.path });
      expect(scp.code, scp.stderr).toBe(0);
      expect(sha(readFileSync(join(local.path, 'scp.bin')))).toBe(sha(data));
    } finally {
      local.cleanup();
      await t.stop();
    }
  });

  it('ForceCommand internal-sftp with a ChrootDirectory: the user sees only the chroot', async () => {
    const root = `/run/tshd-sftp-chroot-${suffix}`;
    try {
      mkdirSync(join(root, 'pub'), { recursive: true, mode: 0o755 });
      writeFileSync(join(root, 'pub', 'hello.txt'), 'hello\n');
      const t = await startTshd(['PerSourcePenalties no', 'Subsystem sftp internal-sftp', `Match User ${USER_A}`, `  ChrootDirectory ${root}`, '  ForceCommand internal-sftp']);
      try {
        const r = await run('/usr/bin/sftp', sftpArgs(t, USER_A), { home: client.path, input: 'cd /\nls\ncd ../../..\npwd\n-get /etc/passwd /dev/null\n' });
        expect(r.stdout).toContain('Remote working directory: /\n');
        expect(r.stdout).toMatch(/sftp> ls\npub\s*\n/);
        expect(r.stderr).toMatch(/not found|No such file/);
        const shell = await ssh(t, USER_A, 'echo shell');
        expect(shell.stdout).not.toContain('shell');
      } finally {
        await t.stop();
      }
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });
});

describe('ChrootDirectory', () => {
  it('confines the session: "/" is the chroot, the home inside it is the start, ".." leads nowhere; a bad chroot is refused', async () => {
    const root = `/run/tshd-chroot-${suffix}`;
    try {
      for (const d of ['bin', 'lib/x86_64-linux-gnu', 'lib64', `home/${USER_A}`]) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
      execFileSync('cp', ['/bin/dash', join(root, 'bin', 'sh')]);
      // The account's shell runs inside the chroot: a dash named bash stands in for it.
      execFileSync('cp', ['/bin/dash', join(root, 'bin', 'bash')]);
      execFileSync('cp', ['/lib/x86_64-linux-gnu/libc.so.6', join(root, 'lib/x86_64-linux-gnu/')]);
      execFileSync('cp', ['/lib64/ld-linux-x86-64.so.2', join(root, 'lib64/')]);
      writeFileSync(join(root, 'marker'), 'inside\n');
      const t = await startTshd(['PerSourcePenalties no', `Match User ${USER_A}`, `  ChrootDirectory ${root}`]);
      try {
        const r = await ssh(t, USER_A, 'pwd; cd ..; cd ..; cd ..; pwd; echo *; read x < /marker; echo "$x"');
        expect(r.stdout, r.stderr).toBe(`/home/${USER_A}\n/\nbin home lib lib64 marker\n` + 'inside\n');
      } finally {
        await t.stop();
      }
      chmodSync(root, 0o775);
      const bad = await startTshd(['PerSourcePenalties no', `Match User ${USER_A}`, `  ChrootDirectory ${root}`]);
      try {
        const r = await ssh(bad, USER_A, 'echo escaped');
        expect(r.stdout).toBe('');
        expect(bad.log()).toContain(`fatal: bad ownership or modes for chroot directory "${root}"`);
      } finally {
        await bad.stop();
      }
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });
});

describe('tshd configuration at work', () => {
  it('Match User applies ForceCommand to that user only; AllowUsers refuses the others', async () => {
    const t = await startTshd([`AllowUsers ${USER_A}`, `Match User ${USER_A}`, '  ForceCommand echo forced-for-$USER']);
    try {
      const a = await ssh(t, USER_A, 'echo asked');
      expect(a.stdout).toBe(`forced-for-${USER_A}\n`);
      const b = await ssh(t, USER_B, 'echo asked');
      expect(b.code).toBe(255);
      expect(t.log()).toContain(`User ${USER_B} from 127.0.0.1 not allowed because not listed in AllowUsers`);
    } finally {
      await t.stop();
    }
  });

  it('PermitUserEnvironment reads ~/.ssh/environment as the user, never as root', async () => {
    const t = await startTshd(['PermitUserEnvironment yes']);
    const envFile = `/home/${USER_A}/.ssh/environment`;
    try {
      writeFileSync(envFile, 'FROM_FILE=yes\n');
      const uid = Number(execFileSync('id', ['-u', USER_A], { encoding: 'utf8' }));
      chownSync(envFile, uid, uid);
      expect((await ssh(t, USER_A, 'echo "$FROM_FILE"')).stdout).toBe('yes\n');
      // A link to a file only root may read gives nothing.
      execFileSync('rm', ['-f', envFile]);
      writeFileSync(join(secretDir.path, 'rootenv'), 'LEAKED=secret\n', { mode: 0o600 });
      execFileSync('ln', ['-s', join(secretDir.path, 'rootenv'), envFile]);
      expect((await ssh(t, USER_A, 'echo "[$LEAKED]"')).stdout).toBe('[]\n');
    } finally {
      execFileSync('rm', ['-f', envFile]);
      await t.stop();
    }
  });

  it('password and keyboard-interactive logins through PAM; failures logged as sshd does', async () => {
    ensurePamService();
    execFileSync('chpasswd', { input: `${USER_A}:right-pw-1\n` });
    const t = await startTshd(['UsePAM yes', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication yes']);
    const pwArgs = (method: string) => ['-p', String(t.port), '-o', `PreferredAuthentications=${method}`, '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`, 'id -un'];
    try {
      expect(t.log()).toContain('Password checks: PAM service "tshd"');
      for (const method of ['password', 'keyboard-interactive']) {
        const ok = await run('/usr/bin/sshpass', ['-p', 'right-pw-1', '/usr/bin/ssh', ...pwArgs(method)], { home: client.path });
        expect(ok.stdout, ok.stderr).toBe(`${USER_A}\n`);
        const bad = await run('/usr/bin/sshpass', ['-p', 'wrong', '/usr/bin/ssh', ...pwArgs(method)], { home: client.path });
        expect(bad.code).not.toBe(0);
      }
      expect(t.log()).toMatch(new RegExp(`Accepted password for ${USER_A} from 127\\.0\\.0\\.1 port \\d+ ssh2`));
      expect(t.log()).toMatch(new RegExp(`Failed password for ${USER_A} from 127\\.0\\.0\\.1 port \\d+ ssh2`));
      expect(t.log()).toMatch(new RegExp(`Accepted keyboard-interactive/pam for ${USER_A} from`));
    } finally {
      await t.stop();
    }
  });

  it('AuthenticationMethods publickey,password needs both, in that order', async () => {
    ensurePamService();
    execFileSync('chpasswd', { input: `${USER_A}:right-pw-2\n` });
    const t = await startTshd(['UsePAM yes', 'PasswordAuthentication yes', 'AuthenticationMethods publickey,password']);
    try {
      const keyOnly = await ssh(t, USER_A, 'true');
      expect(keyOnly.code).toBe(255);
      const both = await run(
        '/usr/bin/sshpass',
        ['-p', 'right-pw-2', '/usr/bin/ssh', '-p', String(t.port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`, 'id -un'],
        { home: client.path },
      );
      expect(both.stdout, both.stderr).toBe(`${USER_A}\n`);
      expect(t.log()).toContain(`Partial publickey for ${USER_A}`);
      expect(t.log()).toContain(`Accepted password for ${USER_A}`);
    } finally {
      await t.stop();
    }
  });

  it('PerSourcePenalties refuses a source after repeated failures, except an exempt one', async () => {
    const t = await startTshd(['PerSourcePenalties authfail:10s min:15s max:60s']);
    try {
      for (let i = 0; i < 2; i++) expect((await ssh(t, USER_A, 'true', [], USER_B)).code).toBe(255);
      const refused = await ssh(t, USER_A, 'echo in');
      expect(refused.code).toBe(255);
      expect(refused.stdout).toBe('');
      await t.waitLog(/drop connection #\d+ from \[127\.0\.0\.1\]:\d+ on \[127\.0\.0\.1\]:\d+ penalty: /);
    } finally {
      await t.stop();
    }
    const exempt = await startTshd(['PerSourcePenalties authfail:10s min:15s max:60s', 'PerSourcePenaltyExemptList 127.0.0.0/8']);
    try {
      for (let i = 0; i < 2; i++) await ssh(exempt, USER_A, 'true', [], USER_B);
      expect((await ssh(exempt, USER_A, 'echo in')).stdout).toBe('in\n');
    } finally {
      await exempt.stop();
    }
  });

  it('MaxStartups drops connections past the limit with "Exceeded MaxStartups"', async () => {
    const t = await startTshd(['MaxStartups 1', 'PerSourcePenalties no']);
    const holders: import('node:net').Socket[] = [];
    try {
      // One unauthenticated connection holds the only slot.
      await new Promise<void>((resolve) => {
        const s = connect(t.port, '127.0.0.1', () => resolve());
        s.on('error', () => undefined);
        holders.push(s);
      });
      const text = await new Promise<string>((resolve) => {
        let got = '';
        const s = connect(t.port, '127.0.0.1');
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(got));
      });
      expect(text).toBe('Exceeded MaxStartups\r\n');
      await t.waitLog(/drop connection #1 from \[127\.0\.0\.1\]:\d+ on \[127\.0\.0\.1\]:\d+ past MaxStartups/);
    } finally {
      for (const h of holders) h.destroy();
      await t.stop();
    }
  });

  it('MaxAuthTries disconnects with "Too many authentication failures"', async () => {
    const t = await startTshd(['MaxAuthTries 2']);
    try {
      // Three keys that are not authorized for B, offered one after the other.
      for (const n of ['x1', 'x2', 'x3']) keyFor(`${n}${suffix}`);
      const keys = ['x1', 'x2', 'x3'].flatMap((n) => ['-i', join(client.path, `id_${n}${suffix}`)]);
      const r = await run(
        '/usr/bin/ssh',
        ['-p', String(t.port), ...keys, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_B}@127.0.0.1`, 'true'],
        { home: client.path },
      );
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/Too many authentication failures/);
      expect(t.log()).toContain(`Disconnecting authenticating user ${USER_B} 127.0.0.1 port`);
    } finally {
      await t.stop();
    }
  });

  it('LoginGraceTime drops a client that never authenticates', async () => {
    const t = await startTshd(['LoginGraceTime 1']);
    try {
      const closedAfter = await new Promise<number>((resolve) => {
        const started = Date.now();
        const s = connect(t.port, '127.0.0.1');
        s.resume();
        s.on('close', () => resolve(Date.now() - started));
        s.on('error', () => undefined);
      });
      expect(closedAfter).toBeLessThan(8000);
      await t.waitLog('Timeout before authentication for 127.0.0.1 port');
    } finally {
      await t.stop();
    }
  });

  it('SIGHUP applies a good configuration to new connections and refuses a bad one', async () => {
    const t = await startTshd([]);
    try {
      expect((await ssh(t, USER_A, 'echo before')).stdout).toBe('before\n');
      appendFileSync(t.configPath, `DenyUsers ${USER_A}\n`);
      t.signal('SIGHUP');
      await t.waitLog('Configuration reloaded');
      expect((await ssh(t, USER_A, 'true')).code).toBe(255);
      // A broken file: the running configuration (A denied) stays.
      writeFileSync(t.configPath, readFileSync(t.configPath, 'utf8').replace(`DenyUsers ${USER_A}\n`, 'NoSuchKeyword yes\n'));
      t.signal('SIGHUP');
      await t.waitLog('configuration reload failed, keeping the running configuration');
      expect(t.log()).toMatch(/tshd_config line \d+: Bad configuration option: NoSuchKeyword|Bad configuration option/);
      expect((await ssh(t, USER_A, 'true')).code).toBe(255);
    } finally {
      await t.stop();
    }
  });

  it('ClientAliveInterval drops a client that stops answering', async () => {
    const t = await startTshd(['ClientAliveInterval 1', 'ClientAliveCountMax 2']);
    const { spawn } = await import('node:child_process');
    const c = spawn('/usr/bin/ssh', ['-N', '-p', String(t.port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`], { stdio: 'ignore' });
    try {
      await t.waitLog(`Accepted publickey for ${USER_A}`);
      c.kill('SIGSTOP');
      await t.waitLog(`Timeout, client not responding from user ${USER_A} 127.0.0.1 port`, 10_000);
    } finally {
      c.kill('SIGKILL');
      await t.stop();
    }
  });

  it('without -D it detaches: the command returns 0 once listening, the daemon keeps serving', async () => {
    const dir = tempDir('tshd-detach-');
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'hk')]);
      const pidFile = join(dir.path, 'tshd.pid');
      writeFileSync(join(dir.path, 'cfg'), `HostKey ${join(dir.path, 'hk')}\nListenAddress 127.0.0.1\nPidFile ${pidFile}\nPerSourcePenalties no\n`);
      const { freePort } = await import('../helpers/sshd.js');
      const port = await freePort();
      const started = await run('tshd', ['-f', join(dir.path, 'cfg'), '-p', String(port)], { timeoutMs: 20_000 });
      expect(started.code).toBe(0);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        const r = await run('/usr/bin/ssh', ['-p', String(port), '-i', join(client.path, `id_${USER_A}`), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${USER_A}@127.0.0.1`, 'echo detached'], { home: client.path });
        expect(r.stdout).toBe('detached\n');
      } finally {
        process.kill(pid, 'SIGTERM');
      }
    } finally {
      dir.cleanup();
    }
  });

  it('LogLevel ERROR keeps the informational lines out of the log', async () => {
    const t = await startTshd(['PerSourcePenalties no', 'LogLevel ERROR'], {}, false);
    try {
      expect((await ssh(t, USER_A, 'echo quiet')).stdout).toBe('quiet\n');
      expect(t.log()).not.toContain('Accepted publickey');
      expect(t.log()).not.toContain('Server listening');
    } finally {
      await t.stop();
    }
  });

  it('SIGTERM stops listening, removes the PidFile and exits 0', async () => {
    const t = await startTshd([]);
    const pidFile = join(t.dir, 'tshd.pid');
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(t.pid));
    const code = await t.stop();
    expect(code).toBe(0);
  });
});
