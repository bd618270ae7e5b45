/**
 * One connection to a local forward (-L, LocalForward) or a dynamic one (-D, DynamicForward): a
 * direct-tcpip (or direct-streamlocal@openssh.com) channel to the target, bridged to the socket.
 * A failed open is logged as ssh logs it: "channel 3: open failed: connect failed: Connection refused".
 */
import type { Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import type { Logger } from '../session/log.js';
import { bridge } from './bridge.js';
import type { ChannelTable } from './channels.js';
import { socksHandshake } from './socks.js';

type SshClient = InstanceType<typeof ssh2.Client>;

export type Target = { readonly host: string; readonly port: number } | { readonly path: string };

/** channels.c reason2txt(). */
export function reasonText(reason: unknown): string {
  switch (reason) {
    case 1:
      return 'administratively prohibited';
    case 2:
      return 'connect failed';
    case 3:
      return 'unknown channel type';
    case 4:
      return 'resource shortage';
    default:
      return 'unknown reason';
  }
}

/** What ssh prints after "open failed: " for an ssh2 channel-open error. */
export function openFailure(err: Error & { reason?: unknown }): string {
  const desc = err.message.replace(/^\(SSH\) Channel open failure: ?/, '');
  return `${reasonText(err.reason)}${desc ? `: ${desc}` : ''}`;
}

export class OpenError extends Error {
  readonly reason: unknown;
  constructor(message: string, reason: unknown) {
    super(message);
    this.name = 'OpenError';
    this.reason = reason;
  }
}

/** Opens a direct channel to `target`, with the socket's peer as originator. */
export function openDirect(client: SshClient, target: Target, origin: { address: string; port: number }): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: (Error & { reason?: unknown }) | undefined, ch: ClientChannel): void => {
      if (err) reject(new OpenError(openFailure(err), err.reason));
      else resolve(ch);
    };
    try {
      if ('path' in target) client.openssh_forwardOutStreamLocal(target.path, cb);
      else client.forwardOut(origin.address, origin.port, target.host, target.port, cb);
    } catch (err) {
      reject(new OpenError(err instanceof Error ? err.message : String(err), undefined));
    }
  });
}

export interface ConnectionContext {
  readonly client: SshClient;
  readonly log: () => Logger;
  readonly channels: ChannelTable;
  /** Tracks live connections (for `~&` and shutdown). */
  readonly track: (sock: Socket) => void;
}

/** ssh's originator: the socket's peer, or 127.0.0.1 port 65535 when it has none (Unix). */
function originOf(sock: Socket): { address: string; port: number } {
  return sock.remoteAddress && sock.remotePort !== undefined ? { address: sock.remoteAddress, port: sock.remotePort } : { address: '127.0.0.1', port: 65535 };
}

function describe(rtype: string, listenPort: number, target: Target, sock: Socket): string {
  const o = originOf(sock);
  const to = 'path' in target ? `${target.path} port -2` : `${target.host} port ${target.port}`;
  return `${rtype}: listening port ${listenPort} for ${to}, connect from ${o.address} port ${o.port} to ${sock.localAddress ?? '127.0.0.1'} port ${sock.localPort ?? 65536}`;
}

/** A connection to a -L listener. */
export function serveLocal(ctx: ConnectionContext, sock: Socket, listenPort: number, target: Target): void {
  const rtype = 'path' in target ? 'direct-streamlocal@openssh.com' : 'direct-tcpip';
  const id = ctx.channels.alloc('connection', rtype, describe(rtype, listenPort, target, sock));
  ctx.track(sock);
  sock.setNoDelay?.(true);
  sock.on('error', () => undefined);
  openDirect(ctx.client, target, originOf(sock)).then(
    (ch) => bridge(sock, ch, { onClose: () => ctx.channels.free(id) }),
    (err: Error) => {
      ctx.log().info(`channel ${id}: open failed: ${err.message}`);
      ctx.channels.free(id);
      sock.destroy();
    },
  );
}

/** A connection to a -D listener: a SOCKS request, then a direct-tcpip channel to what it names. */
export function serveDynamic(ctx: ConnectionContext, sock: Socket, listenPort: number): void {
  const id = ctx.channels.alloc('connection', 'dynamic-tcpip', 'dynamic-tcpip');
  ctx.track(sock);
  sock.setNoDelay?.(true);
  sock.on('error', () => undefined);
  // pauseOnConnect: a 'data' listener alone does not start the reading.
  sock.resume();
  socksHandshake(sock).then(
    (req) => {
      ctx.log().debug1(`channel ${id}: dynamic request: socks${req.version} host ${req.host} port ${req.port} command 1`);
      ctx.channels.rename(id, describe('direct-tcpip', listenPort, { host: req.host, port: req.port }, sock));
      openDirect(ctx.client, { host: req.host, port: req.port }, originOf(sock)).then(
        (ch) => {
          req.granted();
          bridge(sock, ch, { head: req.rest, onClose: () => ctx.channels.free(id) });
        },
        (err: OpenError) => {
          ctx.log().info(`channel ${id}: open failed: ${err.message}`);
          ctx.channels.free(id);
          req.failed(typeof err.reason === 'number' ? err.reason : undefined);
        },
      );
    },
    (err: Error) => {
      ctx.log().debug1(`channel ${id}: ${err.message}`);
      ctx.channels.free(id);
    },
  );
}
