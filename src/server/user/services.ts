/**
 * What tshd does on a logged-in user's behalf besides running programs: TCP connects and binds
 * for forwarding, and (later) the SFTP server. As root, these run in a per-user worker process
 * that has dropped to the user (worker.ts, one per uid, shared by all of that user's connections,
 * gone when idle), so the kernel checks them with the user's rights: a bind below 1024 fails, a
 * unix socket only the user may reach is reached. When tshd serves only its own account, they run
 * in-process (LocalServices).
 *
 * Sockets and servers cross the process boundary as handles (Node's IPC), so the bytes of a
 * forwarded connection never go through the worker: it only makes the connect() or listen().
 */
import { statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { agentDirectory, listenAgentSocket } from './agent-socket.js';

/**
 * Accepted sockets keep their write side after the peer's FIN (allowHalfOpen), so a forwarded
 * client that sends its request and shuts down its side still gets the answer; and they start
 * paused until bridged. A server received from a worker is set the same way.
 */
export function halfOpenServer(server: Server): Server {
  const s = server as Server & { allowHalfOpen: boolean; pauseOnConnect: boolean };
  s.allowHalfOpen = true;
  s.pauseOnConnect = true;
  return server;
}

export interface ListenResult {
  readonly server: Server;
  /** The port actually bound (the one asked for, or the kernel's choice for 0). */
  readonly port: number;
}

/** A unix-socket listener bound as the user (streamlocal-forward@openssh.com). */
export interface UnixListener {
  /** Each accepted connection, paused and half-open. */
  onConnection(cb: (sock: Socket) => void): void;
  /** Stops listening and removes the socket file (as the user). */
  close(): void;
}

/** How a streamlocal-forward socket is bound: StreamLocalBindMask and StreamLocalBindUnlink. */
export interface UnixBindOptions {
  readonly mask: number;
  readonly unlink: boolean;
}

export interface UserServices {
  /** A TCP connection made as the user (direct-tcpip). */
  connectTcp(host: string, port: number): Promise<Socket>;
  /** A unix-socket connection made as the user (direct-streamlocal@openssh.com). */
  connectUnix(path: string): Promise<Socket>;
  /** A TCP listener bound as the user (tcpip-forward); connections are accepted in this process. */
  listenTcp(host: string, port: number): Promise<ListenResult>;
  /** A unix-socket listener bound as the user (streamlocal-forward@openssh.com). */
  listenUnix(path: string, opts: UnixBindOptions): Promise<UnixListener>;
  /** A private unix socket for agent forwarding, made by the user: its server and path. */
  listenAgent(): Promise<{ readonly server: Server; readonly path: string }>;
  /** This connection no longer needs the services (the worker may go once nobody does). */
  release(): void;
}

/** A connect error as the SSH layer reports it (errno code and text). */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

function settle<T extends Socket>(sock: T): Promise<T> {
  return new Promise((resolve, reject) => {
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => reject(new ServiceError(err.message, err.code)));
  });
}

/**
 * Binds a unix-socket listener in this process, as sshd's unix_listener(): with `unlink`, an
 * existing socket (only a socket) is removed first; the file is made under `mask`. Closing the
 * server removes the file.
 */
export function bindUnix(path: string, opts: UnixBindOptions): Promise<Server> {
  if (opts.unlink) {
    try {
      if (statSync(path).isSocket()) unlinkSync(path);
    } catch {
      // nothing there, or not ours to remove: bind() says what is wrong
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ServiceError(err.message, err.code)));
    // bind() happens inside listen(), synchronously: the mask covers it and nothing else.
    const old = process.umask(opts.mask);
    try {
      server.listen({ path, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve(server);
      });
    } finally {
      process.umask(old);
    }
  });
}

/** Connects and listens in this process (tshd serving its own account). */
export const localServices: UserServices = {
  connectTcp: (host, port) => settle(connect({ host, port, allowHalfOpen: true })),
  connectUnix: (path) => settle(connect({ path, allowHalfOpen: true })),
  listenTcp: (host, port) =>
    new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ServiceError(err.message, err.code)));
      server.listen({ host, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        const a = server.address();
        resolve({ server, port: typeof a === 'object' && a ? a.port : port });
      });
    }),
  listenUnix: async (path, opts) => {
    const server = await bindUnix(path, opts);
    return { onConnection: (cb) => server.on('connection', cb), close: () => server.close() };
  },
  listenAgent: () => listenAgentSocket(agentDirectory()),
  release: () => undefined,
};
