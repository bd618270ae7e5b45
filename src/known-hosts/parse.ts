/**
 * known_hosts text → entries, as the ssh client loads them (hostkeys_foreach with key parsing):
 * comments and blank lines skipped, `@cert-authority`/`@revoked` markers, plain, wildcard,
 * negated and hashed host fields. Invalid lines are reported with file:line and skipped.
 */
import type { PublicKey } from '../keys/public-key.js';
import { extractSalt } from './hash.js';
import { scanKnownHosts, type Marker } from './scan.js';

export interface KnownHostEntry {
  readonly file: string;
  readonly line: number;
  readonly marker: Marker;
  /** The host field: a pattern list (`a,b,*.c,!d,[e]:2222`) or one `|1|salt|hash`. */
  readonly hosts: string;
  /** True when `hosts` is a hashed name. */
  readonly hashed: boolean;
  readonly key: PublicKey;
  readonly comment: string;
  /** The line as in the file. */
  readonly raw: string;
}

export interface InvalidLine {
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  /** OpenSSH's debug message for the line. */
  readonly message: string;
}

export interface KnownHostsFile {
  readonly entries: KnownHostEntry[];
  readonly invalid: InvalidLine[];
}

export function parseKnownHosts(text: string, filename: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  const invalid: InvalidLine[] = [];
  const bad = (line: number, raw: string): void => {
    invalid.push({ file: filename, line, raw, message: `${filename}:${line}: parse error in hostkeys file` });
  };
  for (const l of scanKnownHosts(text, filename, { parseKey: true })) {
    if (l.status === 'comment') continue;
    if (l.status === 'invalid' || !l.key || l.hosts === undefined) {
      bad(l.lineNumber, l.raw);
      continue;
    }
    const hashed = l.hosts.startsWith('|');
    // A malformed hash can never match; OpenSSH reports such a line as invalid when it looks it up.
    if (hashed && !extractSalt(l.hosts).ok) {
      bad(l.lineNumber, l.raw);
      continue;
    }
    entries.push({
      file: filename,
      line: l.lineNumber,
      marker: l.marker,
      hosts: l.hosts,
      hashed,
      key: l.key,
      comment: l.comment,
      raw: l.raw,
    });
  }
  return { entries, invalid };
}
