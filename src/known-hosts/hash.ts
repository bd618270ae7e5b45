/**
 * Hashed known_hosts names (hostfile.c host_hash): `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`
 * with a 20-byte random salt.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const HASH_MAGIC = '|1|';
const SHA1_LEN = 20;

/** The hashed form of `name` (used as is: callers lowercase it as OpenSSH does before writing). */
export function hashHostName(name: string, salt: Buffer = randomBytes(SHA1_LEN)): string {
  const mac = createHmac('sha1', salt).update(name, 'utf8').digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac.toString('base64')}`;
}

export type SaltResult = { ok: true; salt: Buffer } | { ok: false; reason: string };

/** extract_salt(): the salt of a hashed host field, or OpenSSH's debug reason for refusing it. */
export function extractSalt(field: string): SaltResult {
  if (field.length < HASH_MAGIC.length) return { ok: false, reason: 'extract_salt: string too short' };
  if (!field.startsWith(HASH_MAGIC)) return { ok: false, reason: 'extract_salt: invalid magic identifier' };
  const rest = field.slice(HASH_MAGIC.length);
  const end = rest.indexOf('|');
  if (end < 0) return { ok: false, reason: 'extract_salt: missing salt termination character' };
  if (end === 0 || end > 1024) return { ok: false, reason: `extract_salt: bad encoded salt length ${end}` };
  const salt = decodeBase64Strict(rest.slice(0, end));
  if (!salt) return { ok: false, reason: 'extract_salt: salt decode error' };
  if (salt.length !== SHA1_LEN) {
    return { ok: false, reason: `extract_salt: expected salt len ${SHA1_LEN}, got ${salt.length}` };
  }
  return { ok: true, salt };
}

/**
 * match_maybe_hashed() for a hashed field: 'match' when hashing `name` with the field's salt gives
 * exactly the field, 'bad' when the field is not a valid hash (OpenSSH then treats the line as invalid).
 */
export function matchHashed(name: string, field: string): 'match' | 'nomatch' | { bad: string } {
  const s = extractSalt(field);
  if (!s.ok) return { bad: s.reason };
  return hashHostName(name, s.salt) === field ? 'match' : 'nomatch';
}

/** base64 as b64_pton accepts it: blanks skipped, full padding, no stray bits; null if malformed. */
export function decodeBase64Strict(text: string): Buffer | null {
  const t = text.replace(/[ \t\r\n\f\v]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null;
  const buf = Buffer.from(t, 'base64');
  return buf.toString('base64') === t ? buf : null;
}
