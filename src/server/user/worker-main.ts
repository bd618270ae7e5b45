/**
 * The per-user worker: started by tshd (as root) through setpriv, so it runs with the user's uid,
 * gid and groups, with a scrubbed environment. It answers requests on its IPC channel: make a TCP
 * or unix connection, or bind a listener, and hand the socket or server back. It exits when the
 * channel closes (tshd gone, or the user's last connection ended).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { agentDirectory } from './agent-socket.js';

export type WorkerRequest =
  | { readonly id: number; readonly op: 'connect-tcp'; readonly host: string; readonly port: number }
  | { readonly id: number; readonly op: 'connect-unix'; readonly path: string }
  | { readonly id: number; readonly op: 'listen-tcp'; readonly host: string; readonly port: number }
  | { readonly id: number; readonly op: 'agent-dir' }
  | { readonly id: number; readonly op: 'whoami' };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly port?: number; readonly path?: string; readonly uid?: number; readonly gid?: number; readonly groups?: number[] }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

function reply(msg: WorkerReply, handle?: Socket | Server): void {
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

if (typeof process.send !== 'function') {
  process.stderr.write('tshd worker: not started by tshd (no IPC channel)\n');
  process.exitCode = 1;
} else {
  process.on('message', (m: WorkerRequest) => onRequest(m));
  process.on('disconnect', () => process.exit(0));
  reply({ id: 0, ok: true });
}
