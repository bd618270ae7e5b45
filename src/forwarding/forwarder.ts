/**
 * All of a connection's forwards, as ssh.c ssh_init_forwarding() sets them up from the
 * configuration and clientloop.c process_cmdline() adds and cancels them (`~C`): local and
 * dynamic listeners, remote forward requests and the connections they bring, with ssh's messages
 * and ExitOnForwardFailure.
 */
import type { Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { Forward } from '../config/forward.js';
import { PORT_STREAMLOCAL } from '../config/forward.js';
import type { ResolvedClientConfig } from '../config/index.js';
import type { Logger } from '../session/log.js';
import { ChannelTable } from './channels.js';
import { listenTcp, listenUnix, type BoundListener } from './listen.js';
import { serveDynamic, serveLocal, type ConnectionContext, type Target } from './local.js';
import { rfwdBindHost, serveRemote, targetName } from './remote.js';

type SshClient = InstanceType<typeof ssh2.Client>;

interface IncomingTcp {
  destIP: string;
  destPort: number;
  srcIP: string;
  srcPort: number;
}

export type ForwardConfig = Pick<
  ResolvedClientConfig,
  | 'localForwards'
  | 'remoteForwards'
  | 'gatewayPorts'
  | 'exitOnForwardFailure'
  | 'clearAllForwardings'
  | 'addressFamily'
  | 'permitRemoteOpen'
  | 'streamLocalBindMask'
  | 'streamLocalBindUnlink'
>;

interface LocalEntry {
  readonly fwd: Forward;
  readonly dynamic: boolean;
  readonly listener: BoundListener;
}

interface RemoteEntry {
  readonly fwd: Forward;
  /** The address sent in the request (channel_rfwd_bind_host). */
  readonly bindHost: string;
  /** The port the server listens on (the allocated one for port 0). */
  port: number;
  readonly path: string | null;
}

/** A fatal forwarding failure (ExitOnForwardFailure): log `message`, exit 255. */
export class ForwardFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardFailure';
  }
}

export function isDynamicLocal(fwd: Forward): boolean {
  return fwd.connectHost === 'socks' && fwd.connectPort === 0 && fwd.connectPath === null;
}

export class Forwarder {
  readonly channels = new ChannelTable();
  readonly #client: SshClient;
  readonly #cfg: ForwardConfig;
  readonly #log: () => Logger;
  readonly #locals: LocalEntry[] = [];
  readonly #remotes: RemoteEntry[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #ctx: ConnectionContext & { permitRemoteOpen: readonly string[] };

  constructor(client: SshClient, cfg: ForwardConfig, log: () => Logger) {
    this.#client = client;
    this.#cfg = cfg;
    this.#log = log;
    this.#ctx = {
      client,
      log,
      channels: this.channels,
      permitRemoteOpen: cfg.permitRemoteOpen,
      track: (sock) => {
        this.#sockets.add(sock);
        sock.once('close', () => this.#sockets.delete(sock));
      },
    };
    client.on('tcp connection', (info: IncomingTcp, accept, reject) => {
      const e = this.#remotes.find((r) => r.path === null && r.bindHost === info.destIP && r.port === info.destPort);
      if (!e) return reject();
      serveRemote(this.#ctx, e.fwd, info.srcIP, accept, reject);
    });
    client.on('unix connection', (info: { socketPath: string }, accept, reject) => {
      const e = this.#remotes.find((r) => r.path === info.socketPath);
      if (!e) return reject();
      serveRemote(this.#ctx, e.fwd, 'forwarded-streamlocal', accept, reject);
    });
  }

  /**
   * ssh_init_forwarding(): every LocalForward/DynamicForward, then every RemoteForward, waiting
   * for the server's replies. Throws ForwardFailure (ExitOnForwardFailure) after the messages.
   */
  async start(): Promise<void> {
    const cfg = this.#cfg;
    if (cfg.clearAllForwardings) return;
    const log = this.#log();
    let success = 0;
    for (const fwd of cfg.localForwards) {
      log.debug1(
        `Local connections to ${fwd.listenPath ?? (fwd.listenHost === null ? (cfg.gatewayPorts ? '*' : 'LOCALHOST') : fwd.listenHost)}:${fwd.listenPort} forwarded to remote address ${fwd.connectPath ?? fwd.connectHost}:${fwd.connectPort}`,
      );
      if (await this.addLocal(fwd)) success++;
    }
    const n = cfg.localForwards.length;
    if (n > 0 && success !== n && cfg.exitOnForwardFailure) throw new ForwardFailure('Could not request local forwarding.');
    if (n > 0 && success === 0) log.error('Could not request local forwarding.');

    const replies = cfg.remoteForwards.map((fwd) => {
      log.debug1(
        `Remote connections from ${fwd.listenPath ?? fwd.listenHost ?? 'LOCALHOST'}:${fwd.listenPort} forwarded to local address ${fwd.connectPath ?? fwd.connectHost}:${fwd.connectPort}`,
      );
      return this.#requestRemote(fwd).then((ok) => ({ fwd, ok }));
    });
    // Replies come in request order; ssh acts on each as it arrives.
    for (const r of replies) {
      const { fwd, ok } = await r;
      if (ok) continue;
      const what = fwd.listenPath !== null ? `listen path ${fwd.listenPath}` : `listen port ${fwd.listenPort}`;
      if (cfg.exitOnForwardFailure) throw new ForwardFailure(`Error: remote port forwarding failed for ${what}`);
      this.#log().info(`Warning: remote port forwarding failed for ${what}`);
    }
  }

  /** channel_setup_local_fwd_listener(): a -L or -D listener; false after ssh's messages. */
  async addLocal(fwd: Forward): Promise<boolean> {
    const dynamic = isDynamicLocal(fwd);
    const target: Target | null = dynamic ? null : fwd.connectPort === PORT_STREAMLOCAL && fwd.connectPath !== null ? { path: fwd.connectPath } : { host: fwd.connectHost ?? '', port: fwd.connectPort };
    const onConnection = (sock: Socket): void => {
      if (target === null) serveDynamic(this.#ctx, sock, fwd.listenPort);
      else serveLocal(this.#ctx, sock, fwd.listenPort, target);
    };
    const cfg = this.#cfg;
    const ctype = dynamic ? 'dynamic-tcpip' : 'direct-tcpip';
    const listener =
      fwd.listenPort === PORT_STREAMLOCAL && fwd.listenPath !== null
        ? await listenUnix(fwd.listenPath, { log: this.#log(), channels: this.channels, ctype, bindMask: cfg.streamLocalBindMask, bindUnlink: cfg.streamLocalBindUnlink }, onConnection)
        : await listenTcp(fwd.listenHost, fwd.listenPort, { log: this.#log(), channels: this.channels, ctype, gatewayPorts: cfg.gatewayPorts, addressFamily: cfg.addressFamily }, onConnection);
    if (!listener) return false;
    this.#locals.push({ fwd, dynamic, listener });
    return true;
  }

  /** Sends tcpip-forward (or streamlocal-forward@openssh.com); resolves with the reply. */
  #requestRemote(fwd: Forward): Promise<boolean> {
    const client = this.#client;
    return new Promise((resolve) => {
      if (fwd.listenPath !== null && fwd.listenPort === PORT_STREAMLOCAL) {
        const entry: RemoteEntry = { fwd, bindHost: '', port: PORT_STREAMLOCAL, path: fwd.listenPath };
        client.openssh_forwardInStreamLocal(fwd.listenPath, (err) => {
          this.#log().debug1(`remote forward ${err ? 'failure' : 'success'} for: listen ${fwd.listenPath}, connect ${targetName(fwd)}`);
          if (!err) this.#remotes.push(entry);
          resolve(!err);
        });
        return;
      }
      const bindHost = rfwdBindHost(fwd.listenHost);
      client.forwardIn(bindHost, fwd.listenPort, (err, port) => {
        this.#log().debug1(
          `remote forward ${err ? 'failure' : 'success'} for: listen ${fwd.listenHost !== null ? `${fwd.listenHost}:` : ''}${fwd.listenPort}, connect ${fwd.connectPath ?? fwd.connectHost}:${fwd.connectPort}`,
        );
        if (err) return resolve(false);
        if (fwd.listenPort === 0) {
          this.#log().info(`Allocated port ${port} for remote forward to ${fwd.connectPath ?? fwd.connectHost}:${fwd.connectPort}`);
        }
        this.#remotes.push({ fwd, bindHost, port: fwd.listenPort === 0 ? port : fwd.listenPort, path: null });
        resolve(true);
      });
    });
  }

  /**
   * `~C -R...`: sends the request and answers at once, as process_cmdline() does (the reply is
   * only logged at debug level).
   */
  addRemote(fwd: Forward): boolean {
    try {
      void this.#requestRemote(fwd);
      return true;
    } catch {
      return false;
    }
  }

  /** `~C -KL/-KD`: channel_cancel_lport_listener(); true when a listener was closed. */
  cancelLocal(fwd: Forward, dynamic: boolean): boolean {
    const i = this.#locals.findIndex(
      (e) =>
        e.dynamic === dynamic &&
        (fwd.listenPath !== null ? e.fwd.listenPath === fwd.listenPath : e.fwd.listenPort === fwd.listenPort && (fwd.listenHost === null || e.fwd.listenHost === fwd.listenHost)),
    );
    if (i < 0) return false;
    this.#locals[i]!.listener.close();
    this.#locals.splice(i, 1);
    return true;
  }

  /** `~C -KR`: channel_request_rforward_cancel(); false when no such forward. */
  cancelRemote(fwd: Forward): boolean {
    const i = this.#remotes.findIndex((e) =>
      fwd.listenPath !== null ? e.path === fwd.listenPath : e.path === null && (e.fwd.listenPort === fwd.listenPort || e.port === fwd.listenPort) && (fwd.listenHost === null || e.fwd.listenHost === fwd.listenHost),
    );
    if (i < 0) return false;
    const e = this.#remotes[i]!;
    this.#remotes.splice(i, 1);
    try {
      if (e.path !== null) this.#client.openssh_unforwardInStreamLocal(e.path, () => undefined);
      else this.#client.unforwardIn(e.bindHost, e.fwd.listenPort === 0 ? e.port : e.fwd.listenPort, () => undefined);
    } catch {
      return false;
    }
    return true;
  }

  /** Stops listening for new connections (`~&`, shutdown); open connections go on. */
  stopListening(): void {
    for (const e of this.#locals) e.listener.close();
    this.#locals.length = 0;
  }

  /** Waits until every forwarded connection has ended. */
  drained(): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#sockets.size === 0) resolve();
      };
      for (const s of this.#sockets) s.once('close', () => setImmediate(check));
    });
  }

  /** Closes listeners and every forwarded connection. */
  close(): void {
    this.stopListening();
    for (const s of this.#sockets) s.destroy();
  }
}
