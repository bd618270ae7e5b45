/**
 * known_hosts file edits, all atomic (a temporary file renamed over the original, with the
 * original's mode): append entries, remove a host (keeping FILE.old), hash every plain name
 * (keeping FILE.old). A failed edit leaves the file as it was.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { formatPublicKey, type PublicKey } from '../keys/public-key.js';
import { knownHostsForeach, outText, type ForeachResult } from './foreach.js';
import { hashHostName } from './hash.js';
import { asciiLower } from '../pattern.js';

/** Mode of a new known_hosts file (what ssh's fopen("a") gives under the usual umask 022). */
const NEW_FILE_MODE = 0o644;

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
 * Appends `key` for `names` (e.g. [hostPatternFor(host, port)] or [name, ip]). The new contents are
 * written whole, so a crash never leaves half a line; a last line without newline is completed first.
 */
export function addKnownHost(path: string, names: readonly string[], key: PublicKey, opts: AddOptions = {}): void {
  if (opts.createDir) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const cur = readKnownHostsFile(path);
  let text = cur?.text ?? '';
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  text += entryLines(names, key, Boolean(opts.hash)).map((l) => `${l}\n`).join('');
  writeFileAtomic(path, text, { mode: cur?.mode ?? NEW_FILE_MODE });
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
