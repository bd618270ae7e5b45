/**
 * tsh-keygen -l / -B (ssh-keygen do_fingerprint): the fingerprint of every key in a public key,
 * authorized_keys or known_hosts file, or of a private key file; -v adds the random art, -E picks
 * the hash, -B prints Bubble Babble instead. "-f -" reads standard input.
 */
import { readFileSync } from 'node:fs';
import { errnoCode, strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { bubblebabble } from '../../keys/bubblebabble.js';
import { fingerprintLines } from '../../keys/key-lines.js';
import { fingerprint, type PublicKey } from '../../keys/public-key.js';
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
  printKey(opts, io, key, comment);
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

