/**
 * tshd's listener and connections, over ssh2's Server: host keys, algorithms (without the
 * group-exchange kex ssh2 cannot serve), TCP_NODELAY, pre-auth limits (LoginGraceTime,
 * MaxAuthTries, MaxSessions), public key authentication against authorized_keys, and the log
 * lines sshd writes (so fail2ban-style tools work).
 *
 * This release serves one account: the one tshd runs as (as sshd does when it is not root).
 * Serving every system account from a root daemon, with sessions dropped to each user, is the
 * next step (README, "tshd").
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2, { type Connection, type AuthContext, type PublicKeyAuthContext } from 'ssh2';
import { fingerprint, parsePublicKeyBlob, parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import { findAuthorizedKey, type AuthorizedKeySource } from './authorized.js';
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
  /** Where an account's public keys are: authorized_keys files and plain .pub files. */
  readonly authorizedKeys: (account: Account) => AuthorizedKeySource;
  /** PermitRootLogin for public keys: yes / prohibit-password allow it, no refuses. */
  readonly permitRootLogin: 'yes' | 'no' | 'prohibit-password' | 'forced-commands-only';
  readonly maxAuthTries: number;
  /** Seconds; 0 = no limit. */
  readonly loginGraceTime: number;
  readonly maxSessions: number;
  readonly banner: string | null;
  readonly acceptEnv: readonly string[];
  readonly setEnv: readonly string[];
  readonly permitTty: boolean;
  /** Subsystem name → command line run with the user's shell. */
  readonly subsystems: ReadonlyMap<string, string>;
  readonly clientAliveInterval: number;
  readonly clientAliveCountMax: number;
  readonly log: (line: string) => void;
}

export interface RunningDaemon {
  /** The ports actually bound (port 0 picks one). */
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  close(): Promise<void>;
}

const SERVER_KEX = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
];

const SERVER_CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

function keyLabel(key: PublicKey): string {
  return `${key.label} ${fingerprint(key)}`;
}

function sameUser(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Starts listening; resolves once every address is bound. */
export async function startDaemon(s: DaemonSettings): Promise<RunningDaemon> {
  const sshServer = new Server({
    hostKeys: s.hostKeys.map((k) => k.data),
    ident: `tshd_${VERSION}`,
    banner: s.banner ?? undefined,
    algorithms: { kex: SERVER_KEX, cipher: SERVER_CIPHERS } as never,
  });
  const sockets = new Set<Socket>();
  /** Per-connection state, by "address port" of the peer, from accept until the SSH header. */
  const pending = new Map<string, { sock: Socket; onClient: (client: Connection) => void }>();

  const onConnection = (sock: Socket): void => {
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
      s.loginGraceTime > 0
        ? setTimeout(() => {
            s.log(`Timeout before authentication for ${from}`);
            sock.destroy();
          }, s.loginGraceTime * 1000)
        : null;
    sock.on('close', () => {
      sockets.delete(sock);
      pending.delete(key);
      if (grace) clearTimeout(grace);
      if (authenticated) s.log(`Disconnected from user ${user} ${from}`);
      else if (user !== null) s.log(`Connection closed by authenticating user ${user} ${from} [preauth]`);
      else s.log(`Connection closed by ${from} [preauth]`);
    });

    const onClient = (client: Connection): void => {
      pending.delete(key);
      client.on('error', () => undefined);
      let account: Account | null = null;
      let lookedUp: string | null = null;
      client.on('authentication', (ctx: AuthContext) => {
        user = ctx.username;
        if (lookedUp === null || !sameUser(lookedUp, ctx.username)) {
          lookedUp = ctx.username;
          account = s.accounts(ctx.username);
          if (account === null) s.log(`Invalid user ${ctx.username} from ${from}`);
          else if (account.uid === 0 && s.permitRootLogin === 'no') {
            s.log(`ROOT LOGIN REFUSED FROM ${addr} port ${port}`);
            account = null;
          }
        }
        const acct = account;
        const valid = acct !== null;
        const reject = (): void => {
          if (ctx.method !== 'none') failures++;
          if (failures >= s.maxAuthTries) {
            s.log(`error: maximum authentication attempts exceeded for ${valid ? '' : 'invalid user '}${ctx.username} from ${from} ssh2 [preauth]`);
            s.log(`Disconnecting ${valid ? 'authenticating' : 'invalid'} user ${ctx.username} ${from}: Too many authentication failures [preauth]`);
            const proto = (client as unknown as { _protocol?: { disconnect(reason: number): void } })._protocol;
            proto?.disconnect(2);
            sock.end();
            return;
          }
          ctx.reject(['publickey']);
        };
        if (ctx.method !== 'publickey') return reject();
        const pk = ctx as PublicKeyAuthContext;
        let key: PublicKey;
        try {
          key = parsePublicKeyBlob(pk.key.data);
        } catch {
          return reject();
        }
        let found = acct ? findAuthorizedKey(s.authorizedKeys(acct), key, { user: acct.name, uid: acct.uid, home: acct.home, remoteAddr: addr }, s.log) : null;
        if (found && acct?.uid === 0 && s.permitRootLogin === 'forced-commands-only' && found.options.forceCommand === null) {
          s.log(`Root login accepted for forced command.`);
          found = null;
        }
        if (!found) {
          if (pk.signature) s.log(`Failed publickey for ${valid ? '' : 'invalid user '}${ctx.username} from ${from} ssh2: ${keyLabel(key)}`);
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
        authenticated = true;
        loggedIn = acct;
        keyOptions = found.options;
        if (grace) clearTimeout(grace);
        s.log(`Accepted publickey for ${ctx.username} from ${from} ssh2: ${keyLabel(key)}`);
        ctx.accept();
      });
      client.on('ready', () => {
        let sessions = 0;
        client.on('session', (accept, reject) => {
          if (sessions >= s.maxSessions) return reject();
          sessions++;
          serveSession(accept(), {
            account: loggedIn!,
            remote: { address: addr, port },
            local: { address: sock.localAddress ?? '', port: sock.localPort ?? 0 },
            acceptEnv: s.acceptEnv,
            setEnv: s.setEnv,
            permitTty: s.permitTty,
            subsystems: s.subsystems,
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
    close: async () => {
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
