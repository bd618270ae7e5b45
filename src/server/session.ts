/**
 * One session channel on the daemon side, as sshd's session.c serves it: pty-req (node-pty,
 * TERM and size), env (AcceptEnv), shell (a login shell), exec (`shell -c command`), subsystem (a
 * configured program), window-change, signal, and the exit-status or exit-signal at the end.
 *
 * The environment is built from scratch (USER, LOGNAME, HOME, SHELL, PATH, MAIL, SSH_CLIENT,
 * SSH_CONNECTION, SSH_TTY, TERM, then SetEnv and accepted client variables): nothing of the
 * daemon's own environment (NODE_OPTIONS, ...) reaches the user's programs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { bridge } from './forwarding.js';
import { constants as osConstants } from 'node:os';
import pty from 'node-pty';
import type { ServerChannel, Session } from 'ssh2';
import { matchPattern, matchPatternList } from '../pattern.js';
import type { KeyOptions } from './authorized-keys.js';
import { dropTo, groupIdsOf } from './accounts.js';
import { chrootProblem, inChroot } from './chroot.js';
import { selfEntry } from '../self.js';

export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

export interface SessionContext {
  readonly account: Account;
  readonly remote: { readonly address: string; readonly port: number };
  readonly local: { readonly address: string; readonly port: number };
  readonly acceptEnv: readonly string[];
  readonly setEnv: readonly string[];
  readonly permitTty: boolean;
  readonly subsystems: ReadonlyMap<string, string>;
  /** The options of the authorized_keys line used to log in (null: none apply). */
  readonly keyOptions: KeyOptions | null;
  /** ForceCommand from the configuration: wins over the key's command=. */
  readonly forceCommand: string | null;
  /** PrintMotd: /etc/motd before an interactive login shell. */
  readonly printMotd: boolean;
  /** PermitUserEnvironment: ~/.ssh/environment and environment= options, filtered by the allowlist. */
  readonly permitUserEnvironment: { readonly enabled: boolean; readonly allowlist: string | null };
  readonly log: (line: string) => void;
  readonly onClose: () => void;
  /** ChrootDirectory for this session (expanded), or null. */
  readonly chroot: string | null;
  /** UsePAM: PAM's environment for the session (pam_getenvlist after pam_open_session), "NAME=value". */
  readonly pamEnv?: readonly string[];
  /**
   * PAM said the password has expired (a public key login): as sshd, every program is replaced
   * by passwd(1) when there is a pty, and refused without one.
   */
  readonly mustChangePassword?: boolean;
  /** Agent forwarding: allowed or not, and how to make the socket and reach the client's agent. */
  readonly agent: { readonly allowed: boolean; readonly listen: () => Promise<{ server: Server; path: string }>; readonly open: (cb: (err: Error | undefined, channel?: Duplex) => void) => void } | null;
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

const SIGNALS = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

function signalName(signo: number): string {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === signo) return name.replace(/^SIG/, '');
  return `SIG${signo}`;
}

/**
 * PermitUserEnvironment's variables: ~/.ssh/environment (read as the user, never as root: it
 * could be a link to a file only root may read), then the key's environment= options, keeping the
 * names the allowlist matches.
 */
export function userEnvironment(ctx: SessionContext): Map<string, string> {
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
export function sessionEnvironment(ctx: SessionContext, clientEnv: ReadonlyMap<string, string>, term: string | null, tty: string | null): Record<string, string> {
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
  for (const kv of ctx.pamEnv ?? []) {
    const i = kv.indexOf('=');
    if (i > 0 && matchPatternList(kv.slice(0, i), PAM_ENV_DENYLIST, false) !== 1) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  env.SSH_CLIENT = `${ctx.remote.address} ${ctx.remote.port} ${ctx.local.port}`;
  env.SSH_CONNECTION = `${ctx.remote.address} ${ctx.remote.port} ${ctx.local.address} ${ctx.local.port}`;
  if (tty !== null) env.SSH_TTY = tty;
  if (term !== null) env.TERM = term;
  return env;
}

export function serveSession(session: Session, ctx: SessionContext): void {
  const clientEnv = new Map<string, string>();
  let ptyReq: { term: string; cols: number; rows: number } | null = null;
  let term: pty.IPty | null = null;
  let child: ChildProcess | null = null;
  let started = false;

  session.on('pty', (accept, reject, info) => {
    if (ctx.keyOptions && !ctx.keyOptions.permitPty) {
      ctx.log('Pty allocation disabled.');
      return reject?.();
    }
    if (!ctx.permitTty || started) return reject?.();
    ptyReq = { term: info.term, cols: info.cols || 80, rows: info.rows || 24 };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (ptyReq) ptyReq = { ...ptyReq, cols: info.cols, rows: info.rows };
    term?.resize(Math.max(1, info.cols), Math.max(1, info.rows));
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (started || !ctx.acceptEnv.some((p) => matchPattern(info.key, p))) {
      ctx.log(`debug2: Ignoring env request ${info.key}: disallowed name`);
      return reject?.();
    }
    clientEnv.set(info.key, info.val);
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    const name = String(info.name).replace(/^SIG/, '');
    if (!SIGNALS.has(name)) return reject?.();
    if (child?.pid) child.kill(`SIG${name}` as NodeJS.Signals);
    else if (term) term.kill(`SIG${name}`);
    else return reject?.();
    accept?.();
  });

  /** argv as the user: setpriv, or chroot (which sets the ids too) when ChrootDirectory applies. */
  let noChroot = false;
  const asUser = (argv: readonly string[]): string[] =>
    ctx.chroot !== null && !noChroot ? inChroot(ctx.chroot, ctx.account, groupIdsOf(ctx.account), argv) : dropTo(ctx.account, argv);
  const run = (channel: ServerChannel, argv: readonly string[], login: boolean, opts: { noChroot?: boolean; passwordChange?: boolean } = {}): void => {
    started = true;
    noChroot = opts.noChroot === true;
    const a = ctx.account;
    if (ctx.chroot !== null && !noChroot) {
      const problem = chrootProblem(ctx.chroot);
      if (problem !== null) {
        ctx.log(`fatal: ${problem}`);
        channel.stderr.write(`${problem}\r\n`);
        finish(channel, 255, null);
        return;
      }
    }
    // sshd's do_pwchange: an expired password is changed with passwd(1) on the pty, and the
    // connection then ends; without a pty nothing runs.
    if (ctx.mustChangePassword === true && !opts.passwordChange) {
      if (!ptyReq) {
        channel.stderr.write('WARNING: Your password has expired.\nPassword change required but no TTY available.\n');
        finish(channel, 1, null);
        return;
      }
      // sshd's child writes these to its stderr, the pty (which turns \n into \r\n).
      channel.write('WARNING: Your password has expired.\r\nYou must change your password now and login again!\r\n');
      ctx.log(`Password change required for ${a.name}: running passwd`);
      run(channel, ['/usr/bin/passwd'], false, { passwordChange: true });
      return;
    }
    // A login shell's argv[0] is "-" + its name, as sshd execs it.
    const argv0 = login ? `-${a.shell.split('/').pop()}` : argv[0]!;
    if (ptyReq) {
      // The pty's name is known only once it exists: a small shell sets SSH_TTY, then execs the
      // program with its argv[0] (bash's exec -a; plain sh cannot set argv[0]).
      const launcher = HAVE_BASH && ctx.chroot === null
        ? ['/bin/bash', '-c', 'SSH_TTY=$(tty); export SSH_TTY; exec -a "$0" "$@"', argv0, ...argv]
        : ['/bin/sh', '-c', 'SSH_TTY=$(tty); export SSH_TTY; exec "$@"', 'sh', ...argv];
      const [file, ...args] = asUser(launcher);
      const t = pty.spawn(file!, args, {
        name: ptyReq.term,
        cols: ptyReq.cols,
        rows: ptyReq.rows,
        cwd: ctx.chroot !== null ? '/' : a.home,
        env: sessionEnvironment(ctx, clientEnv, ptyReq.term, null),
        encoding: null,
      });
      term = t;
      t.onData((d: string | Buffer) => channel.write(d));
      channel.on('data', (d: Buffer) => t.write(d));
      t.onExit(({ exitCode, signal }) => finish(channel, exitCode, signal ? signalName(signal) : null));
      return;
    }
    const chrooted = ctx.chroot !== null && !noChroot;
    const direct = !chrooted && dropTo(a, argv).length === argv.length;
    const full = direct || !login || !HAVE_BASH || chrooted ? asUser(argv) : asUser(['/bin/bash', '-c', 'exec -a "$0" "$@"', argv0, ...argv]);
    const c = spawn(full[0]!, full.slice(1), {
      cwd: ctx.chroot !== null ? '/' : a.home,
      env: sessionEnvironment(ctx, clientEnv, null, null),
      stdio: ['pipe', 'pipe', 'pipe'],
      argv0: direct && login ? argv0 : undefined,
    });
    child = c;
    c.stdout!.pipe(channel, { end: false });
    c.stderr!.pipe(channel.stderr, { end: false });
    channel.pipe(c.stdin!);
    c.stdin!.on('error', () => undefined);
    c.on('error', (err) => {
      channel.stderr.write(`${argv[0]}: ${err.message}\n`);
      finish(channel, 127, null);
    });
    let outputDone = 0;
    let status: { code: number | null; sig: string | null } | null = null;
    const maybeFinish = (): void => {
      if (status && outputDone === 2) finish(channel, status.code ?? 0, status.sig);
    };
    c.stdout!.on('end', () => {
      outputDone++;
      maybeFinish();
    });
    c.stderr!.on('end', () => {
      outputDone++;
      maybeFinish();
    });
    c.on('exit', (code, sig) => {
      status = { code, sig: sig ? sig.replace(/^SIG/, '') : null };
      maybeFinish();
    });
  };

  let finished = false;
  const finish = (channel: ServerChannel, code: number, sig: string | null): void => {
    if (finished) return;
    finished = true;
    if (sig) channel.exit(sig, false, '');
    else channel.exit(code);
    // Close only once everything written has gone out: close() would drop what the client's
    // window still holds back.
    channel.once('finish', () => channel.close());
    channel.end();
    closeAgent();
    ctx.onClose();
  };

  /** command= in authorized_keys replaces what the client asked for (SSH_ORIGINAL_COMMAND). */
  const forced = (original: string | null): string | null => {
    const fromConfig = ctx.forceCommand;
    const cmd = fromConfig ?? ctx.keyOptions?.forceCommand ?? null;
    if (cmd === null) return null;
    if (original !== null) clientEnv.set('SSH_ORIGINAL_COMMAND', original);
    ctx.log(`Forced command (${fromConfig !== null ? 'config' : 'key option'}) '${cmd}'`);
    return cmd;
  };
  // auth-agent-req: a private socket made by the user; each connection to it becomes an
  // auth-agent@openssh.com channel to the client. The program starts once SSH_AUTH_SOCK is known.
  let agentReady: Promise<void> = Promise.resolve();
  let agentServer: Server | null = null;
  session.on('auth-agent', (accept, reject) => {
    const agent = ctx.agent;
    if (!agent?.allowed || started) {
      ctx.log('auth-agent-req@openssh.com: agent forwarding disabled');
      return reject?.();
    }
    agentReady = agent.listen().then(
      ({ server, path }) => {
        agentServer = server;
        clientEnv.set('SSH_AUTH_SOCK', path);
        server.on('connection', (sock: Socket) => {
          agent.open((err, ch) => {
            if (err || !ch) return sock.destroy();
            bridge(ch, sock);
          });
        });
        accept?.();
      },
      (err: Error) => {
        ctx.log(`error: agent forwarding: ${err.message}`);
        reject?.();
      },
    );
  });
  const closeAgent = (): void => {
    if (!agentServer) return;
    const path = clientEnv.get('SSH_AUTH_SOCK');
    agentServer.close();
    agentServer = null;
    if (path) rmSync(dirname(path), { recursive: true, force: true });
  };
  session.on('close', closeAgent);
  session.on('shell', (accept) => {
    const channel = accept();
    void agentReady.then(() => shell(channel));
  });
  const shell = (channel: ServerChannel): void => {
    const cmd = forced(null);
    if (cmd !== null) {
      if (isInternalSftp(cmd)) runInternalSftp(channel, cmd);
      else run(channel, [ctx.account.shell, '-c', cmd], false);
    } else {
      if (ptyReq && ctx.printMotd) {
        try {
          channel.write(readFileSync('/etc/motd', 'utf8').replace(/\r?\n/g, '\r\n'));
        } catch {
          // no motd
        }
      }
      run(channel, [ctx.account.shell], true);
    }
  };
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    const cmd = forced(info.command) ?? info.command;
    void agentReady.then(() => (isInternalSftp(cmd) && cmd !== info.command ? runInternalSftp(channel, cmd) : run(channel, [ctx.account.shell, '-c', cmd], false)));
  });
  /**
   * internal-sftp: tshd's SFTP server, run as the user like any session program (a Node process
   * through setpriv) on the channel. Inside a ChrootDirectory it confines itself to it (-C): the
   * node binary is not inside the chroot, so it resolves every path within it instead.
   */
  const runInternalSftp = (channel: ServerChannel, cmdline: string): void => {
    const args = cmdline.trim().split(/\s+/).slice(1);
    if (ctx.chroot !== null) {
      const problem = chrootProblem(ctx.chroot);
      if (problem !== null) {
        ctx.log(`fatal: ${problem}`);
        finish(channel, 255, null);
        return;
      }
      args.unshift('-C', ctx.chroot);
    }
    ctx.log(`session opened for local user ${ctx.account.name} from [${ctx.remote.address}]: internal-sftp`);
    run(channel, [process.execPath, selfEntry('sftp-server', SFTP_SERVER), ...args], false, { noChroot: true });
  };
  session.on('subsystem', (accept, reject, info) => {
    const command = ctx.subsystems.get(info.name);
    if (command === undefined) {
      ctx.log(`subsystem request for ${info.name} by user ${ctx.account.name} failed, subsystem not found`);
      return reject?.();
    }
    const channel = accept();
    const cmd = forced(info.name) ?? command;
    void agentReady.then(() => (isInternalSftp(cmd) ? runInternalSftp(channel, cmd) : run(channel, [ctx.account.shell, '-c', cmd], false)));
  });
}
