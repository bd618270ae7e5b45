/**
 * Running tshd in the foreground for the account it runs as: host keys (created in the state
 * directory when missing), the listener, log lines on stderr, and a clean stop on SIGTERM/SIGINT.
 * `npm start` uses it with the embedded defaults (127.0.0.1:2222, ~/.ssh/authorized_keys and
 * ~/.ssh/*.pub) and prints how to connect.
 */
import { readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { startDaemon, type DaemonSettings } from '../server/daemon.js';
import { createMissingHostKeys, defaultHostKeyPaths, loadHostKeys, stateDir } from '../server/host-keys.js';
import type { Account } from '../server/session.js';

export interface ServeOptions {
  readonly listen: readonly { readonly host: string; readonly port: number }[];
  /** HostKey files; empty = the state directory's, created when missing. */
  readonly hostKeys: readonly string[];
  /** AuthorizedKeysFile entries; %h, %u, %% and a relative path (to the home) as in sshd. */
  readonly authorizedKeysFiles: readonly string[];
  /** Also accept the keys of ~/.ssh/*.pub (npm start's embedded default). */
  readonly acceptOwnPubKeys: boolean;
  /** Print the tsh/ssh commands that connect, once listening. */
  readonly printConnect: boolean;
}

/**
 * The account tshd serves: the one it runs as. Its home is $HOME when set (as for tsh, so a
 * temporary HOME is a separate setup), else the passwd entry's.
 */
export function currentAccount(env: Readonly<Record<string, string | undefined>>): Account {
  const u = userInfo();
  return { name: u.username, uid: u.uid, gid: u.gid, home: env.HOME || u.homedir, shell: u.shell || env.SHELL || '/bin/sh' };
}

function expandAuthorizedKeysFile(pattern: string, a: Account): string {
  const p = pattern.replace(/%(.)/g, (_m, k: string) => (k === 'h' ? a.home : k === 'u' ? a.name : k === 'U' ? String(a.uid) : k === '%' ? '%' : `%${k}`));
  return p.startsWith('/') ? p : join(a.home, p);
}

export async function serve(opts: ServeOptions, io: Io): Promise<number> {
  const log = (line: string): void => {
    io.stderr.write(`${line}\n`);
  };
  const account = currentAccount(io.env);
  const isRoot = account.uid === 0;
  let keyPaths = opts.hostKeys;
  if (keyPaths.length === 0) {
    const dir = stateDir(account.home, isRoot);
    for (const p of await createMissingHostKeys(dir, isRoot)) log(`Generated host key ${p}`);
    keyPaths = defaultHostKeyPaths(dir);
  }
  const hostKeys = loadHostKeys(keyPaths, log);
  if (hostKeys.length === 0) {
    log('sshd: no hostkeys available -- exiting.');
    return 1;
  }
  const sshDir = join(account.home, '.ssh');
  let pubFiles: string[] = [];
  if (opts.acceptOwnPubKeys) {
    try {
      pubFiles = readdirSync(sshDir)
        .filter((f) => f.endsWith('.pub'))
        .map((f) => join(sshDir, f));
    } catch {
      pubFiles = [];
    }
  }
  const settings: DaemonSettings = {
    listen: opts.listen,
    hostKeys,
    accounts: (name) => (name === account.name ? account : null),
    authorizedKeys: (a) => ({ files: opts.authorizedKeysFiles.map((f) => expandAuthorizedKeysFile(f, a)), pubFiles, strictModes: true }),
    permitRootLogin: 'prohibit-password',
    maxAuthTries: 6,
    loginGraceTime: 120,
    maxSessions: 10,
    banner: null,
    acceptEnv: ['LANG', 'LC_*'],
    setEnv: [],
    permitTty: true,
    subsystems: new Map([['sftp', '/usr/lib/openssh/sftp-server']]),
    clientAliveInterval: 0,
    clientAliveCountMax: 3,
    log,
  };
  let daemon;
  try {
    daemon = await startDaemon(settings);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const l = opts.listen[0];
    log(`error: Bind to port ${l?.port ?? 0} on ${l?.host ?? ''} failed: ${e.code === 'EADDRINUSE' ? 'Address already in use' : e.message}.`);
    log('Cannot bind any address.');
    return 255;
  }
  if (opts.printConnect) {
    const a = daemon.addresses[0]!;
    io.stdout.write(
      [
        `tshd is serving ${account.name} on ${a.host} port ${a.port} (keys: ${settings.authorizedKeys(account).files.join(', ')}${pubFiles.length ? `, ~/.ssh/*.pub` : ''}).`,
        'Connect with:',
        `  tsh -p ${a.port} ${account.name}@${a.host}        (node dist/bin/tsh.js from this checkout)`,
        `  ssh -p ${a.port} ${account.name}@${a.host}`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const offs = (['SIGTERM', 'SIGINT'] as const).map((sig) =>
      io.onSignal(sig, () => {
        log(`Received signal ${sig === 'SIGTERM' ? 15 : 2}; terminating.`);
        for (const off of offs) off();
        resolve();
      }),
    );
  });
  await daemon.close();
  return 0;
}
