/**
 * Reading private key files as OpenSSH does: a file that group or others may access is refused
 * (sshkey_perm_ok in authfile.c) before it is parsed.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { strerror, TshError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { decodePrivateKey, encodePrivateKey, type DecodeResult, type EncodeOptions, type PrivateKey } from './private-key.js';
import type { PublicKey } from './public-key.js';

export class BadPermissionsError extends TshError {
  constructor(message: string) {
    super(message, 255);
    this.name = 'BadPermissionsError';
  }
}

/** OpenSSH's warning block for a key file with mode `mode`, without the final "Load key" line. */
export function unprotectedKeyWarning(path: string, mode: number): string {
  return [
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    '@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    `Permissions 0${(mode & 0o777).toString(8).padStart(3, '0')} for '${path}' are too open.`,
    'It is required that your private key files are NOT accessible by others.',
    'This private key will be ignored.',
  ].join('\n');
}

function checkFd(fd: number, path: string): void {
  const st = fstatSync(fd);
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  // Like OpenSSH: only the owner's own files are checked, and any group/other bit is too open.
  if (st.uid === uid && (st.mode & 0o077) !== 0) {
    throw new BadPermissionsError(`${unprotectedKeyWarning(path, st.mode)}\nLoad key "${path}": bad permissions`);
  }
}

/**
 * Throws BadPermissionsError (a TshError, exit 255) when group/others can access the key file;
 * the message is OpenSSH's "UNPROTECTED PRIVATE KEY FILE!" block + `Load key "PATH": bad permissions`.
 */
export function checkPrivateKeyPermissions(path: string): void {
  const fd = openSync(path, 'r');
  try {
    checkFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** Reads a private key file (permission check first), decodes it. System errors (ENOENT...) are thrown as-is. */
export function loadPrivateKeyFile(path: string, passphrase?: string): DecodeResult {
  const fd = openSync(path, 'r');
  let data: Buffer;
  try {
    checkFd(fd, path);
    data = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  return decodePrivateKey(data, passphrase);
}

/** Why a key could not be saved: the text ssh-keygen prints after `Saving key "PATH" failed: `. */
export class SaveKeyError extends TshError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'SaveKeyError';
  }
}

/**
 * Writes a private key file atomically at 0600. Like OpenSSH, PEM/PKCS#8 files refuse a
 * passphrase of 1-4 characters (OpenSSL's minimum). Errors: SaveKeyError with the reason.
 */
export function savePrivateKeyFile(path: string, key: PrivateKey, opts: EncodeOptions & { passphrase: string }): void {
  const pemLike = (opts.format === 'pem' || opts.format === 'pkcs8') && key.keyObject.asymmetricKeyType !== 'ed25519';
  if (pemLike && opts.passphrase.length > 0 && opts.passphrase.length <= 4) {
    throw new SaveKeyError('passphrase is too short (minimum five characters)');
  }
  const text = encodePrivateKey(key, opts);
  try {
    writeFileAtomic(path, text, { mode: 0o600 });
  } catch (err) {
    throw new SaveKeyError(strerror(err));
  }
}

/** The .pub line as sshkey_save_public writes it: always a space before the (maybe empty) comment. */
export function publicKeyFileText(key: PublicKey, comment: string): string {
  return `${key.type} ${key.blob.toString('base64')} ${comment}\n`;
}

/** Writes a .pub file atomically at 0644. System errors are thrown as-is. */
export function savePublicKeyFile(path: string, key: PublicKey, comment: string): void {
  writeFileAtomic(path, publicKeyFileText(key, comment), { mode: 0o644 });
}
