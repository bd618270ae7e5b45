/**
 * Public keys as OpenSSH names and encodes them: the wire blob, the type name, the bit size and
 * the label ssh-keygen prints ("ED25519", "RSA-CERT", ...). Parsing validates the blob's shape for
 * every type OpenSSH knows, so fingerprints of authorized_keys and known_hosts lines work for all.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { bitLength, mpintMagnitude, SshFormatError, SshReader, SshWriter } from './ssh-buffer.js';

export interface PublicKey {
  /** The wire type name, e.g. "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-ed25519-cert-v01@openssh.com". */
  readonly type: string;
  /** The full wire-format blob (for certificates, the whole certificate). */
  readonly blob: Buffer;
  /** Key size in bits, as ssh-keygen -l prints it. */
  readonly bits: number;
  /** ssh-keygen's label: RSA, DSA, ECDSA, ED25519, ECDSA-SK, ED25519-SK, with -CERT for certificates. */
  readonly label: string;
  /** True for *-cert-v01@openssh.com. */
  readonly isCert: boolean;
  /** The plain (non-certificate) key blob: equals `blob` unless isCert. Fingerprints use this. */
  readonly plainBlob: Buffer;
}

const CURVE_BITS: Record<string, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };

interface Shape {
  label: string;
  /** Reads the key fields after the type (and after the nonce for certs); returns bits. */
  read(r: SshReader, w: SshWriter): number;
}

function ecdsaShape(curve: string, sk: boolean): Shape {
  return {
    label: sk ? 'ECDSA-SK' : 'ECDSA',
    read(r, w) {
      const c = r.text();
      if (c !== curve) throw new SshFormatError(`curve mismatch: ${c}`);
      const q = r.string();
      w.string(c).string(q);
      if (sk) w.string(r.string());
      return CURVE_BITS[curve]!;
    },
  };
}

const ed25519Shape = (sk: boolean): Shape => ({
  label: sk ? 'ED25519-SK' : 'ED25519',
  read(r, w) {
    const pk = r.string();
    if (pk.length !== 32) throw new SshFormatError('bad ed25519 key length');
    w.string(pk);
    if (sk) w.string(r.string());
    return 256;
  },
});

const SHAPES: Record<string, Shape> = {
  'ssh-rsa': {
    label: 'RSA',
    read(r, w) {
      const e = r.mpint();
      const n = r.mpint();
      w.string(e).string(n);
      return bitLength(mpintMagnitude(n));
    },
  },
  'ssh-dss': {
    label: 'DSA',
    read(r, w) {
      const p = r.mpint();
      const q = r.mpint();
      const g = r.mpint();
      const y = r.mpint();
      w.string(p).string(q).string(g).string(y);
      return bitLength(mpintMagnitude(p));
    },
  },
  'ecdsa-sha2-nistp256': ecdsaShape('nistp256', false),
  'ecdsa-sha2-nistp384': ecdsaShape('nistp384', false),
  'ecdsa-sha2-nistp521': ecdsaShape('nistp521', false),
  'sk-ecdsa-sha2-nistp256@openssh.com': ecdsaShape('nistp256', true),
  'ssh-ed25519': ed25519Shape(false),
  'sk-ssh-ed25519@openssh.com': ed25519Shape(true),
};

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** The plain type of a certificate type name ("ssh-ed25519-cert-v01@openssh.com" → "ssh-ed25519"). */
export function plainType(type: string): string {
  if (!type.endsWith(CERT_SUFFIX)) return type;
  const base = type.slice(0, -CERT_SUFFIX.length);
  // sk-ssh-ed25519-cert-v01@openssh.com → sk-ssh-ed25519@openssh.com
  if (base.startsWith('sk-')) return `${base}@openssh.com`;
  return base;
}

/** True if OpenSSH knows this key type name (plain or certificate). */
export function isKnownKeyType(type: string): boolean {
  return SHAPES[plainType(type)] !== undefined;
}

/** Parses a wire-format public key blob. Throws SshFormatError for a malformed or unknown key. */
export function parsePublicKeyBlob(blob: Buffer): PublicKey {
  const r = new SshReader(blob);
  const type = r.text();
  const base = plainType(type);
  const shape = SHAPES[base];
  if (!shape) throw new SshFormatError(`unknown key type ${type}`);
  const isCert = base !== type;
  const plain = new SshWriter().string(base);
  if (isCert) r.string(); // nonce
  const bits = shape.read(r, plain);
  if (!isCert && !r.atEnd()) throw new SshFormatError('trailing data after public key');
  return {
    type,
    blob: Buffer.from(blob),
    bits,
    label: isCert ? `${shape.label}-CERT` : shape.label,
    isCert,
    plainBlob: isCert ? plain.toBuffer() : Buffer.from(blob),
  };
}

/** Parses `type base64` (the type must match the blob's). Throws SshFormatError. */
export function parsePublicKeyText(type: string, base64: string): PublicKey {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new SshFormatError('invalid base64');
  const blob = Buffer.from(base64, 'base64');
  const key = parsePublicKeyBlob(blob);
  if (key.type !== type) throw new SshFormatError(`key type mismatch: ${type} vs ${key.type}`);
  return key;
}

export interface PublicKeyLine {
  readonly key: PublicKey;
  /** The rest of the line after the base64 (may be empty). */
  readonly comment: string;
}

/**
 * Parses a public key line: `type base64 [comment]` (what a .pub file holds). Returns null if the
 * line does not start with a parseable key.
 */
export function parsePublicKeyLine(line: string): PublicKeyLine | null {
  const m = /^\s*(\S+)\s+(\S+)(?:[ \t]+(.*?))?\s*$/.exec(line);
  if (!m) return null;
  try {
    return { key: parsePublicKeyText(m[1]!, m[2]!), comment: m[3] ?? '' };
  } catch {
    return null;
  }
}

/** `type base64[ comment]`, as a .pub file holds it (without newline). */
export function formatPublicKey(key: PublicKey, comment?: string): string {
  const base = `${key.type} ${key.blob.toString('base64')}`;
  return comment ? `${base} ${comment}` : base;
}

export function publicKeysEqual(a: PublicKey, b: PublicKey): boolean {
  return a.blob.length === b.blob.length && timingSafeEqual(a.blob, b.blob);
}

export type FingerprintHash = 'sha256' | 'md5';

/** `SHA256:base64-without-padding` or `MD5:aa:bb:...`, as ssh-keygen -l prints. */
export function fingerprint(key: PublicKey, hash: FingerprintHash = 'sha256'): string {
  const digest = createHash(hash).update(key.plainBlob).digest();
  if (hash === 'md5') return `MD5:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(':')}`;
  return `SHA256:${digest.toString('base64').replace(/=+$/, '')}`;
}

/** Raw digest of the key, for randomart and bubblebabble. */
export function fingerprintDigest(key: PublicKey, hash: FingerprintHash | 'sha1'): Buffer {
  return createHash(hash).update(key.plainBlob).digest();
}
