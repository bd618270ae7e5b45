/**
 * Path mapping for the SFTP server.
 *
 * Without a chroot, client paths go to the kernel as they are (relative ones against the home
 * directory, which plays sftp-server's working directory), and REALPATH is sftp-server's
 * sftp_realpath() over the real filesystem.
 *
 * With a chroot, the server never hands the kernel a path that could leave the root: every client
 * path is resolved here, component by component, in the virtual tree whose "/" is the root
 * directory, with chroot(2) semantics:
 *  - "." is skipped; ".." removes the last resolved component and stops at "/" (as the kernel
 *    does at a process root), so "../../etc" from "/" is "/etc" inside the root;
 *  - an absolute path starts at the virtual "/";
 *  - each component is lstat()ed on the host (root + virtual path so far); a symlink is read and
 *    its target spliced in (an absolute target restarts at the virtual "/", a relative one at the
 *    link's directory, ".." in it clamped as above), at most 32 links per lookup (then ELOOP);
 *  - the final component is followed or not depending on the operation (lstat, readlink,
 *    remove, rename, symlink, lsetstat do not follow).
 * The result is a host path whose every directory component was just seen to be a real
 * directory under the root, and files are opened with O_NOFOLLOW, so a symlink planted as the final
 * component is never followed by the kernel. What userland resolution cannot close is a race: a user
 * who can rename directories inside the root while a request is resolved could swap a checked
 * directory for a symlink between the check and the use. Node has no openat()/chroot(); the daemon
 * runs the server as the user, so such a race can at most reach what the user may access anyway.
 */
import { lstat, readlink } from 'node:fs/promises';

export const SYMLOOP_MAX = 32;

/** What to do with the last component of a path. */
export type Final = 'follow' | 'nofollow';

function sysError(code: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${path}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

function parent(resolved: string): string {
  if (resolved === '/') return '/';
  const i = resolved.lastIndexOf('/');
  return i <= 0 ? '/' : resolved.slice(0, i);
}

function append(resolved: string, name: string): string {
  return resolved === '/' ? `/${name}` : `${resolved}/${name}`;
}

/**
 * sftp_realpath() over a tree rooted at `root` ('' for the real "/"): `cwd` must already be a
 * resolved absolute path in that tree. A missing final component is allowed (the result names it).
 * With final 'nofollow', a symlink as final component is not followed.
 */
export async function resolveVirtual(root: string, cwd: string, path: string, final: Final = 'follow'): Promise<string> {
  if (path === '') throw sysError('ENOENT', path);
  let resolved = path.startsWith('/') ? '/' : cwd;
  let left = path.startsWith('/') ? path.slice(1) : path;
  let links = 0;
  while (left !== '') {
    const slash = left.indexOf('/');
    const token = slash < 0 ? left : left.slice(0, slash);
    left = slash < 0 ? '' : left.slice(slash + 1);
    const last = slash < 0;
    if (token === '' || token === '.') continue;
    if (token === '..') {
      resolved = parent(resolved);
      continue;
    }
    const next = append(resolved, token);
    if (last && final === 'nofollow') {
      resolved = next;
      break;
    }
    let st;
    try {
      st = await lstat(root + next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && last) return next;
      throw e;
    }
    if (!st.isSymbolicLink()) {
      resolved = next;
      continue;
    }
    if (links++ > SYMLOOP_MAX) throw sysError('ELOOP', path);
    const target = await readlink(root + next);
    if (target === '') throw sysError('ENOENT', path);
    if (target.startsWith('/')) resolved = '/';
    // else: resolved stays the link's directory
    left = left === '' && last ? target : `${target.replace(/\/+$/, '')}/${left}`;
  }
  return resolved;
}

export interface PathMapper {
  /** True when paths are confined to a root directory. */
  readonly chrooted: boolean;
  /** The working directory clients' relative paths start from (a path as the client sees it). */
  readonly cwd: string;
  /** The host path to hand to fs for a client path. */
  host(path: string, final?: Final): Promise<string>;
  /** The client-visible canonical form of a path (REALPATH). */
  realpath(path: string): Promise<string>;
  /** The host path for a resolved client-visible path (e.g. a directory handle's children). */
  join(hostDir: string, name: string): string;
}

/** No confinement: paths go to the kernel unchanged, relative ones against `home`. */
export function plainMapper(home: string): PathMapper {
  const cwd = home.replace(/\/+$/, '') || '/';
  return {
    chrooted: false,
    cwd,
    host: (path) => Promise.resolve(path === '' || path.startsWith('/') ? path : `${cwd === '/' ? '' : cwd}/${path}`),
    realpath: (path) => resolveVirtual('', cwd, path === '' ? '.' : path),
    join: (dir, name) => (dir === '/' ? `/${name}` : `${dir}/${name}`),
  };
}

/**
 * Confinement to `root` (a real, symlink-free absolute host directory); `home` is a path inside
 * it (already resolved, see chrootMapper()).
 */
function confinedMapper(root: string, home: string): PathMapper {
  const prefix = root === '/' ? '' : root;
  return {
    chrooted: true,
    cwd: home,
    host: async (path, final = 'follow') => prefix + (await resolveVirtual(prefix, home, path, final)),
    realpath: (path) => resolveVirtual(prefix, home, path === '' ? '.' : path),
    join: (dir, name) => (dir === '/' ? `/${name}` : `${dir}/${name}`),
  };
}

/**
 * A mapper confined to `chroot` (resolved on the host first), starting in `home` inside it when that
 * is a directory there, else in "/" (as sshd does after chroot(2)).
 */
export async function chrootMapper(chroot: string, home: string): Promise<PathMapper> {
  const { realpath } = await import('node:fs/promises');
  const root = await realpath(chroot);
  const prefix = root === '/' ? '' : root;
  let start = '/';
  try {
    const h = await resolveVirtual(prefix, '/', home || '/');
    if ((await lstat(prefix + h)).isDirectory()) start = h;
  } catch {
    start = '/';
  }
  return confinedMapper(root, start);
}
