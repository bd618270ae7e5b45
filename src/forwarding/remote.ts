/**
 * Remote forwards (-R, RemoteForward): the tcpip-forward request (channels.c
 * channel_request_remote_forwarding(), ssh.c ssh_confirm_remote_forward()) and, per connection the
 * server opens back (forwarded-tcpip / forwarded-streamlocal@openssh.com), a local connection to
 * the target (connect_to()), or, for a dynamic remote forward (-R [bind:]port), a SOCKS request
 * read from the channel and checked against PermitRemoteOpen.
 */
import { connect, type Socket } from 'node:net';
import type { Channel } from 'ssh2';
import type { Forward } from '../config/forward.js';
import { PORT_STREAMLOCAL } from '../config/forward.js';
import { strerror } from '../errors.js';
import { bridge } from './bridge.js';
import type { ConnectionContext } from './local.js';
import { socksHandshake } from './socks.js';

/** channel_rfwd_bind_host(): the address sent in tcpip-forward. */
export function rfwdBindHost(listenHost: string | null): string {
  if (listenHost === null) return 'localhost';
  if (listenHost === '' || listenHost === '*') return '';
  return listenHost;
}

/** A dynamic remote forward: -R [bind:]port (connect host "socks", no port). */
export function isRemoteDynamic(fwd: Forward): boolean {
  return fwd.connectPath === null && fwd.connectHost === 'socks' && fwd.connectPort === 0;
}

/** How ssh names the target in its messages: a path, or host:port. */
export function targetName(fwd: Forward): string {
  return fwd.connectPath !== null ? fwd.connectPath : `${fwd.connectHost}:${fwd.connectPort}`;
}

/**
 * PermitRemoteOpen: empty (or "any") allows all; "none" nothing; otherwise host:port patterns
 * where "*" stands for any host or any port.
 */
export function remoteOpenPermitted(permit: readonly string[], host: string, port: number): boolean {
  if (permit.length === 0 || permit.some((p) => p.toLowerCase() === 'any')) return true;
  return permit.some((p) => {
    if (p.toLowerCase() === 'none') return false;
    const i = p.lastIndexOf(':');
    if (i < 0) return false;
    let h = p.slice(0, i);
    if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
    const pp = p.slice(i + 1);
    // open_match(): exact strings (strcmp), "*" for any host or port.
    return (h === '*' || h === host) && (pp === '*' || Number(pp) === port);
  });
}

function connectLocal(target: { host: string; port: number } | { path: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = 'path' in target ? connect({ path: target.path, allowHalfOpen: true }) : connect({ host: target.host, port: target.port, allowHalfOpen: true });
    sock.pause();
    sock.once('connect', () => {
      sock.off('error', reject);
      sock.setNoDelay?.(true);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

export type Accept = () => Channel;
export type Reject = () => void;

/**
 * An incoming forwarded connection for `fwd`. `originator` names the channel in `~#` as ssh does
 * (the originator address for TCP, "forwarded-streamlocal" for a Unix socket).
 */
export function serveRemote(ctx: ConnectionContext & { permitRemoteOpen: readonly string[] }, fwd: Forward, originator: string, accept: Accept, reject: Reject): void {
  const log = ctx.log;
  const ctype = fwd.listenPath !== null ? 'forwarded-streamlocal@openssh.com' : 'forwarded-tcpip';
  if (isRemoteDynamic(fwd)) {
    const ch = accept();
    const id = ctx.channels.alloc('connection', ctype, originator);
    socksHandshake(ch).then(
      (req) => {
        if (!remoteOpenPermitted(ctx.permitRemoteOpen, req.host, req.port)) {
          log().debug1('rdynamic_connect_finish: requested forward not permitted');
          req.failed(1);
          ctx.channels.free(id);
          return;
        }
        connectLocal({ host: req.host, port: req.port }).then(
          (sock) => {
            ctx.track(sock);
            req.granted();
            if (req.rest.length > 0) sock.write(req.rest);
            bridge(sock, ch, { onClose: () => ctx.channels.free(id) });
          },
          (err: unknown) => {
            log().error(`connect_to ${req.host} port ${req.port}: failed.`);
            log().debug1(`connect_to: ${strerror(err)}`);
            req.failed((err as { code?: string }).code);
            ctx.channels.free(id);
          },
        );
      },
      (err: Error) => {
        log().debug1(`channel ${id}: ${err.message}`);
        ch.close();
        ctx.channels.free(id);
      },
    );
    return;
  }
  const target = fwd.connectPort === PORT_STREAMLOCAL && fwd.connectPath !== null ? { path: fwd.connectPath } : { host: fwd.connectHost ?? '', port: fwd.connectPort };
  // connect_to(): the channel exists while connecting.
  const id = ctx.channels.alloc('connection', ctype, originator);
  connectLocal(target).then(
    (sock) => {
      ctx.track(sock);
      bridge(sock, accept(), { onClose: () => ctx.channels.free(id) });
    },
    () => {
      ctx.channels.free(id);
      if ('path' in target) log().error(`connect_to ${target.path}: failed.`);
      else log().error(`connect_to ${target.host} port ${target.port}: failed.`);
      reject();
    },
  );
}
