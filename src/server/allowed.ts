/**
 * sshd's allowed_user() (auth.c): the login shell must be executable, then DenyUsers, AllowUsers,
 * DenyGroups and AllowGroups in that order, with sshd's log lines. A refused user is treated
 * exactly like an unknown one on the wire.
 */
import { accessSync, constants } from 'node:fs';
import { matchHostAndIp, matchPattern } from '../pattern.js';
import { shadowRefusal } from './accounts.js';
import type { ResolvedServerConfig } from './config/index.js';
import type { Account } from './session.js';

/** match_user(): "user" or "user@host-or-address-pattern". */
export function matchUser(user: string, host: string | null, addr: string | null, pattern: string): boolean {
  const at = pattern.lastIndexOf('@');
  if (at < 0) return matchPattern(user, pattern);
  if (!matchPattern(user, pattern.slice(0, at))) return false;
  return matchHostAndIp(host, addr, pattern.slice(at + 1)) === 1;
}

/**
 * null when `account` may log in from `addr`; otherwise sshd's log line saying why not. Locked
 * and expired accounts are refused whatever UsePAM says: tshd has no PAM account stage yet, so
 * it keeps the check sshd makes without PAM (stricter than sshd with UsePAM yes, which lets a
 * locked account in with a key).
 */
export function refusedUser(cfg: ResolvedServerConfig, account: Account, addr: string, groups: () => readonly string[]): string | null {
  const shadow = shadowRefusal(account);
  if (shadow !== null) return shadow;
  const who = `User ${account.name} from ${addr} not allowed because`;
  // The shell must be runnable, unless it runs inside a ChrootDirectory (sshd checks it there).
  const shell = account.shell || '/bin/sh';
  if (cfg.chrootDirectory === null || cfg.chrootDirectory.toLowerCase() === 'none') {
    try {
      accessSync(shell, constants.X_OK);
    } catch {
      return `User ${account.name} not allowed because shell ${shell} does not exist`;
    }
  }
  if (cfg.denyUsers.some((p) => matchUser(account.name, addr, addr, p))) return `${who} listed in DenyUsers`;
  if (cfg.allowUsers.length > 0 && !cfg.allowUsers.some((p) => matchUser(account.name, addr, addr, p))) return `${who} not listed in AllowUsers`;
  if (cfg.denyGroups.length > 0 || cfg.allowGroups.length > 0) {
    const gs = groups();
    if (cfg.denyGroups.length > 0 && gs.some((g) => cfg.denyGroups.some((p) => matchPattern(g, p)))) return `${who} a group is listed in DenyGroups`;
    if (cfg.allowGroups.length > 0 && !gs.some((g) => cfg.allowGroups.some((p) => matchPattern(g, p)))) {
      return `${who} none of user's groups are listed in AllowGroups`;
    }
  }
  return null;
}
