/**
 * Base64 decoding as OpenSSH's b64_pton (openbsd-compat/base64.c) does it: whitespace anywhere is
 * skipped, padding must be complete and followed only by whitespace, the bits past the last byte
 * must be zero, and anything else fails. Node's decoder accepts far more, which would let keys
 * through that ssh-keygen rejects.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** C isspace() in the C locale. */
export function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Decodes `src` (a C string: it stops at the first NUL); null where b64_pton returns -1. */
export function b64pton(src: Uint8Array): Buffer | null {
  const out: number[] = [];
  let state = 0;
  let i = 0;
  let ch = -1;
  let partial = 0; // the bits written past the last whole byte (target[tarindex] in C)
  for (; i < src.length && src[i] !== 0; i++) {
    ch = src[i]!;
    if (isCSpace(ch)) continue;
    if (ch === 0x3d) break;
    const v = VALUE[ch]!;
    if (v < 0) return null;
    switch (state) {
      case 0:
        partial = (v << 2) & 0xff;
        state = 1;
        break;
      case 1:
        out.push(partial | (v >> 4));
        partial = (v & 0x0f) << 4;
        state = 2;
        break;
      case 2:
        out.push(partial | (v >> 2));
        partial = (v & 0x03) << 6;
        state = 3;
        break;
      default:
        out.push(partial | v);
        partial = 0;
        state = 0;
    }
    ch = -1;
  }
  const at = (j: number): number => (j < src.length ? src[j]! : 0);
  if (ch === 0x3d) {
    let j = i + 1;
    let c = at(j);
    if (state === 0 || state === 1) return null;
    if (state === 2) {
      while (c !== 0 && isCSpace(c)) c = at(++j);
      if (c !== 0x3d) return null;
      c = at(++j);
    }
    while (c !== 0) {
      if (!isCSpace(c)) return null;
      c = at(++j);
    }
    if (partial !== 0) return null;
  } else if (state !== 0) {
    return null;
  }
  return Buffer.from(out);
}
