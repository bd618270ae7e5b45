/**
 * Poly1305 one-time authenticator (RFC 8439 §2.5). node:crypto has no standalone Poly1305, and
 * OpenSSH's chacha20-poly1305 needs one; key files are small, so BigInt arithmetic is fast enough.
 */
const P = (1n << 130n) - 5n;
const CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffffn;

function leToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** The 16-byte Poly1305 tag of `msg` under the 32-byte one-time `key`. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Buffer {
  if (key.length !== 32) throw new RangeError('poly1305 key must be 32 bytes');
  const r = leToBigInt(key.subarray(0, 16)) & CLAMP;
  const s = leToBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, Math.min(i + 16, msg.length));
    const n = leToBigInt(block) | (1n << BigInt(8 * block.length));
    acc = ((acc + n) * r) % P;
  }
  acc = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
  return out;
}
