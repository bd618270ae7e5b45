/**
 * tshd's listener and connections, over ssh2's Server: host keys, algorithms (without the
 * group-exchange kex ssh2 cannot serve), TCP_NODELAY, pre-auth limits (LoginGraceTime,
 * MaxAuthTries, MaxSessions), public key authentication against authorized_keys, and the log
 * lines sshd writes (so fail2ban-style tools work).
 *
 * Everything is read from the sshd_config evaluator: the global configuration before the user is
 * known, then the configuration for the connection (Match User/Group/Address/...) once it is.
 * As root, tshd serves the system's accounts and runs their programs dropped to them (setpriv);
 * otherwise only the account it runs as.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { strerror } from '../errors.js';
import { groupsOf } from './accounts.js';
import { serveForwarding } from './forwarding.js';
import { WorkerPool } from './user/pool.js';
import { MAXSTARTUPS_NOTICE, PENALTY_NOTICE, PenaltyBox, StartupLimiter, startupLimits, type LimitsLogger } from './limits.js';
import { MethodProgress, passwordChecks, type Method } from './auth-methods.js';
import type { PamConversation } from './password/index.js';
import { DISCONNECT_PROTOCOL_ERROR, disconnectWith } from '../ssh2-raw.js';
import { refusedUser } from './allowed.js';
import { chrootFor } from './chroot.js';
import { expandAuthorizedKeysFiles, type ConnectionSpec, type ResolvedServerConfig } from './config/index.js';
import ssh2, { type Connection, type AuthContext, type KeyboardAuthContext, type PasswordAuthContext, type PublicKeyAuthContext } from 'ssh2';
import { fingerprint, parsePublicKeyBlob, parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import { findAuthorizedKey } from './authorized.js';
import { defaultKeyOptions, type KeyOptions } from './authorized-keys.js';
import type { PamTransaction } from './password/index.js';
import { VERSION } from '../version.js';
import type { HostKey } from './host-keys.js';
import { serveSession, type Account } from './session.js';

const { Server, utils } = ssh2;

export interface DaemonSettings {
  readonly listen: readonly { readonly host: string; readonly port: number }[];
  readonly hostKeys: readonly HostKey[];
  /** The account of a user name, or null for a user tshd does not serve. */
  readonly accounts: (name: string) => Account | null;
  /** The configuration before the user is known (LoginGraceTime, Banner, algorithms). */
  readonly global: ResolvedServerConfig;
  /** The configuration for a connection once the user is known (Match applied). */
  readonly configFor: (spec: ConnectionSpec) => ResolvedServerConfig;
  /** Plain .pub files whose keys are accepted too (npm start's ~/.ssh/*.pub). */
  readonly extraPubFiles?: (account: Account) => readonly string[];
  readonly log: (line: string) => void;
  /** UsePAM: the PAM service name (default "tshd"). */
  readonly pamService?: string;
  /**
   * sshd -d: the first connection closes the listeners and is served alone, without
   * LoginGraceTime; `ended` settles when it closes. Read from the initial settings only.
   */
  readonly single?: boolean;
}

export interface RunningDaemon {
  /** The ports actually bound (port 0 picks one). */
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  /**
   * New settings for connections accepted from now on (SIGHUP). The listeners, host keys,
   * algorithms and Banner stay as they were started.
   */
  reconfigure(settings: DaemonSettings): void;
  close(): Promise<void>;
  /** Single-connection mode: the exit status once that connection is gone (0: it had logged in; 255: it had not). */
  readonly ended: Promise<number> | null;
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

/**
 * sshd's auth_restrict_session() (`pty`: a PAM session that failed to open) or its forced
 * password change (forwarding off): the login's options with these permissions taken away.
 */
function restrictedOptions(base: KeyOptions | null, pty: boolean): KeyOptions {
  const o = base ?? defaultKeyOptions();
  return { ...o, restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: pty ? false : o.permitPty, permitUserRc: pty ? false : o.permitUserRc };
}

/** The limits module's logger: every level goes to the daemon's log (which filters by LogLevel). */
function limitsLog(log: (line: string) => void): LimitsLogger {
  return { error: log, info: log, debug1: (m) => log(`debug1: ${m}`), debug3: (m) => log(`debug3: ${m}`) };
}

/** Starts listening; resolves once every address is bound. */
export async function startDaemon(initial: DaemonSettings): Promise<RunningDaemon> {
  let current = initial;
  const g0 = initial.global;
  let banner: string | undefined;
  if (g0.banner !== null) {
    try {
      banner = readFileSync(g0.banner, 'utf8');
    } catch (err) {
      initial.log(`error: Banner: ${g0.banner}: ${strerror(err)}`);
    }
  }
  const sshServer = new Server({
    hostKeys: initial.hostKeys.map((k) => k.data),
    ident: `tshd_${VERSION}`,
    banner,
    algorithms: serverAlgorithms(g0) as never,
    // ssh2's packet-level trace, at LogLevel DEBUG3 only (it costs a call per packet).
    ...(g0.logLevel === 'DEBUG3' ? { debug: (m: string) => current.log(`debug3: ${m}`) } : {}),
  });
  const single = initial.single === true;
  let singleTaken = false;
  let endSingle: (status: number) => void = () => undefined;
  const ended = single ? new Promise<number>((resolve) => (endSingle = resolve)) : null;
  const sockets = new Set<Socket>();
  /** PAM sessions being closed (awaited by close(), so pam_close_session runs before tshd exits). */
  const closing = new Set<Promise<void>>();
  const pool = new WorkerPool(initial.log);
  const limiter = new StartupLimiter({ ...startupLimits(g0), log: limitsLog(initial.log) });
  const penalties = new PenaltyBox(g0.perSourcePenalties, g0.perSourcePenaltyExemptList, { netBlock: g0.perSourceNetBlockSize, log: limitsLog(initial.log) });
  /** Per-connection state, by "address port" of the peer, from accept until the SSH header. */
  const pending = new Map<string, { sock: Socket; onClient: (client: Connection) => void }>();

  const onConnection = (sock: Socket): void => {
    const s = current;
    const g = s.global;
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
      for (const srv of servers) srv.close();
    }
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
    s.log(`debug2: fd ${fdOf(sock)} setting TCP_NODELAY`);
    s.log(`verbose: Connection from ${from} on ${laddr.address} port ${laddr.port} rdomain ""`);
    const key = `${addr} ${port}`;
    let user: string | null = null;
    let authenticated = false;
    let failures = 0;
    let keyOptions: KeyOptions | null = null;
    let loggedIn: Account | null = null;
    /** UsePAM: the connection's PAM transaction and its environment (pam_getenvlist). */
    let pamSession: PamTransaction | null = null;
    let pamEnv: readonly string[] = [];
    let mustChangePassword = false;
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
      // sshd's finish_pam: pam_close_session, pam_setcred(PAM_DELETE_CRED), pam_end.
      const pamClosed = pamSession?.close() ?? Promise.resolve();
      if (pamSession !== null) {
        s.log('debug1: PAM: cleanup');
        closing.add(pamClosed);
        void pamClosed.then(() => closing.delete(pamClosed));
      }
      if (single) {
        if (authenticated) s.log(`verbose: Closing connection to ${addr} port ${port}`);
        const status = authenticated ? 0 : 255;
        void pamClosed.then(() => endSingle(status));
      }
    });

    const onClient = (client: Connection): void => {
      pending.delete(key);
      client.on('error', () => undefined);
      let account: Account | null = null;
      let cfg: ResolvedServerConfig = g;
      let progress: MethodProgress | null = null;
      let progressUser: string | null = null;
      const aborter = new AbortController();
      sock.on('close', () => aborter.abort());
      /** A password change asked of the client, not answered yet. */
      let pendingChange: { abandon(): void } | null = null;
      sock.on('close', () => pendingChange?.abandon());
      let lookedUp: string | null = null;
      let attempts = 0;
      client.on('authentication', (ctx: AuthContext) => {
        s.log(`debug1: userauth-request for user ${ctx.username} service ssh-connection method ${ctx.method} [preauth]`);
        s.log(`debug1: attempt ${attempts++} failures ${failures} [preauth]`);
        user = ctx.username;
        if (lookedUp === null || !sameUser(lookedUp, ctx.username)) {
          lookedUp = ctx.username;
          cfg = s.configFor({ user: ctx.username, host: addr, addr, laddr: sock.localAddress ?? null, lport: sock.localPort ?? null, rdomain: null });
          account = s.accounts(ctx.username);
          if (account === null) s.log(`Invalid user ${ctx.username} from ${from}`);
          else {
            const a = account;
            const why = refusedUser(cfg, a, addr, () => groupsOf(a));
            if (why !== null) {
              s.log(why);
              account = null;
            } else if (a.uid === 0 && cfg.permitRootLogin === 'no') {
              s.log(`ROOT LOGIN REFUSED FROM ${addr} port ${port}`);
              account = null;
            }
          }
        }
        const acct = account;
        const valid = acct !== null;
        const checks = passwordChecks(cfg, s.log, s.pamService);
        if (progress === null || progressUser !== ctx.username) {
          progressUser = ctx.username;
          const enabled = new Set<Method>();
          if (cfg.pubkeyAuthentication) enabled.add('publickey');
          if (cfg.passwordAuthentication && checks.available) enabled.add('password');
          if (cfg.kbdInteractiveAuthentication && checks.available) enabled.add('keyboard-interactive');
          progress = MethodProgress.fromConfig(cfg, enabled);
        }
        const prog = progress;
        const invalid = valid ? '' : 'invalid user ';
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
        /**
         * A method succeeded: the user is in, or (AuthenticationMethods) has more to do. `pam` is
         * the PAM transaction that checked the password, kept for the session.
         */
        const success = (method: Method, detail: string, pam: PamTransaction | null = null): void => {
          // sshd names keyboard-interactive's device: "keyboard-interactive/pam".
          const label = method === 'keyboard-interactive' ? 'keyboard-interactive/pam' : method;
          if (!prog.succeeded(method)) {
            void pam?.close();
            s.log(`Partial ${label} for ${ctx.username} from ${from} ssh2${detail}`);
            return reject(true);
          }
          const finish = (txn: PamTransaction | null, passwordChange: boolean): void => {
            if (sock.destroyed) {
              void txn?.close();
              return;
            }
            authenticated = true;
            uncount();
            loggedIn = acct;
            if (grace) clearTimeout(grace);
            s.log(`Accepted ${label} for ${ctx.username} from ${from} ssh2${detail}`);
            // sshd's force_pwchange: forwarding off, and every session runs passwd instead.
            if (passwordChange) {
              mustChangePassword = true;
              keyOptions = restrictedOptions(keyOptions, false);
            }
            if (txn === null) return ctx.accept();
            // UsePAM: the connection's PAM session (sshd's do_pam_setcred and do_pam_session),
            // opened before any program of the user starts, closed when the connection ends.
            pamSession = txn;
            s.log('debug1: PAM: establishing credentials');
            void txn.openSession(method !== 'publickey').then((r) => {
              if (r.credError !== null) s.log(`${r.stage === 'setcred' ? 'fatal' : 'debug1'}: PAM: pam_setcred(): ${r.credError}`);
              if (r.ok) pamEnv = r.env;
              else if (r.stage === 'setcred') return sock.destroy();
              else {
                s.log(`error: PAM: pam_open_session(): ${r.message}`);
                keyOptions = restrictedOptions(keyOptions, true);
              }
              ctx.accept();
            });
          };
          if (!cfg.usePam || method !== 'publickey') return finish(pam, false);
          void checks.account(acct!.name, addr).then((r) => {
            if (r.ok) return finish(r.pam, r.passwordChange);
            s.log(r.why);
            reject();
          });
        };
        const rootPasswordRefused = (): boolean => acct?.uid === 0 && cfg.permitRootLogin !== 'yes';
        if (!prog.allowed(ctx.method)) return reject();

        if (ctx.method === 'password') {
          const pwctx = ctx as PasswordAuthContext;
          const pw: unknown = pwctx.password;
          // A change request the client sends unasked (sshd: "password change not supported").
          if (typeof pw !== 'string') {
            s.log('password change not supported');
            return reject();
          }
          const who = valid && !rootPasswordRefused() ? acct!.name : null;
          const failed = (): void => {
            s.log(`Failed password for ${invalid}${ctx.username} from ${from} ssh2`);
            reject();
          };
          void checks.password(who, pw, addr, aborter.signal).then((r) => {
            if (r.ok === true) return success('password', '', r.pam);
            if (r.ok === false) return failed();
            // PAM wants a new password: SSH_MSG_USERAUTH_PASSWD_CHANGEREQ; OpenSSH's ssh asks for
            // the old one again and the new one twice, then sends them (RFC 4252 section 8).
            pendingChange = r;
            s.log(`debug1: PAM: password change required for ${ctx.username}`);
            pwctx.requestChange(r.prompt, (newPassword: unknown) => {
              pendingChange = null;
              if (typeof newPassword !== 'string') {
                r.abandon();
                return failed();
              }
              void r.change(newPassword, aborter.signal).then((c) => {
                if (!c.ok) return failed();
                s.log(`Password changed for ${ctx.username} from ${from} ssh2`);
                success('password', '', c.pam);
              });
            });
          });
          return;
        }
        if (ctx.method === 'keyboard-interactive') {
          const kb = ctx as KeyboardAuthContext;
          const who = valid && !rootPasswordRefused() ? acct!.name : null;
          const ask = (c: PamConversation): Promise<readonly string[] | null> =>
            new Promise((resolve) => {
              kb.prompt(
                c.prompts.map((q) => ({ prompt: q.text, echo: q.echo })),
                '',
                c.info.join('\n'),
                (answers: string[]) => resolve(answers),
              );
            });
          void checks.kbdint(who, addr, ask, aborter.signal).then((r) => {
            if (r.ok) return success('keyboard-interactive', '', r.pam);
            s.log(`Failed keyboard-interactive/pam for ${invalid}${ctx.username} from ${from} ssh2`);
            reject();
          });
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
        let found = null;
        if (acct) {
          const source = {
            files: expandAuthorizedKeysFiles(cfg.authorizedKeysFiles, { name: acct.name, uid: acct.uid, home: acct.home }),
            pubFiles: s.extraPubFiles?.(acct) ?? [],
            strictModes: cfg.strictModes,
          };
          found = findAuthorizedKey(source, key, { user: acct.name, uid: acct.uid, home: acct.home, remoteAddr: addr }, s.log);
        }
        if (found && acct?.uid === 0 && cfg.permitRootLogin === 'forced-commands-only' && found.options.forceCommand === null && cfg.forceCommand === null) {
          s.log('Root login refused: no forced command.');
          found = null;
        }
        if (!found) {
          if (pk.signature) s.log(`Failed publickey for ${invalid}${ctx.username} from ${from} ssh2: ${keyLabel(key)}`);
          return reject();
        }
        if (!pk.signature) {
          ctx.accept();
          return;
        }
        const parsed = utils.parseKey(pk.key.data);
        const verifier = Array.isArray(parsed) ? parsed[0] : parsed;
        if (!verifier || verifier instanceof Error || verifier.verify(pk.blob!, pk.signature, pk.hashAlgo) !== true) {
          s.log(`Failed publickey for ${ctx.username} from ${from} ssh2: ${keyLabel(key)}`);
          return reject();
        }
        keyOptions = found.options;
        success('publickey', `: ${keyLabel(key)}`);
      });
      client.on('ready', () => {
        const services = pool.forAccount(loggedIn!);
        serveForwarding(client, { cfg, keyOptions, services, log: s.log, isRoot: loggedIn!.uid === 0 });
        const agentAllowed = cfg.allowAgentForwarding && !cfg.disableForwarding && (!keyOptions || keyOptions.permitAgentForwarding);
        const agent = { allowed: agentAllowed, listen: () => services.listenAgent(), open: (cb: (err: Error | undefined, ch?: Duplex) => void) => openAgentChannel(client, cb) };
        watchClientAlive(client, sock, cfg, () => s.log(`Timeout, client not responding from user ${user} ${from}`));
        let sessions = 0;
        client.on('session', (accept, reject) => {
          s.log('debug1: server_input_channel_open: ctype session');
          if (sessions >= cfg.maxSessions) return reject();
          sessions++;
          serveSession(accept(), {
            account: loggedIn!,
            remote: { address: addr, port },
            local: { address: sock.localAddress ?? '', port: sock.localPort ?? 0 },
            acceptEnv: cfg.acceptEnv,
            setEnv: cfg.setEnv,
            permitTty: cfg.permitTty,
            subsystems: new Map(cfg.subsystems.map((sub) => [sub.name, sub.args ? `${sub.command} ${sub.args}` : sub.command])),
            forceCommand: cfg.forceCommand,
            printMotd: cfg.printMotd,
            permitUserEnvironment: cfg.permitUserEnvironment,
            agent,
            chroot: chrootFor(cfg.chrootDirectory, loggedIn!),
            keyOptions,
            pamEnv,
            mustChangePassword,
            log: s.log,
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

  const servers: NetServer[] = [];
  const addresses: { host: string; port: number }[] = [];
  const s = initial;
  for (const l of s.listen) {
    const srv = createServer(onConnection);
    s.log(`debug1: Bind to port ${l.port} on ${l.host}.`);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(l.port, l.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const a = srv.address();
    const bound = { host: l.host, port: typeof a === 'object' && a ? a.port : l.port };
    addresses.push(bound);
    servers.push(srv);
  }
  return {
    addresses,
    reconfigure: (next) => {
      current = next;
      limiter.reconfigure({ ...startupLimits(next.global), log: limitsLog(next.log) });
      penalties.reconfigure(next.global.perSourcePenalties, next.global.perSourcePenaltyExemptList, next.global.perSourceNetBlockSize);
    },
    ended,
    close: async () => {
      pool.stopAll();
      // A server's close callback waits for its connections: end them too.
      const closed = Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
      for (const sock of sockets) sock.destroy();
      await closed;
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
