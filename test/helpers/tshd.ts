/**
 * Runs tshd (the built dist/bin/tshd.js) in the foreground (-D -e) on a free 127.0.0.1 port with
 * a config file of the test's, and stops it by PID. Its log (stderr) is kept for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { binPath, ROOT, tempDir } from './run.js';
import { freePort } from './sshd.js';

/** Waits (bounded) until 127.0.0.1:port accepts connections. */
export async function waitPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`tshd never listened on port ${port}`);
}

export interface Tshd {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly configPath: string;
  /** The host's ed25519 public key line. */
  readonly hostKey: string;
  log(): string;
  /** Waits until the log matches (bounded). */
  waitLog(what: RegExp | string, timeoutMs?: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<number | null>;
}

/**
 * `waitListening`: wait for the "Server listening" log line (false when the configuration's
 * LogLevel hides it: the port is polled instead).
 */
export async function startTshd(config: readonly string[], env: Record<string, string> = {}, waitListening = true): Promise<Tshd> {
  const { path: dir, cleanup } = tempDir('tshd-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tshd-test', '-f', join(dir, 'host_ed25519')]);
  const hostKey = execFileSync('cat', [join(dir, 'host_ed25519.pub')], { encoding: 'utf8' }).trim();
  const configPath = join(dir, 'tshd_config');
  writeFileSync(configPath, [`HostKey ${join(dir, 'host_ed25519')}`, 'ListenAddress 127.0.0.1', `PidFile ${join(dir, 'tshd.pid')}`, ...config, ''].join('\n'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [binPath('tshd'), '-D', '-e', '-f', configPath, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', ...env },
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const waitLog = (what: RegExp | string, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const test = (): boolean => (typeof what === 'string' ? log.includes(what) : what.test(log));
      const deadline = setTimeout(() => {
        clearInterval(tick);
        reject(new Error(`tshd log never showed ${String(what)}:\n${log}`));
      }, timeoutMs);
      const tick = setInterval(() => {
        if (test()) {
          clearInterval(tick);
          clearTimeout(deadline);
          resolve();
        }
      }, 20);
    });
  if (waitListening) await waitLog(`Server listening on 127.0.0.1 port ${port}.`);
  else await waitPort(port);
  return {
    port,
    pid: child.pid!,
    dir,
    configPath,
    hostKey,
    log: () => log,
    waitLog,
    signal: (sig) => child.kill(sig),
    stop: () =>
      new Promise((resolve) => {
        const finish = (code: number | null): void => {
          cleanup();
          resolve(code);
        };
        if (child.exitCode !== null) return finish(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          finish(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Installs contrib/pam.d/tshd as /etc/pam.d/tshd when it is missing or older, as a package install would.
 * It is left in place: test files run in parallel, and one removing it would break another.
 */
export function ensurePamService(): void {
  const target = '/etc/pam.d/tshd';
  const wanted = readFileSync(join(ROOT, 'contrib', 'pam.d', 'tshd'));
  if (existsSync(target) && readFileSync(target).equals(wanted)) return;
  // An older copy is replaced whole (temp + rename), so a parallel test never reads half a file.
  const tmp = `${target}.tsh-test-${process.pid}`;
  writeFileSync(tmp, wanted, { mode: 0o644 });
  renameSync(tmp, target);
}
