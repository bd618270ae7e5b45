/**
 * Reading public keys out of text files the way OpenSSH's C code does, byte for byte:
 * sshkey_read (one "type base64" key at a position), sshkey_try_load_public (the first key of a
 * .pub file) and the do_fingerprint walk of ssh-keygen -l over .pub, authorized_keys and
 * known_hosts files. ssh-keygen -l prints a "comment" that comes from a C pointer which survives
 * from line to line inside getline's reused buffer; the walk keeps such a buffer so that what it
 * reports is exactly what ssh-keygen prints. Text is handled as bytes (Buffers).
 */
import { b64pton, isCSpace } from './b64-pton.js';
import { keyObjectFromPublicKey } from './key-object.js';
import { isKnownKeyType, parsePublicKeyBlob, plainType, type PublicKey } from './public-key.js';

const SP = 0x20;
const TAB = 0x09;
const isBlank = (c: number | undefined): boolean => c === SP || c === TAB;

/** Index of the NUL that ends the C string starting at `i` (or the buffer's end). */
function cEnd(buf: Uint8Array, i: number): number {
  while (i < buf.length && buf[i] !== 0) i++;
  return i;
}

/** The C string at `i`, as a copy of its bytes. */
export function cString(buf: Uint8Array, i: number): Buffer {
  return Buffer.from(buf.subarray(i, cEnd(buf, i)));
}

const RSA_SHA2 = /^rsa-sha2-(256|512)(-cert-v01@openssh\.com)?$/;

/** The key type a type name stands for (OpenSSH also accepts the rsa-sha2-* signature names). */
function typeClass(name: string): string | null {
  const m = RSA_SHA2.exec(name);
  if (m) return m[2] ? 'ssh-rsa-cert-v01@openssh.com' : 'ssh-rsa';
  return isKnownKeyType(name) ? name : null;
}

const SSH_RSA_MINIMUM_MODULUS_SIZE = 1024;

/** Checks sshkey_fromb makes beyond the blob's shape: RSA size, EC point on its curve. */
function acceptable(key: PublicKey): boolean {
  const base = plainType(key.type);
  if (base === 'ssh-rsa' && key.bits < SSH_RSA_MINIMUM_MODULUS_SIZE) return false;
  if (base.startsWith('ecdsa-sha2-')) {
    try {
      keyObjectFromPublicKey(key.isCert ? parsePublicKeyBlob(key.plainBlob) : key);
    } catch {
      return false;
    }
  }
  return true;
}

/** Decodes a wire blob into a key OpenSSH would accept; null otherwise. */
export function acceptBlob(blob: Buffer): PublicKey | null {
  try {
    const key = parsePublicKeyBlob(blob);
    return acceptable(key) ? key : null;
  } catch {
    return null;
  }
}

/**
 * sshkey_read: a key at `start` in `buf` (up to the C string's NUL). On success, `next` is where
 * the comment starts (after the blanks that follow the base64).
 */
export function sshkeyRead(buf: Uint8Array, start: number): { key: PublicKey; next: number } | null {
  const end = cEnd(buf, start);
  let cp = start;
  let sp = cp;
  while (sp < end && !isBlank(buf[sp])) sp++;
  if (sp === end) return null;
  const cls = typeClass(Buffer.from(buf.subarray(cp, sp)).toString('latin1'));
  if (!cls) return null;
  cp = sp;
  while (isBlank(buf[cp])) cp++;
  if (cp >= end) return null;
  let be = cp;
  while (be < end && !isBlank(buf[be])) be++;
  const blob = b64pton(buf.subarray(cp, be));
  if (!blob) return null;
  const key = acceptBlob(blob);
  if (!key || typeClass(key.type) !== cls) return null;
  cp = be;
  while (isBlank(buf[cp])) cp++;
  return { key, next: cp };
}

/** glibc getline over `data`: reuses and grows one buffer, as the C code's pointers rely on. */
class GetLine {
  buf: Buffer = Buffer.alloc(120);
  private pos = 0;
  constructor(private readonly data: Buffer) {}

  /** Reads the next line (with its newline) into buf, NUL-terminated; false at end of input. */
  next(): boolean {
    if (this.pos >= this.data.length) return false;
    let nl = this.data.indexOf(0x0a, this.pos);
    nl = nl < 0 ? this.data.length : nl + 1;
    const len = nl - this.pos;
    if (len + 1 > this.buf.length) {
      const grown = Buffer.alloc(Math.max(len + 1, this.buf.length * 2));
      this.buf.copy(grown);
      this.buf = grown;
    }
    this.data.copy(this.buf, 0, this.pos, nl);
    this.buf[len] = 0;
    this.pos = nl;
    return true;
  }
}

/**
 * sshkey_try_load_public: the first key line of a public key file. The comment is the rest of
 * that line, or `filename` when the line has none. null if there is no key (or the file looks
 * like a private key).
 */
export function tryLoadPublic(data: Buffer, filename: string): { key: PublicKey; comment: Buffer } | null {
  const lines = new GetLine(data);
  while (lines.next()) {
    const buf = lines.buf;
    const first = buf[0];
    if (first === 0x23 || first === 0x0a || first === 0) continue;
    const line = cString(buf, 0).toString('latin1');
    if (line.startsWith('-----BEGIN') || line === 'SSH PRIVATE KEY FILE') break;
    let cp = 0;
    while (isBlank(buf[cp])) cp++;
    if (buf[cp] === 0) continue;
    const r = sshkeyRead(buf, cp);
    if (!r) continue;
    let ce = r.next;
    while (buf[ce] !== 0 && buf[ce] !== 0x0d && buf[ce] !== 0x0a) ce++;
    const comment = Buffer.from(buf.subarray(r.next, ce));
    return { key: r.key, comment: comment.length > 0 ? comment : Buffer.from(filename, 'latin1') };
  }
  return null;
}

export type FingerprintLine =
  /** A key, with what ssh-keygen prints as its comment (null: "no comment"). */
  | { kind: 'key'; key: PublicKey; comment: Buffer | null }
  /** A line that held no key (ssh-keygen says so at debug level). */
  | { kind: 'not-a-key'; lineNumber: number }
  /** The first line names a private key: ssh-keygen stops walking and reads the key file. */
  | { kind: 'private' };

/** C strtol(s, &ep, 10) assigned to an int: the value and whether ep stops at a blank. */
function strtolInt(buf: Uint8Array, i: number): { value: number; end: number } {
  let j = i;
  while (isCSpace(buf[j] ?? 0) && buf[j] !== 0) j++;
  let neg = false;
  if (buf[j] === 0x2b || buf[j] === 0x2d) {
    neg = buf[j] === 0x2d;
    j++;
  }
  const ds = j;
  while ((buf[j] ?? 0) >= 0x30 && (buf[j] ?? 0) <= 0x39) j++;
  if (j === ds) return { value: 0, end: i };
  const max = (1n << 63n) - 1n;
  let v = BigInt(Buffer.from(buf.subarray(ds, j)).toString('latin1'));
  if (neg) v = -v;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return { value: Number(BigInt.asIntN(32, v)), end: j };
}

/**
 * ssh-keygen -l's walk over a file of public keys (do_fingerprint): bare keys, keys behind
 * authorized_keys options or a known_hosts host field, comments, blank and broken lines.
 * `privateCheck`: whether a first line containing "PRIVATE KEY" means a private key file (not
 * for standard input).
 */
export function* fingerprintLines(data: Buffer, privateCheck: boolean): Generator<FingerprintLine> {
  const lines = new GetLine(data);
  let lnum = 0;
  let comment: number | null = null; // an offset into the reused buffer, like the C pointer
  while (lines.next()) {
    lnum++;
    const buf = lines.buf;
    let nl = 0;
    while (buf[nl] !== 0 && buf[nl] !== 0x0a) nl++;
    buf[nl] = 0;
    let cp = 0;
    while (isBlank(buf[cp])) cp++;
    if (buf[cp] === 0x23 || buf[cp] === 0) continue;
    if (lnum === 1 && privateCheck && cString(buf, cp).includes('PRIVATE KEY')) {
      yield { kind: 'private' };
      return;
    }
    let r = sshkeyRead(buf, cp);
    if (!r) {
      const n = strtolInt(buf, cp);
      if (n.value === 0 || !isBlank(buf[n.end])) {
        comment = cp;
        let quoted = false;
        for (; buf[cp] !== 0 && (quoted || !isBlank(buf[cp])); cp++) {
          if (buf[cp] === 0x5c && buf[cp + 1] === 0x22) cp++;
          else if (buf[cp] === 0x22) quoted = !quoted;
        }
        if (buf[cp] === 0) continue;
        buf[cp++] = 0;
      }
      r = sshkeyRead(buf, cp);
      if (!r) {
        yield { kind: 'not-a-key', lineNumber: lnum };
        continue;
      }
    }
    cp = r.next;
    while (isBlank(buf[cp])) cp++;
    if (buf[cp] !== 0 && buf[cp] !== 0x23) comment = cp;
    yield { kind: 'key', key: r.key, comment: comment === null ? null : cString(buf, comment) };
  }
}
