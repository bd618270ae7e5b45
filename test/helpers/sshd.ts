/**
 * Starts a real OpenSSH sshd (openssh-server) on 127.0.0.1 on a free port, with its own host keys
 * and config in a temporary directory, and stops it by PID. Interop tests use it as the peer.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './run.js';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** Host public key lines (ed25519, ecdsa, rsa), as in the .pub files. */
  readonly hostKeys: { ed25519: string; ecdsa: string; rsa: string };
  /** What sshd logged so far (it runs with -e). */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Public key lines to authorize (written to an AuthorizedKeysFile in the temp dir). */
  authorizedKeys?: string[];
  /** Extra sshd_config lines. */
  config?: string[];
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function requireOpenSsh(): void {
  for (const p of [SSHD, '/usr/bin/ssh', '/usr/bin/ssh-keygen']) {
    if (!existsSync(p)) throw new Error(`${p} is missing: install openssh-server and openssh-client (.ci/run does)`);
  }
}

/** Whether `lines` set `keyword` before any Match block (where sshd would take it first). */
function hasGlobal(lines: readonly string[], keyword: string): boolean {
  for (const l of lines) {
    const word = l.trim().split(/[\s=]+/)[0]?.toLowerCase();
    if (word === 'match') return false;
    if (word === keyword) return true;
  }
  return false;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  requireOpenSsh();
  const { path: dir, cleanup } = tempDir('tsh-sshd-');
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys = { ed25519: '', ecdsa: '', rsa: '' };
  for (const t of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const key = join(dir, `ssh_host_${t}_key`);
    execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', `sshd-${t}`, '-f', key]);
    hostKeys[t] = readFileSync(`${key}.pub`, 'utf8').trim();
  }
  const authKeys = join(dir, 'authorized_keys');
  writeFileSync(authKeys, (opts.authorizedKeys ?? []).map((l) => `${l}\n`).join(''), { mode: 0o600 });
  const config = [
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `HostKey ${join(dir, 'ssh_host_ecdsa_key')}`,
    `HostKey ${join(dir, 'ssh_host_rsa_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authKeys}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'LogLevel VERBOSE',
    `Subsystem sftp /usr/lib/openssh/sftp-server`,
    // Debian's bash reads ~/.bashrc for `bash -c` under sshd unless SHLVL says it is not the
    // top-level shell. The tests log in as whoever runs them (root in CI), and a login's rc
    // files are not under test: this root's ~/.bashrc runs `pyenv rehash`, whose lock makes
    // parallel sessions print "pyenv: cannot rehash" at random. (sshd takes the first SetEnv:
    // a test's own SetEnv replaces this one.)
    ...(hasGlobal(opts.config ?? [], 'setenv') ? [] : ['SetEnv SHLVL=1']),
    ...(opts.config ?? []),
  ];
  const cfgPath = join(dir, 'sshd_config');
  writeFileSync(cfgPath, `${config.join('\n')}\n`, { mode: 0o600 });

  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(SSHD, ['-D', '-e', '-f', cfgPath, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
    const ready = await waitListening(child, () => log, port);
    if (ready === 'ok') {
      return {
        port,
        pid: child.pid!,
        dir,
        hostKeys,
        log: () => log,
        stop: async () => {
          await stopChild(child);
          cleanup();
        },
      };
    }
    await stopChild(child);
    if (!/Address already in use|Bind to port/.test(log)) {
      cleanup();
      throw new Error(`sshd did not start: ${log}`);
    }
  }
  cleanup();
  throw new Error('sshd: no free port after 5 attempts');
}

function waitListening(child: ChildProcess, log: () => string, port: number): Promise<'ok' | 'failed'> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => done('failed'), 10_000);
    const tick = setInterval(() => {
      if (log().includes(`Server listening on 127.0.0.1 port ${port}`)) done('ok');
    }, 20);
    const onExit = (): void => done('failed');
    child.once('exit', onExit);
    function done(v: 'ok' | 'failed'): void {
      clearTimeout(deadline);
      clearInterval(tick);
      child.off('exit', onExit);
      resolve(v);
    }
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
