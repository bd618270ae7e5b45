/**
 * The Bubble Babble encoding (Antti Huima) of a key's SHA-1 digest, as ssh-keygen -B prints it
 * (sshkey.c fingerprint_bubblebabble).
 */
import { fingerprintDigest, type PublicKey } from './public-key.js';

const VOWELS = 'aeiouy';
const CONSONANTS = 'bcdfghklmnprstvzx';

/** Bubble Babble of arbitrary bytes: "x" + 5-letter groups joined by "-" + "x". */
export function bubblebabbleBytes(data: Uint8Array): string {
  const rounds = Math.floor(data.length / 2) + 1;
  let seed = 1;
  let out = 'x';
  for (let i = 0; i < rounds; i++) {
    if (i + 1 < rounds || data.length % 2 !== 0) {
      const b0 = data[2 * i]!;
      out += VOWELS[(((b0 >> 6) & 3) + seed) % 6];
      out += CONSONANTS[(b0 >> 2) & 15];
      out += VOWELS[((b0 & 3) + Math.floor(seed / 6)) % 6];
      if (i + 1 < rounds) {
        const b1 = data[2 * i + 1]!;
        out += CONSONANTS[(b1 >> 4) & 15];
        out += '-';
        out += CONSONANTS[b1 & 15];
        seed = (seed * 5 + (b0 * 7 + b1)) % 36;
      }
    } else {
      out += VOWELS[seed % 6];
      out += CONSONANTS[16];
      out += VOWELS[Math.floor(seed / 6)];
    }
  }
  return `${out}x`;
}

/** ssh-keygen -B's fingerprint of a key (always over SHA-1). */
export function bubblebabble(key: PublicKey): string {
  return bubblebabbleBytes(fingerprintDigest(key, 'sha1'));
}
