/**
 * `npm pack` and `npm install -g ./tsh-*.tgz` into a fresh prefix, offline (from npm's cache, as
 * after `npm ci`; node-pty and the other addons build from source with nodedir=/usr): the package
 * holds what it needs and nothing of the checkout's tests or the SEA, its manuals are the checkout's
 * and npm links them, and the four installed programs work: tsh-keygen checked by ssh-keygen,
 * tshd -t, and tshd serving a PTY session (node-pty as built in the prefix) to OpenSSH's ssh, tsh
 * and tsh-sftp against OpenSSH's sshd.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, runPty, tempDir } from '../helpers/run.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, trustSshd, type ClientHome } from '../helpers/client.js';
import { VERSION } from '../../src/version.js';

const TOOLS = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'] as const;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man?: string[] };

let work: { path: string; cleanup: () => void };
let tgz: string;
let prefix: string;
let files: string[];

/** An installed program, with only the prefix's bin and the system's on PATH. */
function tool(name: string, args: readonly string[], env: Record<string, string> = {}) {
  return run(join(prefix, 'bin', name), args, { cwd: work.path, env: { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin`, ...env } });
}

beforeAll(async () => {
  work = tempDir('tsh-pack-');
  // An installed package is world-readable: tshd's protocol process runs as the sshd account.
  chmodSync(work.path, 0o755);
  // dist/ is built (the suite's global setup); packing must not rebuild it under other tests.
  await promisify(execFile)('npm', ['pack', '--ignore-scripts', '--pack-destination', work.path], { cwd: ROOT, timeout: 60_000 });
  tgz = join(work.path, `tsh-${VERSION}.tgz`);
  files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  prefix = join(work.path, 'prefix');
  // Offline: everything comes from npm's cache; node-gyp takes Node's headers from /usr.
  await promisify(execFile)('npm', ['install', '-g', tgz, '--prefix', prefix, '--offline', '--no-audit', '--no-fund'], {
    cwd: work.path,
    env: { ...process.env, npm_config_nodedir: '/usr' },
    timeout: 280_000,
    maxBuffer: 16 << 20,
  });
}, 300_000);

afterAll(() => work?.cleanup());

describe('npm pack', () => {
  it('ships the programs, manuals, completions and contrib/, without tests, sources or the SEA', () => {
    for (const t of TOOLS) expect(files).toContain(`dist/bin/${t}.js`);
    expect(files).toContain('dist/src/cli/tsh.js');
    expect(files).toContain('contrib/systemd/tshd.service');
    expect(files).toContain('contrib/pam.d/tshd');
    expect(files).not.toContain('contrib/install.sh');
    expect(files).not.toContain('dist/bin/sea.js');
    expect(files.filter((f) => /\.test\.|^test\/|^src\/|^release\/|^scripts\//.test(f))).toEqual([]);
    const dir = join(ROOT, 'completions');
    const completions = existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((c) => statSync(join(dir, c)).isFile()) : [];
    for (const c of completions) expect(files).toContain(`completions/${c}`);
  });

  it("lists the checkout's manuals in package.json's man field, and npm links them", () => {
    const manuals = existsSync(join(ROOT, 'man')) ? readdirSync(join(ROOT, 'man')).filter((f) => /\.[158]$/.test(f)).sort() : [];
    expect((pkg.man ?? []).map((m) => m.replace(/^\.\/man\//, '')).sort()).toEqual(manuals);
    for (const m of manuals) {
      expect(files).toContain(`man/${m}`);
      const linked = join(prefix, 'share', 'man', `man${m.slice(m.lastIndexOf('.') + 1)}`, m);
      expect(readFileSync(linked, 'utf8')).toBe(execFileSync('tar', ['-xOzf', tgz, `package/man/${m}`], { encoding: 'utf8' }));
    }
  });
});

describe('npm install -g ./tsh-*.tgz', () => {
  it('puts the four programs on PATH, built in the prefix', async () => {
    for (const t of TOOLS) {
      expect(realpathSync(join(prefix, 'bin', t))).toBe(join(prefix, 'lib', 'node_modules', 'tsh', 'dist', 'bin', `${t}.js`));
      const r = await tool(t, ['-V']);
      expect(r.stderr).toContain(`${t} ${VERSION} `);
      expect(r.code).toBe(0);
    }
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'tsh', 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'))).toBe(true);
  });

  it('tsh-keygen makes and fingerprints a key as ssh-keygen does; tshd -t checks a configuration', async () => {
    const key = join(work.path, 'id_pack');
    expect((await tool('tsh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])).code).toBe(0);
    const l = await tool('tsh-keygen', ['-l', '-f', key]);
    expect(l.stdout).toBe(execFileSync('ssh-keygen', ['-l', '-f', key], { encoding: 'utf8' }));
    writeFileSync(join(work.path, 'tshd_config'), `HostKey ${key}\n`);
    const t = await tool('tshd', ['-t', '-f', join(work.path, 'tshd_config')]);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
  });

  describe('against OpenSSH', () => {
    let sshd: Sshd;
    let home: ClientHome;
    let tshd: ChildProcess;
    let tshdPort: number;
    let log = '';
    beforeAll(async () => {
      home = clientHome();
      sshd = await startSshd({ authorizedKeys: [home.pub] });
      trustSshd(home, sshd);
      // The installed tshd, serving root (the tests' user) with the client's key.
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work.path, 'host')]);
      writeFileSync(join(work.path, 'authorized_keys'), `${home.pub}\n`, { mode: 0o600 });
      writeFileSync(
        join(work.path, 'tshd_serve'),
        [`HostKey ${join(work.path, 'host')}`, 'ListenAddress 127.0.0.1', `AuthorizedKeysFile ${join(work.path, 'authorized_keys')}`, 'StrictModes no', 'PidFile none', ''].join('\n'),
      );
      tshdPort = await freePort();
      tshd = spawn(join(prefix, 'bin', 'tshd'), ['-D', '-e', '-f', join(work.path, 'tshd_serve'), '-p', String(tshdPort)], {
        env: { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      tshd.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
      for (let i = 0; i < 200 && !log.includes('Server listening'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(log).toContain(`Server listening on 127.0.0.1 port ${tshdPort}.`);
    }, 30_000);
    afterAll(async () => {
      tshd?.kill('SIGTERM');
      await sshd?.stop();
      home?.cleanup();
    });

    it('tshd gives OpenSSH ssh a PTY session', async () => {
      const s = runPty('/usr/bin/ssh', ['-p', String(tshdPort), '-i', join(home.ssh, 'id_ed25519'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'root@127.0.0.1'], { home: home.home });
      try {
        s.write('echo "pty-$((6*7))"; tty; exit 5\r');
        await s.expect(/pty-42\n\/dev\/pts\/\d+/);
        expect(await s.exit()).toBe(5);
      } finally {
        s.kill();
      }
    });

    it('tsh runs a command on sshd; tsh-sftp puts and gets a file', async () => {
      const r = await tool('tsh', ['-p', String(sshd.port), '-o', 'BatchMode=yes', 'root@127.0.0.1', 'echo "$((6*7))"'], { HOME: home.home });
      expect(r.stdout).toBe('42\n');
      expect(r.code).toBe(0);
      const data = randomBytes(100_000);
      writeFileSync(join(work.path, 'up'), data);
      writeFileSync(join(work.path, 'batch'), `put ${join(work.path, 'up')} ${join(sshd.dir, 'remote')}\nget ${join(sshd.dir, 'remote')} ${join(work.path, 'down')}\n`);
      const s = await tool('tsh-sftp', ['-b', join(work.path, 'batch'), '-P', String(sshd.port), '-o', 'BatchMode=yes', 'root@127.0.0.1'], { HOME: home.home });
      expect(s.code).toBe(0);
      expect(readFileSync(join(work.path, 'down')).equals(data)).toBe(true);
    });
  });
});
