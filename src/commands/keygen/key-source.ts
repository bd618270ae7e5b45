/**
 * Where ssh-keygen's -l/-B/-e/-i find their key: the "Enter file in which the key is" prompt
 * (ask_filename), sshkey_load_public (the file, then FILE.pub, then the public part of an
 * OpenSSH private key), sshkey_load_private and load_identity (with the passphrase prompt).
 */
import { fstatSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitError, strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { unprotectedKeyWarning } from '../../keys/key-file.js';
import { acceptBlob, tryLoadPublic } from '../../keys/key-lines.js';
import { parseContainer, unarmorOpenSsh } from '../../keys/openssh-format.js';
import { decodePrivateKey } from '../../keys/private-key.js';
import { plainType, type PublicKey } from '../../keys/public-key.js';
import type { KeygenOptions } from './options.js';
import { fatal, logLine } from './ssh-log.js';

const DEFAULT_NAMES: Record<string, string> = {
  'ssh-rsa': 'id_rsa',
  'ssh-dss': 'id_dsa',
  'ecdsa-sha2-nistp256': 'id_ecdsa',
  'ecdsa-sha2-nistp384': 'id_ecdsa',
  'ecdsa-sha2-nistp521': 'id_ecdsa',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'id_ecdsa_sk',
  'ssh-ed25519': 'id_ed25519',
  'sk-ssh-ed25519@openssh.com': 'id_ed25519_sk',
};

const SHORT_NAMES: Record<string, string> = {
  rsa: 'ssh-rsa',
  dsa: 'ssh-dss',
  ecdsa: 'ecdsa-sha2-nistp256',
  ed25519: 'ssh-ed25519',
  'ecdsa-sk': 'sk-ecdsa-sha2-nistp256@openssh.com',
  'ed25519-sk': 'sk-ssh-ed25519@openssh.com',
};

/** The default key file for -t (sshkey_type_from_name: short names any case, full names exact). */
function defaultKeyName(type: string | undefined): string | null {
  if (type === undefined) return 'id_rsa';
  const full = SHORT_NAMES[type.toLowerCase()] ?? plainType(type.replace(/^rsa-sha2-(256|512)/, 'ssh-rsa'));
  return DEFAULT_NAMES[full] ?? null;
}

/** ask_filename: prompts on stdout with the default path; EOF exits 1. Returns the file to use. */
export async function askFilename(opts: KeygenOptions, io: Io, prompt: string): Promise<string> {
  const name = defaultKeyName(opts.type);
  if (name === null) fatal(io, 'bad key type');
  const path = join(opts.env.home, '.ssh', name);
  io.stdout.write(`${prompt} (${path}): `);
  const line = await io.readLine();
  if (line === null) throw new ExitError(1);
  return line === '' ? path : line;
}

/** A path for node:fs relative to the command's cwd ("" stays "", which fails like C's fopen("")). */
export function fsPath(io: Io, path: string): string {
  return path === '' ? path : resolve(io.cwd, path);
}

/** The file's bytes, or null when it cannot be read (C code just sees a failed open/read). */
function readOrNull(io: Io, path: string): Buffer | null {
  try {
    return readFileSync(fsPath(io, path));
  } catch {
    return null;
  }
}

export interface LoadedPublic {
  key: PublicKey;
  /** null when the key came out of a private key file, which gives no comment this way. */
  comment: Buffer | null;
}

/** sshkey_load_public: FILE as a public key file, then FILE.pub, then an OpenSSH private key's public part. */
export function loadPublic(io: Io, path: string): LoadedPublic | null {
  for (const p of [path, `${path}.pub`]) {
    const data = readOrNull(io, p);
    const r = data && tryLoadPublic(data, p);
    if (r) return r;
  }
  const data = readOrNull(io, path);
  const key = data && publicFromPrivateEnvelope(data);
  return key ? { key, comment: null } : null;
}

/** sshkey_load_pubkey_from_private: the public key in an OpenSSH key file's clear envelope. */
function publicFromPrivateEnvelope(data: Buffer): PublicKey | null {
  try {
    const body = unarmorOpenSsh(data);
    return body ? acceptBlob(parseContainer(body).publicBlob) : null;
  } catch {
    return null;
  }
}

export type LoadedPrivate =
  | { ok: true; key: PublicKey; comment: Buffer | null }
  | { ok: false; wrongPassphrase: boolean; message: string };

const WRONG_PASSPHRASE = 'incorrect passphrase supplied to decrypt private key';

/**
 * sshkey_load_private: refuses (with OpenSSH's warning block) a key file others may access, then
 * decodes it. Only OpenSSH-format keys carry a comment.
 */
export function loadPrivate(io: Io, path: string, passphrase: string | undefined): LoadedPrivate {
  let data: Buffer;
  let fd: number;
  try {
    fd = openSync(fsPath(io, path), 'r');
  } catch (err) {
    return { ok: false, wrongPassphrase: false, message: strerror(err) };
  }
  try {
    const st = fstatSync(fd);
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    if (st.uid === uid && (st.mode & 0o077) !== 0) {
      for (const line of unprotectedKeyWarning(path, st.mode).split('\n')) logLine(io, line);
      return { ok: false, wrongPassphrase: false, message: 'bad permissions' };
    }
    data = readFileSync(fd);
  } catch (err) {
    return { ok: false, wrongPassphrase: false, message: strerror(err) };
  } finally {
    closeSync(fd);
  }
  const r = decodePrivateKey(data, passphrase);
  if (r.ok) {
    const comment = r.format === 'openssh' ? Buffer.from(r.key.comment, 'utf8') : null;
    return { ok: true, key: r.key.public, comment };
  }
  if (r.reason !== 'invalid') return { ok: false, wrongPassphrase: true, message: WRONG_PASSPHRASE };
  let openssh = false;
  try {
    openssh = unarmorOpenSsh(data) !== null;
  } catch {
    openssh = false;
  }
  if (openssh) return { ok: false, wrongPassphrase: false, message: r.message };
  // Not OpenSSH format: OpenSSH hands it to libcrypto's PEM reader, whose failures it reports
  // as a wrong passphrase when one was given.
  if (passphrase) return { ok: false, wrongPassphrase: true, message: WRONG_PASSPHRASE };
  return { ok: false, wrongPassphrase: false, message: 'error in libcrypto' };
}

/** load_identity: the private key, asking "Enter passphrase: " (or using -P) if it is encrypted. */
export async function loadIdentity(opts: KeygenOptions, io: Io, path: string): Promise<{ key: PublicKey; comment: Buffer | null }> {
  let r = loadPrivate(io, path, '');
  if (!r.ok && r.wrongPassphrase) {
    const pass = opts.oldPassphrase ?? (await io.readSecret('Enter passphrase: ')) ?? '';
    r = loadPrivate(io, path, pass);
  }
  if (!r.ok) fatal(io, `Load key "${path}": ${r.message}`);
  return r;
}
