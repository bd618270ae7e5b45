/**
 * tshd's per-user workers (worker-main.ts): one process per uid, started through setpriv on the
 * first request of a user's first connection, shared by all of that user's connections, and
 * stopped when the last of them has released it. A worker that dies takes only its user's pending
 * requests with it; the next request starts a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Server, Socket } from 'node:net';
import type { Account } from '../session.js';
import { needsDrop } from '../accounts.js';
import { halfOpenServer, localServices, ServiceError, type ListenResult, type UnixListener, type UserServices } from './services.js';
import { listenAgentSocket } from './agent-socket.js';
import { selfEntry } from '../../self.js';
import type { WorkerEvent, WorkerReply, WorkerRequest } from './worker-main.js';

/** The worker's script: next to this module once built (dist/src/server/user/). */
const WORKER = fileURLToPath(new URL('./worker-main.js', import.meta.url));

type Pending = { resolve: (r: { reply: WorkerReply; handle: unknown }) => void; reject: (e: Error) => void };

/** Requests without an id: the pool numbers them. */
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class Worker {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  /** Where the connections of each unix listener held by the worker go. */
  readonly unixListeners = new Map<number, (sock: Socket) => void>();
  private nextId = 1;
  users = 0;
  stopped = false;
  readonly ready: Promise<void>;

  constructor(account: Account, script: string, log: (line: string) => void, onExit: () => void) {
    // setpriv drops to the user before Node starts; the IPC channel's fd and NODE_CHANNEL_FD
    // pass through it. Nothing else of tshd's environment does (NODE_OPTIONS included).
    this.child = fork(selfEntry('user-worker', script), [], {
      execPath: '/usr/bin/setpriv',
      execArgv: [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--init-groups', '--', process.execPath],
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: account.home, USER: account.name, LOGNAME: account.name },
      cwd: '/',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let err = '';
    this.child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
    this.ready = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    this.child.on('message', (msg: WorkerReply | WorkerEvent, handle: unknown) => {
      if ('event' in msg) {
        const deliver = this.unixListeners.get(msg.listener);
        if (deliver) deliver(halfOpen(handle as Socket));
        else (handle as Socket | undefined)?.destroy();
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve({ reply: msg, handle });
    });
    this.child.on('exit', (code, signal) => {
      if (code !== 0 || signal) log(`error: user worker for ${account.name} exited (${signal ?? code})${err ? `: ${err.trim()}` : ''}`);
      for (const p of this.pending.values()) p.reject(new ServiceError('the user worker exited', 'EPIPE'));
      this.pending.clear();
      onExit();
    });
    this.child.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  async request(req: Request): Promise<{ reply: WorkerReply; handle: unknown }> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...req, id } as WorkerRequest, (e) => {
        if (e) {
          this.pending.delete(id);
          reject(e);
        }
      });
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.child.connected) this.child.disconnect();
  }
}

/** A socket received from a worker keeps its write side after the peer's FIN, as ours do. */
function halfOpen(sock: Socket): Socket {
  (sock as Socket & { allowHalfOpen: boolean }).allowHalfOpen = true;
  return sock;
}

function check(r: { reply: WorkerReply }): WorkerReply & { ok: true } {
  if (!r.reply.ok) throw new ServiceError(r.reply.message, r.reply.code);
  return r.reply;
}

export class WorkerPool {
  private readonly workers = new Map<number, Worker>();
  /** `script`: the worker's entry point (tests running from sources pass the built one). */
  constructor(
    private readonly log: (line: string) => void,
    private readonly script: string = WORKER,
  ) {}

  /** The services for one connection of `account` (call release() when it closes). */
  forAccount(account: Account): UserServices {
    if (!needsDrop(account)) return localServices;
    let released = false;
    const worker = (): Worker => {
      let w = this.workers.get(account.uid);
      if (!w || w.stopped) {
        const created = new Worker(account, this.script, this.log, () => {
          if (this.workers.get(account.uid) === created) this.workers.delete(account.uid);
        });
        w = created;
        this.workers.set(account.uid, w);
      }
      return w;
    };
    let held: Worker | null = null;
    const hold = (): Worker => {
      if (held === null) {
        held = worker();
        held.users++;
      }
      return held;
    };
    return {
      connectTcp: async (host, port) => {
        const r = await hold().request({ op: 'connect-tcp', host, port });
        check(r);
        return halfOpen(r.handle as Socket);
      },
      connectUnix: async (path) => {
        const r = await hold().request({ op: 'connect-unix', path });
        check(r);
        return halfOpen(r.handle as Socket);
      },
      listenTcp: async (host, port): Promise<ListenResult> => {
        const r = await hold().request({ op: 'listen-tcp', host, port });
        const ok = check(r);
        return { server: halfOpenServer(r.handle as Server), port: ok.port ?? port };
      },
      listenUnix: async (path, opts): Promise<UnixListener> => {
        const w = hold();
        const ok = check(await w.request({ op: 'listen-unix', path, mask: opts.mask, unlink: opts.unlink }));
        const id = ok.listener ?? 0;
        // Connections that come before a callback is set wait for it.
        const early: Socket[] = [];
        let cb: ((sock: Socket) => void) | null = null;
        w.unixListeners.set(id, (sock) => (cb ? cb(sock) : early.push(sock)));
        return {
          onConnection: (f) => {
            cb = f;
            for (const sock of early.splice(0)) f(sock);
          },
          close: () => {
            if (!w.unixListeners.delete(id)) return;
            for (const sock of early.splice(0)) sock.destroy();
            if (!w.stopped) void w.request({ op: 'close-unix', listener: id }).catch(() => undefined);
          },
        };
      },
      listenAgent: async () => {
        // The directory is made by the user; the socket is bound here and given to the user.
        const ok = check(await hold().request({ op: 'agent-dir' }));
        return listenAgentSocket(ok.path ?? '', { uid: account.uid, gid: account.gid });
      },
      release: () => {
        if (released || held === null) return;
        released = true;
        held.users--;
        if (held.users <= 0) held.stop();
      },
    };
  }

  stopAll(): void {
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
  }
}

export { localServices };
