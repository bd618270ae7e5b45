/**
 * One session channel on the daemon side, as sshd's session.c serves it: pty-req (TERM and
 * size), env (AcceptEnv), shell, exec, subsystem, window-change, signal, auth-agent-req, and the
 * exit-status or exit-signal at the end. What runs, and how, is decided and started where root is
 * (program.ts, through the Privileged interface): this side only speaks the channel.
 */
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { ServerChannel, Session } from 'ssh2';
import { matchPattern } from '../pattern.js';
import type { KeyOptions } from './authorized-keys.js';
import { bridge } from './forwarding.js';
import type { Listener, ProgramRequest, ProgramStart } from './privsep/rpc.js';

export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

export interface SessionContext {
  readonly acceptEnv: readonly string[];
  readonly permitTty: boolean;
  /** The configured subsystems' names. */
  readonly subsystems: ReadonlySet<string>;
  readonly userName: string;
  /** The options of the authorized_keys line used to log in (null: none apply). */
  readonly keyOptions: KeyOptions | null;
  readonly log: (line: string) => void;
  readonly onClose: () => void;
  /** Starts the program of a shell, exec or subsystem request. */
  readonly start: (req: ProgramRequest) => Promise<ProgramStart>;
  /** Agent forwarding: allowed or not, and how to make the socket and reach the client's agent. */
  readonly agent: { readonly allowed: boolean; readonly listen: () => Promise<Listener>; readonly open: (cb: (err: Error | undefined, channel?: Duplex) => void) => void } | null;
}

const SIGNALS = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

export function serveSession(session: Session, ctx: SessionContext): void {
  const clientEnv = new Map<string, string>();
  let ptyReq: { term: string; cols: number; rows: number } | null = null;
  let running: { signal(name: string): void; resize(cols: number, rows: number): void } | null = null;
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
    running?.resize(info.cols, info.rows);
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
    if (!SIGNALS.has(name) || running === null) return reject?.();
    running.signal(name);
    accept?.();
  });

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

  const run = (channel: ServerChannel, kind: ProgramRequest['kind'], command: string | null): void => {
    started = true;
    const req: ProgramRequest = { kind, command, pty: ptyReq, env: [...clientEnv] };
    ctx.start(req).then(
      (s) => {
        if (s.stdout !== '') channel.write(s.stdout);
        if (s.stderr !== '') channel.stderr.write(s.stderr);
        const p = s.program;
        if (p === null) return finish(channel, s.status, null);
        running = p;
        if (ptyReq) {
          channel.on('data', (d: Buffer) => p.input.write(d));
        } else {
          channel.pipe(p.input);
        }
        p.input.on('error', () => undefined);
        p.output.on('error', () => undefined);
        p.errors?.on('error', () => undefined);
        p.output.pipe(channel, { end: false });
        p.errors?.pipe(channel.stderr, { end: false });
        // A pipe handed over may have ended already (an empty stderr ends as soon as it is read).
        const ended = (r: Readable | null): Promise<void> =>
          r === null || r.readableEnded || r.destroyed ? Promise.resolve() : new Promise((res) => (r.once('end', res), r.once('close', res)));
        void Promise.all([p.exited, ended(p.output), ended(p.errors)]).then(([status]) => {
          running = null;
          if (status.error !== undefined) channel.stderr.write(`${kind === 'exec' ? (command ?? '') : kind}: ${status.error}\n`);
          finish(channel, status.code, status.signal);
          p.input.destroy();
        });
      },
      (err: Error) => {
        ctx.log(`error: session: ${err.message}`);
        finish(channel, 255, null);
      },
    );
  };

  // auth-agent-req: a private socket made by the user; each connection to it becomes an
  // auth-agent@openssh.com channel to the client. The program starts once SSH_AUTH_SOCK is known.
  let agentReady: Promise<void> = Promise.resolve();
  let agentListener: Listener | null = null;
  session.on('auth-agent', (accept, reject) => {
    const agent = ctx.agent;
    if (!agent?.allowed || started) {
      ctx.log('auth-agent-req@openssh.com: agent forwarding disabled');
      return reject?.();
    }
    agentReady = agent.listen().then(
      (l) => {
        agentListener = l;
        clientEnv.set('SSH_AUTH_SOCK', l.path);
        l.onConnection((sock: Socket) => {
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
    agentListener?.close();
    agentListener = null;
  };
  session.on('close', closeAgent);
  session.on('shell', (accept) => {
    const channel = accept();
    void agentReady.then(() => run(channel, 'shell', null));
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    void agentReady.then(() => run(channel, 'exec', info.command));
  });
  session.on('subsystem', (accept, reject, info) => {
    if (!ctx.subsystems.has(info.name)) {
      ctx.log(`subsystem request for ${info.name} by user ${ctx.userName} failed, subsystem not found`);
      return reject?.();
    }
    const channel = accept();
    void agentReady.then(() => run(channel, 'subsystem', info.name));
  });
}
