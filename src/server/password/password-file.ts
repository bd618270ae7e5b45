/**
 * tshd's PasswordFile: password hashes for the non-root embedded mode, where PAM cannot check
 * anyone's password but the daemon's own user's. `tshd passwd USER` manages it.
 *
 * Format: one user per line, `user:hash`. Blank lines and lines starting with `#` are kept as
 * they are. The hash is a PHC string (the format passlib and the PHC reference use for scrypt):
 *
 *     alice:$scrypt$ln=16,r=8,p=1$<salt>$<key>
 *
 * `ln` is log2 of scrypt's N (cost), `r` the block size, `p` the parallelism; salt (16 bytes) and
 * key (32 bytes) are base64 without padding. The key is crypto.scrypt(password as UTF-8 bytes,
 * salt, 32, {N: 2^ln, r, p}). The parameters travel with each hash, so a later default can
 * change without invalidating old lines. A user name is anything but `:`, whitespace and control
 * characters, and does not start with `#`. The first line for a user wins.
 *
 * Checking costs one scrypt computation whether the user exists or not, and compares with
 * timingSafeEqual, so a missing user takes as long as a wrong password.
 *
 * The file holds secrets: it must be a regular file owned by root or by the daemon's user, and
 * neither writable by group or others nor readable by others (like sshd's StrictModes checks
 * and ssh's refusal of readable private keys). setPassword writes it atomically at mode 0600.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { errnoCode, strerror, TshError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';

/** The cost new hashes get: N = 2^16 (64 MiB, ~0.3 s on a laptop core), r = 8, p = 1. */
export const DEFAULT_SCRYPT = Object.freeze({ ln: 16, r: 8, p: 1 });
export interface ScryptParams {
  /** log2 of N */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Limits on what a file may ask for, so a line cannot make the daemon spend unbounded memory. */
const MAX_LN = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 1024 * 1024 * 1024;

/** A PasswordFile that cannot be used: unreadable, unsafe permissions, a user name that cannot be stored. */
export class PasswordFileError extends TshError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'PasswordFileError';
  }
}

export interface PasswordEntry {
  readonly user: string;
  readonly hash: string;
  /** 1-based line number */
  readonly line: number;
}

export interface ParsedPasswordFile {
  /** the first entry of each user */
  readonly entries: ReadonlyMap<string, PasswordEntry>;
  /** `file line N: ...` for each line that is not a comment, blank, or a well-formed entry */
  readonly errors: readonly string[];
}

/** Why a user name cannot go in a PasswordFile, or null if it can. */
export function userNameError(user: string): string | null {
  if (user.length === 0) return 'empty user name';
  if (user.startsWith('#')) return `user name "${user}" starts with "#"`;
  // eslint-disable-next-line no-control-regex
  if (/[:\s\x00-\x1f\x7f]/.test(user)) return `user name "${user}" contains ":", white space or a control character`;
  return null;
}

interface DecodedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+$/;

/** Parses `$scrypt$ln=..,r=..,p=..$salt$key`; the reason it is malformed otherwise. */
export function decodeHash(hash: string): DecodedHash | string {
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'scrypt') return 'not a $scrypt$ hash';
  const m = /^ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})$/.exec(parts[2] ?? '');
  if (!m) return `bad scrypt parameters "${parts[2] ?? ''}"`;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 1 || params.ln > MAX_LN || params.r < 1 || params.r > MAX_R || params.p < 1 || params.p > MAX_P) {
    return `scrypt parameters out of range "${parts[2] ?? ''}" (ln 1-${MAX_LN}, r 1-${MAX_R}, p 1-${MAX_P})`;
  }
  if (128 * 2 ** params.ln * params.r * params.p > MAX_MEMORY) return `scrypt parameters need too much memory "${parts[2] ?? ''}"`;
  const salt = parts[3] ?? '';
  const key = parts[4] ?? '';
  if (!B64.test(salt) || !B64.test(key)) return 'salt and key must be base64 without padding';
  const saltBuf = Buffer.from(salt, 'base64');
  const keyBuf = Buffer.from(key, 'base64');
  if (saltBuf.length < 8) return 'salt shorter than 8 bytes';
  if (keyBuf.length < 16 || keyBuf.length > 64) return 'key must be 16 to 64 bytes';
  return { params, salt: saltBuf, key: keyBuf };
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * (params.p + 1) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(Buffer.from(password, 'utf8'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new hash of `password` with a fresh random salt, in the PasswordFile format. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** A fixed stand-in, so checking a missing user or a malformed hash costs one scrypt too. */
const DUMMY: DecodedHash = { params: DEFAULT_SCRYPT, salt: Buffer.alloc(SALT_BYTES, 0x5a), key: Buffer.alloc(KEY_BYTES) };

/**
 * Whether `password` matches `hash`. A malformed hash (or null: no such user) costs one scrypt
 * with the default parameters and is false.
 */
export async function verifyHash(hash: string | null, password: string): Promise<boolean> {
  const decoded = hash === null ? null : decodeHash(hash);
  const use = decoded !== null && typeof decoded !== 'string' ? decoded : DUMMY;
  const key = await scrypt(password, use.salt, use.key.length, use.params);
  const same = timingSafeEqual(key, use.key);
  return same && use !== DUMMY;
}

/** Parses a PasswordFile's text (no I/O). */
export function parsePasswordFile(text: string, filename: string): ParsedPasswordFile {
  const entries = new Map<string, PasswordEntry>();
  const errors: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const n = i + 1;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon < 0) {
      errors.push(`${filename} line ${n}: missing ":" between user and hash`);
      return;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const decoded = decodeHash(hash);
    const bad = userNameError(user) ?? (typeof decoded === 'string' ? decoded : null);
    if (bad !== null) {
      errors.push(`${filename} line ${n}: ${bad}`);
      return;
    }
    if (!entries.has(user)) entries.set(user, { user, hash, line: n });
  });
  return { entries, errors };
}

/**
 * Checks that a PasswordFile may be trusted with secrets: a regular file, owned by root or by
 * `uid`, not writable by group or others, not readable by others.
 */
export async function checkPasswordFileMode(path: string, uid: number = process.getuid?.() ?? 0): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new PasswordFileError(`Could not open PasswordFile ${path}: ${strerror(err)}`);
  }
  if (!st.isFile()) throw new PasswordFileError(`PasswordFile ${path} is not a regular file`);
  if (st.uid !== 0 && st.uid !== uid) throw new PasswordFileError(`Bad owner or modes for PasswordFile ${path}`);
  if ((st.mode & 0o026) !== 0) {
    throw new PasswordFileError(`Bad owner or modes for PasswordFile ${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} (it holds password hashes: chmod 600)`);
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PasswordFileError(`Could not open PasswordFile ${path}: ${strerror(err)}`);
  }
}

export interface VerifyOptions {
  /** Where malformed lines are reported (`file line N: ...`); they are skipped either way. */
  log?: (message: string) => void;
  /** The uid that may own the file besides root (default: this process's). */
  uid?: number;
}

/**
 * Whether `password` is `user`'s password in the PasswordFile at `path`. One scrypt computation
 * whatever the outcome. Throws PasswordFileError when the file cannot be read or its permissions
 * are unsafe (the caller logs it and denies).
 */
export async function verifyPasswordFile(path: string, user: string, password: string, options: VerifyOptions = {}): Promise<boolean> {
  await checkPasswordFileMode(path, options.uid);
  const parsed = parsePasswordFile(await readText(path), path);
  for (const e of parsed.errors) options.log?.(e);
  return verifyHash(parsed.entries.get(user)?.hash ?? null, password);
}

/** The file's text with `user`'s entry replaced (in place of its first line) or added, or removed when `hash` is null. */
export function updatePasswordText(text: string, user: string, hash: string | null): { text: string; found: boolean } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let found = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const isUser = !line.trimStart().startsWith('#') && colon >= 0 && line.slice(0, colon) === user;
    if (!isUser) {
      out.push(line);
      continue;
    }
    if (!found && hash !== null) out.push(`${user}:${hash}`);
    found = true;
  }
  if (!found && hash !== null) out.push(`${user}:${hash}`);
  return { text: out.length > 0 ? `${out.join('\n')}\n` : '', found };
}

async function readExisting(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return '';
    throw new PasswordFileError(`Could not open PasswordFile ${path}: ${strerror(err)}`);
  }
}

function writeAtomic(path: string, text: string): void {
  try {
    writeFileAtomic(path, text, { mode: 0o600 });
  } catch (err) {
    throw new PasswordFileError(`Could not write PasswordFile ${path}: ${strerror(err)}`);
  }
}

/** Sets `user`'s password (creating the file if needed): atomic write, mode 0600. */
export async function setPassword(path: string, user: string, password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<void> {
  const bad = userNameError(user);
  if (bad !== null) throw new PasswordFileError(`Cannot store ${bad} in PasswordFile ${path}`);
  const hash = await hashPassword(password, params);
  const { text } = updatePasswordText(await readExisting(path), user, hash);
  writeAtomic(path, text);
}

/** Removes `user`'s entry; false when there was none (the file is then left alone). */
export async function removePassword(path: string, user: string): Promise<boolean> {
  const { text, found } = updatePasswordText(await readExisting(path), user, null);
  if (found) writeAtomic(path, text);
  return found;
}
