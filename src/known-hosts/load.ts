/** Reads known_hosts files for the client: missing files are simply empty. */
import { readFileSync } from 'node:fs';
import { errnoCode } from '../errors.js';
import { parseKnownHosts, type KnownHostEntry, type InvalidLine } from './parse.js';

export function loadKnownHostsFiles(paths: readonly string[]): { entries: KnownHostEntry[]; invalid: InvalidLine[] } {
  const entries: KnownHostEntry[] = [];
  const invalid: InvalidLine[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // ssh skips known_hosts files it cannot open (load_hostkeys only logs at debug level).
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'EACCES' || errnoCode(err) === 'EISDIR') continue;
      throw err;
    }
    const parsed = parseKnownHosts(text, path);
    entries.push(...parsed.entries);
    invalid.push(...parsed.invalid);
  }
  return { entries, invalid };
}
