/**
 * Reading configuration files: the only part of src/config that touches the file system.
 * `fsLoader` reads real files (with OpenSSH's permission check); `memoryLoader` serves tests.
 */
import { readFileSync, readdirSync, statSync, fstatSync, openSync, closeSync } from 'node:fs';
import { TshError, errnoCode, strerror } from '../errors.js';

export interface ConfigLoader {
  /**
   * The file's text, or null if it does not exist. With `checkPerm`, refuses (throws) a file
   * that is writable by group/others or owned by someone other than root or the user.
   */
  read(path: string, checkPerm: boolean): string | null;
  /** Paths matching a glob pattern (`*`, `?`, `[...]` per component), sorted; [] if none. */
  glob(pattern: string): string[];
}

/** Converts one glob path component to a RegExp (fnmatch without FNM_PERIOD subtleties). */
function componentRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = p.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (s: string): boolean => /[*?[]/.test(s);

/** glob(3) over an abstract directory listing. */
export function globWith(pattern: string, listDir: (dir: string) => string[] | null, exists: (path: string) => boolean): string[] {
  const abs = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p) => p !== '');
  let paths = [abs ? '' : '.'];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of paths) {
      const dir = base === '' ? '/' : base;
      const join = (name: string): string => (base === '' ? `/${name}` : base === '.' && !abs ? name : `${base}/${name}`);
      if (!hasMagic(part)) {
        next.push(join(part));
        continue;
      }
      const entries = listDir(dir);
      if (!entries) continue;
      const re = componentRegExp(part);
      for (const e of entries.sort()) {
        if (e.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(e)) next.push(join(e));
      }
    }
    paths = next;
  }
  return paths.filter(exists).sort();
}

export const fsLoader: ConfigLoader = {
  read(path, checkPerm) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw new TshError(`Can't open user config file ${path}: ${strerror(err)}`);
    }
    try {
      if (checkPerm) {
        const st = fstatSync(fd);
        const uid = process.getuid?.() ?? 0;
        if ((st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) {
          throw new TshError(`Bad owner or permissions on ${path}`);
        }
      }
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  },
  glob(pattern) {
    return globWith(
      pattern,
      (dir) => {
        try {
          return readdirSync(dir);
        } catch {
          return null;
        }
      },
      (p) => {
        try {
          statSync(p);
          return true;
        } catch {
          return false;
        }
      },
    );
  },
};

/** A loader over an in-memory map of absolute path → text (for tests and embedding). */
export function memoryLoader(files: Readonly<Record<string, string>>): ConfigLoader {
  const paths = Object.keys(files);
  return {
    read: (path) => (Object.prototype.hasOwnProperty.call(files, path) ? files[path]! : null),
    glob: (pattern) =>
      globWith(
        pattern,
        (dir) => {
          const prefix = dir.endsWith('/') ? dir : `${dir}/`;
          const names = new Set<string>();
          for (const p of paths) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
          return names.size ? [...names] : null;
        },
        (p) => paths.includes(p) || paths.some((q) => q.startsWith(`${p}/`)),
      ),
  };
}
