/**
 * Interop: `tshd -t` on broken configurations names the file and line and exits 255, and
 * `sshd -t` (OpenSSH 9.2p1) fails on the same configuration with the same message.
 * sshd -t only runs as root: elsewhere this test fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { SSHD, requireOpenSsh } from '../helpers/sshd.js';

interface Broken {
  /** The configuration after the HostKey line (which is line 1). */
  config: string;
  /** The line tshd must name ("<file> line N:" or "<file>: line N:"). */
  line: number;
}

const BROKEN: Broken[] = [
  { config: 'FooBar yes\nPort 22\nBaz 1\n', line: 2 },
  { config: 'Port abc\n', line: 2 },
  { config: 'Port 22\nMatch User x\n  Port 2222\n', line: 4 },
  { config: 'PermitRootLogin maybe\n', line: 2 },
  { config: 'Match Foo x\n', line: 2 },
  { config: 'Match User\n', line: 2 },
  { config: 'Match all User x\n', line: 2 },
  { config: 'Match LocalPort x\n', line: 2 },
  { config: 'MaxAuthTries x\n', line: 2 },
  { config: '\nMaxAuthTries\n', line: 3 },
  { config: 'PermitRootLogin yes no\n', line: 2 },
  { config: 'Banner "unterminated\n', line: 2 },
  { config: 'Ciphers foo\n', line: 2 },
  { config: 'MACs +bogus\n', line: 2 },
  { config: 'KexAlgorithms ^nope\n', line: 2 },
  { config: 'HostKeyAlgorithms ssh-foo\n', line: 2 },
  { config: 'AuthenticationMethods foo\n', line: 2 },
  { config: 'AuthenticationMethods password\nAuthenticationMethods publickey any\n', line: 3 },
  { config: 'AllowUsers a@10.0.0.1/8\n', line: 2 },
  { config: 'AllowGroups ""\n', line: 2 },
  { config: 'AcceptEnv A=b\n', line: 2 },
  { config: 'SetEnv A\n', line: 2 },
  { config: 'Subsystem sftp a\nSubsystem sftp b\n', line: 3 },
  { config: 'Subsystem sftp\n', line: 2 },
  { config: 'MaxStartups 30:10:20\n', line: 2 },
  { config: 'LoginGraceTime 1x\n', line: 2 },
  { config: 'ListenAddress 1.2.3.4:99999\n', line: 2 },
  { config: 'ListenAddress [::1\n', line: 2 },
  { config: 'ListenAddress 1.2.3.4 rdomain\n', line: 2 },
  { config: 'PermitOpen a\n', line: 2 },
  { config: 'PermitListen a:0\n', line: 2 },
  { config: 'PermitTunnel Yes\n', line: 2 },
  { config: 'IPQoS 256\n', line: 2 },
  { config: 'RekeyLimit 10x\n', line: 2 },
  { config: 'RekeyLimit 8\n', line: 2 },
  { config: 'StreamLocalBindMask 9\n', line: 2 },
  { config: 'FingerprintHash sha3\n', line: 2 },
  { config: 'LogLevel loud\n', line: 2 },
  { config: 'SyslogFacility bogus\n', line: 2 },
  { config: 'ChannelTimeout bad\n', line: 2 },
  { config: 'ChannelTimeout none x=1\n', line: 2 },
  { config: 'UnusedConnectionTimeout bad\n', line: 2 },
  { config: 'AuthorizedKeysCommand bin/x\n', line: 2 },
  { config: 'PubkeyAuthOptions x\n', line: 2 },
  { config: 'PerSourceNetBlockSize 33\n', line: 2 },
  { config: 'PerSourceMaxStartups -1\n', line: 2 },
  { config: 'GSSAPIKexAlgorithms gss-foo-\n', line: 2 },
  { config: 'RDomain x\n', line: 2 },
  { config: 'Include INC\n', line: 2 },
];

let dir = '';
let cleanup = (): void => undefined;
let cfg = '';
let inc = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('sshd -t only runs as root: run the interop tests as root (CI does)');
  requireOpenSsh();
  ({ path: dir, cleanup } = tempDir('tshd-check-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  cfg = join(dir, 'sshd_config');
  inc = join(dir, 'included.conf');
  writeFileSync(inc, 'MaxSessions 2\n\nMaxSessions many\n');
});

afterAll(() => cleanup());

function write(config: string): void {
  writeFileSync(cfg, `HostKey ${join(dir, 'host_key')}\n${config.replaceAll('INC', inc)}`);
}

describe('tshd -t on broken configurations', () => {
  for (const b of BROKEN) {
    it(JSON.stringify(b.config), async () => {
      write(b.config);
      const [theirs, ours] = await Promise.all([run(SSHD, ['-t', '-f', cfg], { cwd: dir }), run('tshd', ['-t', '-f', cfg], { cwd: dir })]);
      const file = b.config.startsWith('Include') ? inc : cfg;
      const where = b.config.startsWith('Include') ? 3 : b.line;
      expect(ours.code, ours.stderr).toBe(255);
      expect(ours.stdout).toBe('');
      expect(ours.stderr).toMatch(new RegExp(`(^|\\n)${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:? line ${where}: `));
      expect(theirs.code).not.toBe(0);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.code).toBe(theirs.code);
    });
  }

  it('a good configuration passes silently, as with sshd', async () => {
    write('Port 2222\nMatch User x\n  PasswordAuthentication no\n');
    const [theirs, ours] = await Promise.all([run(SSHD, ['-t', '-f', cfg], { cwd: dir }), run('tshd', ['-t', '-f', cfg], { cwd: dir })]);
    expect([theirs.code, theirs.stdout, theirs.stderr]).toEqual([0, '', '']);
    expect([ours.code, ours.stdout, ours.stderr]).toEqual([0, '', '']);
  });

  it('a missing file, a bad -o and -C without -T fail as in sshd', async () => {
    write('');
    for (const args of [['-t', '-f', join(dir, 'nope')], ['-t', '-f', cfg, '-o', 'Foo 1'], ['-t', '-f', cfg, '-o', 'Port x'], ['-t', '-f', cfg, '-C', 'user=x']]) {
      const [theirs, ours] = await Promise.all([run(SSHD, args, { cwd: dir }), run('tshd', args, { cwd: dir })]);
      expect(theirs.code, args.join(' ')).not.toBe(0);
      expect(ours.stderr, args.join(' ')).toBe(theirs.stderr);
      expect(ours.code, args.join(' ')).toBe(theirs.code);
    }
  });

  it('-E sends the messages to the log file, as sshd does', async () => {
    write('Foo 1\nPort x\n');
    const logs = [join(dir, 'sshd.log'), join(dir, 'tshd.log')];
    const [theirs, ours] = await Promise.all([
      run(SSHD, ['-t', '-f', cfg, '-E', logs[0]!], { cwd: dir }),
      run('tshd', ['-t', '-f', cfg, '-E', logs[1]!], { cwd: dir }),
    ]);
    expect([theirs.code, theirs.stderr]).toEqual([255, '']);
    expect([ours.code, ours.stderr]).toEqual([255, '']);
    const text = readFileSync(logs[1]!, 'utf8');
    expect(text).toBe(readFileSync(logs[0]!, 'utf8'));
    expect(text).toContain(`${cfg} line 3: Badly formatted port number.\r\n`);
  });

  it('refuses what it cannot honour safely, where sshd accepts it (deliberate)', async () => {
    for (const line of ['RevokedKeys /etc/ssh/revoked', 'KerberosAuthentication yes', 'AuthorizedKeysCommand /bin/keys\nAuthorizedKeysCommandUser nobody']) {
      write(`${line}\n`);
      const [theirs, ours] = await Promise.all([run(SSHD, ['-t', '-f', cfg], { cwd: dir }), run('tshd', ['-t', '-f', cfg], { cwd: dir })]);
      expect(theirs.code, line).toBe(0);
      expect(ours.code, line).toBe(255);
      expect(ours.stderr).toMatch(new RegExp(`^${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 2: .* is not supported by tshd\\r\\n$`));
    }
  });
});
