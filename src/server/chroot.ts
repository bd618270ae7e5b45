/**
 * ChrootDirectory, as sshd's session.c safely_chroot() checks and uses it: %-tokens expanded,
 * every component of the path a directory owned by root and writable by nobody else, then the
 * session's programs run with that directory as their root (coreutils chroot, which also sets
 * the uid, gid and groups) and start in the user's home inside it, or "/" when it has none.
 */
import { lstatSync } from 'node:fs';
import { strerror } from '../errors.js';
import type { Account } from './session.js';

/** The ChrootDirectory for `account` (tokens %h %u %U %%), or null for none. */
export function chrootFor(value: string | null, account: Account): string | null {
  if (value === null || value.toLowerCase() === 'none') return null;
  return value.replace(/%(.)/g, (_m, k: string) => (k === 'h' ? account.home : k === 'u' ? account.name : k === 'U' ? String(account.uid) : k === '%' ? '%' : `%${k}`));
}

/** safely_chroot()'s checks: null when `path` may be used, else sshd's fatal message. */
export function chrootProblem(path: string): string | null {
  if (!path.startsWith('/')) return `chroot path does not begin at root`;
  const parts = path.split('/').filter((p) => p !== '');
  let cur = '';
  for (let i = 0; i <= parts.length; i++) {
    const component = i === 0 ? '/' : (cur = `${cur}/${parts[i - 1]}`);
    let st;
    try {
      st = lstatSync(component);
    } catch (err) {
      return `${i === parts.length ? 'chroot' : 'chroot path component'} "${component}": ${strerror(err)}`;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return `bad ownership or modes for chroot directory ${i === parts.length ? '' : 'component '}"${component}"`;
    if (!st.isDirectory()) return `chroot path "${component}" is not a directory`;
  }
  return null;
}

/**
 * The argv running `argv` inside `root` as `account`, starting in the home directory when it
 * exists there (sshd: "Could not chdir to home directory", then "/").
 */
export function inChroot(root: string, account: Account, groups: readonly number[], argv: readonly string[]): string[] {
  return [
    '/usr/sbin/chroot',
    `--userspec=${account.uid}:${account.gid}`,
    `--groups=${(groups.length > 0 ? groups : [account.gid]).join(',')}`,
    root,
    '/bin/sh',
    '-c',
    'if [ -d "$0" ]; then cd "$0"; else cd /; fi; shift; exec "$@"',
    account.home,
    '--',
    ...argv,
  ];
}
