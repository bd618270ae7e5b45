/**
 * `-f` (ForkAfterAuthentication). ssh authenticates, sets up its forwards, then daemon()s: the
 * parent exits 0 and the child carries on (ssh.c fork_postauth()). Node cannot fork, so tsh runs
 * a copy of itself with the same arguments and TSH_FORK_CHILD=1 in its environment:
 *
 * - the copy does everything ssh would, prompting on the same terminal (it stays in the same
 *   session so /dev/tty is still there), and when authenticated with every forward up (remote
 *   forwards confirmed) writes "ready" on the pipe that is its fd 3 (forkChildReady()). From then
 *   on it ignores the terminal's SIGINT/SIGHUP and, unless logging at debug level, stays quiet,
 *   as ssh does with stderr on /dev/null after daemon();
 * - the foreground tsh (runInBackground()) relays the copy's messages (its stderr is a pipe) until
 *   then and exits 0 on "ready", or with the copy's exit status when it ends first (a failed
 *   login: 255, ExitOnForwardFailure: 255, a quick command: its status).
 *
 * stdin is /dev/null (-f implies -n). With a session, stdout and stderr are shared, so the remote
 * command's output still reaches them (ssh keeps dup()s of them); with -N stdout is /dev/null
 * and stderr a pipe the foreground tsh relays until "ready" (ssh: /dev/null after daemon()),
 * unless -v keeps it.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Io } from '../io.js';
import { selfEntry } from '../self.js';

export const FORK_ENV = 'TSH_FORK_CHILD';
const READY = 'ready\n';

export function isForkChild(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[FORK_ENV] === '1';
}

/** In the copy: tell the foreground tsh that it may exit. */
export function forkChildReady(): void {
  try {
    writeSync(3, READY);
    closeSync(3);
  } catch {
    // The foreground tsh is gone already.
  }
}

/** In the foreground: run the copy and wait until it is ready or ends. */
export function runInBackground(opts: { session: boolean; keepStderr: boolean; io: Io }): Promise<number> {
  const { io } = opts;
  // process.argv is read here only: the copy must run exactly as this tsh was started. In a
  // single executable argv[1] is no script: selfEntry() names the role there instead.
  const argv = [...process.execArgv, selfEntry('tsh', process.argv[1]!), ...process.argv.slice(2)];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
  env[FORK_ENV] = '1';
  const child = spawn(process.execPath, argv, {
    argv0: process.argv0,
    cwd: io.cwd,
    env,
    stdio: ['ignore', opts.session ? 'inherit' : 'ignore', opts.session || opts.keepStderr ? 'inherit' : 'pipe', 'pipe'],
  });
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      child.stderr?.unpipe(io.stderr);
      child.stderr?.destroy();
      (child.stdio[3] as Readable | null)?.destroy();
      child.unref();
      resolve(code);
    };
    child.stderr?.pipe(io.stderr, { end: false });
    let got = '';
    const ready = child.stdio[3] as Readable | null;
    ready?.on('data', (d: Buffer) => {
      got += d.toString('utf8');
      // Let the copy's last messages ("Allocated port ...") through first.
      if (got.includes(READY)) setTimeout(() => finish(0), 50);
    });
    ready?.on('error', () => undefined);
    child.on('error', (err) => {
      io.stderr.write(`tsh: ${err.message}\r\n`);
      finish(255);
    });
    child.on('exit', (code, signal) => finish(code ?? (signal ? 255 : 0)));
  });
}
