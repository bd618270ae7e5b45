/**
 * tsh against tshd (both of ours), with OpenSSH's ssh run against the same tshd as the oracle:
 * trust on first contact, key, password and keyboard-interactive logins (PAM), exit statuses and
 * signals, stderr kept apart, a 20 MiB round trip, env passing, a PTY shell with resize, and the
 * same refusal for an unknown user and a wrong key. tshd runs as root serving a user the test
 * creates, so the session really is that user's. Needs root, as CI runs it; fails otherwise.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, type ClientHome } from '../helpers/client.js';
import { run, runPty, type RunResult } from '../helpers/run.js';
import { ensurePamService, startTshd, type Tshd } from '../helpers/tshd.js';

const USER = `tshtd${process.pid % 100000}`;
const PASSWORD = `Pw-${process.pid}-${Date.now().toString(36)}`;
let home: ClientHome;
let uid = 0;
let t: Tshd;

/** tsh or ssh with the client HOME's key; tshd's key is trusted by a known_hosts of its own. */
function args(prog: 'tsh' | 'ssh', extra: readonly string[], command?: string): string[] {
  // ssh_config takes the first value: the test's own -o options come before the defaults.
  return [
    ...extra,
    '-p', String(t.port),
    '-i', join(home.ssh, 'id_ed25519'),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${join(home.ssh, prog === 'tsh' ? 'known_hosts' : 'known_hosts_ssh')}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    `${USER}@127.0.0.1`,
    ...(command === undefined ? [] : [command]),
  ];
}

function both(command: string, extra: readonly string[] = [], input?: string): Promise<[RunResult, RunResult]> {
  return Promise.all([
    run('tsh', args('tsh', extra, command), { home: home.home, input }),
    run('/usr/bin/ssh', args('ssh', extra, command), { home: home.home, input }),
  ]);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('tsh-tshd tests need root (CI runs them as root): they create a system user');
  home = clientHome();
  execFileSync('useradd', ['-m', '-s', '/bin/bash', USER]);
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  const ssh = `/home/${USER}/.ssh`;
  mkdirSync(ssh, { mode: 0o700 });
  writeFileSync(join(ssh, 'authorized_keys'), `${home.pub}\n`, { mode: 0o600 });
  chownSync(ssh, uid, gid);
  chownSync(join(ssh, 'authorized_keys'), uid, gid);
  ensurePamService();
  t = await startTshd(['PerSourcePenalties no', 'UsePAM yes', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication yes', 'AcceptEnv TSHT_*']);
});

afterAll(async () => {
  await t?.stop();
  try {
    execFileSync('userdel', ['-r', '-f', USER], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  home?.cleanup();
});

describe('tsh → tshd', () => {
  it('trusts the host key on first contact (accept-new) and logs in by key as the user', async () => {
    const r = await run('tsh', args('tsh', [], 'id -u; id -un'), { home: home.home });
    expect(r.stdout, r.stderr).toBe(`${uid}\n${USER}\n`);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Warning: Permanently added '[127.0.0.1]:${t.port}' (ED25519) to the list of known hosts.`);
    // One line (hashed or not, as HashKnownHosts says), found by ssh-keygen -F with tshd's key.
    const file = join(home.ssh, 'known_hosts');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${t.port}`, '-f', file], { encoding: 'utf8' });
    expect(found).toContain(` ${t.hostKey.split(' ').slice(0, 2).join(' ')}\n`);
    expect(t.log()).toMatch(new RegExp(`Accepted publickey for ${USER} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 SHA256:`));
  });

  it('exit statuses, signals and stderr come back as they do to ssh', async () => {
    for (const command of ['exit 7', 'echo out; echo err >&2; exit 3', 'kill -TERM $$', 'exit 0', 'exit 255']) {
      const [tsh, ssh] = await both(command);
      expect([tsh.code, tsh.stdout], command).toEqual([ssh.code, ssh.stdout]);
      // tsh adds a line for a death by signal (README: a deliberate difference); the rest is ssh's.
      const quiet = (s: string): string => s.replace(/^(Remote command killed by signal TERM\.|Warning: Permanently added .*)\r?\n/gm, '');
      expect(quiet(tsh.stderr), command).toBe(quiet(ssh.stderr));
    }
  });

  it('carries 20 MiB through cat both ways with equal sha256', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
    const r = await run('tsh', args('tsh', [], 'sha256sum; true'), { home: home.home, input: data, timeoutMs: 60_000 });
    expect(r.stdout.split(' ')[0]).toBe(sha(data));
    const back = await run('tsh', args('tsh', [], `head -c ${data.length} /dev/zero | tr '\\0' 'x'`), { home: home.home, timeoutMs: 60_000 });
    expect(back.stdout.length).toBe(data.length);
    expect(sha(back.stdout)).toBe(sha('x'.repeat(data.length)));
  });

  it('SendEnv and SetEnv reach the session only through AcceptEnv', async () => {
    const extra = ['-o', 'SendEnv=TSHT_SENT', '-o', 'SetEnv=TSHT_SET=set OTHER_SET=no'];
    const [tsh, ssh] = await both('echo "${TSHT_SENT-unset} ${TSHT_SET-unset} ${OTHER_SET-unset}"', extra);
    expect(ssh.stdout).toBe('unset set unset\n');
    expect(tsh.stdout).toBe(ssh.stdout);
    const sent = await run('tsh', args('tsh', extra, 'echo "$TSHT_SENT"'), { home: home.home, env: { TSHT_SENT: 'from-client' } });
    expect(sent.stdout).toBe('from-client\n');
  });

  it('refuses an unknown user and a wrong key with the same output', async () => {
    const other = clientHome();
    try {
      const wrongKey = await run('tsh', ['-p', String(t.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=error', `${USER}@127.0.0.1`, 'true'], { home: other.home });
      const unknown = await run('tsh', ['-p', String(t.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=error', `nosuch${process.pid % 100000}@127.0.0.1`, 'true'], { home: other.home });
      expect(wrongKey.code).toBe(255);
      expect(unknown.code).toBe(255);
      expect(wrongKey.stderr.replace(USER, 'U')).toBe(unknown.stderr.replace(`nosuch${process.pid % 100000}`, 'U'));
      expect(wrongKey.stderr).toMatch(/Permission denied \(publickey,password,keyboard-interactive\)\./);
    } finally {
      other.cleanup();
    }
  });

  it('a password login through PAM: the prompt, the session', async () => {
    const s = runPty('tsh', args('tsh', ['-o', 'PreferredAuthentications=password', '-o', 'BatchMode=no'], 'id -un'), { home: home.home });
    await s.expect(`${USER}@127.0.0.1's password: `);
    s.write(`${PASSWORD}\r`);
    await s.expect(`\n${USER}\n`);
    expect(await s.exit()).toBe(0);
    expect(t.log()).toMatch(new RegExp(`Accepted password for ${USER} from 127\\.0\\.0\\.1 port \\d+ ssh2`));
  });

  it('a keyboard-interactive login through PAM: a wrong answer, then the right one', async () => {
    const s = runPty('tsh', args('tsh', ['-o', 'PreferredAuthentications=keyboard-interactive', '-o', 'BatchMode=no'], 'echo kbd-ok'), { home: home.home });
    await s.expect(/Password: $/);
    s.write('wrong\r');
    await s.expect(/Password: [\s\S]*Password: $/, 20_000);
    s.write(`${PASSWORD}\r`);
    await s.expect('kbd-ok');
    expect(await s.exit()).toBe(0);
    expect(t.log()).toMatch(new RegExp(`Accepted keyboard-interactive/pam for ${USER} from 127\\.0\\.0\\.1 port \\d+ ssh2`));
  });

  it('a PTY login shell follows a resize, and exits with the shell', async () => {
    const s = runPty('tsh', args('tsh', ['-tt']), { home: home.home, cols: 80, rows: 24 });
    s.write('echo "argv0=$0 tty=$(tty)"; stty size\r');
    await s.expect(/argv0=-bash tty=\/dev\/pts\/\d+\n24 80/);
    s.resize(132, 41);
    await new Promise((r) => setTimeout(r, 300));
    s.write('stty size\r');
    await s.expect('41 132');
    s.write('exit 4\r');
    expect(await s.exit()).toBe(4);
  });
});
