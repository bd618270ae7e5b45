/**
 * tshd's root monitor (sshd's privilege separation, shaped for one protocol process): it keeps
 * the listeners, accepts connections without reading from them and hands each to the net process
 * (net-main.ts), which runs as an unprivileged account (`sshd`, else `nobody`; no supplementary
 * groups, NoNewPrivs, a scrubbed environment) and speaks SSH with every client. The net process
 * asks the monitor for each authentication decision and each action that needs root (MonitorCore
 * answers them); sockets, program pipes and listeners' connections come to it as handles; a pty's
 * bytes are relayed over a socket pair, since a pty master cannot be handed over.
 *
 * ssh2 keeps a connection's transport state in JavaScript objects, so a connection stays in the
 * net process for its whole life (there is no per-connection pre-auth child as in sshd), and
 * ssh2's Server signs the key exchange itself, so the net process holds the private host keys: a
 * compromise of it exposes them and the live connections, but not root. If the net process dies,
 * the monitor logs it, ends what its connections had open (PAM sessions, listeners; programs get
 * SIGHUP) and starts a new one; the listeners keep working, the live connections are lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lookupAccount } from '../accounts.js';
import type { ResolvedServerConfig } from '../config/index.js';
import { exitOf } from '../program.js';
import type { Account } from '../session.js';
import { selfEntry } from '../../self.js';
import type { MonitorCore } from './core.js';
import { toWire, type CallName, ConnId, ConnServices, Listener, MonitorMessage, NetMessage, ProgramRequest, RemoteListener, RemoteProgramStart } from './rpc.js';

/** The net process's script: next to this module once built (dist/src/server/privsep/). */
const NET_MAIN = fileURLToPath(new URL('./net-main.js', import.meta.url));

/** The account the net process runs as: sshd's privilege separation user, else nobody. */
export function netAccount(): Account {
  const a = lookupAccount('sshd') ?? lookupAccount('nobody');
  if (a === null) throw new Error('neither an "sshd" nor a "nobody" account exists to run the protocol process as');
  return a;
}

/** Stops a socket reading, synchronously: it is about to be handed on, and nothing may be lost here. */
function stopReading(sock: Socket): Socket {
  const h = (sock as unknown as { _handle?: { readStop?: () => void; reading?: boolean } })._handle;
  if (h?.readStop) {
    h.reading = false;
    h.readStop();
  }
  return sock;
}

export interface MonitorOptions {
  readonly core: MonitorCore;
  readonly hostKeys: readonly Buffer[];
  readonly global: ResolvedServerConfig;
  readonly banner: string | undefined;
  readonly single: boolean;
  /** Where the monitor's and the net process's lines go (already filtered by LogLevel). */
  readonly log: (line: string) => void;
  /**
   * The descriptor `log` writes to, if any (stderr, the -E file): it becomes the net process's
   * stderr, and the net process writes its lines there itself, so they are in the log by the
   * time its client hears the outcome they describe.
   */
  readonly logFd: number | null;
  /** sshd -d: the one connection is taken; the listeners close. */
  readonly stopListening: () => void;
  /** The net process's script (tests running from sources pass the built one). */
  readonly script?: string;
}

/**
 * Socket pairs made through a private listener (a directory only root may enter): one end stays
 * here, the other is handed to the net process. Made one at a time, so each accepted connection
 * is the one just connected.
 */
class PairMaker {
  /** The private listener, made on first use. */
  private listener: { dir: string; path: string; server: Server; listening: Promise<void> } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private waiting: ((sock: Socket) => void) | null = null;

  private listen(): { path: string; listening: Promise<void> } {
    if (this.listener === null) {
      const dir = mkdtempSync(join(tmpdir(), 'tshd-monitor-'));
      const path = join(dir, 'pair');
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
      server.on('connection', (sock: Socket) => {
        const w = this.waiting;
        this.waiting = null;
        if (w) w(sock);
        else sock.destroy();
      });
      const listening = new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      this.listener = { dir, path, server, listening };
    }
    return this.listener;
  }

  pair(): Promise<[Socket, Socket]> {
    const next = this.chain.then(async () => {
      const { path, listening } = this.listen();
      await listening;
      const accepted = new Promise<Socket>((resolve) => (this.waiting = resolve));
      const mine = connect({ path, allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        mine.once('connect', resolve);
        mine.once('error', reject);
      });
      return [mine, await accepted] as [Socket, Socket];
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    if (this.listener === null) return;
    this.listener.server.close();
    rmSync(this.listener.dir, { recursive: true, force: true });
    this.listener = null;
  }
}

export class Monitor {
  private child: ChildProcess | null = null;
  private ready = false;
  private stopping = false;
  /** Connections accepted while no net process is ready (at most a listen backlog's worth). */
  private readonly queued: Socket[] = [];
  private readonly listeners = new Map<number, { conn: ConnId; l: Listener; gen: number }>();
  private readonly programs = new Map<number, { conn: ConnId; signal(name: string): void; resize(cols: number, rows: number): void; gen: number }>();
  private readonly asks = new Map<number, (answers: readonly string[] | null) => void>();
  private readonly pairs = new PairMaker();
  private next = 1;
  /** Which net process (a new one after each death). */
  private gen = 0;
  private global: ResolvedServerConfig;
  private lastStart = 0;
  private endSingle: (status: number) => void = () => undefined;
  private closedWaiter: (() => void) | null = null;
  readonly ended: Promise<number> | null;
  /** The net process's pid (tests look at it). */
  pid = 0;

  constructor(private readonly opts: MonitorOptions) {
    this.global = opts.global;
    this.ended = opts.single ? new Promise((resolve) => (this.endSingle = resolve)) : null;
  }

  /** Starts the net process; settles once it is ready for connections. */
  start(): Promise<void> {
    const account = netAccount();
    const gen = ++this.gen;
    this.lastStart = Date.now();
    const script = this.opts.script ?? NET_MAIN;
    const entry = selfEntry('tshd-net', script);
    // What the account must be able to read: the script, or the single executable itself.
    const needs = entry === script ? script : process.execPath;
    const child = fork(entry, [], {
      execPath: '/usr/bin/setpriv',
      execArgv: [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--', process.execPath],
      env: { PATH: '/usr/bin:/bin', LANG: 'C' },
      cwd: '/',
      stdio: ['ignore', 'ignore', this.opts.logFd ?? 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.pid = child.pid ?? 0;
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (err.length > 8192) err = err.slice(-8192);
    });
    const ready = new Promise<void>((resolve, reject) => {
      // The usual cause: tshd's files are installed where that account cannot read them (a
      // checkout under /root, a 0700 prefix).
      child.once('exit', (code, signal) => reject(new Error(`the protocol process exited at start (${signal ?? code}); it runs as "${account.name}", who must be able to read ${needs}${err ? `: ${err.trim()}` : ''}`)));
      child.on('message', (m: NetMessage, handle: unknown) => {
        if (m.t === 'ready') {
          this.ready = true;
          resolve();
          for (const sock of this.queued.splice(0)) this.accept(sock);
          return;
        }
        this.onMessage(child, gen, m, handle);
      });
    });
    child.on('exit', (code, signal) => this.onExit(child, gen, code, signal, err));
    child.on('error', () => undefined);
    this.send(child, { t: 'init', hostKeys: this.opts.hostKeys.map((k) => k.toString('base64')), global: toWire(this.global) as ResolvedServerConfig, banner: this.opts.banner, single: this.opts.single, directLog: this.opts.logFd !== null });
    return ready;
  }

  private send(child: ChildProcess, m: MonitorMessage, handle?: unknown, done?: (err: Error | null) => void): void {
    if (!child.connected) {
      (handle as Socket | undefined)?.destroy?.();
      done?.(new Error('the protocol process is gone'));
      return;
    }
    child.send(m, handle as never, (e) => {
      if (e) (handle as Socket | undefined)?.destroy?.();
      done?.(e);
    });
  }

  /** A connection accepted on a listener: handed to the net process unread. */
  accept(sock: Socket): void {
    sock.on('error', () => undefined);
    if (this.stopping) return void sock.destroy();
    if (!this.ready || this.child === null) {
      if (this.queued.length >= 128) return void sock.destroy();
      this.queued.push(sock);
      return;
    }
    this.send(this.child, { t: 'accept' }, sock);
  }

  reconfigure(global: ResolvedServerConfig): void {
    this.global = global;
    if (this.child && this.ready) this.send(this.child, { t: 'reconfigure', global: toWire(global) as ResolvedServerConfig });
  }

  private onExit(child: ChildProcess, gen: number, code: number | null, signal: NodeJS.Signals | null, err: string): void {
    if (this.child === child) {
      this.child = null;
      this.ready = false;
    }
    for (const a of this.asks.values()) a(null);
    this.asks.clear();
    for (const [lid, l] of this.listeners) {
      if (l.gen !== gen) continue;
      l.l.close();
      this.listeners.delete(lid);
    }
    for (const [id, p] of this.programs) if (p.gen === gen) this.programs.delete(id);
    void this.opts.core.closeAll();
    this.closedWaiter?.();
    if (this.stopping) return;
    this.opts.log(`error: the protocol process (pid ${child.pid}) exited (${signal ?? code})${err ? `: ${err.trim()}` : ''}; its connections are lost${this.opts.single ? '' : ', starting a new one'}`);
    if (this.opts.single) return this.endSingle(255);
    const wait = Math.max(0, 1000 - (Date.now() - this.lastStart));
    setTimeout(() => {
      if (this.stopping || this.child !== null) return;
      this.start().catch((e: Error) => this.opts.log(`error: ${e.message}`));
    }, wait).unref();
  }

  private onMessage(child: ChildProcess, gen: number, m: NetMessage, _handle: unknown): void {
    switch (m.t) {
      case 'log':
        this.opts.log(m.line);
        return;
      case 'call':
        this.call(child, gen, m.id, m.name, m.args).then(
          ({ value, handle }) => this.send(child, { t: 'reply', id: m.id, ok: true, value: toWire(value) }, handle),
          (e: NodeJS.ErrnoException) => this.send(child, { t: 'reply', id: m.id, ok: false, message: e.message, code: e.code }),
        );
        return;
      case 'answer': {
        const a = this.asks.get(m.id);
        this.asks.delete(m.id);
        a?.(m.answers);
        return;
      }
      case 'signal':
        this.programs.get(m.prog)?.signal(m.name);
        return;
      case 'resize':
        this.programs.get(m.prog)?.resize(m.cols, m.rows);
        return;
      case 'close-listener': {
        const l = this.listeners.get(m.lid);
        this.listeners.delete(m.lid);
        l?.l.close();
        return;
      }
      case 'stop-listening':
        this.opts.stopListening();
        return;
      case 'ended':
        this.endSingle(m.status);
        return;
      case 'closed':
        this.closedWaiter?.();
        return;
    }
  }

  private async call(child: ChildProcess, gen: number, id: number, name: CallName, args: readonly unknown[]): Promise<{ value: unknown; handle?: unknown }> {
    const core = this.opts.core;
    const conn = args[0] as ConnId;
    switch (name) {
      case 'user':
        return { value: await core.user(conn, args[1] as never, args[2] as string) };
      case 'publickey': {
        const b64 = (v: unknown): Buffer => Buffer.from(String(v), 'base64');
        const signed = args[2] as { blob: string; signature: string; hashAlgo?: string } | null;
        return { value: await core.publickey(conn, b64(args[1]), signed && { blob: b64(signed.blob), signature: b64(signed.signature), hashAlgo: signed.hashAlgo }) };
      }
      case 'password':
        return { value: await core.password(conn, args[1] as string) };
      case 'changePassword':
        return { value: await core.changePassword(conn, args[1] as string | null) };
      case 'keyboardInteractive':
        return {
          value: await core.keyboardInteractive(conn, (conversation) => {
            if (!child.connected) return Promise.resolve(null);
            const ask = this.next++;
            return new Promise((resolve) => {
              this.asks.set(ask, resolve);
              this.send(child, { t: 'ask', id: ask, call: id, conversation });
            });
          }),
        };
      case 'login':
        return { value: await core.login(conn) };
      case 'program':
        return { value: await this.program(child, gen, conn, args[1] as ProgramRequest) };
      case 'closed':
        for (const [lid, l] of this.listeners) {
          if (l.gen !== gen || l.conn !== conn) continue;
          l.l.close();
          this.listeners.delete(lid);
        }
        await core.closed(conn);
        return { value: null };
      case 'connectTcp':
      case 'connectUnix': {
        const svc = core.services(conn);
        const sock = name === 'connectTcp' ? await svc.connectTcp(args[1] as string, args[2] as number) : await svc.connectUnix(args[1] as string);
        return { value: null, handle: stopReading(sock) };
      }
      case 'listenTcp':
      case 'listenUnix':
      case 'listenAgent': {
        const svc: ConnServices = core.services(conn);
        const l = name === 'listenTcp' ? await svc.listenTcp(args[1] as string, args[2] as number) : name === 'listenUnix' ? await svc.listenUnix(args[1] as string, args[2] as never) : await svc.listenAgent();
        if (!child.connected) {
          l.close();
          throw new Error('the protocol process is gone');
        }
        const lid = this.next++;
        this.listeners.set(lid, { conn, l, gen });
        l.onConnection((sock) => this.send(child, { t: 'conn', lid }, stopReading(sock)));
        const value: RemoteListener = { lid, port: l.port, path: l.path };
        return { value };
      }
    }
  }

  /** Starts a session program; its pipes (raw handles) or its pty's relay socket go before the reply. */
  private async program(child: ChildProcess, gen: number, conn: ConnId, req: ProgramRequest): Promise<RemoteProgramStart> {
    const relay = req.pty ? await this.pairs.pair() : null;
    let r;
    try {
      r = this.opts.core.start(conn, req);
    } catch (e) {
      relay?.forEach((s) => s.destroy());
      throw e;
    }
    const sp = r.spawned;
    if (sp === null) {
      relay?.forEach((s) => s.destroy());
      return { stdout: r.stdout, stderr: r.stderr, status: r.status, prog: null, pty: false };
    }
    const prog = this.next++;
    const exited = exitOf(sp);
    if (sp.kind === 'pipes') {
      const c = sp.child;
      // Nothing the program writes may be read here: its pipes (socket pairs, as libuv makes
      // them) go to the net process as they are, sent as sockets. They are taken from the
      // ChildProcess first: when the program exits, Node destroys its stdin and resumes its
      // unread pipes, which may be before a queued send has taken the handle.
      const streams = { stdin: c.stdin as Socket, stdout: c.stdout as Socket, stderr: c.stderr as Socket };
      const cp = c as unknown as { stdin: unknown; stdout: unknown; stderr: unknown; stdio: unknown[] };
      cp.stdin = cp.stdout = cp.stderr = null;
      cp.stdio.fill(null);
      const pass = (which: 'stdin' | 'stdout' | 'stderr', s: Socket): void => {
        stopReading(s);
        s.readable = false;
        s.on('error', () => undefined);
        this.send(child, { t: 'stdio', prog, which }, s);
      };
      pass('stdin', streams.stdin);
      pass('stdout', streams.stdout);
      pass('stderr', streams.stderr);
      this.programs.set(prog, {
        conn,
        gen,
        signal: (name) => {
          try {
            c.kill(`SIG${name}` as NodeJS.Signals);
          } catch {
            // gone
          }
        },
        resize: () => undefined,
      });
    } else {
      const t = sp.term;
      const [mine, theirs] = relay!;
      mine.on('error', () => undefined);
      t.onData((d: string | Buffer) => mine.write(d));
      mine.on('data', (d: Buffer) => {
        try {
          t.write(d as unknown as string);
        } catch {
          // the pty is gone
        }
      });
      let gone = false;
      mine.on('close', () => {
        if (!gone) {
          try {
            t.kill('SIGHUP');
          } catch {
            // gone
          }
        }
      });
      void exited.then(() => {
        gone = true;
        mine.end();
      });
      this.send(child, { t: 'stdio', prog, which: 'pty' }, theirs);
      this.programs.set(prog, {
        conn,
        gen,
        signal: (name) => {
          try {
            t.kill(`SIG${name}`);
          } catch {
            // gone
          }
        },
        resize: (cols, rows) => {
          try {
            t.resize(Math.max(1, cols), Math.max(1, rows));
          } catch {
            // gone
          }
        },
      });
    }
    void exited.then((s) => {
      this.programs.delete(prog);
      if (this.child === child) this.send(child, { t: 'exit', prog, code: s.code, signal: s.signal, error: s.error });
    });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, prog, pty: sp.kind === 'pty' };
  }

  /** SIGTERM: the net process ends every connection (PAM sessions closed), then goes. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const s of this.queued.splice(0)) s.destroy();
    const child = this.child;
    if (child && child.connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 12_000);
        this.closedWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
        this.send(child, { t: 'close' });
      });
      this.closedWaiter = null;
      if (child.connected) child.disconnect();
      child.kill('SIGTERM');
    }
    for (const l of this.listeners.values()) l.l.close();
    this.listeners.clear();
    await this.opts.core.closeAll();
    this.opts.core.stop();
    this.pairs.close();
  }
}
