/**
 * sftp's `ls` (do_ls_dir, do_globbed_ls): short listings in columns as wide as the terminal,
 * long ones from the server's longname or formatted here (ls_file) with remote user and group
 * names, sorted by name, time or size, reversed, hidden names on request. `ls --json` (tsh-sftp's
 * own) prints the same selection, in the same order, as one JSON array.
 */
import type { Logger } from '../../session/log.js';
import { LS_JSON, LS_LONG_VIEW, LS_NAME_SORT, LS_REVERSE_SORT, LS_SHORT_VIEW, LS_SHOW_ALL, LS_SI_UNITS, LS_TIME_SORT, LS_NUMERIC_VIEW, SORT_FLAGS } from './commands.js';
import { lsFile } from './format.js';
import { glob, type GlobFs } from './glob.js';
import { fx2txt, isDir, ReaddirError, SftpError, type Attrs, type DirEntry, type Remote } from './remote.js';

export interface ListerOptions {
  readonly remote: Remote;
  readonly log: Logger;
  readonly out: (text: string) => void;
  readonly columns: () => number;
  readonly interrupted: () => boolean;
  readonly globFs: GlobFs;
}

/** path_append(). */
export function pathAppend(p1: string, p2: string): string {
  return p1 !== '' && !p1.endsWith('/') ? `${p1}/${p2}` : `${p1}${p2}`;
}

/** path_strip(). */
export function pathStrip(path: string, strip: string | null): string {
  if (strip === null) return path;
  if (path.startsWith(strip)) {
    let len = strip.length;
    if (!strip.endsWith('/') && path[len] === '/') len++;
    return path.slice(len);
  }
  return path;
}

function fxText(e: unknown): string {
  return e instanceof SftpError ? fx2txt(e.code) : e instanceof Error ? e.message : String(e);
}

export class Lister {
  constructor(private readonly o: ListerOptions) {}

  /** do_readdir() with sftp's messages; null after an error. */
  private async readdir(path: string): Promise<DirEntry[] | null> {
    try {
      const list = await this.o.remote.readdir(path);
      return list.filter((e) => {
        if (e.filename.includes('/')) {
          this.o.log.error(`Server sent suspect path "${e.filename}" during readdir of "${path}"`);
          return false;
        }
        return true;
      });
    } catch (e) {
      if (e instanceof ReaddirError && e.phase === 'open') this.o.log.error(`remote readdir("${path}"): ${fx2txt(e.code)}`);
      else this.o.log.error(`Couldn't read directory: ${fxText(e)}`);
      return null;
    }
  }

  /**
   * Remote user and group names for `ls -l`. OpenSSH asks users-groups-by-id@openssh.com; ssh2
   * 1.17 misparses that reply (it reads the wrapper string's length as a count, then fails the
   * channel), so the names come from the server's own `ls -l` lines (readdir longnames), which
   * sftp-server formats with the same lookups: fields 3 and 4.
   */
  private learnNames(entries: readonly DirEntry[]): void {
    for (const e of entries) {
      const f = e.longname.split(/\s+/);
      if (f.length < 5 || e.attrs.uid === undefined || e.attrs.gid === undefined) continue;
      if (!/^\d+$/.test(f[2]!) || String(e.attrs.uid) !== f[2]) this.userNames.set(e.attrs.uid, f[2]!);
      if (!/^\d+$/.test(f[3]!) || String(e.attrs.gid) !== f[3]) this.groupNames.set(e.attrs.gid, f[3]!);
    }
  }

  private readonly userNames = new Map<number, string>();
  private readonly groupNames = new Map<number, string>();

  /** Names for the ids of `paths` (their parent directories are listed once if needed). */
  private async names(paths: readonly string[], stats: readonly (Attrs | null)[]): Promise<{ user: (u: number) => string | null; group: (g: number) => string | null }> {
    const seen = new Set<string>();
    for (let i = 0; i < paths.length; i++) {
      const st = stats[i];
      if (!st || st.uid === undefined || st.gid === undefined) continue;
      if (this.userNames.has(st.uid) && this.groupNames.has(st.gid)) continue;
      const p = paths[i]!.replace(/\/+$/, '');
      const dir = p.lastIndexOf('/') > 0 ? p.slice(0, p.lastIndexOf('/')) : '/';
      if (seen.has(dir)) continue;
      seen.add(dir);
      try {
        this.learnNames(await this.o.remote.readdir(dir));
      } catch {
        // numeric ids then
      }
    }
    return { user: (u) => this.userNames.get(u) ?? null, group: (g) => this.groupNames.get(g) ?? null };
  }

  private sortEntries<T>(list: T[], lflag: number, name: (x: T) => string, attrs: (x: T) => Attrs | null): T[] {
    if (!(lflag & SORT_FLAGS)) return list;
    const rmul = lflag & LS_REVERSE_SORT ? -1 : 1;
    const ncmp = (a: number, b: number): number => (a === b ? 0 : a < b ? 1 : -1);
    return [...list].sort((x, y) => {
      if (lflag & LS_NAME_SORT) {
        const a = name(x);
        const b = name(y);
        return rmul * (a < b ? -1 : a > b ? 1 : 0);
      }
      const ax = attrs(x) ?? {};
      const ay = attrs(y) ?? {};
      if (lflag & LS_TIME_SORT) return rmul * ncmp(ax.mtime ?? 0, ay.mtime ?? 0);
      return rmul * ncmp(ax.size ?? 0, ay.size ?? 0);
    });
  }

  /** do_ls_dir(). */
  async lsDir(path: string, strip: string | null, lflag: number): Promise<number> {
    const d = await this.readdir(path);
    if (d === null) return -1;
    const out = this.o.out;
    let columns = 1;
    let colspace = 0;
    if (!(lflag & LS_SHORT_VIEW)) {
      let m = 0;
      for (const e of d) if (e.filename[0] !== '.' || lflag & LS_SHOW_ALL) m = Math.max(m, Buffer.byteLength(e.filename));
      m += pathStrip(path, strip).length;
      const width = this.o.columns();
      columns = Math.max(Math.floor(width / (m + 2)), 1);
      colspace = Math.min(Math.floor(width / columns), width);
    }
    const list = this.sortEntries(d, lflag, (e) => e.filename, (e) => e.attrs);
    if (lflag & LS_JSON) {
      const shown = list.filter((e) => e.filename[0] !== '.' || lflag & LS_SHOW_ALL);
      await this.json(shown.map((e) => ({ name: pathStrip(pathAppend(path, e.filename), strip), path: pathAppend(path, e.filename), attrs: e.attrs })));
      return 0;
    }
    const ugNeeded = lflag & LS_LONG_VIEW;
    const useLocal = (lflag & (LS_NUMERIC_VIEW | LS_SI_UNITS)) !== 0 || this.o.remote.hasExt('users-groups-by-id@openssh.com');
    if (ugNeeded && useLocal) this.learnNames(d);
    const names = ugNeeded && useLocal ? await this.names([], []) : null;
    const cols = new Columns(out, columns, colspace);
    for (const e of list) {
      if (this.o.interrupted()) break;
      if (e.filename[0] === '.' && !(lflag & LS_SHOW_ALL)) continue;
      const fname = pathStrip(pathAppend(path, e.filename), strip);
      if (lflag & LS_LONG_VIEW) {
        if (useLocal) out(longLine(fname, e.attrs, lflag, names));
        else out(`${e.longname}\n`);
      } else cols.put(fname);
    }
    if (!(lflag & LS_LONG_VIEW)) cols.end();
    return 0;
  }

  /** do_globbed_ls(). */
  async globbedLs(path: string, strip: string | null, lflag: number): Promise<number> {
    const g = await glob(this.o.globFs, path, { mark: true, nocheck: true, nosort: true });
    if (g.paths.length > 0 && g.matchc === 0) {
      this.o.log.error(`Can't ls: "${path}" not found`);
      return -1;
    }
    if (this.o.interrupted()) return 0;
    const first = g.stats[0];
    if (g.matchc === 1 && first && (isDir(first) || (await this.statIsDir(g.paths[0]!, first)))) {
      return this.lsDir(g.paths[0]!, strip, lflag);
    }
    const out = this.o.out;
    const width = this.o.columns();
    let columns = 1;
    let colspace = 0;
    if (!(lflag & LS_SHORT_VIEW)) {
      let m = 0;
      for (const p of g.paths) m = Math.max(m, Buffer.byteLength(p));
      columns = Math.max(Math.floor(width / (m + 2)), 1);
      colspace = Math.floor(width / columns);
    }
    const idx = this.sortEntries(g.paths.map((_, i) => i), lflag, (i) => g.paths[i]!, (i) => g.stats[i] ?? null);
    if (lflag & LS_JSON) {
      // The glob marks directories with a slash (the name is shown without it) and keeps a
      // symlink's target's attributes (as OpenSSH's does): each entry is looked at itself.
      const paths = idx.map((i) => g.paths[i]!.replace(/(.)\/$/, '$1'));
      const own = await Promise.all(paths.map((p, k) => this.o.remote.lstat(p).catch(() => g.stats[idx[k]!] ?? null)));
      await this.json(paths.map((p, k) => ({ name: pathStrip(p, strip), path: p, attrs: own[k]! })));
      return 0;
    }
    const names = lflag & LS_LONG_VIEW ? await this.names(g.paths, g.stats) : null;
    const cols = new Columns(out, columns, colspace);
    for (const i of idx) {
      if (this.o.interrupted()) break;
      const fname = pathStrip(g.paths[i]!, strip);
      if (lflag & LS_LONG_VIEW) {
        const s = g.stats[i];
        if (!s) {
          this.o.log.error(`no stat information for ${fname}`);
          continue;
        }
        out(longLine(fname, s, lflag, names));
      } else cols.put(fname);
    }
    if (!(lflag & LS_LONG_VIEW)) cols.end();
    return 0;
  }

  /** ls --json: the entries as one array; symlink targets are read all at once. */
  private async json(list: readonly { name: string; path: string; attrs: Attrs | null }[]): Promise<void> {
    const out = await Promise.all(
      list.map(async ({ name, path, attrs }) => {
        const a = attrs ?? {};
        const e: Record<string, unknown> = {
          name,
          type: a.mode === undefined ? null : fileType(a.mode),
          size: a.size ?? null,
          mode: a.mode === undefined ? null : (a.mode & 0o7777).toString(8).padStart(4, '0'),
          uid: a.uid ?? null,
          gid: a.gid ?? null,
          mtime: a.mtime === undefined ? null : new Date(a.mtime * 1000).toISOString(),
        };
        if (e.type === 'symlink') e.target = await this.o.remote.readlink(path).catch(() => null);
        return e;
      }),
    );
    this.o.out(`${JSON.stringify(out)}\n`);
  }

  private async statIsDir(path: string, lst: Attrs): Promise<boolean> {
    // gl_statv holds lstat; a marked path ("dir/") is a directory through a symlink.
    return path.endsWith('/') && !isDir(lst) && (await this.o.remote.stat(path).then(isDir, () => false));
  }
}

const TYPES: Record<number, string> = { 0o010000: 'fifo', 0o020000: 'char', 0o040000: 'dir', 0o060000: 'block', 0o100000: 'file', 0o120000: 'symlink', 0o140000: 'socket' };

function fileType(mode: number): string {
  return TYPES[mode & 0o170000] ?? 'unknown';
}

type Names = { user: (u: number) => string | null; group: (g: number) => string | null } | null;

/** One `ls -l` line made here (ls_file) rather than taken from the server. */
function longLine(fname: string, a: Attrs, lflag: number, names: Names): string {
  const st = { mode: a.mode ?? 0, uid: a.uid ?? 0, gid: a.gid ?? 0, size: a.size ?? 0, mtime: a.mtime ?? 0 };
  return `${lsFile(fname, st, true, (lflag & LS_SI_UNITS) !== 0, names?.user(st.uid) ?? null, names?.group(st.gid) ?? null)}\n`;
}

/** The short listing: names padded to `colspace`, `columns` per line. */
class Columns {
  private c = 1;
  constructor(private readonly out: (t: string) => void, private readonly columns: number, private readonly colspace: number) {}
  put(name: string): void {
    this.out(name.padEnd(this.colspace));
    if (this.c >= this.columns) {
      this.out('\n');
      this.c = 1;
    } else this.c++;
  }
  end(): void {
    if (this.c !== 1) this.out('\n');
  }
}
