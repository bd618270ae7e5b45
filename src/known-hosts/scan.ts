/**
 * One pass over a known_hosts text with the semantics of OpenSSH's hostkeys_foreach()
 * (hostfile.c): what counts as a comment, a marker, a match, and an invalid line depends on
 * whether a host is looked up and whether keys are decoded, exactly as there. Pure: no I/O.
 */
import { parsePublicKeyText, type PublicKey } from '../keys/public-key.js';
import { decodeBase64Strict, matchHashed } from './hash.js';
import { blobTypeForName, isKeyTypeName } from './key-types.js';
import { matchHostname } from '../pattern.js';

export type Marker = 'none' | 'cert-authority' | 'revoked';

export interface ScanOptions {
  /** Host name to match (as ssh-keygen -F/-R got it, or `host`/`[host]:port`). */
  readonly host?: string;
  /** Report only lines whose host field matches `host` (HKF_WANT_MATCH). */
  readonly wantMatch?: boolean;
  /** Decode the key of each line (HKF_WANT_PARSE_KEY); undecodable keys make the line invalid. */
  readonly parseKey?: boolean;
}

/** A debug message OpenSSH logs while scanning: level 1 = verbose (-v), 2 = debug2, 3 = debug3. */
export interface ScanDiagnostic {
  readonly level: 1 | 2 | 3;
  readonly message: string;
}

export type LineStatus = 'comment' | 'ok' | 'matched' | 'invalid';

export interface ScannedLine {
  readonly lineNumber: number;
  /** The line as in the file, without its newline. */
  readonly raw: string;
  readonly status: LineStatus;
  readonly marker: Marker;
  /** The host field; undefined for comments and lines with a bad marker. */
  readonly hosts?: string;
  /** Everything after the host field and the blanks after it; undefined if the line ends before. */
  readonly rawKey?: string;
  /** True when `host` matched a hashed host field. */
  readonly hashed: boolean;
  /** The decoded key (parseKey only). */
  readonly key?: PublicKey;
  /** Text after the key (parseKey only), as ssh-keygen -l prints it. */
  readonly comment: string;
}

const MARKERS: Record<string, Marker> = { '@cert-authority': 'cert-authority', '@revoked': 'revoked' };

/** Lines as getline() sees them: split on \n, no empty line after a final newline. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}

/** check_markers(): the marker and where the host field starts, or 'error'. */
function readMarker(line: string, start: number): { marker: Marker; next: number } | 'error' {
  let cp = start;
  let marker: Marker = 'none';
  while (line[cp] === '@') {
    if (marker !== 'none') return 'error';
    // OpenSSH looks for the first space anywhere after the '@', then for a tab.
    let sp = line.indexOf(' ', cp);
    if (sp < 0) sp = line.indexOf('\t', cp);
    if (sp < 0) return 'error';
    if (sp <= cp + 1 || sp >= cp + 32) return 'error';
    const m = MARKERS[line.slice(cp, sp)];
    if (!m) return 'error';
    marker = m;
    cp = skipBlanks(line, sp);
  }
  return { marker, next: cp };
}

/** hostfile_read_key()/sshkey_read(): decode `type base64` at the start of rawKey. */
export function readKey(rawKey: string): { key: PublicKey; comment: string } | null {
  const m = /^[ \t]*([^ \t]+)[ \t]+([^ \t]+)/.exec(rawKey);
  if (!m) return null;
  const blobType = blobTypeForName(m[1]!);
  if (!blobType) return null;
  if (!decodeBase64Strict(m[2]!)) return null;
  let key: PublicKey;
  try {
    key = parsePublicKeyText(blobType, m[2]!);
  } catch {
    return null;
  }
  const comment = rawKey.slice(skipBlanks(rawKey, m[0].length));
  return { key, comment };
}

export type ScanEvent =
  | { readonly kind: 'line'; readonly line: ScannedLine }
  | { readonly kind: 'diagnostic'; readonly diagnostic: ScanDiagnostic };

/** Scans `text` (the contents of `path`) and returns its lines; diagnostics go to `onDiagnostic`. */
export function scanKnownHosts(
  text: string,
  path: string,
  opts: ScanOptions = {},
  onDiagnostic: (d: ScanDiagnostic) => void = () => undefined,
): ScannedLine[] {
  const lines: ScannedLine[] = [];
  for (const ev of scanEvents(text, path, opts)) {
    if (ev.kind === 'line') lines.push(ev.line);
    else onDiagnostic(ev.diagnostic);
  }
  return lines;
}

/** Lines and OpenSSH's verbose/debug messages about them, in the order OpenSSH produces them. */
export function scanEvents(text: string, path: string, opts: ScanOptions = {}): ScanEvent[] {
  const events: ScanEvent[] = [];
  const { host, wantMatch = false, parseKey = false } = opts;
  const onDiagnostic = (diagnostic: ScanDiagnostic): void => {
    events.push({ kind: 'diagnostic', diagnostic });
  };
  const emit = (line: ScannedLine): void => {
    events.push({ kind: 'line', line });
  };
  onDiagnostic({ level: 3, message: `hostkeys_foreach: reading file "${path}"` });
  splitLines(text).forEach((raw, idx) => {
    const lineNumber = idx + 1;
    const base = { lineNumber, raw, marker: 'none' as Marker, hashed: false, comment: '' };
    const invalid = (extra: Partial<ScannedLine> = {}): void => {
      emit({ ...base, ...extra, status: 'invalid' });
    };
    let cp = skipBlanks(raw, 0);
    if (cp >= raw.length || raw[cp] === '#') {
      if (!wantMatch) emit({ ...base, status: 'comment' });
      return;
    }
    const mk = readMarker(raw, cp);
    if (mk === 'error') {
      onDiagnostic({ level: 1, message: `hostkeys_foreach_file: invalid marker at ${path}:${lineNumber}` });
      if (!wantMatch) invalid();
      return;
    }
    cp = mk.next;
    let end = cp;
    while (end < raw.length && !isBlank(raw[end])) end++;
    const hosts = raw.slice(cp, end);
    const fields = { marker: mk.marker, hosts };
    let status: LineStatus = 'ok';
    let hashed = false;
    if (host !== undefined) {
      if (hosts.startsWith('|')) {
        const r = matchHashed(host, hosts);
        if (typeof r === 'object') {
          onDiagnostic({ level: 2, message: r.bad });
          onDiagnostic({
            level: 2,
            message: `hostkeys_foreach_file: ${path}:${lineNumber}: bad host hash "${Buffer.from(hosts).subarray(0, 32).toString()}"`,
          });
          return invalid(fields);
        }
        if (r === 'match') {
          status = 'matched';
          hashed = true;
        }
      } else if (matchHostname(host, hosts) === 1) {
        status = 'matched';
      }
      if (wantMatch && status !== 'matched') return;
    }
    const withMatch = { ...fields, hashed };
    const keyStart = skipBlanks(raw, end + 1);
    if (end >= raw.length || keyStart >= raw.length || raw[keyStart] === '#') {
      onDiagnostic({ level: 2, message: `${path}:${lineNumber}: truncated before key type` });
      return invalid(withMatch);
    }
    const rawKey = raw.slice(keyStart);
    if (parseKey) {
      const k = readKey(rawKey);
      if (!k) return invalid({ ...withMatch, rawKey });
      emit({ ...base, ...withMatch, rawKey, key: k.key, comment: k.comment, status });
      return;
    }
    let l = 0;
    while (l < rawKey.length && !isBlank(rawKey[l])) l++;
    if (l <= 1 || l >= 128 || l >= rawKey.length) return invalid({ ...withMatch, rawKey });
    let known = isKeyTypeName(rawKey.slice(0, l));
    const after = skipBlanks(rawKey, l);
    if (after >= rawKey.length || rawKey[after] === '#') {
      onDiagnostic({ level: 2, message: `${path}:${lineNumber}: truncated after key type` });
      known = false;
    }
    if (!known) return invalid({ ...withMatch, rawKey });
    emit({ ...base, ...withMatch, rawKey, status });
  });
  return events;
}
