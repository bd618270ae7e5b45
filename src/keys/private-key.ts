/**
 * Private keys in every file format OpenSSH reads and writes: its own format (plain or encrypted
 * with any cipher), PEM (PKCS#1 RSA, SEC1 EC, encrypted too) and PKCS#8 (encrypted too).
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { CURVES, b64u, curveFromJwk, ecPointJwk, fixedSize, publicKeyFromKeyObject, type CurveName } from './key-object.js';
import { checkPadding, decryptSection, isEncrypted, parseContainer, sealOpenSsh, unarmorOpenSsh } from './openssh-format.js';
import { parsePublicKeyBlob, publicKeysEqual, type PublicKey } from './public-key.js';
import { SshFormatError, SshReader, SshWriter, mpintMagnitude } from './ssh-buffer.js';

export interface PrivateKey {
  readonly public: PublicKey;
  readonly keyObject: KeyObject;
  /** '' when the format has none (PEM, PKCS#8). */
  readonly comment: string;
}

export type KeyFileFormat = 'openssh' | 'pem' | 'pkcs8';

export type DecodeResult =
  | { ok: true; key: PrivateKey; format: KeyFileFormat; encrypted: boolean }
  | { ok: false; reason: 'passphrase-required' }
  | { ok: false; reason: 'bad-passphrase' }
  | { ok: false; reason: 'invalid'; message: string };

export interface EncodeOptions {
  format?: KeyFileFormat;
  passphrase?: string;
  cipher?: string;
  rounds?: number;
  comment?: string;
}

/** A PrivateKey from a node:crypto private key. */
export function privateKeyFromKeyObject(keyObject: KeyObject, comment = ''): PrivateKey {
  return { public: publicKeyFromKeyObject(keyObject), keyObject, comment };
}

// ---- OpenSSH format: the key-specific fields of the private section ----

function big(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function unbig(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** Reads the key fields (after the type name) into a private JWK. */
function readPrivateFields(type: string, r: SshReader): JsonWebKey {
  if (type === 'ssh-ed25519') {
    const pk = r.string();
    const sk = r.string();
    if (pk.length !== 32 || sk.length !== 64 || !sk.subarray(32).equals(pk)) throw new SshFormatError('invalid format');
    return { kty: 'OKP', crv: 'Ed25519', x: pk.toString('base64url'), d: sk.subarray(0, 32).toString('base64url') };
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, p, q] = [r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()].map(mpintMagnitude) as Buffer[];
    const dBig = big(d!);
    const enc = (b: Buffer): string => b.toString('base64url');
    return {
      kty: 'RSA',
      n: enc(n!),
      e: enc(e!),
      d: enc(d!),
      p: enc(p!),
      q: enc(q!),
      dp: enc(unbig(dBig % (big(p!) - 1n))),
      dq: enc(unbig(dBig % (big(q!) - 1n))),
      qi: enc(iqmp!),
    };
  }
  const m = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (m) {
    const curve = m[1] as CurveName;
    if (r.text() !== curve) throw new SshFormatError('invalid format');
    const q = r.string();
    const d = mpintMagnitude(r.mpint());
    const pub = ecPointJwk(curve, q, 'invalid format');
    return { ...pub, d: fixedSize(d, CURVES[curve].size).toString('base64url') };
  }
  if (/^(ssh-dss|sk-|ssh-ed448|ssh-xmss)/.test(type)) throw new UnsupportedKeyError('unknown or unsupported key type');
  throw new SshFormatError('invalid format');
}

/** The private section's key fields (type name included) for a node:crypto private key. */
function writePrivateFields(key: PrivateKey): Buffer {
  const jwk = key.keyObject.export({ format: 'jwk' });
  const w = new SshWriter();
  switch (key.keyObject.asymmetricKeyType) {
    case 'ed25519': {
      const pk = b64u(jwk.x);
      w.string('ssh-ed25519').string(pk).string(Buffer.concat([b64u(jwk.d), pk]));
      break;
    }
    case 'ec': {
      const curve = curveFromJwk(jwk.crv);
      const size = CURVES[curve].size;
      const q = Buffer.concat([Buffer.from([4]), fixedSize(b64u(jwk.x), size), fixedSize(b64u(jwk.y), size)]);
      w.string(`ecdsa-sha2-${curve}`).string(curve).string(q).mpint(b64u(jwk.d));
      break;
    }
    case 'rsa':
      w.string('ssh-rsa').mpint(b64u(jwk.n)).mpint(b64u(jwk.e)).mpint(b64u(jwk.d)).mpint(b64u(jwk.qi)).mpint(b64u(jwk.p)).mpint(b64u(jwk.q));
      break;
    default:
      throw new SshFormatError('unknown or unsupported key type');
  }
  return w.toBuffer();
}

function decodeOpenSsh(body: Buffer, passphrase: string | undefined): DecodeResult {
  const container = parseContainer(body);
  const encrypted = isEncrypted(container);
  const outcome = decryptSection(container, passphrase);
  if (!outcome.ok) return outcome;
  const r = new SshReader(outcome.plain);
  const type = r.text();
  const jwk = readPrivateFields(type, r);
  const comment = r.text();
  checkPadding(r.rest());
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new SshFormatError('invalid format');
  }
  const pub = publicKeyFromKeyObject(keyObject);
  // The clear-text public key must be the private key's (OpenSSH checks this too).
  if (!publicKeysEqual(pub, parsePublicKeyBlob(container.publicBlob))) throw new SshFormatError('invalid format');
  return { ok: true, key: { public: pub, keyObject, comment }, format: 'openssh', encrypted };
}

// ---- PEM / PKCS#8, through OpenSSL ----

const PEM_RE = /-----BEGIN (RSA PRIVATE KEY|EC PRIVATE KEY|PRIVATE KEY|ENCRYPTED PRIVATE KEY)-----/;

function decodePem(data: Buffer, passphrase: string | undefined): DecodeResult | null {
  const text = data.toString('latin1');
  const m = PEM_RE.exec(text);
  if (!m) return null;
  const label = m[1]!;
  const format: KeyFileFormat = label.includes('PRIVATE KEY') && !label.startsWith('RSA') && !label.startsWith('EC') ? 'pkcs8' : 'pem';
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted && passphrase === undefined) return { ok: false, reason: 'passphrase-required' };
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: text.slice(m.index), format: 'pem', ...(encrypted ? { passphrase: passphrase ?? '' } : {}) });
  } catch {
    if (encrypted) return { ok: false, reason: 'bad-passphrase' };
    return { ok: false, reason: 'invalid', message: 'invalid format' };
  }
  const t = keyObject.asymmetricKeyType;
  if (t !== 'rsa' && t !== 'ec' && t !== 'ed25519') return { ok: false, reason: 'invalid', message: 'unknown or unsupported key type' };
  try {
    return { ok: true, key: privateKeyFromKeyObject(keyObject), format, encrypted };
  } catch {
    return { ok: false, reason: 'invalid', message: 'unknown or unsupported key type' };
  }
}

class UnsupportedKeyError extends SshFormatError {}

/**
 * Any private key file OpenSSH writes (see the module comment). Failures read as OpenSSH's do:
 * anything its own parser rejects (other than a wrong passphrase) goes to OpenSSL's PEM parser,
 * which reports "error in libcrypto", or, once a passphrase was given, a wrong passphrase.
 */
export function decodePrivateKey(data: Buffer, passphrase?: string): DecodeResult {
  const withPassphrase = passphrase !== undefined && passphrase !== '';
  const fallback = (message: string): DecodeResult =>
    withPassphrase ? { ok: false, reason: 'bad-passphrase' } : { ok: false, reason: 'invalid', message };
  const body = unarmorOpenSsh(data);
  if (body) {
    try {
      return decodeOpenSsh(body, passphrase);
    } catch (err) {
      if (err instanceof UnsupportedKeyError) return { ok: false, reason: 'invalid', message: err.message };
      if (!(err instanceof SshFormatError)) throw err;
      return fallback('error in libcrypto');
    }
  }
  const pem = decodePem(data, passphrase);
  if (pem) return pem.ok || pem.reason !== 'invalid' ? pem : fallback(pem.message);
  return fallback('error in libcrypto');
}

/**
 * The public key (and comment, '' if encrypted) stored unencrypted in an OpenSSH-format private
 * key file, without needing the passphrase; null if `data` is not OpenSSH format.
 */
export function publicKeyFromOpenSshPrivate(data: Buffer): { key: PublicKey; comment: string } | null {
  try {
    const body = unarmorOpenSsh(data);
    if (!body) return null;
    const container = parseContainer(body);
    const key = parsePublicKeyBlob(container.publicBlob);
    if (isEncrypted(container)) return { key, comment: '' };
    const decoded = decodeOpenSsh(body, undefined);
    return { key, comment: decoded.ok ? decoded.key.comment : '' };
  } catch {
    return null;
  }
}

/**
 * Serialises a private key (default OpenSSH format, aes256-ctr + bcrypt 16 rounds when a
 * non-empty passphrase is given). Ed25519 keys are always written in OpenSSH format, as
 * ssh-keygen does. PEM/PKCS#8 are encrypted with AES-128-CBC, as OpenSSH asks OpenSSL to.
 */
export function encodePrivateKey(key: PrivateKey, opts: EncodeOptions = {}): string {
  const format = opts.format ?? 'openssh';
  const comment = opts.comment ?? key.comment;
  const t = key.keyObject.asymmetricKeyType;
  if (format === 'openssh' || t === 'ed25519') {
    return sealOpenSsh(key.public.blob, writePrivateFields(key), comment, {
      passphrase: opts.passphrase,
      cipher: opts.cipher,
      rounds: opts.rounds,
    });
  }
  const type: 'pkcs8' | 'pkcs1' | 'sec1' = format === 'pkcs8' ? 'pkcs8' : t === 'rsa' ? 'pkcs1' : 'sec1';
  const enc = opts.passphrase ? { cipher: 'aes-128-cbc', passphrase: opts.passphrase } : {};
  return key.keyObject.export({ type, format: 'pem', ...enc }).toString();
}
