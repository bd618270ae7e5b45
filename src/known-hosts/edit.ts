/**
 * known_hosts file edits. Appending is an O_APPEND write, as ssh's add_host_to_hostfile() does, so
 * a symlinked known_hosts stays a link and concurrent clients lose no lines. Removing a host and
 * hashing are atomic (a temporary file renamed over the original, with the original's mode,
 * keeping FILE.old), as ssh-keygen's hostfile_replace_entries() is. A failed edit leaves the file
 * as it was.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { formatPublicKey, type PublicKey } from '../keys/public-key.js';
import { knownHostsForeach, outText, type ForeachResult } from './foreach.js';
import { hashHostName } from './hash.js';
import { asciiLower } from '../pattern.js';

/** Mode of a new known_hosts file before the umask, as ssh's fopen("a"). */
const NEW_FILE_MODE = 0o666;

/** The file's text and permission bits, or null if it does not exist. */
export function readKnownHostsFile(path: string): { text: string; mode: number } | null {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  return { text: readFileSync(path, 'utf8'), mode };
}

/**
 * The lines write_host_entry() writes for a key: names lowercased; hashed, each name on its own
 * line; plain, all names on one line (`host,ip key`).
 */
export function entryLines(names: readonly string[], key: PublicKey, hash: boolean): string[] {
  const lower = names.map(asciiLower);
  const keyText = formatPublicKey(key);
  if (hash) return lower.map((n) => `${hashHostName(n)} ${keyText}`);
  return [`${lower.join(',')} ${keyText}`];
}

export interface AddOptions {
  /** Store hashed names (HashKnownHosts). */
  readonly hash?: boolean;
  /** Create the file's directory (0700) when missing, as ssh does for ~/.ssh. */
  readonly createDir?: boolean;
}

/**
 * Appends `key` for `names` (e.g. [hostPatternFor(host, port)] or [name, ip]) with one O_APPEND
 * write, through a symlink if the path is one; a new file gets 0666 less the umask. A last line
 * without newline is completed first (ssh would glue the new entry onto it).
 */
export function addKnownHost(path: string, names: readonly string[], key: PublicKey, opts: AddOptions = {}): void {
  if (opts.createDir) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a+', NEW_FILE_MODE);
  try {
    let text = entryLines(names, key, Boolean(opts.hash)).map((l) => `${l}\n`).join('');
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) text = `\n${text}`;
    }
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

export interface EditResult {
  /** True if the file was rewritten (and FILE.old holds the previous contents). */
  readonly changed: boolean;
  readonly result: ForeachResult;
}

/**
 * Removes the unmarked lines for `name` (a `host` or `[host]:port`), as ssh's
 * hostfile_replace_entries() does: @revoked/@cert-authority lines and invalid lines are kept.
 */
export function removeKnownHost(path: string, name: string): EditResult {
  const cur = readKnownHostsFile(path);
  if (!cur) return { changed: false, result: knownHostsForeach('', path, { host: name, remove: true }) };
  const result = knownHostsForeach(cur.text, path, { host: name, remove: true, quiet: true, parseKey: true });
  if (!result.found) return { changed: false, result };
  writeFileAtomic(path, outText(result), { mode: cur.mode, keepOld: true });
  return { changed: true, result };
}

/**
 * Hashes every plain host name (ssh-keygen -H): wildcard, negated, hashed and marker lines are
 * kept as they are. A file with invalid lines is left alone (result.invalid).
 */
export function hashKnownHostsFile(path: string): EditResult {
  const cur = readKnownHostsFile(path);
  if (!cur) return { changed: false, result: knownHostsForeach('', path, { hash: true }) };
  const result = knownHostsForeach(cur.text, path, { hash: true });
  if (result.invalid) return { changed: false, result };
  writeFileAtomic(path, outText(result), { mode: cur.mode & 0o644, keepOld: true });
  return { changed: true, result };
}
