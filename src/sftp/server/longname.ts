/**
 * READDIR's long names, as sftp-server writes them (ls_file() in sftp-common.c with remote=0,
 * shared with the client as OpenSSH shares sftp-common.c):
 *   drwxr-xr-x    5 markus   markus       1024 Jan 13 18:39 .ssh
 * and uid/gid → name lookups (user_from_uid()/group_from_gid(), through NSS with getent, cached).
 */
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lsFile } from '../client/format.js';

/** ls_file() with remote=0, as sftp-server fills READDIR's long names. */
export function serverLongname(name: string, st: Pick<Stats, 'mode' | 'nlink' | 'size' | 'mtimeMs' | 'uid' | 'gid'>, user: string, group: string): string {
  return lsFile(name, { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime: Math.floor(st.mtimeMs / 1000), nlink: st.nlink }, false, false, user, group);
}

function getent(db: 'passwd' | 'group', key: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    execFile('getent', [db, key], { encoding: 'utf8', timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(null);
      const line = stdout.split('\n')[0] ?? '';
      resolve(line === '' ? null : line.split(':'));
    });
  });
}

/** Cached NSS lookups for one server session. */
export class NameCache {
  private users = new Map<number, Promise<string | null>>();
  private groups = new Map<number, Promise<string | null>>();
  private homes = new Map<string, Promise<string | null>>();

  /** The user's name, null when there is none. */
  user(uid: number): Promise<string | null> {
    let p = this.users.get(uid);
    if (!p) {
      p = getent('passwd', String(uid)).then((f) => (f && f[2] === String(uid) ? (f[0] ?? null) : null));
      this.users.set(uid, p);
    }
    return p;
  }

  group(gid: number): Promise<string | null> {
    let p = this.groups.get(gid);
    if (!p) {
      p = getent('group', String(gid)).then((f) => (f && f[2] === String(gid) ? (f[0] ?? null) : null));
      this.groups.set(gid, p);
    }
    return p;
  }

  /** getpwnam(name)->pw_dir, null when there is no such user. */
  home(name: string): Promise<string | null> {
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(name)) return Promise.resolve(null);
    let p = this.homes.get(name);
    if (!p) {
      p = getent('passwd', name).then((f) => (f && f[0] === name ? (f[5] ?? null) : null));
      this.homes.set(name, p);
    }
    return p;
  }

  /** ls_file()'s user_from_uid(uid, 0): the name, or the number when there is none. */
  async userLabel(uid: number): Promise<string> {
    return (await this.user(uid)) ?? String(uid);
  }

  async groupLabel(gid: number): Promise<string> {
    return (await this.group(gid)) ?? String(gid);
  }
}
