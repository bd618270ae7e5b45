/**
 * The "drunken bishop" random art ssh-keygen -lv prints (sshkey.c fingerprint_randomart): a walk
 * over a 17x9 field driven by the fingerprint digest, framed with the key type/size and hash name.
 */
import { fingerprintDigest, type FingerprintHash, type PublicKey } from './public-key.js';

const BASE = 8;
const SIZE_Y = BASE + 1;
const SIZE_X = BASE * 2 + 1;
const SYMBOLS = ' .o+=*BOX@%&#/^SE';

/** A border line with `label` centred as OpenSSH does (label cut to fit, like its snprintf). */
function border(label: string): string {
  const l = label.slice(0, SIZE_X - 1);
  const left = Math.floor((SIZE_X - l.length) / 2);
  return `+${'-'.repeat(left)}${l}${'-'.repeat(SIZE_X - left - l.length)}+`;
}

/** The random art of the digest of `key`, without a trailing newline. */
export function randomart(key: PublicKey, hash: FingerprintHash): string {
  const digest = fingerprintDigest(key, hash);
  const max = SYMBOLS.length - 1;
  const field: number[][] = Array.from({ length: SIZE_X }, () => new Array<number>(SIZE_Y).fill(0));
  let x = Math.floor(SIZE_X / 2);
  let y = Math.floor(SIZE_Y / 2);
  for (const byte of digest) {
    let input = byte;
    for (let b = 0; b < 4; b++) {
      x += input & 1 ? 1 : -1;
      y += input & 2 ? 1 : -1;
      x = Math.min(Math.max(x, 0), SIZE_X - 1);
      y = Math.min(Math.max(y, 0), SIZE_Y - 1);
      if (field[x]![y]! < max - 2) field[x]![y]!++;
      input >>= 2;
    }
  }
  field[Math.floor(SIZE_X / 2)]![Math.floor(SIZE_Y / 2)] = max - 1;
  field[x]![y] = max;

  // "[TYPE BITS]", or "[TYPE]" when that does not fit in the 17-byte buffer (with its NUL).
  let title = `[${key.label} ${key.bits}]`;
  if (title.length > SIZE_X) title = `[${key.label}]`;
  const alg = hash === 'md5' ? 'MD5' : 'SHA256';

  const lines = [border(title)];
  for (let row = 0; row < SIZE_Y; row++) {
    let line = '|';
    for (let col = 0; col < SIZE_X; col++) line += SYMBOLS[Math.min(field[col]![row]!, max)];
    lines.push(`${line}|`);
  }
  lines.push(border(`[${alg}]`));
  return lines.join('\n');
}
