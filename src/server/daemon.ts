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
import type { KeyOptions } from './authorized-keys.js';
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

/** The limits module's logger: every level goes to the daemon's log. */
function limitsLog(log: (line: string) => void): LimitsLogger {
  return { error: log, info: log, debug1: () => undefined, debug3: () => undefined };
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
  });
  const sockets = new Set<Socket>();
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
    const key = `${addr} ${port}`;
    let user: string | null = null;
    let authenticated = false;
    let failures = 0;
    let keyOptions: KeyOptions | null = null;
    let loggedIn: Account | null = null;
    const grace =
      g.loginGraceTime > 0
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
      let lookedUp: string | null = null;
      client.on('authentication', (ctx: AuthContext) => {
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
        const checks = passwordChecks(cfg, s.log);
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
        /** A method succeeded: the user is in, or (AuthenticationMethods) has more to do. */
        const success = (method: Method, detail: string): void => {
          if (!prog.succeeded(method)) {
            s.log(`Partial ${method} for ${ctx.username} from ${from} ssh2${detail}`);
            return reject(true);
          }
          const finish = (): void => {
            authenticated = true;
            uncount();
            loggedIn = acct;
            if (grace) clearTimeout(grace);
            s.log(`Accepted ${method} for ${ctx.username} from ${from} ssh2${detail}`);
            ctx.accept();
          };
          if (!cfg.usePam || method !== 'publickey') return finish();
          void checks.account(acct!.name, addr).then((why) => {
            if (why === null) return finish();
            s.log(why);
            reject();
          });
        };
        const rootPasswordRefused = (): boolean => acct?.uid === 0 && cfg.permitRootLogin !== 'yes';
        if (!prog.allowed(ctx.method)) return reject();

        if (ctx.method === 'password') {
          const pw = (ctx as PasswordAuthContext).password;
          const who = valid && !rootPasswordRefused() ? acct!.name : null;
          void checks.password(who, pw, addr, aborter.signal).then((ok) => {
            if (ok) return success('password', '');
            s.log(`Failed password for ${invalid}${ctx.username} from ${from} ssh2`);
            reject();
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
          void checks.kbdint(who, addr, ask, aborter.signal).then((ok) => {
            if (ok) return success('keyboard-interactive', '');
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
            log: s.log,
            onClose: () => sessions--,
          });
        });
      });
    };
    pending.set(key, { sock, onClient });
    sshServer.injectSocket(sock);
  };

  sshServer.on('connection', (client: Connection, info: { ip: string; port: number }) => {
    const p = pending.get(`${info.ip} ${info.port}`);
    if (!p) {
      client.end();
      return;
    }
    p.onClient(client);
  });

  const servers: NetServer[] = [];
  const addresses: { host: string; port: number }[] = [];
  const s = initial;
  for (const l of s.listen) {
    const srv = createServer(onConnection);
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
    s.log(`Server listening on ${bound.host} port ${bound.port}.`);
    servers.push(srv);
  }
  return {
    addresses,
    reconfigure: (next) => {
      current = next;
      limiter.reconfigure({ ...startupLimits(next.global), log: limitsLog(next.log) });
      penalties.reconfigure(next.global.perSourcePenalties, next.global.perSourcePenaltyExemptList, next.global.perSourceNetBlockSize);
    },
    close: async () => {
      pool.stopAll();
      await Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
      for (const sock of sockets) sock.destroy();
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
