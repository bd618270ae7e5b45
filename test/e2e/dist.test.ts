/**
 * The single executable (`npm run dist`, scripts/dist.mjs): the tarball holds the binary, its links,
 * the manuals, the completions, contrib/ and install.sh. Installed with `install.sh --prefix` into a
 * directory outside the checkout, it runs with an empty environment (`env -i`: no PATH, so no node;
 * no node_modules above it) from an unrelated directory: the four tools by name; tsh-keygen checked
 * by ssh-keygen; tshd as root serving a user to OpenSSH's ssh (a PTY session from node-pty inside
 * the binary, exec, -W through the per-user worker, internal-sftp with sftp, a PAM password, the
 * detached daemon);
 * tsh (with -f) and tsh-sftp against OpenSSH's sshd.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, runPty, tempDir } from '../helpers/run.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { ensurePamService } from '../helpers/tshd.js';
import { clientHome, trustSshd, type ClientHome } from '../helpers/client.js';
import { VERSION } from '../../src/version.js';

const TOOLS = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'] as const;
const NAME = `tsh-${VERSION}-linux-x64`;

/** Everything lives under one directory outside the checkout, readable by the test's user. */
let work: string;
let prefix: string;
let tarball: string;
/** An unrelated directory the programs run in. */
let cwd: string;

const bin = (tool: string): string => join(prefix, 'bin', tool);

/** A tool of the installed binary with an empty environment (plus `env` entries), from `cwd`. */
function sea(tool: string, args: readonly string[], env: Record<string, string> = {}, opts: { input?: string; timeoutMs?: number } = {}) {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return run('/usr/bin/env', ['-i', ...assignments, bin(tool), ...args], { cwd, ...opts });
}

/** The files of a checkout directory (relative paths), if it exists. */
function filesOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

const manuals = (): string[] => filesOf(join(ROOT, 'man')).filter((f) => /^[^/]+\.[158]$/.test(f));

beforeAll(async () => {
  work = mkdtempSync('/tmp/tsh-dist-');
  chmodSync(work, 0o755);
  // The build itself: from the sources, offline, into this directory.
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'dist.mjs'), '--out', join(work, 'release')], {
    cwd: ROOT,
    timeout: 280_000,
    maxBuffer: 16 << 20,
  });
  tarball = join(work, 'release', `${NAME}.tar.gz`);
  mkdirSync(join(work, 'unpack'));
  execFileSync('tar', ['-xzf', tarball, '-C', join(work, 'unpack')]);
  prefix = join(work, 'prefix');
  execFileSync(join(work, 'unpack', NAME, 'install.sh'), ['--prefix', prefix], { env: { PATH: '/usr/bin:/bin' } });
  cwd = join(work, 'elsewhere');
  mkdirSync(cwd, { mode: 0o755 });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm run dist', () => {
  it('packs the binary, its links, install.sh, contrib/, and the manuals and completions of the checkout', () => {
    const list = execFileSync('tar', ['-tvzf', tarball], { encoding: 'utf8' });
    expect(list).toMatch(new RegExp(`^-rwxr-xr-x .* ${NAME}/bin/tsh$`, 'm'));
    for (const link of TOOLS.slice(1)) expect(list).toMatch(new RegExp(`^l.* ${NAME}/bin/${link} -> tsh$`, 'm'));
    expect(list).toMatch(new RegExp(`^-rwxr-xr-x .* ${NAME}/install\\.sh$`, 'm'));
    const want = [
      ...filesOf(join(ROOT, 'contrib')).filter((f) => f !== 'install.sh').map((f) => `contrib/${f}`),
      ...manuals().map((f) => `man/${f}`),
      ...filesOf(join(ROOT, 'completions')).map((f) => `completions/${f}`),
    ];
    expect(want).toContain('contrib/systemd/tshd.service');
    expect(want).toContain('contrib/pam.d/tshd');
    for (const f of want) expect(list).toContain(` ${NAME}/${f}\n`);
  });

  it('install.sh --prefix puts the binary, links, manuals, completions and contrib/ under the prefix', () => {
    expect(statSync(bin('tsh')).mode & 0o777).toBe(0o755);
    for (const link of TOOLS.slice(1)) expect(readlinkSync(bin(link))).toBe('tsh');
    for (const m of manuals()) {
      const section = m.slice(m.lastIndexOf('.') + 1);
      expect(readFileSync(join(prefix, 'share', 'man', `man${section}`, m), 'utf8')).toBe(readFileSync(join(work, 'unpack', NAME, 'man', m), 'utf8'));
    }
    const completions = filesOf(join(ROOT, 'completions'));
    const bashDir = join(prefix, 'share', 'bash-completion', 'completions');
    const zshDir = join(prefix, 'share', 'zsh', 'site-functions');
    if (completions.some((f) => f.startsWith('bash/') || f.endsWith('.bash'))) {
      // bash-completion loads the file named after the command: each of the four finds one.
      for (const tool of TOOLS) {
        const spec = execFileSync('bash', ['-c', `source ${join(bashDir, tool)} && complete -p ${tool}`], { encoding: 'utf8' });
        expect(spec).toMatch(new RegExp(`^complete -F \\S+ ${tool}$`, 'm'));
      }
    }
    if (completions.some((f) => f.startsWith('zsh/') || /(^|\/)_/.test(f) || f.endsWith('.zsh'))) {
      expect(readdirSync(zshDir).every((f) => f.startsWith('_'))).toBe(true);
      expect(readdirSync(zshDir).length).toBeGreaterThan(0);
    }
    for (const f of ['systemd/tshd.service', 'pam.d/tshd']) {
      expect(readFileSync(join(prefix, 'share', 'tsh', 'contrib', f), 'utf8')).toBe(readFileSync(join(ROOT, 'contrib', f), 'utf8'));
    }
    // Nothing of Node's is within reach: no node_modules above the binary or the working directory.
    for (const start of [prefix, cwd]) {
      for (let d = start; d !== '/'; d = dirname(d)) expect(existsSync(join(d, 'node_modules'))).toBe(false);
    }
    expect(relative(ROOT, prefix).startsWith('..')).toBe(true);
  });

  it('serves the four tools by the name it is called under, with an empty environment', async () => {
    for (const tool of TOOLS) {
      const r = await sea(tool, ['-V']);
      expect(r.stderr).toContain(`${tool} ${VERSION} (tsh toolset; Node v20.`);
      expect(r.code).toBe(0);
    }
    // Under another name, the tool comes first; alone, it says how to call it.
    symlinkSync(bin('tsh'), join(cwd, 'tsh-any'));
    const named = await run('/usr/bin/env', ['-i', join(cwd, 'tsh-any'), 'tsh-keygen', '-V'], { cwd });
    expect(named.stderr).toContain(`tsh-keygen ${VERSION} `);
    const bare = await run('/usr/bin/env', ['-i', join(cwd, 'tsh-any')], { cwd });
    expect(bare.code).toBe(255);
    expect(bare.stderr).toContain('call this program as tsh, tshd, tsh-sftp or tsh-keygen');
  });

  it('tsh-keygen makes a key that ssh-keygen reads, and fingerprints it as ssh-keygen does', async () => {
    const key = join(cwd, 'id_test');
    const r = await sea('tsh-keygen', ['-t', 'ed25519', '-f', key, '-N', '', '-C', 'dist-test']);
    expect(r.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).split(' ').slice(0, 2)).toEqual(readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2));
    const l = await sea('tsh-keygen', ['-l', '-f', key]);
    expect(l.code).toBe(0);
    expect(l.stdout).toBe(execFileSync('ssh-keygen', ['-l', '-f', key], { encoding: 'utf8' }));
  });

  it('tshd -t checks a configuration', async () => {
    const dir = join(cwd, 'tshd-t');
    mkdirSync(dir);
    expect((await sea('tsh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')])).code).toBe(0);
    writeFileSync(join(dir, 'good'), `HostKey ${join(dir, 'host')}\nPort 2\n`);
    writeFileSync(join(dir, 'bad'), `HostKey ${join(dir, 'host')}\nNoSuchKeyword yes\n`);
    const good = await sea('tshd', ['-t', '-f', join(dir, 'good')]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    const bad = await sea('tshd', ['-t', '-f', join(dir, 'bad')]);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toContain('NoSuchKeyword');
  });
});

describe('tshd from the single executable, as root, serving a user to OpenSSH', () => {
  const user = `tshdist${process.pid % 10000}`;
  let client: { path: string; cleanup: () => void };
  let dir: string;
  let port: number;
  let daemon: ReturnType<typeof spawn> | undefined;
  let log = '';

  const sshOpts = (p: number): string[] => [
    '-p', String(p),
    '-i', join(client.path, 'id'),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
  ];
  const ssh = (args: readonly string[], p = port, timeoutMs = 20_000) =>
    run('/usr/bin/ssh', [...sshOpts(p), ...args], { home: client.path, timeoutMs });

  /** Waits (bounded) until the daemon's log matches. */
  async function waitLog(what: string): Promise<void> {
    for (let i = 0; i < 200 && !log.includes(what); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log).toContain(what);
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests need root (CI runs them as root): they create a system user');
    client = tempDir('tsh-dist-client-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(client.path, 'id')]);
    execFileSync('useradd', ['-m', '-s', '/bin/bash', '-p', '*', user]);
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    mkdirSync(`/home/${user}/.ssh`, { mode: 0o700 });
    writeFileSync(`/home/${user}/.ssh/authorized_keys`, readFileSync(join(client.path, 'id.pub')), { mode: 0o600 });
    chownSync(`/home/${user}/.ssh`, uid, gid);
    chownSync(`/home/${user}/.ssh/authorized_keys`, uid, gid);
    dir = join(work, 'tshd');
    mkdirSync(dir);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
    writeFileSync(join(dir, 'config'), [`HostKey ${join(dir, 'host')}`, 'ListenAddress 127.0.0.1', `PidFile ${join(dir, 'pid')}`, 'Subsystem sftp internal-sftp', 'PerSourcePenalties no', ''].join('\n'));
    port = await freePort();
    daemon = spawn('/usr/bin/env', ['-i', bin('tshd'), '-D', '-e', '-f', join(dir, 'config'), '-p', String(port)], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
    await waitLog(`Server listening on 127.0.0.1 port ${port}.`);
  }, 30_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    try {
      execFileSync('userdel', ['-r', '-f', user], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    client?.cleanup();
  });

  it('runs a command as the user', async () => {
    const r = await ssh([`${user}@127.0.0.1`, 'id -un; echo "$HOME"']);
    expect(r.stdout).toBe(`${user}\n/home/${user}\n`);
    expect(r.code).toBe(0);
  });

  it('speaks SSH in its protocol process, the same binary in the tshd-net role, as the unprivileged account', () => {
    const kids = readFileSync(`/proc/${daemon!.pid}/task/${daemon!.pid}/children`, 'utf8').split(' ').filter((s) => s !== '');
    const net = kids.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--tsh-role=tshd-net'));
    expect(net).toBeDefined();
    const statusText = readFileSync(`/proc/${net}/status`, 'utf8');
    const sshdUid = execFileSync('getent', ['passwd', 'sshd'], { encoding: 'utf8' }).split(':')[2];
    expect(/^Uid:\s+(\d+)/m.exec(statusText)?.[1]).toBe(sshdUid);
    expect(/^NoNewPrivs:\s+(\d)/m.exec(statusText)?.[1]).toBe('1');
  });

  it('gives an interactive login shell a PTY (node-pty, carried inside the binary)', async () => {
    const s = runPty('/usr/bin/ssh', [...sshOpts(port), `${user}@127.0.0.1`], { home: client.path });
    try {
      s.write('echo "pty-$((6*7))"; tty; exit 7\r');
      await s.expect(/pty-42\n\/dev\/pts\/\d+/);
      expect(await s.exit()).toBe(7);
    } finally {
      s.kill();
    }
    // The addon was written once to root's private cache, named after its content.
    const want = createHash('sha256').update(readFileSync(join(ROOT, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'))).digest('hex').slice(0, 16);
    expect(lstatSync('/var/cache/tsh').mode & 0o777).toBe(0o700);
    expect(statSync(`/var/cache/tsh/pty-${want}.node`).isFile()).toBe(true);
  });

  it('forwards -W through the per-user worker, which the binary runs under its role flag', async () => {
    let held: Socket | undefined;
    const target = createServer((sock) => {
      held = sock;
      sock.write('hello from the target\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const tport = (target.address() as { port: number }).port;
    const child = spawn('/usr/bin/ssh', [...sshOpts(port), '-W', `127.0.0.1:${tport}`, `${user}@127.0.0.1`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    try {
      for (let i = 0; i < 200 && !out.includes('hello'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toBe('hello from the target\n');
      const procs = execFileSync('ps', ['-u', user, '-o', 'args='], { encoding: 'utf8' });
      expect(procs).toContain(`${bin('tsh')} --tsh-role=user-worker`);
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      held!.end();
      child.stdin.end();
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))])).toBe(0);
    } finally {
      child.kill('SIGKILL');
      target.close();
    }
  });

  it('serves internal-sftp to OpenSSH sftp, as the user', async () => {
    const data = randomBytes(300_000);
    writeFileSync(join(cwd, 'up.bin'), data);
    writeFileSync(join(cwd, 'batch'), `put ${join(cwd, 'up.bin')} up.bin\nget up.bin ${join(cwd, 'down.bin')}\nls -l up.bin\n`);
    const r = await run('/usr/bin/sftp', ['-b', join(cwd, 'batch'), ...sshOpts(port).map((a) => (a === '-p' ? '-P' : a)), `${user}@127.0.0.1`], { home: client.path });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`-rw-r--r-- .* ${user} +${user} +300000 `));
    expect(readFileSync(join(cwd, 'down.bin')).equals(data)).toBe(true);
    expect(statSync(`/home/${user}/up.bin`).uid).toBe(Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })));
    expect(log).toContain(`session opened for local user ${user} from [127.0.0.1]: internal-sftp`);
  });

  it('checks a password through PAM (the PAM addon, carried inside the binary)', async () => {
    ensurePamService();
    execFileSync('chpasswd', [], { input: `${user}:dist-pw-1\n` });
    const cfg = join(dir, 'config-pam');
    writeFileSync(cfg, [`HostKey ${join(dir, 'host')}`, 'ListenAddress 127.0.0.1', 'PidFile none', 'UsePAM yes', 'PasswordAuthentication yes', 'PerSourcePenalties no', ''].join('\n'));
    const port3 = await freePort();
    const pamd = spawn('/usr/bin/env', ['-i', bin('tshd'), '-D', '-e', '-f', cfg, '-p', String(port3)], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let pamLog = '';
    pamd.stderr!.on('data', (d: Buffer) => (pamLog += d.toString('utf8')));
    try {
      for (let i = 0; i < 200 && !pamLog.includes('Server listening'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pamLog).toContain('Password checks: PAM service "tshd"');
      const pw = (password: string) =>
        run(
          '/usr/bin/sshpass',
          ['-p', password, '/usr/bin/ssh', '-p', String(port3), ...['PubkeyAuthentication=no', 'PreferredAuthentications=password', 'NumberOfPasswordPrompts=1', 'StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'].flatMap((o) => ['-o', o]), `${user}@127.0.0.1`, 'echo pam-ok'],
          { home: client.path },
        );
      const ok = await pw('dist-pw-1');
      expect(ok.stdout).toBe('pam-ok\n');
      expect(ok.code).toBe(0);
      expect((await pw('wrong')).code).toBe(255);
      expect(pamLog).toContain(`Accepted password for ${user} from 127.0.0.1`);
    } finally {
      pamd.kill('SIGTERM');
    }
  });

  it('detaches without -D: the copy it starts serves', async () => {
    const port2 = await freePort();
    const cfg = join(dir, 'config2');
    writeFileSync(cfg, readFileSync(join(dir, 'config'), 'utf8').replace(join(dir, 'pid'), join(dir, 'pid2')));
    const r = await sea('tshd', ['-f', cfg, '-p', String(port2)]);
    expect(r.code).toBe(0);
    // The parent returns once the copy listens; the copy writes its PidFile just after.
    const pidFile = join(dir, 'pid2');
    for (let i = 0; i < 100 && !(existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n')); i++) await new Promise((w) => setTimeout(w, 50));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--tsh-role=tshd');
      const e = await ssh([`${user}@127.0.0.1`, 'echo detached-ok'], port2);
      expect(e.stdout).toBe('detached-ok\n');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    // Bounded: the daemon lets go of its port.
    let open = true;
    for (let i = 0; i < 100 && open; i++) {
      open = await new Promise<boolean>((res) => {
        const s = connect(port2, '127.0.0.1', () => (s.destroy(), res(true)));
        s.on('error', () => res(false));
      });
      if (open) await new Promise((w) => setTimeout(w, 50));
    }
    expect(open).toBe(false);
  });
});

describe('tsh and tsh-sftp from the single executable, against OpenSSH sshd', () => {
  let sshd: Sshd;
  let home: ClientHome;
  beforeAll(async () => {
    home = clientHome();
    sshd = await startSshd({ authorizedKeys: [home.pub] });
    trustSshd(home, sshd);
  });
  afterAll(async () => {
    await sshd?.stop();
    home?.cleanup();
  });

  const dest = (): string[] => ['-p', String(sshd.port), '-o', 'BatchMode=yes', 'root@127.0.0.1'];

  it('runs a remote command, with an AES-GCM and with the chacha20-poly1305 cipher', async () => {
    for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']) {
      const r = await sea('tsh', ['-c', cipher, ...dest(), 'echo "$((6*7))"; exit 3'], { HOME: home.home });
      expect(r.stdout).toBe('42\n');
      expect(r.code).toBe(3);
    }
  });

  it('tsh -f goes to the background: the copy it starts runs the command', async () => {
    const file = join(cwd, 'from-background');
    const r = await sea('tsh', ['-f', ...dest(), `sleep 0.3; echo bg > ${file}`], { HOME: home.home });
    expect(r.code).toBe(0);
    for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((w) => setTimeout(w, 50));
    for (let i = 0; i < 20 && readFileSync(file, 'utf8') === ''; i++) await new Promise((w) => setTimeout(w, 50));
    expect(readFileSync(file, 'utf8')).toBe('bg\n');
  });

  it('tsh-sftp puts and gets a file', async () => {
    const data = randomBytes(200_000);
    writeFileSync(join(cwd, 'sftp-up'), data);
    writeFileSync(join(cwd, 'sftp-batch'), `put ${join(cwd, 'sftp-up')} ${join(sshd.dir, 'sftp-remote')}\nget ${join(sshd.dir, 'sftp-remote')} ${join(cwd, 'sftp-down')}\n`);
    const r = await sea('tsh-sftp', ['-b', join(cwd, 'sftp-batch'), '-P', String(sshd.port), '-o', 'BatchMode=yes', 'root@127.0.0.1'], { HOME: home.home });
    expect(r.code).toBe(0);
    expect(readFileSync(join(cwd, 'sftp-down')).equals(data)).toBe(true);
  });
});
