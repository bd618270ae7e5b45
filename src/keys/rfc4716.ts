/**
 * The SSH2 public key file format (RFC 4716) as ssh-keygen -e writes it and -i reads it
 * (do_convert_to_ssh2 / do_convert_from_ssh2 in ssh-keygen.c), including its quirks: the comment
 * is cut to 60 bytes, base64 lines are 70 wide, headers are any line starting "----" or holding
 * ": ", a line ending in "\" hides the next one, and a last line without newline is ignored.
 */
import { b64pton } from './b64-pton.js';
import type { PublicKey } from './public-key.js';

export const SSH2_PUBLIC_BEGIN = '---- BEGIN SSH2 PUBLIC KEY ----';
export const SSH2_PUBLIC_END = '---- END SSH2 PUBLIC KEY ----';
export const SSH2_PRIVATE_BEGIN = '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----';

/** The comment ssh-keygen -e puts in the header: "BITS-bit TYPE, converted by USER@HOST from OpenSSH", cut to 60 bytes. */
export function rfc4716Comment(key: PublicKey, user: string, host: string): string {
  const full = Buffer.from(`${key.bits}-bit ${key.label}, converted by ${user}@${host} from OpenSSH`, 'utf8');
  return full.subarray(0, 60).toString('utf8');
}

/** The whole RFC 4716 text (ends with a newline). */
export function encodeRfc4716(key: PublicKey, comment: string): string {
  const b64 = key.blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${SSH2_PUBLIC_BEGIN}\nComment: "${comment}"\n${lines.join('\n')}\n${SSH2_PUBLIC_END}\n`;
}

export type Rfc4716Decoded =
  | { ok: true; private: boolean; blob: Buffer }
  | { ok: false; error: 'line-too-long' | 'base64' };

const LINE_MAX = 1024;
const ENCODED_MAX = 8096;

/** The lines get_line() returns: split at \n, \r or \r\n; a final unterminated line is dropped. */
function* getLines(data: Buffer): Generator<Buffer | 'too-long'> {
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (i - start >= LINE_MAX - 1) {
      yield 'too-long';
      return;
    }
    const c = data[i];
    if (c !== 0x0a && c !== 0x0d) continue;
    yield data.subarray(start, i);
    if (c === 0x0d && data[i + 1] === 0x0a) i++;
    start = i + 1;
  }
}

/** The base64 body (and whether it is an SSH.COM private key) of an RFC 4716 file. */
export function decodeRfc4716(data: Buffer): Rfc4716Decoded {
  let escaped = 0;
  let isPrivate = false;
  let encoded = Buffer.alloc(0);
  for (const raw of getLines(data)) {
    if (raw === 'too-long') return { ok: false, error: 'line-too-long' };
    // C string functions stop at a NUL inside the line.
    const nul = raw.indexOf(0);
    const line = nul >= 0 ? raw.subarray(0, nul) : raw;
    const text = line.toString('latin1');
    if (raw.length > 0 && raw[raw.length - 1] === 0x5c) escaped++;
    if (text.startsWith('----') || text.includes(': ')) {
      if (text.includes(SSH2_PRIVATE_BEGIN)) isPrivate = true;
      if (text.includes(' END ')) break;
      continue;
    }
    if (escaped > 0) {
      escaped--;
      continue;
    }
    const room = ENCODED_MAX - 1 - encoded.length;
    if (room > 0) encoded = Buffer.concat([encoded, line.subarray(0, room)]);
  }
  const len = encoded.length;
  if (len % 4 === 3 && encoded.subarray(len - 3).toString('latin1') === '===') encoded = encoded.subarray(0, len - 3);
  const blob = b64pton(encoded);
  if (!blob) return { ok: false, error: 'base64' };
  return { ok: true, private: isPrivate, blob };
}
