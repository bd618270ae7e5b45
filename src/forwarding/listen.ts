/**
 * Local listeners for -L and -D, as channels.c channel_setup_fwd_listener_tcpip() and
 * channel_setup_fwd_listener_streamlocal() make them for the client: the bind address follows
 * channel_fwd_bind_addr() (no address: loopback, or every address with GatewayPorts; "" or "*":
 * every address; "localhost": loopback in both families; anything else: that address), one socket
 * per address found, each its own channel number, and ssh's messages when a bind fails.
 */
import { lookup } from 'node:dns/promises';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { strerror } from '../errors.js';
import type { Logger } from '../session/log.js';
import type { ChannelTable } from './channels.js';

export interface BindOptions {
  readonly gatewayPorts: boolean;
  readonly addressFamily: 'any' | 'inet' | 'inet6';
}

/** channel_fwd_bind_addr() for the client: the address to resolve, or wildcard / loopback. */
export function clientBindAddress(listenHost: string | null, gatewayPorts: boolean): { wildcard: boolean; addr: string | null } {
  if (listenHost === null) return { wildcard: gatewayPorts, addr: null };
  if (listenHost === '' || listenHost === '*') return { wildcard: true, addr: null };
  if (listenHost === 'localhost') return { wildcard: false, addr: null };
  return { wildcard: false, addr: listenHost };
}

/** The addresses getaddrinfo() gives ssh for the bind, in its order. */
export async function bindAddresses(listenHost: string | null, opts: BindOptions): Promise<string[]> {
  const { wildcard, addr } = clientBindAddress(listenHost, opts.gatewayPorts);
  const fam = (a: string): boolean => opts.addressFamily === 'any' || (opts.addressFamily === 'inet') === !a.includes(':');
  if (addr === null) return (wildcard ? ['0.0.0.0', '::'] : ['::1', '127.0.0.1']).filter(fam);
  const family = opts.addressFamily === 'inet' ? 4 : opts.addressFamily === 'inet6' ? 6 : 0;
  const found = await lookup(addr, { all: true, family, verbatim: true });
  return found.map((f) => f.address);
}

function listenOn(server: Server, options: { host?: string; port?: number; path?: string; ipv6Only?: boolean }): Promise<Error | null> {
  return new Promise((resolve) => {
    const onError = (err: Error): void => resolve(err);
    server.once('error', onError);
    server.listen({ ...options, backlog: 128, exclusive: true }, () => {
      server.off('error', onError);
      resolve(null);
    });
  });
}

export interface BoundListener {
  /** One channel number per listening socket. */
  readonly ids: readonly number[];
  readonly servers: readonly Server[];
  close(): void;
}

/**
 * Listens on TCP `port` of `listenHost` per the rules above; each accepted socket goes to
 * `onConnection`. Null (after ssh's messages) when no socket could listen.
 */
export async function listenTcp(
  listenHost: string | null,
  port: number,
  opts: BindOptions & { log: Logger; channels: ChannelTable; ctype: string },
  onConnection: (sock: Socket) => void,
): Promise<BoundListener | null> {
  const { log } = opts;
  let addrs: string[];
  try {
    addrs = await bindAddresses(listenHost, opts);
  } catch (err) {
    log.error(`channel_setup_fwd_listener_tcpip: getaddrinfo(${listenHost}): ${gaiError(err)}`);
    return null;
  }
  const servers: Server[] = [];
  const ids: number[] = [];
  for (let i = 0; i < addrs.length; i++) {
    const a = addrs[i]!;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
    log.debug1(`Local forwarding listening on ${a} port ${port}.`);
    const err = await listenOn(server, { host: a, port, ipv6Only: a.includes(':') });
    if (err) {
      const line = `bind [${a}]:${port}: ${strerror(err)}`;
      if (i === addrs.length - 1) log.error(line);
      else log.verbose(line);
      continue;
    }
    servers.push(server);
    ids.push(opts.channels.alloc('listener', opts.ctype, 'port listener'));
  }
  if (servers.length === 0) {
    log.error(`channel_setup_fwd_listener_tcpip: cannot listen to port: ${port}`);
    return null;
  }
  return closer(servers, ids, opts.channels);
}

/** A Unix-socket listener (StreamLocalBindMask, StreamLocalBindUnlink). */
export async function listenUnix(
  path: string,
  opts: { log: Logger; channels: ChannelTable; ctype: string; bindMask: number; bindUnlink: boolean },
  onConnection: (sock: Socket) => void,
): Promise<BoundListener | null> {
  if (opts.bindUnlink) {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // not there
    }
  }
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  const omask = process.umask(opts.bindMask);
  let err: Error | null;
  try {
    err = await listenOn(server, { path });
  } finally {
    process.umask(omask);
  }
  if (err) {
    opts.log.error(`${path}: cannot listen: ${strerror(err)}`);
    opts.log.error(`channel_setup_fwd_listener_streamlocal: cannot listen to path: ${path}`);
    return null;
  }
  try {
    chmodSync(path, 0o777 & ~opts.bindMask);
  } catch {
    // best effort
  }
  const id = opts.channels.alloc('listener', opts.ctype, 'unix listener');
  const l = closer([server], [id], opts.channels);
  return {
    ...l,
    close: () => {
      l.close();
      try {
        unlinkSync(path);
      } catch {
        // gone
      }
    },
  };
}

function closer(servers: Server[], ids: number[], channels: ChannelTable): BoundListener {
  let closed = false;
  return {
    ids,
    servers,
    close: () => {
      if (closed) return;
      closed = true;
      for (const s of servers) s.close();
      for (const id of ids) channels.free(id);
    },
  };
}

function gaiError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOTFOUND') return 'Name or service not known';
  if (code === 'EAI_AGAIN') return 'Temporary failure in name resolution';
  return strerror(err);
}
