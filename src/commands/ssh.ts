/**
 * `tsh [options] destination [command]`: resolve the configuration, connect (session/connect.ts),
 * set up port and agent forwarding (forwarding/), go to the background for -f (forwarding/fork.ts),
 * then run what was asked — a command, a shell (with a pty and the local terminal in raw mode,
 * escape sequences), a subsystem (-s), stdio forwarding (-W), or nothing (-N) — and exit with
 * the remote status, or 255 for tsh's own failures, as ssh does.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import type { ReadStream } from 'node:tty';
import { Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { ExitError, strerror } from '../errors.js';
import type { Io } from '../io.js';
import { ConfigError, resolveClientConfig, type ResolvedClientConfig } from '../config/index.js';
import { matchPattern } from '../pattern.js';
import type { TshArgs } from '../cli/tsh-args.js';
import { ConnectError, connect, type Connection, type HopSpec } from '../session/connect.js';
import { COMMAND_LINE_MESSAGES, EscapeFilter, parseCommandLine, COMMAND_LINE_PROMPT, type ForwardKind } from '../session/escape.js';
import type { Forward } from '../config/forward.js';
import { agentSocketFor, enableAgentForwarding } from '../forwarding/agent.js';
import { forkChildReady, isForkChild, runInBackground } from '../forwarding/fork.js';
import { ForwardFailure, Forwarder } from '../forwarding/forwarder.js';
import { openFailure } from '../forwarding/local.js';
import { LOG_LEVELS, createLogger, type Logger } from '../session/log.js';
import { startSession, type RunningSession } from '../session/remote.js';
import { LineEditor, RawTerminal, windowSize } from '../session/terminal.js';
import { TransportError } from '../session/transport.js';
import { sendBreak } from '../ssh2-raw.js';
import { resolveOptions, resolveOrExit, wantTty } from './print-config.js';

/** The environment SendEnv and SetEnv send. SetEnv wins over SendEnv for the same name. */
export function sessionEnv(cfg: ResolvedClientConfig, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (cfg.sendEnv.length > 0) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      if (cfg.sendEnv.some((p) => matchPattern(name, p))) out[name] = value;
    }
  }
  for (const kv of cfg.setEnv) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function logLevelOf(cfg: ResolvedClientConfig): number {
  return LOG_LEVELS[cfg.logLevel];
}

/** Waits for `channel` to close, piping stdin/stdout through it (-W). */
function pipeStdio(io: Io, channel: ClientChannel): Promise<void> {
  return new Promise((resolve) => {
    io.stdin.pipe(channel);
    channel.pipe(io.stdout as Writable, { end: false });
    channel.on('close', () => {
      io.stdin.unpipe(channel);
      io.stdin.pause();
      resolve();
    });
  });
}

/** `~C -L/-D/-R`: set the forward up; whether it worked (for "Forwarding port." or "Port forwarding failed."). */
async function commandLineForward(forwarder: Forwarder, kind: ForwardKind, fwd: Forward): Promise<boolean> {
  if (kind === 'remote') return forwarder.addRemote(fwd);
  return forwarder.addLocal(fwd);
}

interface Interactive {
  term: RawTerminal | null;
  filter: EscapeFilter | null;
}

export async function runSsh(args: TshArgs, io: Io): Promise<number> {
  const warnings: string[] = [];
  const cfg = resolveOrExit(args, io, warnings);
  if (args.muxCommand !== null) return muxCommand(cfg, io);

  let logFile: WriteStream | null = null;
  if (args.logFile !== null) {
    logFile = createWriteStream(args.logFile, { flags: 'a', mode: 0o600 });
    const opened = await new Promise<Error | null>((resolve) => {
      logFile!.once('open', () => resolve(null));
      logFile!.once('error', (e) => resolve(e));
    });
    if (opened) {
      io.stderr.write(`Couldn't open logfile ${args.logFile}: ${strerror(opened)}\r\n`);
      throw new ExitError(255);
    }
  }
  let level = logLevelOf(cfg);
  const out: Writable = logFile ?? io.stderr;
  let log: Logger = createLogger(out, level);
  if (level >= LOG_LEVELS.INFO) for (const w of warnings) log.info(w);
  try {
    return await session(args, io, cfg, () => log, (l) => {
      level = l;
      log = createLogger(out, level);
    });
  } finally {
    if (logFile) await new Promise<void>((resolve) => logFile!.end(resolve));
  }
}

/**
 * -O ctl_cmd: tsh has no multiplexing master (ControlMaster is accepted without effect), so a
 * command can only fail. It fails as ssh does when there is no ControlPath or no socket; a socket
 * that answers belongs to an OpenSSH master, whose protocol tsh does not speak.
 */
async function muxCommand(cfg: ResolvedClientConfig, io: Io): Promise<number> {
  const path = cfg.controlPath;
  if (path === null) {
    io.stderr.write('No ControlPath specified for "-O" command\r\n');
    return 255;
  }
  const failure = await new Promise<Error | null>((resolve) => {
    const s = connectSocket(path, () => {
      s.destroy();
      resolve(null);
    });
    s.on('error', (e) => resolve(e));
  });
  io.stderr.write(failure ? `Control socket connect(${path}): ${strerror(failure)}\r\n` : `tsh: multiplexing commands (-O) are not supported: ${path} is another program's master\r\n`);
  return 255;
}

async function session(args: TshArgs, io: Io, cfg: ResolvedClientConfig, getLog: () => Logger, setLevel: (l: number) => void): Promise<number> {
  const log = getLog();
  const home = io.env.HOME;
  // -f: the foreground tsh runs a copy of itself and waits for it to be connected (fork.ts).
  if (cfg.forkAfterAuthentication && !isForkChild(io.env)) {
    return runInBackground({ session: cfg.sessionType !== 'none' && args.stdioForward === null, keepStderr: args.verbose > 0 && args.logFile === null, io });
  }

  const ask = async (prompt: string, echo: boolean): Promise<string | null | undefined> => io.readTty(prompt, echo);
  const resolveHop = (hop: HopSpec): ResolvedClientConfig => {
    const overrides: string[] = [];
    if (hop.user !== null) overrides.push(`User ${hop.user}`);
    if (hop.port > 0) overrides.push(`Port ${hop.port}`);
    overrides.push(`ProxyJump ${hop.extra ?? 'none'}`);
    if (level() >= LOG_LEVELS.DEBUG1) overrides.push(`LogLevel ${cfg.logLevel}`);
    return resolveClientConfig({ ...resolveOptions(args, io), host: hop.host, overrides });
  };
  const level = (): number => getLog().level;

  let conn: Connection;
  try {
    conn = await connect({
      cfg,
      log,
      ask,
      env: io.env,
      home,
      resolveHop,
      banner: (text) => {
        if (getLog().level >= LOG_LEVELS.INFO) io.stderr.write(text);
      },
    });
  } catch (err) {
    if (err instanceof ConnectError) {
      for (const l of err.lines) log.fatal(l);
      return 255;
    }
    if (err instanceof TransportError) {
      log.fatal(err.message);
      return 255;
    }
    if (err instanceof ConfigError) {
      for (const l of err.lines) log.fatal(l);
      return 255;
    }
    throw err;
  }
  const host = cfg.hostname;
  // ssh_init_forwarding(): listeners and remote requests before the session (tsh waits for the
  // replies, so ExitOnForwardFailure is decided before anything runs).
  const forwarder = new Forwarder(conn.client, cfg, getLog);
  try {
    await forwarder.start();
  } catch (err) {
    if (!(err instanceof ForwardFailure)) throw err;
    log.fatal(err.message);
    forwarder.close();
    conn.close();
    return 255;
  }
  const agentSocket = cfg.sessionType === 'none' || args.stdioForward !== null ? null : agentSocketFor(cfg, io.env);
  if (agentSocket !== null) enableAgentForwarding(conn.client, agentSocket, log);
  // ssh -f: go to the background now that authentication and the forwards are done.
  if (isForkChild(io.env)) {
    forkChildReady();
    // fork_postauth(): stderr goes to /dev/null unless logging there with -v.
    if (args.logFile === null && args.verbose === 0) setLevel(LOG_LEVELS.QUIET);
  }
  const connErrors: string[] = [];
  conn.client.on('error', (err: Error & { level?: string }) => {
    if (err.level === 'client-timeout') connErrors.push(`Timeout, server ${host} not responding.`);
    else connErrors.push(`Connection to ${host} closed by remote host.`);
  });

  // -W host:port: stdio forwarding instead of a session.
  if (args.stdioForward !== null) {
    const { host: fhost, port: fport } = args.stdioForward;
    try {
      const ch = await new Promise<ClientChannel>((resolve, reject) => {
        conn.client.forwardOut('127.0.0.1', 0, fhost, fport, (err, c) => (err ? reject(err) : resolve(c)));
      });
      await pipeStdio(io, ch);
      conn.close();
      return 0;
    } catch (err) {
      const reason = err instanceof Error ? openFailure(err) : String(err);
      log.fatal(`channel 0: open failed: ${reason}`);
      log.fatal('stdio forwarding failed');
      conn.close();
      return 255;
    }
  }

  // -N: no session; stay connected until the server goes away or a signal arrives.
  if (cfg.sessionType === 'none') {
    return new Promise<number>((resolve) => {
      const offs: (() => void)[] = [];
      const stop = (code: number): void => {
        for (const off of offs) off();
        forwarder.close();
        conn.close();
        resolve(code);
      };
      // In the background (-f) the terminal's signals are not ours (ssh is in its own session).
      const sigs = isForkChild(io.env) ? (['SIGQUIT'] as const) : (['SIGINT', 'SIGHUP', 'SIGQUIT'] as const);
      if (isForkChild(io.env)) for (const sig of ['SIGINT', 'SIGHUP'] as const) offs.push(io.onSignal(sig, () => undefined));
      for (const sig of sigs) offs.push(io.onSignal(sig, () => stop(255)));
      offs.push(io.onSignal('SIGTERM', () => stop(0)));
      conn.client.on('close', () => stop(255));
    });
  }

  const command = args.command ?? cfg.remoteCommand;
  const subsystem = cfg.sessionType === 'subsystem';
  let tty = wantTty(args, cfg);
  const stdin = io.stdin as ReadStream;
  if (tty && (!io.stdinIsTTY || cfg.stdinNull) && cfg.requestTty !== 'force') {
    log.info('Pseudo-terminal will not be allocated because stdin is not a terminal.');
    tty = false;
  }
  const interactive: Interactive = { term: null, filter: null };
  if (tty && io.stdinIsTTY && !cfg.stdinNull) interactive.term = new RawTerminal(stdin);
  if (tty && cfg.escapeChar !== null) {
    interactive.filter = new EscapeFilter({
      escapeChar: cfg.escapeChar,
      enableEscapeCommandline: cfg.enableEscapeCommandline,
      logLevel: getLog().level,
      logOnStderr: true,
    });
  }
  // ssh reads the window size of standard input (0x0 when it is not a terminal).
  const stdinTty = io.stdinIsTTY && !cfg.stdinNull;
  const size = windowSize(stdinTty);
  // ssh.c: a non-empty TERM in SetEnv names the terminal type instead of the environment's.
  const setTerm = cfg.setEnv.find((kv) => kv.startsWith('TERM='))?.slice(5);
  const termName = setTerm ? setTerm : (io.env.TERM ?? '');
  let running: RunningSession | null = null;
  const offs: (() => void)[] = [];
  let killedBy: string | null = null;
  let backgrounded = false;
  // The `~C` command line. ssh leaves raw mode and reads it with read_passphrase("\r\nssh> ",
  // RP_ECHO) from /dev/tty; a second reader of the terminal here would race the session's for
  // keys, so the terminal stays raw and the line comes from the session's input, edited and
  // echoed as cooked mode would. What it prints is logged in cooked mode, as ssh does.
  let commandLine: LineEditor | null = null;
  const openCommandLine = (): void => {
    commandLine = new LineEditor((b) => io.stderr.write(b), interactive.term?.keys());
    // read_passphrase() first writes "\r" to the terminal; cooked mode's onlcr adds the rest.
    io.stderr.write(`\r${COMMAND_LINE_PROMPT.replace(/\n/g, '\r\n')}`);
  };
  const runCommandLine = (line: string | null): void => {
    commandLine = null;
    interactive.term?.restore();
    try {
      const r = parseCommandLine(line, { permitLocalCommand: cfg.permitLocalCommand, env: io.env });
      const info = getLog();
      switch (r.type) {
        case 'help':
          for (const l of r.lines) info.info(l);
          break;
        case 'error':
          info.info(r.message);
          break;
        case 'none':
          break;
        case 'local-command':
          spawnSync(io.env.SHELL || '/bin/sh', ['-c', r.command], { stdio: 'inherit' });
          break;
        case 'forward':
          void commandLineForward(forwarder, r.kind, r.forward).then((ok) => getLog().info(ok ? COMMAND_LINE_MESSAGES.forwarding : COMMAND_LINE_MESSAGES.forwardingFailed));
          break;
        case 'cancel': {
          const ok = r.kind === 'remote' ? forwarder.cancelRemote(r.forward) : forwarder.cancelLocal(r.forward, r.kind === 'dynamic');
          info.info(ok ? COMMAND_LINE_MESSAGES.canceled : COMMAND_LINE_MESSAGES.unknownForwarding);
          break;
        }
      }
    } finally {
      interactive.term?.enter();
    }
  };

  const filter = interactive.filter
    ? (chunk: Buffer): Buffer | null => {
        if (commandLine) {
          // Keys typed after the line are dropped (readpassphrase ends with TCSAFLUSH).
          const done = commandLine.feed(chunk);
          if (done) runCommandLine(done.line);
          return Buffer.alloc(0);
        }
        const actions = interactive.filter!.feed(chunk);
        const send: Buffer[] = [];
        for (const a of actions) {
          switch (a.type) {
            case 'send':
              send.push(a.data);
              break;
            case 'local':
              io.stderr.write(a.data);
              break;
            case 'disconnect':
              if (send.length > 0) running?.channel.write(Buffer.concat(send));
              return null;
            case 'suspend':
              interactive.term?.restore();
              process.kill(process.pid, 'SIGTSTP');
              break;
            case 'background':
              // ssh forks: the parent exits 0, the child sends the ^D that follows and serves
              // the open connections until they end. With no forwarded connections (tsh has none
              // yet) the child has nothing left to serve but that ^D, so tsh sends it and exits 0
              // itself: the same for the user and for the remote shell.
              interactive.term?.restore();
              backgrounded = true;
              break;
            case 'list-connections':
              // channel_open_message() of 9.2; "e[write]/4" counts the "~#\r\n" ssh has queued.
              io.stderr.write(forwarder.channels.openMessage());
              break;
            case 'command-line':
              openCommandLine();
              break;
            case 'rekey':
              (conn.client as unknown as { _protocol?: { rekey(): void } })._protocol?.rekey();
              break;
            case 'break':
              if (running) sendBreak(conn.client, (running.channel as unknown as { outgoing: { id: number } }).outgoing.id, a.lengthMs);
              break;
            case 'loglevel':
              setLevel(a.level);
              break;
          }
        }
        if (backgrounded) {
          if (send.length > 0) running?.channel.write(Buffer.concat(send));
          return null;
        }
        return Buffer.concat(send);
      }
    : undefined;

  const sessionId = forwarder.channels.alloc('session', 'session', 'client-session');
  try {
    running = await startSession(
      conn,
      {
        command,
        subsystem,
        pty: tty ? { term: termName, size, modes: interactive.term?.modes() ?? null } : null,
        env: sessionEnv(cfg, io.env),
      },
      { stdin: cfg.stdinNull ? null : io.stdin, stdout: io.stdout, stderr: io.stderr, filter, log },
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.fatal(`channel ${sessionId}: open failed: ${reason}`);
    forwarder.close();
    conn.close();
    return 255;
  }
  const r = running;
  interactive.term?.enter();
  if (tty) {
    // channel_send_window_changes(): only when standard input is a terminal.
    const resize = (): void => {
      if (stdinTty) r.resize(windowSize(true));
    };
    offs.push(io.onSignal('SIGWINCH', resize));
    offs.push(
      io.onSignal('SIGCONT', () => {
        interactive.term?.enter();
        resize();
      }),
    );
  }
  for (const sig of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGTERM'] as const) {
    offs.push(
      io.onSignal(sig, () => {
        killedBy = sig;
        r.disconnect();
      }),
    );
  }
  let result;
  try {
    result = await r.done;
  } finally {
    for (const off of offs) off();
    interactive.term?.restore();
  }
  forwarder.channels.free(sessionId);
  // client_loop() runs until the session and every forwarded connection are closed.
  forwarder.stopListening();
  // (`~.`, a signal and a lost connection end everything at once.)
  if (!result.lost && !result.local && killedBy === null && !backgrounded) await forwarder.drained();
  forwarder.close();
  conn.close();
  const final = getLog();
  if (backgrounded) return 0;
  if (killedBy !== null) {
    final.verbose(`Killed by signal ${killedBy}.`);
    return 255;
  }
  if (result.lost && result.exitCode === 255) {
    final.fatal(connErrors[0] ?? `Connection to ${host} closed by remote host.`);
  }
  if (tty && final.level >= LOG_LEVELS.INFO) io.stderr.write(`Connection to ${host} closed.\r\n`);
  return result.exitCode;
}
