/**
 * The per-user worker: started by tshd (as root) through setpriv, so it runs with the user's uid,
 * gid and groups, with a scrubbed environment. It answers requests on its IPC channel: make a TCP
 * or unix connection, or bind a listener, and hand the socket or server back. A unix-socket
 * listener (streamlocal-forward) stays here instead, since closing it where it was bound is what
 * removes the file: each connection it accepts is handed to tshd. The worker exits when the channel
 * closes (tshd gone, or the user's last connection ended), removing its unix sockets first.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { agentDirectory } from './agent-socket.js';
import { bindUnix } from './services.js';

export type WorkerRequest =
  | { readonly id: number; readonly op: 'connect-tcp'; readonly host: string; readonly port: number }
  | { readonly id: number; readonly op: 'connect-unix'; readonly path: string }
  | { readonly id: number; readonly op: 'listen-tcp'; readonly host: string; readonly port: number }
  | { readonly id: number; readonly op: 'listen-unix'; readonly path: string; readonly mask: number; readonly unlink: boolean }
  | { readonly id: number; readonly op: 'close-unix'; readonly listener: number }
  | { readonly id: number; readonly op: 'agent-dir' }
  | { readonly id: number; readonly op: 'whoami' };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly port?: number; readonly listener?: number; readonly path?: string; readonly uid?: number; readonly gid?: number; readonly groups?: number[] }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** Not a reply: a connection accepted on unix listener `listener` (the socket is the handle). */
export interface WorkerEvent {
  readonly event: 'unix-connection';
  readonly listener: number;
}

/** The unix listeners this worker holds, by number. */
const unixListeners = new Map<number, Server>();
let nextListener = 1;

function reply(msg: WorkerReply | WorkerEvent, handle?: Socket | Server): void {
  process.send!(msg, handle as never, { keepOpen: false } as never);
}

function failed(id: number, err: NodeJS.ErrnoException): void {
  reply({ id, ok: false, message: err.message, code: err.code });
}

function onRequest(req: WorkerRequest): void {
  switch (req.op) {
    case 'whoami':
      reply({ id: req.id, ok: true, uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() });
      return;
    case 'connect-tcp':
    case 'connect-unix': {
      const sock = req.op === 'connect-tcp' ? connect({ host: req.host, port: req.port }) : connect({ path: req.path });
      sock.once('error', (err) => failed(req.id, err));
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        sock.pause();
        reply({ id: req.id, ok: true }, sock);
      });
      return;
    }
    case 'agent-dir': {
      try {
        reply({ id: req.id, ok: true, path: agentDirectory() });
      } catch (err) {
        failed(req.id, err as NodeJS.ErrnoException);
      }
      return;
    }
    case 'listen-unix': {
      listenUnix(req.id, req.path, req.mask, req.unlink);
      return;
    }
    case 'close-unix': {
      unixListeners.get(req.listener)?.close();
      unixListeners.delete(req.listener);
      reply({ id: req.id, ok: true });
      return;
    }
    case 'listen-tcp': {
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
      server.once('error', (err) => failed(req.id, err));
      server.listen({ host: req.host, port: req.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        const a = server.address();
        const port = typeof a === 'object' && a ? a.port : req.port;
        // The listening socket goes to tshd; this process stops accepting on it.
        reply({ id: req.id, ok: true, port }, server);
        setImmediate(() => server.close());
      });
      return;
    }
  }
}

/** streamlocal-forward: binds as this user; each accepted connection goes to tshd, paused. */
function listenUnix(id: number, path: string, mask: number, unlink: boolean): void {
  bindUnix(path, { mask, unlink }).then(
    (server) => {
      const listener = nextListener++;
      unixListeners.set(listener, server);
      server.on('connection', (sock: Socket) => reply({ event: 'unix-connection', listener }, sock));
      reply({ id, ok: true, listener });
    },
    (err: NodeJS.ErrnoException) => failed(id, err),
  );
}

/** Closing a bound unix listener removes its file (libuv unlinks it). */
function closeUnixListeners(): void {
  for (const server of unixListeners.values()) server.close();
  unixListeners.clear();
}

if (typeof process.send !== 'function') {
  process.stderr.write('tshd worker: not started by tshd (no IPC channel)\n');
  process.exitCode = 1;
} else {
  process.on('message', (m: WorkerRequest) => onRequest(m));
  process.on('disconnect', () => {
    closeUnixListeners();
    process.exit(0);
  });
  reply({ id: 0, ok: true });
}
