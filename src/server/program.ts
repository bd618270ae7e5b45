/**
 * A session's program, started as the user (the privileged half of sshd's session.c; the channel
 * half is session.ts): what runs (the shell, `shell -c command`, a subsystem, internal-sftp, the
 * forced command of ForceCommand or command=, passwd(1) for an expired password), inside a
 * ChrootDirectory or not, on a pty (node-pty) or on pipes, with the environment built from scratch
 * (USER, LOGNAME, HOME, SHELL, PATH, MAIL, SSH_CLIENT, SSH_CONNECTION, SSH_TTY, TERM, then SetEnv,
 * accepted client variables, PermitUserEnvironment and PAM's): nothing of the daemon's own
 * environment (NODE_OPTIONS, ...) reaches the user's programs.
 *
 * It runs where root is (the monitor, or tshd's only process when it is not root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { matchPatternList } from '../pattern.js';
import { selfEntry } from '../self.js';
import { dropTo, groupIdsOf } from './accounts.js';
import type { KeyOptions } from './authorized-keys.js';
import { chrootProblem, inChroot } from './chroot.js';
import type { Program, ProgramRequest } from './privsep/rpc.js';
import type { Account } from './session.js';

/** What the monitor knows of an authenticated connection that decides what its sessions run. */
export interface ProgramContext {
  readonly account: Account;
  readonly remote: { readonly address: string; readonly port: number };
  readonly local: { readonly address: string; readonly port: number };
  readonly setEnv: readonly string[];
  readonly subsystems: ReadonlyMap<string, string>;
  /** The options of the authorized_keys line used to log in (null: none apply). */
  readonly keyOptions: KeyOptions | null;
  /** ForceCommand from the configuration: wins over the key's command=. */
  readonly forceCommand: string | null;
  /** PrintMotd: /etc/motd before an interactive login shell. */
  readonly printMotd: boolean;
  /** PermitUserEnvironment: ~/.ssh/environment and environment= options, filtered by the allowlist. */
  readonly permitUserEnvironment: { readonly enabled: boolean; readonly allowlist: string | null };
  /** ChrootDirectory for this session (expanded), or null. */
  readonly chroot: string | null;
  /** UsePAM: PAM's environment for the session (pam_getenvlist after pam_open_session), "NAME=value". */
  readonly pamEnv: readonly string[];
  /**
   * PAM said the password has expired (a public key login): as sshd, every program is replaced
   * by passwd(1) when there is a pty, and refused without one.
   */
  readonly mustChangePassword: boolean;
  readonly log: (line: string) => void;
}

/** A started program, before it is given to the protocol side. */
export type Spawned = { readonly kind: 'pty'; readonly term: pty.IPty } | { readonly kind: 'pipes'; readonly child: ChildProcess };

export interface Started {
  readonly stdout: string;
  readonly stderr: string;
  readonly spawned: Spawned | null;
  readonly status: number;
}

const HAVE_BASH = existsSync('/bin/bash');

/** tshd's SFTP server program, next to this module once built (dist/src/sftp/server/). */
const SFTP_SERVER = fileURLToPath(new URL('../sftp/server/stdio-main.js', import.meta.url));

/** "internal-sftp [args]" in a Subsystem line or a forced command. */
function isInternalSftp(cmdline: string): boolean {
  return cmdline.trim().split(/\s+/)[0] === 'internal-sftp';
}

/** PAM variables that never reach a session (sshd's PAM_ENV_DENYLIST). */
const PAM_ENV_DENYLIST = 'SSH_AUTH_INFO*,SSH_CONNECTION*';

/** sshd's default PATH (_PATH_STDPATH as Debian builds it). */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/games';

export const SIGNALS = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

export function signalName(signo: number): string {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === signo) return name.replace(/^SIG/, '');
  return `SIG${signo}`;
}

/**
 * PermitUserEnvironment's variables: ~/.ssh/environment (read as the user, never as root: it
 * could be a link to a file only root may read), then the key's environment= options, keeping the
 * names the allowlist matches.
 */
export function userEnvironment(ctx: ProgramContext): Map<string, string> {
  const out = new Map<string, string>();
  const pue = ctx.permitUserEnvironment;
  if (!pue.enabled) return out;
  const allowed = (name: string): boolean => pue.allowlist === null || matchPatternList(name, pue.allowlist, false) === 1;
  const add = (line: string): void => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const i = t.indexOf('=');
    if (i <= 0) return;
    const name = t.slice(0, i);
    if (allowed(name)) out.set(name, t.slice(i + 1));
  };
  const file = `${ctx.account.home}/.ssh/environment`;
  const argv = dropTo(ctx.account, ['/bin/cat', '--', file]);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.status === 0) for (const line of r.stdout.split('\n')) add(line);
  for (const kv of ctx.keyOptions?.environment ?? []) add(kv);
  return out;
}

/** The environment of a session's program. */
export function sessionEnvironment(ctx: ProgramContext, clientEnv: ReadonlyMap<string, string>, term: string | null, tty: string | null): Record<string, string> {
  const a = ctx.account;
  const env: Record<string, string> = {
    USER: a.name,
    LOGNAME: a.name,
    HOME: a.home,
    PATH: DEFAULT_PATH,
    MAIL: `/var/mail/${a.name}`,
    SHELL: a.shell,
  };
  for (const kv of ctx.setEnv) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  for (const [k, v] of clientEnv) env[k] = v;
  for (const [k, v] of userEnvironment(ctx)) env[k] = v;
  // PAM's variables (pam_env, ...), without those PAM must not set (sshd's PAM_ENV_DENYLIST).
  for (const kv of ctx.pamEnv) {
    const i = kv.indexOf('=');
    if (i > 0 && matchPatternList(kv.slice(0, i), PAM_ENV_DENYLIST, false) !== 1) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  env.SSH_CLIENT = `${ctx.remote.address} ${ctx.remote.port} ${ctx.local.port}`;
  env.SSH_CONNECTION = `${ctx.remote.address} ${ctx.remote.port} ${ctx.local.address} ${ctx.local.port}`;
  if (tty !== null) env.SSH_TTY = tty;
  if (term !== null) env.TERM = term;
  return env;
}

/** Starts what a shell, exec or subsystem request runs. */
export function startProgram(ctx: ProgramContext, req: ProgramRequest): Started {
  const clientEnv = new Map<string, string>(req.env.map(([k, v]) => [k, v]));
  const a = ctx.account;
  let stdout = '';
  let stderr = '';
  const done = (status: number): Started => ({ stdout, stderr, spawned: null, status });

  /** command= in authorized_keys replaces what the client asked for (SSH_ORIGINAL_COMMAND). */
  const forced = (original: string | null): string | null => {
    const fromConfig = ctx.forceCommand;
    const cmd = fromConfig ?? ctx.keyOptions?.forceCommand ?? null;
    if (cmd === null) return null;
    if (original !== null) clientEnv.set('SSH_ORIGINAL_COMMAND', original);
    ctx.log(`Forced command (${fromConfig !== null ? 'config' : 'key option'}) '${cmd}'`);
    return cmd;
  };

  const run = (argv: readonly string[], login: boolean, opts: { noChroot?: boolean; passwordChange?: boolean } = {}): Started => {
    const chrooted = ctx.chroot !== null && opts.noChroot !== true;
    const asUser = (cmd: readonly string[]): string[] => (chrooted ? inChroot(ctx.chroot!, a, groupIdsOf(a), cmd) : dropTo(a, cmd));
    if (chrooted) {
      const problem = chrootProblem(ctx.chroot!);
      if (problem !== null) {
        ctx.log(`fatal: ${problem}`);
        stderr += `${problem}\r\n`;
        return done(255);
      }
    }
    // sshd's do_pwchange: an expired password is changed with passwd(1) on the pty, and the
    // connection then ends; without a pty nothing runs.
    if (ctx.mustChangePassword && !opts.passwordChange) {
      if (!req.pty) {
        stderr += 'WARNING: Your password has expired.\nPassword change required but no TTY available.\n';
        return done(1);
      }
      // sshd's child writes these to its stderr, the pty (which turns \n into \r\n).
      stdout += 'WARNING: Your password has expired.\r\nYou must change your password now and login again!\r\n';
      ctx.log(`Password change required for ${a.name}: running passwd`);
      return run(['/usr/bin/passwd'], false, { passwordChange: true });
    }
    // A login shell's argv[0] is "-" + its name, as sshd execs it.
    const argv0 = login ? `-${a.shell.split('/').pop()}` : argv[0]!;
    if (req.pty) {
      // The pty's name is known only once it exists: a small shell sets SSH_TTY, then execs the
      // program with its argv[0] (bash's exec -a; plain sh cannot set argv[0]).
      const launcher =
        HAVE_BASH && ctx.chroot === null
          ? ['/bin/bash', '-c', 'SSH_TTY=$(tty); export SSH_TTY; exec -a "$0" "$@"', argv0, ...argv]
          : ['/bin/sh', '-c', 'SSH_TTY=$(tty); export SSH_TTY; exec "$@"', 'sh', ...argv];
      const [file, ...args] = asUser(launcher);
      const term = pty.spawn(file!, args, {
        name: req.pty.term,
        cols: req.pty.cols,
        rows: req.pty.rows,
        cwd: ctx.chroot !== null ? '/' : a.home,
        env: sessionEnvironment(ctx, clientEnv, req.pty.term, null),
        encoding: null,
      });
      return { stdout, stderr, spawned: { kind: 'pty', term }, status: 0 };
    }
    const direct = !chrooted && dropTo(a, argv).length === argv.length;
    const full = direct || !login || !HAVE_BASH || chrooted ? asUser(argv) : asUser(['/bin/bash', '-c', 'exec -a "$0" "$@"', argv0, ...argv]);
    const child = spawn(full[0]!, full.slice(1), {
      cwd: ctx.chroot !== null ? '/' : a.home,
      env: sessionEnvironment(ctx, clientEnv, null, null),
      stdio: ['pipe', 'pipe', 'pipe'],
      argv0: direct && login ? argv0 : undefined,
    });
    return { stdout, stderr, spawned: { kind: 'pipes', child }, status: 0 };
  };

  /**
   * internal-sftp: tshd's SFTP server, run as the user like any session program (a Node process
   * through setpriv) on the channel. Inside a ChrootDirectory it confines itself to it (-C): the
   * node binary is not inside the chroot, so it resolves every path within it instead.
   */
  const internalSftp = (cmdline: string): Started => {
    const args = cmdline.trim().split(/\s+/).slice(1);
    if (ctx.chroot !== null) {
      const problem = chrootProblem(ctx.chroot);
      if (problem !== null) {
        ctx.log(`fatal: ${problem}`);
        return done(255);
      }
      args.unshift('-C', ctx.chroot);
    }
    ctx.log(`session opened for local user ${a.name} from [${ctx.remote.address}]: internal-sftp`);
    return run([process.execPath, selfEntry('sftp-server', SFTP_SERVER), ...args], false, { noChroot: true });
  };

  if (req.kind === 'shell') {
    const cmd = forced(null);
    if (cmd !== null) return isInternalSftp(cmd) ? internalSftp(cmd) : run([a.shell, '-c', cmd], false);
    if (req.pty && ctx.printMotd) {
      try {
        stdout += readFileSync('/etc/motd', 'utf8').replace(/\r?\n/g, '\r\n');
      } catch {
        // no motd
      }
    }
    return run([a.shell], true);
  }
  if (req.kind === 'exec') {
    const asked = req.command ?? '';
    const cmd = forced(asked) ?? asked;
    return isInternalSftp(cmd) && cmd !== asked ? internalSftp(cmd) : run([a.shell, '-c', cmd], false);
  }
  const name = req.command ?? '';
  const command = ctx.subsystems.get(name);
  if (command === undefined) {
    ctx.log(`subsystem request for ${name} by user ${a.name} failed, subsystem not found`);
    return done(1);
  }
  const cmd = forced(name) ?? command;
  return isInternalSftp(cmd) ? internalSftp(cmd) : run([a.shell, '-c', cmd], false);
}

/** Signals a started program (a name without SIG, one of SIGNALS). */
export function signalSpawned(s: Spawned, name: string): void {
  if (!SIGNALS.has(name)) return;
  try {
    if (s.kind === 'pipes') s.child.kill(`SIG${name}` as NodeJS.Signals);
    else s.term.kill(`SIG${name}`);
  } catch {
    // already gone
  }
}

/** How a started program ends: its status or signal, or why it could not start. */
export function exitOf(s: Spawned): Promise<{ code: number; signal: string | null; error?: string }> {
  return new Promise((resolve) => {
    if (s.kind === 'pty') {
      s.term.onExit(({ exitCode, signal }) => resolve({ code: exitCode, signal: signal ? signalName(signal) : null }));
      return;
    }
    s.child.once('error', (err) => resolve({ code: 127, signal: null, error: err.message }));
    s.child.once('exit', (code, sig) => resolve({ code: code ?? 0, signal: sig ? sig.replace(/^SIG/, '') : null }));
  });
}

/** A program started in this process, as the protocol side uses it (tshd not running as root). */
export function localProgram(s: Spawned): Program {
  const exited = exitOf(s);
  if (s.kind === 'pipes') {
    const c = s.child;
    c.stdin!.on('error', () => undefined);
    return {
      input: c.stdin!,
      output: c.stdout!,
      errors: c.stderr!,
      signal: (name) => signalSpawned(s, name),
      resize: () => undefined,
      exited,
    };
  }
  const t = s.term;
  const output = new PassThrough();
  t.onData((d: string | Buffer) => output.write(d));
  void exited.then(() => output.end());
  const input = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        t.write(chunk as unknown as string);
      } catch {
        // the pty is gone
      }
      cb();
    },
  });
  return {
    input,
    output,
    errors: null,
    signal: (name) => signalSpawned(s, name),
    resize: (cols, rows) => {
      try {
        t.resize(Math.max(1, cols), Math.max(1, rows));
      } catch {
        // the pty is gone
      }
    },
    exited,
  };
}
