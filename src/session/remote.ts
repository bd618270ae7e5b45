/**
 * The session channel, as ssh.c ssh_session2() + clientloop.c run it: optional pty-req (TERM,
 * window size), env requests (SendEnv, SetEnv), then exec, subsystem or shell; stdin streamed to
 * the channel (EOF passed on), stdout and stderr kept apart and binary-safe, flow controlled; the
 * remote exit status returned exactly. Without an exit status (a remote death by signal, or the
 * connection lost) the result is 255, as ssh's.
 */
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { Connection } from './connect.js';
import type { Logger } from './log.js';
import type { WindowSize } from './terminal.js';

export interface SessionRequest {
  /** The command to run, or null for a shell. With `subsystem`, the subsystem's name. */
  readonly command: string | null;
  readonly subsystem: boolean;
  /**
   * A pty with this TERM, size and encoded terminal modes (null: none, as ssh sends when standard
   * input is not a terminal), or null for no pty.
   */
  readonly pty: { readonly term: string; readonly size: WindowSize; readonly modes?: Buffer | null } | null;
  readonly env: Readonly<Record<string, string>>;
}

export interface SessionIo {
  /** Local input, or null for none (-n, or stdin at EOF from the start). */
  readonly stdin: Readable | null;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /**
   * Turns local input into what is sent (escape sequences); returns the bytes to send, or null
   * when the session must end now (`~.`).
   */
  readonly filter?: (chunk: Buffer) => Buffer | null;
  readonly log: Logger;
}

export interface SessionResult {
  /** The exit status to exit with: the remote's, or 255. */
  readonly exitCode: number;
  /** The remote died by this signal (name without SIG). */
  readonly signal: string | null;
  /** The session ended from this side (`~.`, a signal). */
  readonly local: boolean;
  /** The connection was lost (not a clean channel close). */
  readonly lost: boolean;
}

export interface RunningSession {
  readonly channel: ClientChannel;
  readonly done: Promise<SessionResult>;
  /** End the session from this side (escape `~.`, SIGTERM). */
  disconnect(): void;
  resize(size: WindowSize): void;
}

interface EarlyEvents {
  exit: unknown[] | null;
  closed: boolean;
}

interface OpenedChannel {
  readonly channel: ClientChannel;
  /** Stops recording and delivers what arrived before the session's own listeners. */
  replay(handlers: { exit: (...args: unknown[]) => void; close: () => void }): void;
}

function openChannel(conn: Connection, req: SessionRequest): Promise<OpenedChannel> {
  const { client } = conn;
  const pty: PseudoTtyOptions | undefined = req.pty
    ? {
        term: req.pty.term,
        rows: req.pty.size.rows,
        cols: req.pty.size.cols,
        width: req.pty.size.width,
        height: req.pty.size.height,
        // ssh2 sends a Buffer of modes as it is (its mode names lack IUTF8).
        ...(req.pty.modes ? { modes: req.pty.modes as unknown as PseudoTtyOptions['modes'] } : {}),
      }
    : undefined;
  const env = Object.keys(req.env).length > 0 ? { ...req.env } : undefined;
  return new Promise((resolve, reject) => {
    // A quick command's exit-status and close can arrive in the same read as the exec reply, so
    // ssh2 emits them before the promise's continuation runs: record them here, synchronously,
    // and replay them once the session has wired its listeners (startSession).
    const cb = (err: Error | undefined, ch: ClientChannel): void => {
      if (err) return reject(err);
      const early: EarlyEvents = { exit: null, closed: false };
      const onExit = (...args: unknown[]): void => {
        early.exit = args;
      };
      const onClose = (): void => {
        early.closed = true;
      };
      ch.on('exit', onExit);
      ch.on('close', onClose);
      resolve({
        channel: ch,
        replay: (handlers) => {
          ch.off('exit', onExit);
          ch.off('close', onClose);
          if (early.exit) handlers.exit(...early.exit);
          if (early.closed) handlers.close();
        },
      });
    };
    if (req.subsystem) {
      // ssh2's subsys() has no pty/env options; OpenSSH sends them for -s too, rarely useful.
      client.subsys(req.command ?? '', cb);
    } else if (req.command !== null) {
      client.exec(req.command, { pty, env }, cb);
    } else {
      client.shell(pty ?? false, { env }, cb);
    }
  });
}

/** Opens the session and wires it to local I/O; `done` resolves when the channel closes. */
export async function startSession(conn: Connection, req: SessionRequest, io: SessionIo): Promise<RunningSession> {
  const { log } = io;
  const opened = await openChannel(conn, req);
  const channel = opened.channel;
  log.debug1(`Sending command: ${req.command ?? '(shell)'}`);
  let exitCode: number | null = null;
  let signal: string | null = null;
  let local = false;
  let lost = false;
  let finish: (r: SessionResult) => void = () => undefined;
  const done = new Promise<SessionResult>((resolve) => (finish = resolve));
  let finished = false;
  const end = (): void => {
    if (finished) return;
    finished = true;
    if (io.stdin) {
      io.stdin.off('data', onInput);
      io.stdin.off('end', onInputEnd);
      io.stdin.pause();
    }
    const code = exitCode ?? 255;
    finish({ exitCode: code, signal, local, lost });
  };

  const onExit = (code: number | null, sig?: string, core?: boolean): void => {
    if (typeof code === 'number') {
      exitCode = code & 0xff;
      log.debug1(`client_input_channel_req: channel 0 rtype exit-status reply 0`);
    } else if (sig) {
      sig = sig.replace(/^SIG/, '');
      signal = sig;
      exitCode = 255;
      log.debug1(`client_input_channel_req: channel 0 rtype exit-signal reply 0`);
      log.info(`Remote command killed by signal ${sig}${core ? ' (core dumped)' : ''}.`);
    }
  };
  channel.on('exit', onExit);
  channel.on('data', (d: Buffer) => {
    if (!io.stdout.write(d)) {
      channel.pause();
      io.stdout.once('drain', () => channel.resume());
    }
  });
  channel.stderr.on('data', (d: Buffer) => {
    if (!io.stderr.write(d)) {
      channel.stderr.pause();
      io.stderr.once('drain', () => channel.stderr.resume());
    }
  });
  // Finish once everything the channel delivered has been written out: after a close that
  // arrived early (replayed below), stdout/stderr data may still be on its way.
  const ended = (r: { readableEnded: boolean; once(ev: 'end' | 'close', fn: () => void): unknown }): Promise<void> =>
    r.readableEnded ? Promise.resolve() : new Promise((resolve) => {
      r.once('end', resolve);
      r.once('close', resolve);
    });
  const onClose = (): void => {
    // Bounded: a stream that never ends must not keep tsh alive after the channel closed.
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    void Promise.race([Promise.all([ended(channel), ended(channel.stderr)]), timeout]).then(end);
  };
  channel.on('close', onClose);
  opened.replay({ exit: (...a) => onExit(...(a as [number | null, string?, boolean?])), close: onClose });
  conn.client.on('close', () => {
    lost = !finished;
    end();
  });

  const onInput = (chunk: Buffer): void => {
    const out = io.filter ? io.filter(chunk) : chunk;
    if (out === null) {
      local = true;
      session.disconnect();
      return;
    }
    if (out.length > 0 && !channel.write(out) && io.stdin) {
      io.stdin.pause();
      channel.once('drain', () => io.stdin?.resume());
    }
  };
  const onInputEnd = (): void => {
    log.debug2('channel 0: read<=0 rfd 0 len 0');
    channel.end();
  };
  if (io.stdin) {
    io.stdin.on('data', onInput);
    io.stdin.on('end', onInputEnd);
    io.stdin.resume();
  } else {
    channel.end();
  }

  const session: RunningSession = {
    channel,
    done,
    disconnect: () => {
      local = true;
      channel.close();
      conn.close();
      end();
    },
    resize: (size) => channel.setWindow(size.rows, size.cols, size.height, size.width),
  };
  return session;
}
