/**
 * glob(3) as sftp uses it (OpenBSD glob with GLOB_ALTDIRFUNC for remote paths, sftp-glob.c):
 * `*`, `?`, `[...]` per path component, backslash escapes, hidden names only for a pattern that
 * starts with '.', existence checked with lstat, GLOB_MARK ('/' after directories), GLOB_NOCHECK
 * (the unescaped pattern when nothing matches), sorted unless `nosort`.
 */
import type { Attrs } from './remote.js';
import { isDir, isLnk } from './remote.js';

export interface GlobFs {
  /** Names in a directory ("." and ".." may be included), or null if it cannot be read. */
  readdir(dir: string): Promise<string[] | null>;
  lstat(p: string): Promise<Attrs | null>;
  stat(p: string): Promise<Attrs | null>;
}

export interface GlobOptions {
  mark?: boolean;
  nocheck?: boolean;
  nosort?: boolean;
}

export interface GlobResult {
  /** Matched paths (or the pattern, with nocheck and no match). */
  paths: string[];
  /** lstat of each matched path (null for a nocheck entry). */
  stats: (Attrs | null)[];
  /** How many real matches (gl_matchc). */
  matchc: number;
}

export function hasMagic(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** Removes backslash escapes (what glob does to a non-magic component). */
export function unescapeGlob(s: string): string {
  return s.replace(/\\(.)/g, '$1').replace(/\\$/, '\\');
}

/** fnmatch of one name against one component pattern (no '/'). */
export function matchComponent(name: string, pat: string): boolean {
  return matchAt(name, 0, pat, 0);
}

function matchAt(s: string, si: number, p: string, pi: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi] === '*') pi++;
      if (pi >= p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchAt(s, k, p, pi)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      si++;
      pi++;
      continue;
    }
    if (c === '[') {
      const r = matchClass(s[si]!, p, pi + 1);
      if (r === null) {
        // No closing bracket: '[' is literal.
        if (s[si] !== '[') return false;
        si++;
        pi++;
        continue;
      }
      if (!r.ok) return false;
      si++;
      pi = r.next;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) {
      if (s[si] !== p[pi + 1]) return false;
      si++;
      pi += 2;
      continue;
    }
    if (s[si] !== c) return false;
    si++;
    pi++;
  }
  return si >= s.length;
}

function matchClass(ch: string, p: string, i: number): { ok: boolean; next: number } | null {
  let negate = false;
  if (p[i] === '!') {
    negate = true;
    i++;
  }
  let ok = false;
  let first = true;
  while (i < p.length && (first || p[i] !== ']')) {
    first = false;
    let lo = p[i]!;
    if (lo === '\\' && i + 1 < p.length) lo = p[++i]!;
    i++;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      let hi = p[i + 1]!;
      i += 2;
      if (hi === '\\' && i < p.length) hi = p[i++]!;
      if (lo <= ch && ch <= hi) ok = true;
    } else if (lo === ch) ok = true;
  }
  if (i >= p.length) return null;
  return { ok: ok !== negate, next: i + 1 };
}

/** glob(pattern) over `fs`. */
export async function glob(fs: GlobFs, pattern: string, opts: GlobOptions = {}): Promise<GlobResult> {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((x, i, a) => x !== '' || i === a.length - 1);
  const found: { path: string; st: Attrs }[] = [];
  const walk = async (prefix: string, idx: number): Promise<void> => {
    // Literal components are appended without reading directories.
    while (idx < parts.length && !hasMagic(parts[idx]!)) {
      const part = unescapeGlob(parts[idx]!);
      prefix = prefix === '' ? (absolute ? `/${part}` : part) : prefix.endsWith('/') ? `${prefix}${part}` : `${prefix}/${part}`;
      idx++;
    }
    if (idx >= parts.length) {
      const path = prefix === '' ? (absolute ? '/' : '') : prefix;
      if (path === '') return;
      const st = await fs.lstat(path);
      if (st === null) return;
      let marked = path;
      if (opts.mark && !path.endsWith('/')) {
        let dir = isDir(st);
        if (!dir && isLnk(st)) {
          const t = await fs.stat(path);
          dir = t !== null && isDir(t);
        }
        if (dir) marked = `${path}/`;
      }
      // As OpenSSH's glob keeps it (GLOB_KEEPSTAT): the target's attributes for a symlink.
      const kept = isLnk(st) ? ((await fs.stat(path)) ?? st) : st;
      found.push({ path: marked, st: kept });
      return;
    }
    const dir = prefix === '' ? (absolute ? '/' : '.') : prefix;
    const names = await fs.readdir(dir);
    if (names === null) return;
    const pat = parts[idx]!;
    const matches = names.filter((n) => (n[0] !== '.' || pat[0] === '.') && matchComponent(n, pat)).sort();
    for (const n of matches) {
      const next = prefix === '' ? (absolute ? `/${n}` : n) : prefix.endsWith('/') ? `${prefix}${n}` : `${prefix}/${n}`;
      if (idx === parts.length - 1) await walk(next, idx + 1);
      else {
        // Only directories can hold the rest of the pattern.
        await walk(next, idx + 1);
      }
    }
  };
  await walk('', 0);
  if (!opts.nosort) found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (found.length === 0) {
    if (opts.nocheck) {
      let p = unescapeGlob(pattern);
      if (opts.mark && !p.endsWith('/')) {
        const st = await fs.stat(p);
        if (st !== null && isDir(st)) p = `${p}/`;
      }
      return { paths: [p], stats: [null], matchc: 0 };
    }
    return { paths: [], stats: [], matchc: 0 };
  }
  return { paths: found.map((f) => f.path), stats: found.map((f) => f.st), matchc: found.length };
}
