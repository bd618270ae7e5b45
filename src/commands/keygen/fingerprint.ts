/**
 * tsh-keygen -l / -B (ssh-keygen do_fingerprint): the fingerprint of every key in a public key,
 * authorized_keys or known_hosts file, or of a private key file; -v adds the random art, -E picks
 * the hash, -B prints Bubble Babble instead. "-f -" reads standard input. With --json (tsh's
 * own) the same keys come out as one JSON array of {bits, fingerprint, type, algorithm, comment}
 * records, plus `host` for a known_hosts line and `options` for an authorized_keys line with
 * options (and `randomart` with -v).
 */
import { readFileSync } from 'node:fs';
import { errnoCode, strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { bubblebabble } from '../../keys/bubblebabble.js';
import { fingerprintLines } from '../../keys/key-lines.js';
import { fingerprint, parsePublicKeyLine, type PublicKey } from '../../keys/public-key.js';
import { randomart } from '../../keys/randomart.js';
import { askFilename, fsPath, loadPrivate, loadPublic } from './key-source.js';
import type { KeygenOptions } from './options.js';
import { debug, fatal, sanitize, utf8Locale } from './ssh-log.js';

/** fingerprint_one_key: "BITS FINGERPRINT COMMENT (TYPE)", then the random art with -v. */
function printKey(opts: KeygenOptions, io: Io, key: PublicKey, comment: Buffer | null): void {
  const fp = opts.bubbleBabble ? bubblebabble(key) : fingerprint(key, opts.fingerprintHash);
  const text = comment ?? Buffer.from('no comment');
  const line = Buffer.concat([Buffer.from(`${key.bits} ${fp} `), text, Buffer.from(` (${key.label})\n`)]);
  io.stdout.write(sanitize(line, utf8Locale(io.env)));
  if (opts.verbose > 0) io.stdout.write(`${randomart(key, opts.fingerprintHash)}\n`);
}

/** fingerprint_private: the key file's public part, with the .pub comment or the key's own. */
function fingerprintPrivate(opts: KeygenOptions, io: Io, path: string): void {
  const { key, comment } = privateKeyEntry(opts, io, path);
  printKey(opts, io, key, comment);
}

function privateKeyEntry(opts: KeygenOptions, io: Io, path: string): { key: PublicKey; comment: Buffer | null } {
  const pub = loadPublic(io, path);
  if (!pub) debug(io, opts.verbose, `load public "${path}": No such file or directory`);
  let comment = pub?.comment ?? null;
  let priv: PublicKey | null = null;
  if (!pub || comment === null || comment.length === 0) {
    const r = loadPrivate(io, path, undefined);
    comment = null;
    if (r.ok) {
      priv = r.key;
      comment = r.comment;
    } else {
      debug(io, opts.verbose, `load private "${path}": ${r.message}`);
    }
  }
  const key = pub?.key ?? priv;
  if (!key) fatal(io, `${path} is not a key file.`);
  return { key, comment };
}

export async function runFingerprint(opts: KeygenOptions, io: Io): Promise<number> {
  const file = opts.file ?? (await askFilename(opts, io, 'Enter file in which the key is'));
  const stdin = file === '-';
  const path = stdin ? '(stdin)' : file;
  let data: Buffer;
  try {
    data = stdin ? await io.readAll() : readFileSync(fsPath(io, file));
  } catch (err) {
    // fopen succeeds on a directory; reading it then finds no lines.
    if (errnoCode(err) !== 'EISDIR') fatal(io, `tsh-keygen: ${path}: ${strerror(err)}`);
    data = Buffer.alloc(0);
  }
  if (opts.json) return fingerprintJson(opts, io, data, path, stdin);
  let found = false;
  for (const entry of fingerprintLines(data, !stdin)) {
    if (entry.kind === 'private') {
      fingerprintPrivate(opts, io, path);
      return 0;
    }
    if (entry.kind === 'not-a-key') {
      debug(io, opts.verbose, `${path}:${entry.lineNumber}: not a public key`);
      continue;
    }
    printKey(opts, io, entry.key, entry.comment);
    found = true;
  }
  if (!found) fatal(io, `${path} is not a public key file.`);
  return 0;
}


/** One key of `tsh-keygen -l --json`. */
export interface FingerprintRecord {
  readonly bits: number;
  readonly fingerprint: string;
  /** ssh-keygen's label, as -l prints it in parentheses: ED25519, RSA, ECDSA, ... */
  readonly type: string;
  /** The key's wire name: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ... */
  readonly algorithm: string;
  /** The key's comment; null when it has none. */
  readonly comment: string | null;
  /** known_hosts: the host names (or hashed name) before the key. */
  readonly host?: string;
  /** authorized_keys: the options before the key. */
  readonly options?: string;
  /** With -v. */
  readonly randomart?: string;
}

/** sshd's authorized_keys option names (auth-options.c): a prefix made of these is options, not hosts. */
const KEY_OPTIONS = new Set([
  'agent-forwarding', 'cert-authority', 'command', 'environment', 'expiry-time', 'from', 'no-agent-forwarding',
  'no-port-forwarding', 'no-pty', 'no-touch-required', 'no-user-rc', 'no-x11-forwarding', 'permitlisten',
  'permitopen', 'port-forwarding', 'principals', 'pty', 'restrict', 'touch-required', 'tunnel', 'user-rc',
  'verify-required', 'x11-forwarding',
]);

/** The first word of a line, with "quoted" parts kept together (as do_fingerprint skips it). */
function firstWord(line: string): string {
  let quoted = false;
  let i = 0;
  for (; i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t')); i++) {
    if (line[i] === '\\' && line[i + 1] === '"') i++;
    else if (line[i] === '"') quoted = !quoted;
  }
  return line.slice(0, i);
}

function isKeyOptions(prefix: string): boolean {
  const names = prefix.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  return names.length > 0 && names.every((o) => KEY_OPTIONS.has(o.replace(/=.*$/s, '').toLowerCase()));
}

function record(opts: KeygenOptions, key: PublicKey, comment: string | null, extra: { host?: string; options?: string }): FingerprintRecord {
  return {
    bits: key.bits,
    fingerprint: fingerprint(key, opts.fingerprintHash),
    type: key.label,
    algorithm: key.type,
    comment: comment === null || comment === '' ? null : comment,
    ...extra,
    ...(opts.verbose > 0 ? { randomart: randomart(key, opts.fingerprintHash) } : {}),
  };
}

/** The records of every key in `data`, line by line (the same keys -l lists), or of a private key file. */
export function fingerprintRecords(opts: KeygenOptions, io: Io, data: Buffer, path: string, stdin: boolean): FingerprintRecord[] {
  const out: FingerprintRecord[] = [];
  const lines = data.toString('latin1').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = Buffer.from(lines[n]!, 'latin1');
    for (const entry of fingerprintLines(raw, !stdin && n === 0)) {
      if (entry.kind === 'private') {
        const { key, comment } = privateKeyEntry(opts, io, path);
        return [record(opts, key, comment === null ? null : comment.toString('utf8'), {})];
      }
      if (entry.kind === 'not-a-key') {
        debug(io, opts.verbose, `${path}:${n + 1}: not a public key`);
        continue;
      }
      const text = raw.toString('utf8').replace(/\r$/, '').replace(/^[ \t]+/, '');
      const direct = parsePublicKeyLine(text);
      if (direct && firstWord(text) === direct.key.type) {
        out.push(record(opts, entry.key, direct.comment, {}));
        continue;
      }
      const prefix = firstWord(text);
      const rest = parsePublicKeyLine(text.slice(prefix.length));
      const comment = rest ? rest.comment : null;
      out.push(record(opts, entry.key, comment, isKeyOptions(prefix) ? { options: prefix } : { host: prefix }));
    }
  }
  return out;
}

function fingerprintJson(opts: KeygenOptions, io: Io, data: Buffer, path: string, stdin: boolean): number {
  const records = fingerprintRecords(opts, io, data, path, stdin);
  if (records.length === 0) fatal(io, `${path} is not a public key file.`);
  io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  return 0;
}
