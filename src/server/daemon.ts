/**
 * tshd's connections, over ssh2's Server: host keys, algorithms (without the group-exchange kex
 * ssh2 cannot serve), TCP_NODELAY, pre-auth limits (MaxStartups, PerSourcePenalties,
 * LoginGraceTime, MaxAuthTries, MaxSessions), the userauth exchange (AuthenticationMethods
 * progress, password change requests, keyboard-interactive prompts), channel dispatch, and the
 * log lines sshd writes (so fail2ban-style tools work).
 *
 * Every decision and action that needs privilege (the account and its configuration, whether a
 * key, password or PAM conversation is good, PAM sessions, the user's programs, connects and binds
 * as the user) goes through the Privileged interface (privsep/rpc.ts): in this process when tshd
 * is not root, in the root monitor when it is (this module then runs in the unprivileged protocol
 * process, privsep/net-main.ts).
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { strerror } from '../errors.js';
import { forwardingPolicy, serveForwarding } from './forwarding.js';
import { MAXSTARTUPS_NOTICE, PENALTY_NOTICE, PenaltyBox, StartupLimiter, startupLimits, type LimitsLogger } from './limits.js';
import { MethodProgress, type Method } from './auth-methods.js';
import type { PamConversation } from './password/index.js';
import { DISCONNECT_PROTOCOL_ERROR, disconnectWith } from '../ssh2-raw.js';
import type { ResolvedServerConfig } from './config/index.js';
import ssh2, { type Connection, type AuthContext, type KeyboardAuthContext, type PasswordAuthContext, type PublicKeyAuthContext } from 'ssh2';
import { fingerprint, parsePublicKeyBlob, parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import type { KeyOptions } from './authorized-keys.js';
import { VERSION } from '../version.js';
import { serveSession, type Account } from './session.js';
import type { Privileged, UserVerdict } from './privsep/rpc.js';

const { Server } = ssh2;

export interface DaemonSettings {
  /** The private host keys, as ssh2's Server takes them. */
  readonly hostKeys: readonly Buffer[];
  /** The configuration before the user is known (LoginGraceTime, Banner, algorithms). */
  readonly global: ResolvedServerConfig;
  /** The Banner's text (read where the file is readable). */
  readonly banner?: string;
  readonly log: (line: string) => void;
  /** Authentication decisions and everything done as root or as the user. */
  readonly privileged: Privileged;
  /**
   * sshd -d: the first connection stops the listeners (`stopListening`) and is served alone,
   * without LoginGraceTime; `ended` settles when it closes. Read from the initial settings only.
   */
  readonly single?: boolean;
  readonly stopListening?: () => void;
}

export interface RunningDaemon {
  /** A connection accepted on one of the listeners. */
  accept(sock: Socket): void;
  /**
   * New settings for connections accepted from now on (SIGHUP). The host keys, algorithms and
   * Banner stay as they were started.
   */
  reconfigure(settings: DaemonSettings): void;
  /** Ends every connection; settles once their PAM sessions are closed (at most 10 s). */
  close(): Promise<void>;
  /** Single-connection mode: the exit status once that connection is gone (0: it had logged in; 255: it had not). */
  readonly ended: Promise<number> | null;
}

export interface Listening {
  readonly servers: readonly NetServer[];
  /** The ports actually bound (port 0 picks one). */
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
}

/**
 * Binds every listen address; each accepted connection goes to `onConnection`. With
 * `pauseOnConnect`, nothing is read from it here (the monitor hands it on unread).
 */
export async function listenOn(
  listen: readonly { readonly host: string; readonly port: number }[],
  log: (line: string) => void,
  onConnection: (sock: Socket) => void,
  pauseOnConnect = false,
): Promise<Listening> {
  const servers: NetServer[] = [];
  const addresses: { host: string; port: number }[] = [];
  try {
    for (const l of listen) {
      const srv = createServer({ pauseOnConnect }, onConnection);
      log(`debug1: Bind to port ${l.port} on ${l.host}.`);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (err: Error) => reject(Object.assign(err, { address: l.host, port: l.port })));
        srv.listen(l.port, l.host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const a = srv.address();
      addresses.push({ host: l.host, port: typeof a === 'object' && a ? a.port : l.port });
      servers.push(srv);
    }
  } catch (err) {
    for (const srv of servers) srv.close();
    throw err;
  }
  return { servers, addresses };
}

/** The Banner file's text (undefined: none, or unreadable, which is logged). */
export function readBanner(g: ResolvedServerConfig, log: (line: string) => void): string | undefined {
  if (g.banner === null) return undefined;
  try {
    return readFileSync(g.banner, 'utf8');
  } catch (err) {
    log(`error: Banner: ${g.banner}: ${strerror(err)}`);
    return undefined;
  }
}

const require = createRequire(import.meta.url);
const SUPPORTED = require('ssh2/lib/protocol/constants.js') as Record<string, readonly string[]>;

/**
 * The configured algorithm lists, in order, keeping what ssh2 implements. Group exchange is left
 * out: ssh2's server cannot serve it (it would disconnect the client mid-handshake).
 */
export function serverAlgorithms(cfg: ResolvedServerConfig): Record<string, string[]> {
  const keep = (list: string, supported: string, drop: (a: string) => boolean = () => false): string[] => {
    const have = new Set(SUPPORTED[supported] ?? []);
    return list.split(',').filter((a) => have.has(a) && !drop(a));
  };
  return {
    kex: keep(cfg.kexAlgorithms, 'SUPPORTED_KEX', (a) => a.startsWith('diffie-hellman-group-exchange')),
    cipher: keep(cfg.ciphers, 'SUPPORTED_CIPHER'),
    hmac: keep(cfg.macs, 'SUPPORTED_MAC'),
    serverHostKey: keep(cfg.hostKeyAlgorithms, 'SUPPORTED_SERVER_HOST_KEY'),
    compress: cfg.compression ? ['none', 'zlib@openssh.com'] : ['none'],
  };
}

function keyLabel(key: PublicKey): string {
  return `${key.label} ${fingerprint(key)}`;
}

function sameUser(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * ClientAliveInterval/CountMax: after `interval` seconds without input from the client, ask for a
 * reply (keepalive@openssh.com); after `countMax` unanswered asks, drop the connection.
 */
function watchClientAlive(client: Connection, sock: Socket, cfg: ResolvedServerConfig, onTimeout: () => void): void {
  if (cfg.clientAliveInterval <= 0) return;
  let missed = 0;
  sock.on('data', () => {
    missed = 0;
  });
  const timer = setInterval(() => {
    if (missed >= cfg.clientAliveCountMax) {
      clearInterval(timer);
      onTimeout();
      sock.destroy();
      return;
    }
    missed++;
    (client as unknown as { _protocol?: { ping(): void } })._protocol?.ping();
  }, cfg.clientAliveInterval * 1000);
  timer.unref();
  sock.on('close', () => clearInterval(timer));
}

/**
 * Opens an auth-agent@openssh.com channel to the client (ssh2's server has no API for it; this is
 * what its own openChannel() does for forwarded-tcpip, with the agent channel's open message).
 */
function openAgentChannel(client: Connection, cb: (err: Error | undefined, channel?: Duplex) => void): void {
  const c = client as unknown as {
    _chanMgr: { add(handler: unknown): number };
    _protocol: { openssh_authAgent(chan: number, window: number, packetSize: number): void };
  };
  const wrapper = Object.assign((err: Error | undefined, stream?: Duplex) => cb(err, stream), { type: 'auth-agent@openssh.com' });
  const localChan = c._chanMgr.add(wrapper);
  if (localChan === -1) return cb(new Error('No free channels available'));
  c._protocol.openssh_authAgent(localChan, 2 * 1024 * 1024, 32 * 1024);
}

/** The socket's file descriptor, for debug lines ("-1" when Node does not show it). */
function fdOf(sock: Socket): number {
  return (sock as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}

/** The limits module's logger: every level goes to the daemon's log (which filters by LogLevel). */
function limitsLog(log: (line: string) => void): LimitsLogger {
  return { error: log, info: log, debug1: (m) => log(`debug1: ${m}`), debug3: (m) => log(`debug3: ${m}`) };
}

/** Serves the connections given to accept(). */
export function startDaemon(initial: DaemonSettings): RunningDaemon {
  let current = initial;
  const g0 = initial.global;
  const sshServer = new Server({
    hostKeys: initial.hostKeys.map((k) => k),
    ident: `tshd_${VERSION}`,
    banner: initial.banner,
    algorithms: serverAlgorithms(g0) as never,
    // ssh2's packet-level trace, at LogLevel DEBUG3 only (it costs a call per packet).
    ...(g0.logLevel === 'DEBUG3' ? { debug: (m: string) => current.log(`debug3: ${m}`) } : {}),
  });
  const single = initial.single === true;
  let singleTaken = false;
  let endSingle: (status: number) => void = () => undefined;
  const ended = single ? new Promise<number>((resolve) => (endSingle = resolve)) : null;
  const sockets = new Set<Socket>();
  /** Connections being closed (awaited by close(), so pam_close_session runs before tshd exits). */
  const closing = new Set<Promise<void>>();
  const limiter = new StartupLimiter({ ...startupLimits(g0), log: limitsLog(initial.log) });
  const penalties = new PenaltyBox(g0.perSourcePenalties, g0.perSourcePenaltyExemptList, { netBlock: g0.perSourceNetBlockSize, log: limitsLog(initial.log) });
  /** Per-connection state, by "address port" of the peer, from accept until the SSH header. */
  const pending = new Map<string, { sock: Socket; onClient: (client: Connection) => void }>();
  let nextConn = 1;

  const onConnection = (sock: Socket): void => {
    const s = current;
    const g = s.global;
    const priv = s.privileged;
    const laddr = { address: sock.localAddress ?? '', port: sock.localPort ?? 0 };
    const raddr = sock.remoteAddress ?? 'UNKNOWN';
    const drop = penalties.check(raddr, sock.remotePort ?? 0, laddr, limiter.startups) ?? limiter.admit(raddr, sock.remotePort ?? 0, laddr);
    if (drop !== null) {
      s.log(drop);
      sock.on('error', () => undefined);
      sock.end(drop.includes('penalty') || drop.includes('penalised') ? PENALTY_NOTICE : MAXSTARTUPS_NOTICE);
      return;
    }
    if (single) {
      if (singleTaken) {
        sock.destroy();
        return;
      }
      // sshd -d: no other connection is accepted; this one is served alone.
      singleTaken = true;
      s.log('debug1: Server will not fork when running in debugging mode.');
      s.stopListening?.();
    }
    const conn = nextConn++;
    let counted = true;
    const uncount = (): void => {
      if (counted) limiter.release(raddr);
      counted = false;
    };
    let graceExceeded = false;
    sock.setNoDelay(true);
    sockets.add(sock);
    sock.on('error', () => undefined);
    const addr = sock.remoteAddress ?? 'UNKNOWN';
    const port = sock.remotePort ?? 0;
    const from = `${addr} port ${port}`;
    const info = { addr, port, laddr: laddr.address, lport: laddr.port };
    s.log(`debug2: fd ${fdOf(sock)} setting TCP_NODELAY`);
    s.log(`verbose: Connection from ${from} on ${laddr.address} port ${laddr.port} rdomain ""`);
    const key = `${addr} ${port}`;
    let user: string | null = null;
    let authenticated = false;
    let failures = 0;
    let keyOptions: KeyOptions | null = null;
    let loggedIn: Account | null = null;
    // sshd -d sets no LoginGraceTime alarm ("just annoying ... when you are about to discover the bug").
    const grace =
      g.loginGraceTime > 0 && !single
        ? setTimeout(() => {
            s.log(`Timeout before authentication for ${from}`);
            graceExceeded = true;
            sock.destroy();
          }, g.loginGraceTime * 1000)
        : null;
    sock.on('close', () => {
      sockets.delete(sock);
      pending.delete(key);
      uncount();
      if (!authenticated) {
        const line = penalties.record(addr, graceExceeded ? 'grace-exceeded' : failures > 0 ? 'authfail' : 'noauth');
        if (line !== null) s.log(line);
      }
      if (grace) clearTimeout(grace);
      if (authenticated) s.log(`Disconnected from user ${user} ${from}`);
      else if (user !== null) s.log(`Connection closed by authenticating user ${user} ${from} [preauth]`);
      else s.log(`Connection closed by ${from} [preauth]`);
      // The privileged side ends the connection's PAM session (sshd's finish_pam).
      const done = priv.closed(conn).catch(() => undefined);
      closing.add(done);
      void done.then(() => closing.delete(done));
      if (single) {
        if (authenticated) s.log(`verbose: Closing connection to ${addr} port ${port}`);
        const status = authenticated ? 0 : 255;
        void done.then(() => endSingle(status));
      }
    });

    const onClient = (client: Connection): void => {
      pending.delete(key);
      client.on('error', () => undefined);
      let cfg: ResolvedServerConfig = g;
      let progress: MethodProgress | null = null;
      let lookedUp: string | null = null;
      let verdict: Promise<UserVerdict> | null = null;
      let attempts = 0;
      const lookup = (name: string): Promise<UserVerdict> => {
        if (verdict !== null && lookedUp !== null && sameUser(lookedUp, name)) return verdict;
        lookedUp = name;
        progress = null;
        verdict = priv.user(conn, info, name);
        return verdict;
      };
      const failedCall = (ctx: AuthContext) => (err: Error) => {
        s.log(`error: authentication for ${ctx.username} from ${from}: ${err.message}`);
        if (!sock.destroyed) sock.destroy();
      };
      client.on('authentication', (ctx: AuthContext) => {
        s.log(`debug1: userauth-request for user ${ctx.username} service ssh-connection method ${ctx.method} [preauth]`);
        s.log(`debug1: attempt ${attempts++} failures ${failures} [preauth]`);
        user = ctx.username;
        lookup(ctx.username).then((v) => authenticate(ctx, v), failedCall(ctx));
      });
      const authenticate = (ctx: AuthContext, v: UserVerdict): void => {
        if (sock.destroyed) return;
        cfg = v.cfg;
        const valid = v.account !== null;
        if (progress === null) {
          const enabled = new Set<Method>();
          if (cfg.pubkeyAuthentication) enabled.add('publickey');
          if (cfg.passwordAuthentication && v.passwordsAvailable) enabled.add('password');
          if (cfg.kbdInteractiveAuthentication && v.passwordsAvailable) enabled.add('keyboard-interactive');
          progress = MethodProgress.fromConfig(cfg, enabled);
        }
        const prog = progress;
        const invalid = valid ? '' : 'invalid user ';
        const fail = failedCall(ctx);
        const reject = (partial = false): void => {
          if (ctx.method !== 'none' && !partial) failures++;
          if (failures >= cfg.maxAuthTries) {
            s.log(`error: maximum authentication attempts exceeded for ${invalid}${ctx.username} from ${from} ssh2 [preauth]`);
            s.log(`Disconnecting ${valid ? 'authenticating' : 'invalid'} user ${ctx.username} ${from}: Too many authentication failures [preauth]`);
            disconnectWith(client, DISCONNECT_PROTOCOL_ERROR, 'Too many authentication failures');
            sock.end();
            return;
          }
          ctx.reject(prog.next() as AuthContext['method'][], partial);
        };
        /** A method succeeded: the user is in, or (AuthenticationMethods) has more to do. */
        const success = (method: Method, detail: string): void => {
          // sshd names keyboard-interactive's device: "keyboard-interactive/pam".
          const label = method === 'keyboard-interactive' ? 'keyboard-interactive/pam' : method;
          if (!prog.succeeded(method)) {
            s.log(`Partial ${label} for ${ctx.username} from ${from} ssh2${detail}`);
            return reject(true);
          }
          priv.login(conn).then((r) => {
            if (sock.destroyed) return;
            if (r.ok === false) return reject();
            if (r.ok === 'drop') return void sock.destroy();
            authenticated = true;
            uncount();
            loggedIn = r.account;
            keyOptions = r.keyOptions;
            if (grace) clearTimeout(grace);
            s.log(`Accepted ${label} for ${ctx.username} from ${from} ssh2${detail}`);
            ctx.accept();
          }, fail);
        };
        if (!prog.allowed(ctx.method)) return reject();

        if (ctx.method === 'password') {
          const pwctx = ctx as PasswordAuthContext;
          const pw: unknown = pwctx.password;
          // A change request the client sends unasked (sshd: "password change not supported").
          if (typeof pw !== 'string') {
            s.log('password change not supported');
            return reject();
          }
          const failed = (): void => {
            s.log(`Failed password for ${invalid}${ctx.username} from ${from} ssh2`);
            reject();
          };
          priv.password(conn, pw).then((r) => {
            if (r.ok === true) return success('password', '');
            if (r.ok === false) return failed();
            // PAM wants a new password: SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; OpenSSH's ssh asks for
            // the old one again and the new one twice, then sends them (RFC 4252 section 8).
            s.log(`debug1: PAM: password change required for ${ctx.username}`);
            pwctx.requestChange(r.prompt, (newPassword: unknown) => {
              priv.changePassword(conn, typeof newPassword === 'string' ? newPassword : null).then((ok) => (ok ? success('password', '') : failed()), fail);
            });
          }, fail);
          return;
        }
        if (ctx.method === 'keyboard-interactive') {
          const kb = ctx as KeyboardAuthContext;
          const ask = (c: PamConversation): Promise<readonly string[] | null> =>
            new Promise((resolve) => {
              if (sock.destroyed) return resolve(null);
              kb.prompt(
                c.prompts.map((q) => ({ prompt: q.text, echo: q.echo })),
                '',
                c.info.join('\n'),
                (answers: string[]) => resolve(answers),
              );
            });
          priv.keyboardInteractive(conn, ask).then((ok) => {
            if (ok) return success('keyboard-interactive', '');
            s.log(`Failed keyboard-interactive/pam for ${invalid}${ctx.username} from ${from} ssh2`);
            reject();
          }, fail);
          return;
        }
        if (ctx.method !== 'publickey') return reject();
        const pk = ctx as PublicKeyAuthContext;
        let key: PublicKey;
        try {
          key = parsePublicKeyBlob(pk.key.data);
        } catch {
          return reject();
        }
        const signed = pk.signature ? { blob: pk.blob!, signature: pk.signature, hashAlgo: pk.hashAlgo } : null;
        priv.publickey(conn, pk.key.data, signed).then((ok) => {
          if (!ok) {
            if (pk.signature) s.log(`Failed publickey for ${invalid}${ctx.username} from ${from} ssh2: ${keyLabel(key)}`);
            return reject();
          }
          if (!pk.signature) return ctx.accept();
          success('publickey', `: ${keyLabel(key)}`);
        }, fail);
      };
      client.on('ready', () => {
        const account = loggedIn!;
        const services = priv.services(conn);
        serveForwarding(client, { cfg, keyOptions, services, log: s.log, isRoot: account.uid === 0 });
        const agentAllowed = forwardingPolicy(cfg, keyOptions).agent;
        const agent = { allowed: agentAllowed, listen: () => services.listenAgent(), open: (cb: (err: Error | undefined, ch?: Duplex) => void) => openAgentChannel(client, cb) };
        watchClientAlive(client, sock, cfg, () => s.log(`Timeout, client not responding from user ${user} ${from}`));
        let sessions = 0;
        client.on('session', (accept, reject) => {
          s.log('debug1: server_input_channel_open: ctype session');
          if (sessions >= cfg.maxSessions) return reject();
          sessions++;
          serveSession(accept(), {
            acceptEnv: cfg.acceptEnv,
            permitTty: cfg.permitTty,
            subsystems: new Set(cfg.subsystems.map((sub) => sub.name)),
            userName: account.name,
            keyOptions,
            log: s.log,
            start: (req) => priv.program(conn, req),
            agent,
            onClose: () => sessions--,
          });
        });
      });
    };
    pending.set(key, { sock, onClient });
    sshServer.injectSocket(sock);
  };

  sshServer.on('connection', (client: Connection, info: { ip: string; port: number; header?: { versions?: { protocol?: string; software?: string } } }) => {
    const p = pending.get(`${info.ip} ${info.port}`);
    if (!p) {
      client.end();
      return;
    }
    current.log(`debug1: Local version string SSH-2.0-tshd_${VERSION}`);
    current.log(`debug1: Remote protocol version ${info.header?.versions?.protocol ?? '2.0'}, remote software version ${info.header?.versions?.software ?? ''}`);
    p.onClient(client);
  });

  return {
    accept: onConnection,
    reconfigure: (next) => {
      current = next;
      limiter.reconfigure({ ...startupLimits(next.global), log: limitsLog(next.log) });
      penalties.reconfigure(next.global.perSourcePenalties, next.global.perSourcePenaltyExemptList, next.global.perSourceNetBlockSize);
    },
    ended,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
}

/** ~/.ssh/*.pub style sources: the keys of the plain public key files that parse. */
export function keysFromPubFiles(paths: readonly string[]): PublicKey[] {
  const out: PublicKey[] = [];
  for (const p of paths) {
    try {
      const line = parsePublicKeyLine(readFileSync(p, 'utf8').split('\n')[0] ?? '');
      if (line) out.push(line.key);
    } catch {
      // unreadable: skipped
    }
  }
  return out;
}
