/**
 * The OpenSSH private key container (PROTOCOL.key): "openssh-key-v1\0", cipher, KDF (bcrypt),
 * the public key in clear, then the private section (check ints, key, comment, 1,2,3.. padding),
 * encrypted as a whole. The key-specific fields are read/written by the callers' callbacks.
 */
import { randomBytes } from 'node:crypto';
import bcryptPbkdf from 'bcrypt-pbkdf';
import { keyCipherByName } from './key-ciphers.js';
import { SshFormatError, SshReader, SshWriter } from './ssh-buffer.js';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
const SALT_LEN = 16;
export const DEFAULT_CIPHER = 'aes256-ctr';
export const DEFAULT_ROUNDS = 16;

/** The binary body of an OpenSSH-format key file, or null when `data` is not one. */
export function unarmorOpenSsh(data: Buffer): Buffer | null {
  const text = data.toString('latin1');
  const start = text.indexOf(BEGIN);
  if (start < 0) return null;
  const end = text.indexOf(END, start + BEGIN.length);
  if (end < 0) return null;
  const b64 = text.slice(start + BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  const body = Buffer.from(b64, 'base64');
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  return body;
}

export interface OpenSshContainer {
  cipherName: string;
  kdfName: string;
  kdfOptions: Buffer;
  publicBlob: Buffer;
  /** The private section as stored (encrypted unless cipher "none"). */
  encrypted: Buffer;
  tag: Buffer;
}

export class UnknownCipherError extends SshFormatError {}

export function parseContainer(body: Buffer): OpenSshContainer {
  const r = new SshReader(body.subarray(MAGIC.length));
  const cipherName = r.text();
  const kdfName = r.text();
  const kdfOptions = r.string();
  const nkeys = r.uint32();
  if (nkeys !== 1) throw new SshFormatError('invalid format');
  const publicBlob = r.string();
  const encrypted = r.string();
  const cipher = keyCipherByName(cipherName);
  if (!cipher) throw new UnknownCipherError('unknown cipher');
  const tag = r.bytes(cipher.authLen);
  if (!r.atEnd()) throw new SshFormatError('invalid format');
  return { cipherName, kdfName, kdfOptions, publicBlob, encrypted, tag };
}

/** True when the container's private section is encrypted. */
export function isEncrypted(c: OpenSshContainer): boolean {
  return c.cipherName !== 'none' || c.kdfName !== 'none';
}

function deriveKeyIv(cipherName: string, passphrase: string, salt: Buffer, rounds: number): { key: Buffer; iv: Buffer } {
  const cipher = keyCipherByName(cipherName)!;
  const pass = Buffer.from(passphrase, 'utf8');
  const out = Buffer.alloc(cipher.keyLen + cipher.ivLen);
  if (bcryptPbkdf.pbkdf(pass, pass.length, salt, salt.length, out, out.length, rounds) !== 0) {
    throw new SshFormatError('invalid format');
  }
  return { key: out.subarray(0, cipher.keyLen), iv: out.subarray(cipher.keyLen) };
}

export type DecryptOutcome = { ok: true; plain: Buffer } | { ok: false; reason: 'passphrase-required' | 'bad-passphrase' };

/**
 * Decrypts the private section, checking the check ints (their mismatch is how a wrong
 * passphrase shows, as in OpenSSH). `plain` starts after the check ints.
 */
export function decryptSection(c: OpenSshContainer, passphrase: string | undefined): DecryptOutcome {
  const cipher = keyCipherByName(c.cipherName)!;
  if (c.kdfName !== 'none' && c.kdfName !== 'bcrypt') throw new UnknownCipherError('unknown or unsupported key type');
  if (c.kdfName === 'none' && c.cipherName !== 'none') throw new SshFormatError('invalid format');
  if (c.encrypted.length % cipher.blockSize !== 0) throw new SshFormatError('invalid format');
  let plain: Buffer | null;
  if (c.kdfName === 'none') {
    plain = c.encrypted;
  } else {
    if (passphrase === undefined) return { ok: false, reason: 'passphrase-required' };
    if (passphrase === '') return { ok: false, reason: 'bad-passphrase' };
    const kr = new SshReader(c.kdfOptions);
    const salt = kr.string();
    const rounds = kr.uint32();
    if (!kr.atEnd()) throw new SshFormatError('invalid format');
    const { key, iv } = deriveKeyIv(c.cipherName, passphrase, salt, rounds);
    plain = cipher.decrypt(key, iv, c.encrypted, c.tag);
    if (plain === null) return { ok: false, reason: 'bad-passphrase' };
  }
  const r = new SshReader(plain);
  const check1 = r.uint32();
  const check2 = r.uint32();
  if (check1 !== check2) return { ok: false, reason: 'bad-passphrase' };
  return { ok: true, plain: r.rest() };
}

/** Checks the 1, 2, 3, ... padding that ends the private section. */
export function checkPadding(pad: Buffer): void {
  for (let i = 0; i < pad.length; i++) if (pad[i] !== ((i + 1) & 0xff)) throw new SshFormatError('invalid format');
}

export interface SealOptions {
  passphrase?: string;
  cipher?: string;
  rounds?: number;
}

/** Builds the armored file text from the public blob and the private key fields + comment. */
export function sealOpenSsh(publicBlob: Buffer, privateFields: Buffer, comment: string, opts: SealOptions = {}): string {
  const encrypt = opts.passphrase !== undefined && opts.passphrase !== '';
  const cipherName = encrypt ? (opts.cipher ?? DEFAULT_CIPHER) : 'none';
  const cipher = keyCipherByName(cipherName);
  if (!cipher) throw new UnknownCipherError(`unknown cipher ${cipherName}`);
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const check = randomBytes(4);
  const section = new SshWriter().raw(check).raw(check).raw(privateFields).string(comment).toBuffer();
  const padLen = (cipher.blockSize - (section.length % cipher.blockSize)) % cipher.blockSize;
  const pad = Buffer.alloc(padLen);
  for (let i = 0; i < padLen; i++) pad[i] = i + 1;
  const plain = Buffer.concat([section, pad]);
  let kdfName = 'none';
  let kdfOptions: Buffer = Buffer.alloc(0);
  let sealed: Buffer = plain;
  if (encrypt && cipherName !== 'none') {
    const salt = randomBytes(SALT_LEN);
    kdfName = 'bcrypt';
    kdfOptions = new SshWriter().string(salt).uint32(rounds).toBuffer();
    const { key, iv } = deriveKeyIv(cipherName, opts.passphrase!, salt, rounds);
    sealed = cipher.encrypt(key, iv, plain);
  }
  const body = new SshWriter()
    .raw(MAGIC)
    .string(cipherName)
    .string(kdfName)
    .string(kdfOptions)
    .uint32(1)
    .string(publicBlob)
    .string(sealed.subarray(0, plain.length))
    .raw(sealed.subarray(plain.length))
    .toBuffer();
  const b64 = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}
