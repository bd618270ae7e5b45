/**
 * Interop: `tsh -G` against the real `ssh -G` (OpenSSH 9.2p1; nothing connects) on the same argv,
 * config file and temp HOME: identical stdout, and identical stderr and exit code for errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempHome } from '../helpers/run.js';

const CONFIG = [
  'Host foo',
  '  HostName Real.Example.COM',
  '  User fileuser',
  '  Port 2200',
  'Host *',
  '  ServerAliveInterval 30',
  '',
].join('\n');

const OK_CASES: string[][] = [
  ['foo'],
  ['foo', '-p', '99', 'ls', '-l'],
  ['-p', '1', 'foo', '-p', '2'],
  ['-l', 'bob', 'alice@foo'],
  ['alice@foo', '-l', 'bob'],
  ['ssh://u@foo:2022'],
  ['ssh://a%20b@foo/'],
  ['-o', 'Port=5', '-p', '0', 'foo'],
  ['-o', 'User=cli', '-o', 'Ciphers=+aes128-cbc', 'foo'],
  ['-i', '/etc/hostname', '-i', '~/nonexistent', 'foo'],
  ['-J', 'a@j:22,b', 'foo'],
  ['-L', '8080:localhost:80', '-L', '[::1]:81:h:80', '-R', '9090:x:90', '-R', '1080', '-D', '1081', 'foo'],
  ['-W', 'h:22', 'foo'],
  ['-C', '-4', '-c', 'aes128-ctr', '-m', 'hmac-sha1', 'foo'],
  ['-6', '-A', '-e', '^]', '-b', '127.0.0.1', 'foo'],
  ['-a', '-e', 'none', '-x', '-Y', '-g', '-k', '-K', '-M', '-M', '-S', '/tmp/cp-%h', 'foo'],
  ['-q', 'foo'],
  ['-vvv', '-q', '-v', 'foo'],
  ['-o', 'LogLevel=ERROR', '-v', 'foo'],
  ['-t', '-t', 'foo'],
  ['-o', 'RequestTTY=yes', '-t', 'foo'],
  ['-T', 'foo'],
  ['-N', 'foo'],
  ['-w', '1:2', 'foo'],
  ['--', 'foo', '-p', '3'],
  ['foo', '--', '-p', '3'],
  ['-f', '-n', 'foo', 'true'],
  ['-o', 'UpdateHostKeys=ask', 'foo', 'ls'],
  ['-s', 'foo', 'sftp'],
];

const ERROR_CASES: string[][] = [
  ['-p', '0', 'foo'],
  ['foo', '-p', 'x'],
  ['-o', 'Foo=bar', 'foo'],
  ['-Z', 'foo'],
  ['-p'],
  [],
  ['@foo'],
  ['ssh://foo/path'],
  ['-J', 'a', '-J', 'b', 'foo'],
  ['-o', 'ProxyCommand=x', '-J', 'y', 'foo'],
  ['-e', 'ab', 'foo'],
  ['-c', 'foo', 'foo'],
  ['-m', '+hmac-md5', 'foo'],
  ['-L', '1', 'foo'],
  ['-D', 'x:y:z', 'foo'],
  ['-W', 'x', 'foo'],
  ['-w', 'x', 'foo'],
  ['-N', '-s', 'foo'],
  ['-s', 'foo'],
  ['-y', '-E', '/dev/null', 'foo'],
  ['-f', 'foo'],
  ['-o', 'RemoteCommand=x', 'foo', 'ls'],
  ['-J', 'fileuser@real.example.com:2200', 'foo'],
];

let home: { home: string; ssh: string; cleanup: () => void };
let cfg: string;

beforeAll(() => {
  home = tempHome();
  cfg = join(home.home, 'config');
  writeFileSync(cfg, CONFIG, { mode: 0o600 });
});
afterAll(() => home.cleanup());

/**
 * ssh -G names LogLevel QUIET "SILENT"; src/config/dump.ts prints "QUIET" (to be fixed there,
 * then this normalisation goes).
 */
async function both(argv: string[]) {
  const full = ['-G', '-F', cfg, ...argv];
  // `~` is $HOME for tsh and the passwd home for ssh: run both with HOME = the passwd home so
  // their expansions agree (the config file is given with -F, HOME is not otherwise read).
  const pwHome = userInfo().homedir;
  const [real, ours] = await Promise.all([
    run('/usr/bin/ssh', full, { home: pwHome, cwd: home.home, timeoutMs: 10_000 }),
    run('tsh', full, { home: pwHome, cwd: home.home, timeoutMs: 10_000 }),
  ]);
  return { real, ours };
}

describe('tsh -G equals ssh -G', () => {
  for (const argv of OK_CASES) {
    it(argv.join(' '), async () => {
      const { real, ours } = await both(argv);
      expect(real.code, real.stderr).toBe(0);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toBe(real.stdout);
    });
  }
});

describe('tsh -G fails like ssh -G', () => {
  for (const argv of ERROR_CASES) {
    it(argv.join(' ') || '(no destination)', async () => {
      const { real, ours } = await both(argv);
      expect(real.code).toBe(255);
      expect(ours.code).toBe(255);
      expect(ours.stdout).toBe(real.stdout);
      expect(ours.stderr).toBe(real.stderr.replace(/^usage: ssh /m, 'usage: tsh '));
    });
  }
});

describe('without -G', () => {
  it('checks arguments before connecting', async () => {
    const bad = await run('tsh', ['-F', cfg, '-p', '0', 'foo'], { home: home.home });
    expect(bad.code).toBe(255);
    expect(bad.stderr).toBe("Bad port '0'\n");
  });

  it('expands ~ in configuration values with $HOME (ssh uses the passwd home)', async () => {
    const r = await run('tsh', ['-G', '-F', 'none', 'foo'], { home: home.home });
    expect(r.stdout).toContain(`userknownhostsfile ${home.home}/.ssh/known_hosts ${home.home}/.ssh/known_hosts2\n`);
  });

  it('-V prints the version, --help the usage', async () => {
    const v = await run('tsh', ['-V']);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/^tsh \d/);
    const h = await run('tsh', ['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: tsh \[-46AaCfGgKkMNnqsTtVvXxYy\]/);
  });

  it('-Q lists algorithms like ssh -Q', async () => {
    for (const q of ['cipher', 'mac', 'kex', 'key', 'key-cert', 'key-plain', 'key-sig', 'sig', 'cipher-auth', 'compression', 'help', 'Ciphers', 'nope']) {
      const [real, ours] = await Promise.all([run('/usr/bin/ssh', ['-Q', q]), run('tsh', ['-Q', q])]);
      expect([ours.code, ours.stdout, ours.stderr], q).toEqual([real.code, real.stdout, real.stderr]);
    }
  });
});
