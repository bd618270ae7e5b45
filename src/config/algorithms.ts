/**
 * Algorithm lists as OpenSSH 9.2p1 (Debian 12) reports them: the defaults `ssh -G` prints and
 * the full supported sets (`ssh -Q cipher|mac|kex|key-sig|sig`) used for `+`, `-`, `^` edits.
 */
import { matchFilterAllowlist, matchFilterDenylist } from '../pattern.js';

export const DEFAULT_CIPHERS =
  'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
export const DEFAULT_MACS =
  'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,' +
  'hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1';
export const DEFAULT_KEX =
  'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,' +
  'ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,' +
  'diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256';
/** Host key, pubkey and hostbased algorithms (KEX_DEFAULT_PK_ALG). */
export const DEFAULT_PK_ALGS =
  'ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,' +
  'ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,' +
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,' +
  'rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,' +
  'sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256';
export const DEFAULT_CA_SIGS =
  'ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,' +
  'sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256';
/** Debian's GSSAPI key exchange patch. */
export const DEFAULT_GSS_KEX =
  'gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-';

export const ALL_CIPHERS =
  '3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,' +
  'aes256-gcm@openssh.com,chacha20-poly1305@openssh.com';
export const ALL_MACS =
  'hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,' +
  'hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,' +
  'hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,' +
  'umac-128-etm@openssh.com';
export const ALL_KEX =
  'diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,' +
  'diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,' +
  'diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,' +
  'curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com';
/** sshkey_alg_list(0, 0, 1): every key and signature algorithm, certificates included. */
export const ALL_KEY_ALGS =
  'ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,' +
  'ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,' +
  'ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,' +
  'sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,' +
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,' +
  'ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,' +
  'rsa-sha2-512-cert-v01@openssh.com';
/** sshkey_alg_list(0, 1, 1): plain keys and signature algorithms, no certificates. */
export const ALL_SIG_ALGS =
  'ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,' +
  'sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,' +
  'rsa-sha2-256,rsa-sha2-512';

const nameSet = (list: string): Set<string> => new Set(list.split(','));
const CIPHER_SET = nameSet(ALL_CIPHERS);
const MAC_SET = nameSet(ALL_MACS);
const KEX_SET = nameSet(ALL_KEX);
const KEY_SET = nameSet(ALL_KEY_ALGS);

/** ciphers_valid / mac_valid / kex_names_valid: every name known exactly; empty names rejected. */
function allKnown(names: string, set: Set<string>): boolean {
  if (names === '') return false;
  return names.split(',').every((n) => set.has(n));
}
export const ciphersValid = (n: string): boolean => allKnown(n, CIPHER_SET);
export const macsValid = (n: string): boolean => allKnown(n, MAC_SET);
export const kexNamesValid = (n: string): boolean => allKnown(n, KEX_SET);
/** sshkey_names_valid2(names, allow_wildcard=1): each name is known or a pattern matching some key type. */
export function keyNamesValid(names: string): boolean {
  if (names === '') return false;
  for (const n of names.split(',')) {
    if (KEY_SET.has(n)) continue;
    if (matchFilterAllowlist(ALL_KEY_ALGS, n) === '') return false;
  }
  return true;
}

/** kex_names_cat(): `a` followed by the names of `b` not already in `a`. */
function namesCat(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  const out = a.split(',');
  for (const p of b.split(',')) {
    if (p === '') break;
    if (!out.includes(p)) out.push(p);
  }
  return out.join(',');
}

/**
 * kex_assemble_names(): applies a configured list (`+` append, `-` remove, `^` prepend, or a
 * replacement, wildcards allowed) to the default list, keeping only supported names.
 * Returns null when the result would be empty (OpenSSH refuses that).
 */
export function assembleNames(configured: string | undefined, def: string, all: string): string | null {
  if (configured === undefined || configured === '') return def;
  let list = configured;
  if (list.startsWith('+')) list = namesCat(def, list.slice(1));
  else if (list.startsWith('-')) return matchFilterDenylist(def, list.slice(1));
  else if (list.startsWith('^')) list = namesCat(list.slice(1), def);
  let ret = '';
  for (const cp of list.split(',')) {
    if (cp.startsWith('!')) continue;
    ret = namesCat(ret, matchFilterAllowlist(all, cp));
  }
  return ret === '' ? null : ret;
}
