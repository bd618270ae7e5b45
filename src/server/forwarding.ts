/**
 * tshd's side of port forwarding, as sshd's channels.c/serverloop.c do it: direct-tcpip (ssh -L,
 * -D), direct-streamlocal (ssh -L to a unix socket), tcpip-forward / cancel-tcpip-forward (ssh -R,
 * port 0 allocation), each allowed only by the policy: DisableForwarding, AllowTcpForwarding,
 * AllowStreamLocalForwarding, PermitOpen, PermitListen, GatewayPorts, and the authorized_keys
 * options (restrict, no-port-forwarding, permitopen=, permitlisten=). Connects and binds go
 * through the user's services (a worker running as the user), so the kernel checks them as the
 * user; the bytes flow in tshd between the socket and the channel, with backpressure and
 * half-close both ways.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Connection, ServerChannel } from 'ssh2';
import type { KeyOptions } from './authorized-keys.js';
import type { ResolvedServerConfig } from './config/index.js';
import type { ConnServices, Listener } from './privsep/rpc.js';

const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
const OPEN_CONNECT_FAILED = 2;

export interface ForwardingContext {
  readonly cfg: ResolvedServerConfig;
  readonly keyOptions: KeyOptions | null;
  readonly services: ConnServices;
  readonly log: (line: string) => void;
  /** Is the user root (binds below 1024 are theirs)? */
  readonly isRoot: boolean;
}

/**
 * Pipes a channel and a socket both ways; each side's end becomes the other's EOF, and the
 * channel closes only once both directions are done. (ssh2 closes a server channel as soon as
 * its writable side ends, which would cut off the answer of a peer that half-closed first, so
 * the socket's end is passed on as a bare EOF.)
 */
export function bridge(channel: Duplex, sock: Socket): void {
  const ch = channel as Duplex & { eof(): void; close(): void };
  sock.setNoDelay(true);
  channel.pipe(sock);
  sock.pipe(channel, { end: false });
  // EOF goes straight out, ahead of data the channel still holds back for the peer's window: it
  // is sent only once every earlier write has gone (an empty write completes after them).
  sock.on('end', () => channel.write(Buffer.alloc(0), () => ch.eof()));
  const close = (): void => {
    sock.destroy();
    ch.close();
  };
  sock.on('error', close);
  channel.on('error', close);
  sock.on('close', () => ch.close());
  channel.on('close', () => sock.destroy());
  sock.resume();
}

/** "host:port" permission lists (PermitOpen, permitopen=): any, none, or entries with * for the port. */
export function permitted(list: readonly string[], host: string, port: number): boolean {
  if (list.length === 0 || (list.length === 1 && list[0] === 'any')) return true;
  if (list.length === 1 && list[0] === 'none') return false;
  return list.some((entry) => {
    const i = entry.lastIndexOf(':');
    if (i < 0) return false;
    let h = entry.slice(0, i);
    if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
    const p = entry.slice(i + 1);
    return (h === '*' || h.toLowerCase() === host.toLowerCase()) && (p === '*' || Number(p) === port);
  });
}

/** PermitListen / permitlisten=: "port", "host:port", "*:port", or none/any. */
export function listenPermitted(list: readonly string[], host: string, port: number): boolean {
  if (list.length === 0 || (list.length === 1 && list[0] === 'any')) return true;
  if (list.length === 1 && list[0] === 'none') return false;
  return list.some((entry) => {
    const i = entry.lastIndexOf(':');
    const h = i < 0 ? null : entry.slice(0, i);
    const p = i < 0 ? entry : entry.slice(i + 1);
    const hostOk = h === null || h === '*' || h === host || (h === 'localhost' && (host === '' || host === 'localhost'));
    return hostOk && (p === '*' || Number(p) === port);
  });
}

/** The address a remote forward binds (sshd's channel_fwd_bind_addr with GatewayPorts). */
export function bindAddress(requested: string, gatewayPorts: ResolvedServerConfig['gatewayPorts']): string {
  if (gatewayPorts === 'no') return '127.0.0.1';
  if (gatewayPorts === 'yes') return '0.0.0.0';
  if (requested === '' || requested === '*' || requested === '0.0.0.0') return '0.0.0.0';
  if (requested === 'localhost') return '127.0.0.1';
  return requested;
}

type OpenFail = (reason: number, description: string) => void;

/**
 * ssh2's reject() for a channel open always says "connect failed" with no text; sshd says
 * "administratively prohibited: open failed" for a policy refusal and "connect failed: <errno
 * text>" for a failed connect, and OpenSSH's ssh prints them. This sends ours instead.
 */
function openFailer(client: Connection, reject: () => void): OpenFail {
  return (reason, description) => {
    const proto = (client as unknown as { _protocol: { channelOpenFail: (s: number, r: number, d: string) => void } })._protocol;
    const orig = proto.channelOpenFail;
    proto.channelOpenFail = (sender: number) => orig.call(proto, sender, reason, description);
    try {
      reject();
    } finally {
      proto.channelOpenFail = orig;
    }
  };
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EADDRINUSE: 'Address already in use',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
};

/** Which kinds of forwarding a login may use (the configuration and the key's options). */
export function forwardingPolicy(cfg: ResolvedServerConfig, keyOptions: KeyOptions | null) {
  const keyAllows = !keyOptions || keyOptions.permitPortForwarding;
  return {
    tcpLocal: !cfg.disableForwarding && keyAllows && (cfg.allowTcpForwarding === 'yes' || cfg.allowTcpForwarding === 'local'),
    tcpRemote: !cfg.disableForwarding && keyAllows && (cfg.allowTcpForwarding === 'yes' || cfg.allowTcpForwarding === 'remote'),
    unixLocal: !cfg.disableForwarding && keyAllows && (cfg.allowStreamLocalForwarding === 'yes' || cfg.allowStreamLocalForwarding === 'local'),
    unixRemote: !cfg.disableForwarding && keyAllows && (cfg.allowStreamLocalForwarding === 'yes' || cfg.allowStreamLocalForwarding === 'remote'),
    agent: cfg.allowAgentForwarding && !cfg.disableForwarding && (!keyOptions || keyOptions.permitAgentForwarding),
    /** PermitOpen and permitopen= for a direct-tcpip destination. */
    open: (host: string, port: number): boolean => permitted(cfg.permitOpen, host, port) && (!keyOptions || keyOptions.permitOpen.length === 0 || permitted(keyOptions.permitOpen, host, port)),
  };
}

/** Serves the forwarding requests of one authenticated connection. */
export function serveForwarding(client: Connection, ctx: ForwardingContext): void {
  const { cfg, log } = ctx;
  const { tcpLocal, tcpRemote, unixLocal, unixRemote, open } = forwardingPolicy(cfg, ctx.keyOptions);
  const listeners = new Map<string, Listener>();
  const unixListeners = new Map<string, Listener>();
  let closed = false;

  /**
   * streamlocal-forward@openssh.com (serverloop.c): refused unless AllowStreamLocalForwarding
   * allows remote forwards; the socket is bound by the user (a path the user may not write fails);
   * each connection to it opens a forwarded-streamlocal@openssh.com channel. The socket is removed
   * on cancel and when the connection ends.
   */
  const streamLocal = (name: string, path: string, accept: (() => void) | undefined, reject: (() => void) | undefined): void => {
    if (name === 'cancel-streamlocal-forward@openssh.com') {
      const l = unixListeners.get(path);
      if (!l) return reject?.();
      l.close();
      unixListeners.delete(path);
      return accept?.();
    }
    if (!unixRemote) {
      log(`streamlocal-forward listen path ${path}: streamlocal forwarding disabled`);
      return reject?.();
    }
    if (unixListeners.has(path)) {
      log(`unix_listener: cannot bind to path ${path}: Address already in use`);
      return reject?.();
    }
    ctx.services.listenUnix(path, { mask: cfg.streamLocalBindMask, unlink: cfg.streamLocalBindUnlink }).then(
      (l) => {
        if (closed) return l.close();
        unixListeners.set(path, l);
        l.onConnection((sock) => {
          client.openssh_forwardOutStreamLocal(path, (err, channel) => {
            if (err) {
              sock.destroy();
              return;
            }
            bridge(channel as unknown as Duplex, sock);
          });
        });
        accept?.();
      },
      (err: { code?: string; message: string }) => {
        log(`unix_listener: cannot bind to path ${path}: ${ERRNO_TEXT[err.code ?? ''] ?? err.message}`);
        reject?.();
      },
    );
  };

  client.on('tcpip', (accept, reject, info) => {
    const fail = openFailer(client, reject);
    const host = info.destIP;
    const port = info.destPort;
    const allowed = tcpLocal && open(host, port);
    if (!allowed) {
      log(`Received request from ${info.srcIP} port ${info.srcPort} to connect to host ${host} port ${port}, but the request was denied.`);
      return fail(OPEN_ADMINISTRATIVELY_PROHIBITED, 'open failed');
    }
    ctx.services.connectTcp(host, port).then(
      (sock) => bridge(accept() as unknown as ServerChannel, sock),
      (err: { code?: string; message: string }) => {
        log(`connect_to ${host} port ${port}: failed.`);
        fail(OPEN_CONNECT_FAILED, ERRNO_TEXT[err.code ?? ''] ?? err.message);
      },
    );
  });

  client.on('openssh.streamlocal', (accept, reject, info) => {
    const fail = openFailer(client, reject);
    if (!unixLocal) return fail(OPEN_ADMINISTRATIVELY_PROHIBITED, 'open failed');
    ctx.services.connectUnix(info.socketPath).then(
      (sock) => bridge(accept() as unknown as ServerChannel, sock),
      (err: { code?: string; message: string }) => fail(OPEN_CONNECT_FAILED, ERRNO_TEXT[err.code ?? ''] ?? err.message),
    );
  });

  client.on('request', (accept, reject, name, info) => {
    // ssh2's types know only the tcpip requests; it emits the streamlocal ones too.
    const request = name as string;
    if (request === 'streamlocal-forward@openssh.com' || request === 'cancel-streamlocal-forward@openssh.com') {
      return streamLocal(request, (info as unknown as { socketPath: string }).socketPath, accept, reject);
    }
    if (name !== 'tcpip-forward' && name !== 'cancel-tcpip-forward') return reject?.();
    const req = info as { bindAddr: string; bindPort: number };
    const key = `${req.bindAddr}:${req.bindPort}`;
    if (name === 'cancel-tcpip-forward') {
      const srv = listeners.get(key);
      if (!srv) return reject?.();
      srv.close();
      listeners.delete(key);
      return accept?.();
    }
    const port = req.bindPort;
    const listenOk = tcpRemote && listenPermitted(cfg.permitListen, req.bindAddr, port) && (!ctx.keyOptions || ctx.keyOptions.permitListen.length === 0 || listenPermitted(ctx.keyOptions.permitListen, req.bindAddr, port));
    if (!listenOk) {
      log(`Rejected remote forwarding request for ${req.bindAddr}:${port}: not permitted.`);
      return reject?.();
    }
    const host = bindAddress(req.bindAddr, cfg.gatewayPorts);
    ctx.services.listenTcp(host, port).then(
      (l) => {
        const bound = l.port;
        if (closed) return l.close();
        listeners.set(port === 0 ? `${req.bindAddr}:${bound}` : key, l);
        l.onConnection((sock: Socket) => {
          client.forwardOut(req.bindAddr, bound, sock.remoteAddress ?? '', sock.remotePort ?? 0, (err, channel) => {
            if (err) {
              sock.destroy();
              return;
            }
            bridge(channel as unknown as Duplex, sock);
          });
        });
        (accept as ((port?: number) => void) | undefined)?.(bound);
      },
      (err: { message: string }) => {
        log(`error: bind [${host}]:${port}: ${err.message}`);
        reject?.();
      },
    );
  });

  client.on('close', () => {
    closed = true;
    for (const srv of listeners.values()) srv.close();
    listeners.clear();
    for (const l of unixListeners.values()) l.close();
    unixListeners.clear();
  });
}
