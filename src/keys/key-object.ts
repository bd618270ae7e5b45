/**
 * Conversions between node:crypto KeyObjects and SSH public keys (ed25519, ecdsa p256/384/521,
 * rsa). JWK is the bridge: it exposes the raw numbers and points both sides need.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { parsePublicKeyBlob, type PublicKey } from './public-key.js';
import { SshFormatError, SshReader, SshWriter, mpintMagnitude } from './ssh-buffer.js';

/** SSH curve name ↔ JWK curve name ↔ field size in bytes. */
export const CURVES = {
  nistp256: { jwk: 'P-256', size: 32, bits: 256 },
  nistp384: { jwk: 'P-384', size: 48, bits: 384 },
  nistp521: { jwk: 'P-521', size: 66, bits: 521 },
} as const;
export type CurveName = keyof typeof CURVES;

export function curveFromJwk(crv: string | undefined): CurveName {
  for (const [name, c] of Object.entries(CURVES)) if (c.jwk === crv) return name as CurveName;
  throw new SshFormatError(`unsupported curve ${crv ?? '(none)'}`);
}

export function b64u(s: string | undefined): Buffer {
  if (s === undefined) throw new SshFormatError('incomplete key');
  return Buffer.from(s, 'base64url');
}

/** Left-pads (or strips leading zeros from) an unsigned integer to exactly `size` bytes. */
export function fixedSize(magnitude: Buffer, size: number): Buffer {
  const m = mpintMagnitude(magnitude);
  if (m.length > size) throw new SshFormatError('integer too large');
  return Buffer.concat([Buffer.alloc(size - m.length), m]);
}

/** The SSH public key of a node:crypto key (private or public): ed25519, ecdsa p256/384/521, rsa. */
export function publicKeyFromKeyObject(key: KeyObject): PublicKey {
  const jwk = key.export({ format: 'jwk' });
  const w = new SshWriter();
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      w.string('ssh-ed25519').string(b64u(jwk.x));
      break;
    case 'ec': {
      const curve = curveFromJwk(jwk.crv);
      const size = CURVES[curve].size;
      const q = Buffer.concat([Buffer.from([4]), fixedSize(b64u(jwk.x), size), fixedSize(b64u(jwk.y), size)]);
      w.string(`ecdsa-sha2-${curve}`).string(curve).string(q);
      break;
    }
    case 'rsa':
      w.string('ssh-rsa').mpint(b64u(jwk.e)).mpint(b64u(jwk.n));
      break;
    default:
      throw new SshFormatError(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}`);
  }
  return parsePublicKeyBlob(w.toBuffer());
}

/** The JWK (public part) of a plain ed25519/ecdsa/rsa SSH public key blob. */
export function publicJwkFromBlob(blob: Buffer): JsonWebKey {
  const r = new SshReader(blob);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const pk = r.string();
    if (pk.length !== 32) throw new SshFormatError('bad ed25519 key length');
    return { kty: 'OKP', crv: 'Ed25519', x: pk.toString('base64url') };
  }
  if (type === 'ssh-rsa') {
    const e = mpintMagnitude(r.mpint());
    const n = mpintMagnitude(r.mpint());
    return { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  }
  const m = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (m) {
    const curve = m[1] as CurveName;
    if (r.text() !== curve) throw new SshFormatError('curve mismatch');
    return ecPointJwk(curve, r.string(), 'invalid EC point');
  }
  throw new SshFormatError(`unsupported key type ${type}`);
}

/** The public JWK of an uncompressed EC point (0x04 || x || y); `invalid` is the error text. */
export function ecPointJwk(curve: CurveName, q: Buffer, invalid: string): JsonWebKey {
  const size = CURVES[curve].size;
  if (q.length !== 1 + 2 * size || q[0] !== 4) throw new SshFormatError(invalid);
  return {
    kty: 'EC',
    crv: CURVES[curve].jwk,
    x: q.subarray(1, 1 + size).toString('base64url'),
    y: q.subarray(1 + size).toString('base64url'),
  };
}

/** A node:crypto public KeyObject for a plain ed25519/ecdsa/rsa SSH public key. Throws for others. */
export function keyObjectFromPublicKey(key: PublicKey): KeyObject {
  if (key.isCert) throw new SshFormatError('certificates have no KeyObject');
  try {
    return createPublicKey({ key: publicJwkFromBlob(key.blob), format: 'jwk' });
  } catch (err) {
    if (err instanceof SshFormatError) throw err;
    throw new SshFormatError(`invalid public key: ${(err as Error).message}`);
  }
}
