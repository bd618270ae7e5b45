/**
 * System accounts for the daemon: the passwd entry (through NSS, with getent) and the groups a
 * user is in. As root, tshd serves these accounts; otherwise only the account it runs as.
 */
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Account } from './session.js';

const NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;

function getent(db: string, key: string): string | null {
  if (!NAME.test(key) && !/^\d+$/.test(key)) return null;
  const r = spawnSync('getent', [db, key], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return null;
  return r.stdout.split('\n')[0] ?? null;
}

/** getpwnam(): the account, or null when there is no such user. */
export function lookupAccount(name: string): Account | null {
  const line = getent('passwd', name);
  if (!line) return null;
  const f = line.split(':');
  if (f.length < 7 || f[0] !== name) return null;
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/', shell: f[6] || '/bin/sh' };
}

/**
 * The shadow entry's verdict, as sshd checks it without PAM (platform_locked_account() and
 * auth_shadow_acctexpired()): a password field starting with "!" is a locked account; an expiry
 * date in the past is an expired one. null when the account may log in, or the entry is not
 * readable (not root).
 */
export function shadowRefusal(account: Account, now = Date.now()): string | null {
  const line = getent('shadow', account.name);
  if (!line) return null;
  const f = line.split(':');
  if ((f[1] ?? '').startsWith('!')) return `User ${account.name} not allowed because account is locked`;
  const expire = f[7] ?? '';
  if (/^\d+$/.test(expire) && Number(expire) > 0 && Math.floor(now / 86_400_000) >= Number(expire)) {
    return `Account ${account.name} has expired`;
  }
  return null;
}

/** The names of the groups `account` is in (its primary group first). */
export function groupsOf(account: Account): string[] {
  const r = spawnSync('id', ['-Gn', account.name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return [];
  return r.stdout.trim().split(/\s+/).filter((g) => g !== '');
}

/** The numeric ids of the groups `account` is in. */
export function groupIdsOf(account: Account): number[] {
  const r = spawnSync('id', ['-G', account.name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return [account.gid];
  return r.stdout.trim().split(/\s+/).filter((g) => g !== '').map(Number);
}

/** The accounts a daemon serves: every system account as root, else only its own. */
export function accountResolver(isRoot: boolean, self: Account): (name: string) => Account | null {
  if (isRoot) return lookupAccount;
  return (name) => (name === self.name ? self : null);
}

/** True when the daemon must change identity to run `account`'s programs. */
export function needsDrop(account: Account): boolean {
  return account.uid !== userInfo().uid;
}

/**
 * The argv that runs `argv` as `account`: setpriv sets the uid, gid and supplementary groups
 * (initgroups) before exec, as sshd's post-auth child does, and clears the capability bounding
 * set of nothing else: the program is an ordinary process of that user.
 */
export function dropTo(account: Account, argv: readonly string[]): string[] {
  if (!needsDrop(account)) return [...argv];
  return ['/usr/bin/setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--init-groups', '--', ...argv];
}
