/**
 * The net process's Privileged: each call goes to the root monitor over the IPC channel and is
 * answered there (monitor.ts); sockets, program pipes and listeners' connections come back as
 * handles, a PAM conversation comes as a question to put to the client.
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { PamConversation } from '../password/index.js';
import { fromWire } from './rpc.js';
import type {
  CallName,
  ConnId,
  ConnServices,
  ConnectionInfo,
  Listener,
  LoginVerdict,
  MonitorMessage,
  NetMessage,
  PasswordVerdict,
  Privileged,
  Program,
  ProgramRequest,
  ProgramStart,
  RemoteListener,
  RemoteProgramStart,
  UserVerdict,
} from './rpc.js';

type Pending = { resolve: (r: { value: unknown; handle: unknown }) => void; reject: (e: Error) => void };

/** An error the monitor answered with. */
class MonitorError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'MonitorError';
  }
}

/** A socket handed over keeps its write side after the peer's FIN, as tshd's own do. */
function halfOpen(sock: Socket): Socket {
  (sock as Socket & { allowHalfOpen: boolean }).allowHalfOpen = true;
  return sock;
}

interface ProgramParts {
  stdin?: Socket;
  stdout?: Socket;
  stderr?: Socket;
  pty?: Socket;
  exit?: { code: number; signal: string | null; error?: string };
  onExit?: (s: { code: number; signal: string | null; error?: string }) => void;
  /** Called as each pipe arrives (a handle can come after the reply that announced it). */
  onPart?: () => void;
  /** The program call has its pipes. */
  taken?: boolean;
}

export class RemotePrivileged implements Privileged {
  private readonly pending = new Map<number, Pending>();
  private readonly asks = new Map<number, (c: PamConversation) => Promise<readonly string[] | null>>();
  private readonly listeners = new Map<number, { cb: ((sock: Socket) => void) | null; early: Socket[] }>();
  private readonly programs = new Map<number, ProgramParts>();
  private nextId = 1;

  constructor(private readonly send: (m: NetMessage) => void) {}

  /** A message from the monitor that is about calls (the others are net-main's). */
  onMessage(m: MonitorMessage, handle: unknown): boolean {
    switch (m.t) {
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) {
          (handle as Socket | undefined)?.destroy?.();
          return true;
        }
        if (m.ok) p.resolve({ value: fromWire(m.value), handle });
        else p.reject(new MonitorError(m.message, m.code));
        return true;
      }
      case 'ask': {
        const ask = this.asks.get(m.call);
        const answer = (answers: readonly string[] | null): void => this.send({ t: 'answer', id: m.id, answers });
        if (!ask) answer(null);
        else ask(m.conversation).then(answer, () => answer(null));
        return true;
      }
      case 'conn': {
        const sock = halfOpen(handle as Socket);
        const l = this.listeners.get(m.lid);
        if (!l) sock.destroy();
        else if (l.cb) l.cb(sock);
        else l.early.push(sock);
        return true;
      }
      case 'stdio': {
        const p = this.part(m.prog);
        if (m.which === 'pty') p.pty = halfOpen(handle as Socket);
        else p[m.which] = handle as Socket;
        p.onPart?.();
        this.forget(m.prog);
        return true;
      }
      case 'exit': {
        const p = this.part(m.prog);
        const s = { code: m.code, signal: m.signal, error: m.error };
        p.exit = s;
        p.onExit?.(s);
        this.forget(m.prog);
        return true;
      }
      default:
        return false;
    }
  }

  /** The monitor is gone: every call fails. */
  abandon(): void {
    for (const p of this.pending.values()) p.reject(new MonitorError('the monitor is gone', 'EPIPE'));
    this.pending.clear();
  }

  /**
   * A program's entry goes once the program call has taken its pipes and its exit is known:
   * messages carrying handles can arrive after later ones (the reply, the exit).
   */
  private forget(prog: number): void {
    const p = this.programs.get(prog);
    if (p?.taken && p.exit) this.programs.delete(prog);
  }

  private part(prog: number): ProgramParts {
    let p = this.programs.get(prog);
    if (!p) this.programs.set(prog, (p = {}));
    return p;
  }

  private call(name: CallName, args: readonly unknown[]): Promise<{ value: unknown; handle: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ t: 'call', id, name, args });
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  private async value<T>(name: CallName, args: readonly unknown[]): Promise<T> {
    return (await this.call(name, args)).value as T;
  }

  user(conn: ConnId, info: ConnectionInfo, user: string): Promise<UserVerdict> {
    return this.value('user', [conn, info, user]);
  }

  publickey(conn: ConnId, key: Uint8Array, signed: { blob: Uint8Array; signature: Uint8Array; hashAlgo?: string } | null): Promise<boolean> {
    const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
    return this.value('publickey', [conn, b64(key), signed && { blob: b64(signed.blob), signature: b64(signed.signature), hashAlgo: signed.hashAlgo }]);
  }

  password(conn: ConnId, password: string): Promise<PasswordVerdict> {
    return this.value('password', [conn, password]);
  }

  changePassword(conn: ConnId, newPassword: string | null): Promise<boolean> {
    return this.value('changePassword', [conn, newPassword]);
  }

  async keyboardInteractive(conn: ConnId, ask: (c: PamConversation) => Promise<readonly string[] | null>): Promise<boolean> {
    const id = this.nextId;
    // The call's id is the next one: conversations for it come back under that id.
    this.asks.set(id, ask);
    try {
      return await this.value<boolean>('keyboardInteractive', [conn]);
    } finally {
      this.asks.delete(id);
    }
  }

  login(conn: ConnId): Promise<LoginVerdict> {
    return this.value('login', [conn]);
  }

  async program(conn: ConnId, req: ProgramRequest): Promise<ProgramStart> {
    const r = await this.value<RemoteProgramStart>('program', [conn, req]);
    if (r.prog === null) return { stdout: r.stdout, stderr: r.stderr, status: r.status, program: null };
    const prog = r.prog;
    const parts = this.part(prog);
    const complete = (): boolean => (r.pty ? parts.pty !== undefined : parts.stdin !== undefined && parts.stdout !== undefined && parts.stderr !== undefined);
    if (!complete()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the program's pipes never came")), 10_000);
        parts.onPart = () => {
          if (!complete()) return;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    parts.taken = true;
    const exited = new Promise<{ code: number; signal: string | null; error?: string }>((resolve) => {
      if (parts.exit) resolve(parts.exit);
      else parts.onExit = resolve;
    });
    this.forget(prog);
    let input: Writable;
    let output: Readable;
    let errors: Readable | null = null;
    if (r.pty) {
      input = parts.pty!;
      output = parts.pty!;
    } else {
      input = parts.stdin!;
      output = parts.stdout!;
      errors = parts.stderr!;
    }
    const program: Program = {
      input,
      output,
      errors,
      signal: (name) => this.send({ t: 'signal', prog, name }),
      resize: (cols, rows) => this.send({ t: 'resize', prog, cols, rows }),
      exited,
    };
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, program };
  }

  private listener(r: RemoteListener): Listener {
    const entry = { cb: null as ((sock: Socket) => void) | null, early: [] as Socket[] };
    this.listeners.set(r.lid, entry);
    return {
      port: r.port,
      path: r.path,
      onConnection: (cb) => {
        entry.cb = cb;
        for (const s of entry.early.splice(0)) cb(s);
      },
      close: () => {
        if (!this.listeners.delete(r.lid)) return;
        for (const s of entry.early.splice(0)) s.destroy();
        this.send({ t: 'close-listener', lid: r.lid });
      },
    };
  }

  services(conn: ConnId): ConnServices {
    const socket = async (name: CallName, args: readonly unknown[]): Promise<Socket> => {
      const r = await this.call(name, [conn, ...args]);
      return halfOpen(r.handle as Socket);
    };
    return {
      connectTcp: (host, port) => socket('connectTcp', [host, port]),
      connectUnix: (path) => socket('connectUnix', [path]),
      listenTcp: async (host, port) => this.listener(await this.value<RemoteListener>('listenTcp', [conn, host, port])),
      listenUnix: async (path, opts) => this.listener(await this.value<RemoteListener>('listenUnix', [conn, path, opts])),
      listenAgent: async () => this.listener(await this.value<RemoteListener>('listenAgent', [conn])),
    };
  }

  async closed(conn: ConnId): Promise<void> {
    await this.value('closed', [conn]);
  }

  log(line: string): void {
    this.send({ t: 'log', line });
  }
}
