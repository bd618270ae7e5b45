/**
 * tsh-keygen -e / -i (ssh-keygen do_convert_to / do_convert_from): public keys to and from
 * RFC 4716 ("SSH2"), PKCS#8 SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") and PEM ("BEGIN RSA PUBLIC
 * KEY" for RSA; DSA and ECDSA are written as SubjectPublicKeyInfo, as OpenSSL does). Ed25519 has only the
 * RFC 4716 form. SSH.COM private keys are not imported.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { dsaBlobFromSpki, dsaSpkiFromBlob } from '../../keys/dsa-spki.js';
import { acceptBlob } from '../../keys/key-lines.js';
import { keyObjectFromPublicKey, publicKeyFromKeyObject } from '../../keys/key-object.js';
import { formatPublicKey, parsePublicKeyBlob, plainType, type PublicKey } from '../../keys/public-key.js';
import { decodeRfc4716, encodeRfc4716, rfc4716Comment } from '../../keys/rfc4716.js';
import { SshFormatError } from '../../keys/ssh-buffer.js';
import { askFilename, fsPath, loadIdentity, loadPublic } from './key-source.js';
import type { KeygenOptions } from './options.js';
import { fatal } from './ssh-log.js';

async function keyFile(opts: KeygenOptions, io: Io): Promise<string> {
  const file = opts.file ?? (await askFilename(opts, io, 'Enter file in which the key is'));
  try {
    statSync(fsPath(io, file));
  } catch (err) {
    fatal(io, `tsh-keygen: ${file}: ${strerror(err)}`);
  }
  return file;
}

/** The node:crypto key of an RSA, DSA or ECDSA key (the key inside a certificate too), else null. */
function convertibleKeyObject(key: PublicKey): KeyObject | null {
  const base = plainType(key.type);
  if (base === 'ssh-dss') return createPublicKey({ key: dsaSpkiFromBlob(key.plainBlob), format: 'der', type: 'spki' });
  if (base !== 'ssh-rsa' && !/^ecdsa-sha2-nistp(256|384|521)$/.test(base)) return null;
  return keyObjectFromPublicKey(key.isCert ? parsePublicKeyBlob(key.plainBlob) : key);
}

export async function runExport(opts: KeygenOptions, io: Io): Promise<number> {
  const format = opts.keyFormat ?? 'RFC4716';
  const file = await keyFile(opts, io);
  const key = loadPublic(io, file)?.key ?? (await loadIdentity(opts, io, file)).key;
  if (format === 'RFC4716') {
    io.stdout.write(encodeRfc4716(key, rfc4716Comment(key, opts.env.user, opts.env.hostname)));
    return 0;
  }
  const fn = format === 'PKCS8' ? 'do_convert_to_pkcs8' : 'do_convert_to_pem';
  const ko = convertibleKeyObject(key);
  if (!ko) fatal(io, `${fn}: unsupported key type ${key.label}`);
  const pkcs1 = format === 'PEM' && ko.asymmetricKeyType === 'rsa';
  io.stdout.write(ko.export({ type: pkcs1 ? 'pkcs1' : 'spki', format: 'pem' }) as string);
  return 0;
}

/** The DER body of the first PEM block labelled `label` (as OpenSSL's PEM_read skips others). */
function pemBlock(text: string, label: string): Buffer | null {
  const re = new RegExp(`-----BEGIN ${label}-----\\r?\\n([\\s\\S]*?)-----END ${label}-----`);
  const m = re.exec(text);
  if (!m) return null;
  // Encapsulated headers (RFC 1421) end at a blank line; plain public keys have none.
  const body = m[1]!.includes(':') ? m[1]!.split(/\r?\n\r?\n/).slice(1).join('') : m[1]!;
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  return Buffer.from(b64, 'base64');
}

/** OpenSSL's EVP_PKEY ids, which ssh-keygen prints for key types it cannot import. */
const EVP_PKEY_IDS: Record<string, number> = { ed25519: 1087, ed448: 1088, x25519: 1034, x448: 1035, 'rsa-pss': 912, dh: 28, dsa: 116 };

function readInput(io: Io, file: string): Buffer {
  try {
    return readFileSync(fsPath(io, file));
  } catch (err) {
    fatal(io, `tsh-keygen: ${file}: ${strerror(err)}`);
  }
}

function fromRfc4716(io: Io, data: Buffer): PublicKey {
  const d = decodeRfc4716(data);
  if (!d.ok) {
    if (d.error === 'line-too-long') fatal(io, 'input line too long.');
    fatal(io, 'do_convert_from_ssh2: base64 decode: invalid format');
  }
  if (d.private) fatal(io, 'tsh-keygen: importing SSH.COM private keys is not supported');
  const key = acceptBlob(d.blob);
  if (!key) fatal(io, `do_convert_from_ssh2: parse key: ${blobError(d.blob)}`);
  return key;
}

/** ssh_err() text for a blob sshkey_fromb refuses. */
function blobError(blob: Buffer): string {
  try {
    parsePublicKeyBlob(blob);
  } catch (err) {
    if (err instanceof SshFormatError && err.message.startsWith('unknown key type')) return 'unknown or unsupported key type';
  }
  return 'invalid format';
}

function fromPkcs8(io: Io, data: Buffer, file: string): PublicKey {
  // OpenSSL 3's PEM_read_PUBKEY takes the first public key block, SubjectPublicKeyInfo or PKCS#1.
  const text = data.toString('latin1');
  const spki = text.search(/-----BEGIN PUBLIC KEY-----/);
  const pkcs1 = text.search(/-----BEGIN RSA PUBLIC KEY-----/);
  const usePkcs1 = pkcs1 >= 0 && (spki < 0 || pkcs1 < spki);
  const der = pemBlock(text, usePkcs1 ? 'RSA PUBLIC KEY' : 'PUBLIC KEY');
  let ko: KeyObject | null = null;
  try {
    if (der) ko = createPublicKey({ key: der, format: 'der', type: usePkcs1 ? 'pkcs1' : 'spki' });
  } catch {
    ko = null;
  }
  if (!ko) fatal(io, `do_convert_from_pkcs8: ${file} is not a recognised public key format`);
  const t = ko.asymmetricKeyType ?? '';
  if (t === 'dsa') {
    const key = acceptBlob(dsaBlobFromSpki(ko.export({ format: 'der', type: 'spki' })));
    if (!key) fatal(io, 'key write failed');
    return key;
  }
  if (t !== 'rsa' && t !== 'ec') fatal(io, `do_convert_from_pkcs8: unsupported pubkey type ${EVP_PKEY_IDS[t] ?? 0}`);
  try {
    return publicKeyFromKeyObject(ko);
  } catch {
    // An EC curve OpenSSH has no name for: it fails when writing the key.
    fatal(io, 'key write failed');
  }
}

function fromPem(io: Io, data: Buffer): PublicKey {
  const der = pemBlock(data.toString('latin1'), 'RSA PUBLIC KEY');
  try {
    if (der) return publicKeyFromKeyObject(createPublicKey({ key: der, format: 'der', type: 'pkcs1' }));
  } catch {
    // falls through to ssh-keygen's message
  }
  fatal(io, 'do_convert_from_pem: unrecognised raw private key format');
}

export async function runImport(opts: KeygenOptions, io: Io): Promise<number> {
  const format = opts.keyFormat ?? 'RFC4716';
  const file = await keyFile(opts, io);
  const data = readInput(io, file);
  const key = format === 'RFC4716' ? fromRfc4716(io, data) : format === 'PKCS8' ? fromPkcs8(io, data, file) : fromPem(io, data);
  io.stdout.write(`${formatPublicKey(key)}\n`);
  return 0;
}
