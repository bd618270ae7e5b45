/**
 * What tshd does with privilege, for the protocol side (the Privileged interface): account
 * lookups and AllowUsers-style refusals, authorized_keys (StrictModes) and the signature check,
 * password and keyboard-interactive through PAM or the PasswordFile (PAM conversations asked of
 * the client through the protocol side), PAM's account stage and session, the session programs
 * (program.ts) and the per-user workers' connects and binds.
 *
 * It keeps its own record of each connection: which user it authenticated with which methods
 * (AuthenticationMethods is checked again here), the key options and PAM session of the login.
 * Post-auth requests for a connection that did not log in here are refused. tshd not running as
 * root calls it in its only process; as root, it runs in the monitor (monitor.ts), and the
 * unprivileged net process reaches it over IPC.
 */
import { rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { groupsOf } from '../accounts.js';
import { refusedUser } from '../allowed.js';
import { MethodProgress, passwordChecks, type Method, type PasswordResult } from '../auth-methods.js';
import { defaultKeyOptions, type KeyOptions } from '../authorized-keys.js';
import { findAuthorizedKey } from '../authorized.js';
import { chrootFor } from '../chroot.js';
import { forwardingPolicy } from '../forwarding.js';
import { expandAuthorizedKeysFiles, type ConnectionSpec, type ResolvedServerConfig } from '../config/index.js';
import type { PamConversation, PamTransaction } from '../password/index.js';
import { localProgram, signalSpawned, startProgram, type ProgramContext, type Spawned, type Started } from '../program.js';
import type { Account } from '../session.js';
import { WorkerPool } from '../user/pool.js';
import type { UserServices } from '../user/services.js';
import { parsePublicKeyBlob } from '../../keys/public-key.js';
import { matchPattern } from '../../pattern.js';
import type { ConnectionInfo, ConnId, ConnServices, Listener, LoginVerdict, PasswordVerdict, Privileged, ProgramRequest, ProgramStart, UserVerdict } from './rpc.js';

const { utils } = ssh2;

/** What the privileged side is configured with (serve.ts; replaced on SIGHUP). */
export interface CoreSettings {
  /** The account of a user name, or null for a user tshd does not serve. */
  readonly accounts: (name: string) => Account | null;
  /** The configuration for a connection once the user is known (Match applied). */
  readonly configFor: (spec: ConnectionSpec) => ResolvedServerConfig;
  /** Plain .pub files whose keys are accepted too (npm start's ~/.ssh/*.pub). */
  readonly extraPubFiles?: (account: Account) => readonly string[];
  readonly log: (line: string) => void;
  /** UsePAM: the PAM service name (default "tshd"). */
  readonly pamService?: string;
}

interface ConnState {
  readonly info: ConnectionInfo;
  readonly aborter: AbortController;
  user: string | null;
  account: Account | null;
  cfg: ResolvedServerConfig | null;
  done: Method[];
  keyOptions: KeyOptions | null;
  /** The PAM transaction of the last password check, kept for the session. */
  pam: PamTransaction | null;
  pendingChange: Extract<PasswordResult, { ok: 'change' }> | null;
  loggedIn: Account | null;
  pamSession: PamTransaction | null;
  pamEnv: readonly string[];
  mustChangePassword: boolean;
  services: UserServices | null;
  readonly spawned: Set<Spawned>;
  closed: boolean;
}

/**
 * sshd's auth_restrict_session() (`pty`: a PAM session that failed to open) or its forced
 * password change (forwarding off): the login's options with these permissions taken away.
 */
function restrictedOptions(base: KeyOptions | null, pty: boolean): KeyOptions {
  const o = base ?? defaultKeyOptions();
  return { ...o, restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: pty ? false : o.permitPty, permitUserRc: pty ? false : o.permitUserRc };
}

/** A TCP or unix server as a Listener. */
export function serverListener(server: Server, port: number, path = '', onClose: () => void = () => undefined): Listener {
  return {
    port,
    path,
    onConnection: (cb) => server.on('connection', cb),
    close: () => {
      server.close();
      onClose();
    },
  };
}

export class MonitorCore implements Privileged {
  private readonly conns = new Map<ConnId, ConnState>();
  private readonly pool: WorkerPool;

  constructor(
    private settings: CoreSettings,
    workerScript?: string,
  ) {
    this.pool = new WorkerPool((l) => this.settings.log(l), workerScript);
  }

  reconfigure(settings: CoreSettings): void {
    this.settings = settings;
  }

  log(line: string): void {
    this.settings.log(line);
  }

  private state(conn: ConnId, info?: ConnectionInfo): ConnState {
    let st = this.conns.get(conn);
    if (!st) {
      if (!info) throw new Error(`connection ${conn} is not known`);
      st = {
        info,
        aborter: new AbortController(),
        user: null,
        account: null,
        cfg: null,
        done: [],
        keyOptions: null,
        pam: null,
        pendingChange: null,
        loggedIn: null,
        pamSession: null,
        pamEnv: [],
        mustChangePassword: false,
        services: null,
        spawned: new Set(),
        closed: false,
      };
      this.conns.set(conn, st);
    }
    return st;
  }

  /** A connection that logged in here. */
  private authenticated(conn: ConnId): ConnState & { loggedIn: Account; cfg: ResolvedServerConfig } {
    const st = this.conns.get(conn);
    if (!st || st.loggedIn === null || st.cfg === null || st.closed) throw new Error(`connection ${conn} has not logged in`);
    return st as ConnState & { loggedIn: Account; cfg: ResolvedServerConfig };
  }

  private checks(st: ConnState) {
    return passwordChecks(st.cfg!, this.settings.log, this.settings.pamService);
  }

  private from(st: ConnState): string {
    return `${st.info.addr} port ${st.info.port}`;
  }

  async user(conn: ConnId, info: ConnectionInfo, name: string): Promise<UserVerdict> {
    const st = this.state(conn, info);
    if (st.loggedIn !== null) throw new Error('already logged in');
    const s = this.settings;
    if (st.user !== name) {
      // Another user name starts over (sshd refuses the change; ssh2's clients never make it).
      void st.pam?.close();
      st.pam = null;
      st.done = [];
      st.keyOptions = null;
      st.user = name;
      const addr = info.addr;
      st.cfg = s.configFor({ user: name, host: addr, addr, laddr: info.laddr || null, lport: info.lport || null, rdomain: null });
      let account = s.accounts(name);
      if (account === null) s.log(`Invalid user ${name} from ${this.from(st)}`);
      else {
        const a = account;
        const why = refusedUser(st.cfg, a, addr, () => groupsOf(a));
        if (why !== null) {
          s.log(why);
          account = null;
        } else if (a.uid === 0 && st.cfg.permitRootLogin === 'no') {
          s.log(`ROOT LOGIN REFUSED FROM ${addr} port ${info.port}`);
          account = null;
        }
      }
      st.account = account;
    }
    return { cfg: st.cfg!, account: st.account, passwordsAvailable: this.checks(st).available };
  }

  private current(conn: ConnId): ConnState {
    const st = this.conns.get(conn);
    if (!st || st.user === null || st.cfg === null || st.loggedIn !== null || st.closed) throw new Error(`connection ${conn} is not authenticating`);
    return st;
  }

  /** A method this side verified: recorded; the PAM transaction is kept for the session. */
  private succeeded(st: ConnState, method: Method, pam: PamTransaction | null): void {
    st.done.push(method);
    if (st.pam !== null && st.pam !== pam) void st.pam.close();
    st.pam = pam;
  }

  async publickey(conn: ConnId, keyData: Uint8Array, signed: { blob: Uint8Array; signature: Uint8Array; hashAlgo?: string } | null): Promise<boolean> {
    const st = this.current(conn);
    const acct = st.account;
    const cfg = st.cfg!;
    if (acct === null) return false;
    const data = Buffer.from(keyData);
    let key;
    try {
      key = parsePublicKeyBlob(data);
    } catch {
      return false;
    }
    const source = {
      files: expandAuthorizedKeysFiles(cfg.authorizedKeysFiles, { name: acct.name, uid: acct.uid, home: acct.home }),
      pubFiles: this.settings.extraPubFiles?.(acct) ?? [],
      strictModes: cfg.strictModes,
    };
    let found = findAuthorizedKey(source, key, { user: acct.name, uid: acct.uid, home: acct.home, remoteAddr: st.info.addr }, this.settings.log);
    if (found && acct.uid === 0 && cfg.permitRootLogin === 'forced-commands-only' && found.options.forceCommand === null && cfg.forceCommand === null) {
      this.settings.log('Root login refused: no forced command.');
      found = null;
    }
    if (!found) return false;
    if (signed === null) return true;
    const parsed = utils.parseKey(data);
    const verifier = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!verifier || verifier instanceof Error || verifier.verify(Buffer.from(signed.blob), Buffer.from(signed.signature), signed.hashAlgo as never) !== true) return false;
    st.keyOptions = found.options;
    this.succeeded(st, 'publickey', null);
    return true;
  }

  /** The user passwords are checked for: null (fails, in the same time) when invalid or root without PermitRootLogin yes. */
  private passwordUser(st: ConnState): string | null {
    const a = st.account;
    if (a === null) return null;
    if (a.uid === 0 && st.cfg!.permitRootLogin !== 'yes') return null;
    return a.name;
  }

  async password(conn: ConnId, password: string): Promise<PasswordVerdict> {
    const st = this.current(conn);
    st.pendingChange?.abandon();
    st.pendingChange = null;
    const r = await this.checks(st).password(this.passwordUser(st), password, st.info.addr, st.aborter.signal);
    if (r.ok === true) {
      this.succeeded(st, 'password', r.pam);
      return { ok: true };
    }
    if (r.ok === false) return { ok: false };
    if (st.closed) {
      r.abandon();
      return { ok: false };
    }
    st.pendingChange = r;
    return { ok: 'change', prompt: r.prompt };
  }

  async changePassword(conn: ConnId, newPassword: string | null): Promise<boolean> {
    const st = this.current(conn);
    const r = st.pendingChange;
    st.pendingChange = null;
    if (r === null) return false;
    if (newPassword === null) {
      r.abandon();
      return false;
    }
    const c = await r.change(newPassword, st.aborter.signal);
    if (!c.ok) return false;
    this.settings.log(`Password changed for ${st.user} from ${this.from(st)} ssh2`);
    this.succeeded(st, 'password', c.pam);
    return true;
  }

  async keyboardInteractive(conn: ConnId, ask: (c: PamConversation) => Promise<readonly string[] | null>): Promise<boolean> {
    const st = this.current(conn);
    const r = await this.checks(st).kbdint(this.passwordUser(st), st.info.addr, ask, st.aborter.signal);
    if (!r.ok) return false;
    this.succeeded(st, 'keyboard-interactive', r.pam);
    return true;
  }

  async login(conn: ConnId): Promise<LoginVerdict> {
    const st = this.current(conn);
    const s = this.settings;
    const cfg = st.cfg!;
    const acct = st.account;
    // AuthenticationMethods, checked again with what was verified here.
    const checks = this.checks(st);
    const enabled = new Set<Method>();
    if (cfg.pubkeyAuthentication) enabled.add('publickey');
    if (cfg.passwordAuthentication && checks.available) enabled.add('password');
    if (cfg.kbdInteractiveAuthentication && checks.available) enabled.add('keyboard-interactive');
    const progress = MethodProgress.fromConfig(cfg, enabled);
    let complete = false;
    for (const m of st.done) {
      if (!progress.allowed(m)) {
        complete = false;
        break;
      }
      complete = progress.succeeded(m);
    }
    if (acct === null || !complete) {
      s.log(`error: login of ${st.user ?? '?'} from ${this.from(st)} refused: authentication is not complete`);
      return { ok: false };
    }
    const method = st.done[st.done.length - 1]!;
    let txn: PamTransaction | null = st.pam;
    st.pam = null;
    let passwordChange = false;
    if (cfg.usePam && method === 'publickey') {
      const r = await checks.account(acct.name, st.info.addr);
      if (!r.ok) {
        s.log(r.why);
        st.done.pop();
        return { ok: false };
      }
      txn = r.pam;
      passwordChange = r.passwordChange;
    }
    if (st.closed) {
      void txn?.close();
      return { ok: 'drop' };
    }
    st.loggedIn = acct;
    // sshd's force_pwchange: forwarding off, and every session runs passwd instead.
    if (passwordChange) {
      st.mustChangePassword = true;
      st.keyOptions = restrictedOptions(st.keyOptions, false);
    }
    if (txn !== null) {
      // UsePAM: the connection's PAM session (sshd's do_pam_setcred and do_pam_session), opened
      // before any program of the user starts, closed when the connection ends.
      st.pamSession = txn;
      s.log('debug1: PAM: establishing credentials');
      const r = await txn.openSession(method !== 'publickey');
      if (r.credError !== null) s.log(`${r.stage === 'setcred' ? 'fatal' : 'debug1'}: PAM: pam_setcred(): ${r.credError}`);
      if (r.ok) st.pamEnv = r.env;
      else if (r.stage === 'setcred') return { ok: 'drop' };
      else {
        s.log(`error: PAM: pam_open_session(): ${r.message}`);
        st.keyOptions = restrictedOptions(st.keyOptions, true);
      }
    }
    return { ok: true, account: acct, keyOptions: st.keyOptions, mustChangePassword: st.mustChangePassword };
  }

  /** Starts a session program for a logged-in connection (the monitor hands it on as handles). */
  start(conn: ConnId, req: ProgramRequest): Started {
    const st = this.authenticated(conn);
    const cfg = st.cfg;
    const ctx: ProgramContext = {
      account: st.loggedIn,
      remote: { address: st.info.addr, port: st.info.port },
      local: { address: st.info.laddr, port: st.info.lport },
      setEnv: cfg.setEnv,
      subsystems: new Map(cfg.subsystems.map((sub) => [sub.name, sub.args ? `${sub.command} ${sub.args}` : sub.command])),
      keyOptions: st.keyOptions,
      forceCommand: cfg.forceCommand,
      printMotd: cfg.printMotd,
      permitUserEnvironment: cfg.permitUserEnvironment,
      chroot: chrootFor(cfg.chrootDirectory, st.loggedIn),
      pamEnv: st.pamEnv,
      mustChangePassword: st.mustChangePassword,
      log: this.settings.log,
    };
    // The client's variables are filtered by AcceptEnv here too; SSH_AUTH_SOCK only as made here.
    const env = req.env.filter(([k]) => k !== 'SSH_AUTH_SOCK' && cfg.acceptEnv.some((p) => matchPattern(k, p)));
    const agent = req.env.find(([k]) => k === 'SSH_AUTH_SOCK');
    if (agent && this.agentPaths.get(conn)?.has(agent[1])) env.push(agent);
    const r = startProgram(ctx, { ...req, pty: req.pty && (st.keyOptions?.permitPty ?? true) && cfg.permitTty ? req.pty : null, env });
    if (r.spawned) {
      const sp = r.spawned;
      st.spawned.add(sp);
      if (sp.kind === 'pty') sp.term.onExit(() => st.spawned.delete(sp));
      else sp.child.once('exit', () => st.spawned.delete(sp));
    }
    return r;
  }

  async program(conn: ConnId, req: ProgramRequest): Promise<ProgramStart> {
    const r = this.start(conn, req);
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, program: r.spawned ? localProgram(r.spawned) : null };
  }

  /** The agent sockets made for each connection (only these become SSH_AUTH_SOCK). */
  private readonly agentPaths = new Map<ConnId, Set<string>>();

  services(conn: ConnId): ConnServices {
    const st = this.authenticated(conn);
    if (st.services === null) st.services = this.pool.forAccount(st.loggedIn);
    const svc = st.services;
    // The forwarding policy again, here: the protocol side has applied it already.
    const policy = forwardingPolicy(st.cfg, st.keyOptions);
    const refuse = (what: string): Promise<never> => Promise.reject(Object.assign(new Error(`${what} is not permitted`), { code: 'EPERM' }));
    return {
      connectTcp: (host, port) => (policy.tcpLocal && policy.open(host, port) ? svc.connectTcp(host, port) : refuse(`connect to ${host} port ${port}`)),
      connectUnix: (path) => (policy.unixLocal ? svc.connectUnix(path) : refuse(`connect to ${path}`)),
      listenTcp: async (host, port) => {
        if (!policy.tcpRemote) return refuse('remote forwarding');
        const r = await svc.listenTcp(host, port);
        return serverListener(r.server, r.port);
      },
      listenUnix: async (path, opts) => {
        if (!policy.unixRemote) return refuse('remote streamlocal forwarding');
        const l = await svc.listenUnix(path, opts);
        return { port: 0, path, onConnection: (cb: (sock: Socket) => void) => l.onConnection(cb), close: () => l.close() };
      },
      listenAgent: async () => {
        if (!policy.agent) return refuse('agent forwarding');
        const { server, path } = await svc.listenAgent();
        let paths = this.agentPaths.get(conn);
        if (!paths) this.agentPaths.set(conn, (paths = new Set()));
        paths.add(path);
        return serverListener(server, 0, path, () => {
          paths!.delete(path);
          rmSync(dirname(path), { recursive: true, force: true });
        });
      },
    };
  }

  async closed(conn: ConnId): Promise<void> {
    const st = this.conns.get(conn);
    if (!st) return;
    st.closed = true;
    this.conns.delete(conn);
    st.aborter.abort();
    st.pendingChange?.abandon();
    void st.pam?.close();
    st.services?.release();
    this.agentPaths.delete(conn);
    // sshd's finish_pam: pam_close_session, pam_setcred(PAM_DELETE_CRED), pam_end.
    if (st.pamSession !== null) {
      this.settings.log('debug1: PAM: cleanup');
      await st.pamSession.close();
    }
  }

  /** The protocol side is gone (the net process died): every connection ends, its programs are hung up. */
  async closeAll(): Promise<void> {
    const all = [...this.conns.entries()];
    for (const [, st] of all) for (const sp of st.spawned) signalSpawned(sp, 'HUP');
    await Promise.all(all.map(([id]) => this.closed(id)));
  }

  stop(): void {
    this.pool.stopAll();
  }
}
