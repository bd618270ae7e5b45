/**
 * Key type names as OpenSSH 9.2 reads them in known_hosts lines (sshkey.c keyimpls[]).
 */

/** Wire names of every key implementation, including signature-algorithm aliases and "null". */
const FULL_NAMES = new Set([
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-512',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-dss-cert-v01@openssh.com',
  'null',
]);

/** Short names of the plain (non-certificate) implementations, matched case-insensitively. */
const SHORT_NAMES = new Set(['ed25519', 'ed25519-sk', 'ecdsa', 'ecdsa-sk', 'rsa', 'dsa', 'null']);

/**
 * sshkey_type_from_name() != KEY_UNSPEC: what `ssh-keygen -F/-R/-H` accept as the key type of a
 * line when they do not decode the key.
 */
export function isKeyTypeName(name: string): boolean {
  return FULL_NAMES.has(name) || SHORT_NAMES.has(name.toLowerCase());
}

/** Signature-algorithm names stand for the key type whose blob they carry. */
const ALIASES: Record<string, string> = {
  'rsa-sha2-256': 'ssh-rsa',
  'rsa-sha2-512': 'ssh-rsa',
  'rsa-sha2-256-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com': 'sk-ecdsa-sha2-nistp256@openssh.com',
};

/**
 * The blob type a full name requires when the key is decoded (sshkey_read): short names are not
 * accepted there; null when the name cannot name a decodable key.
 */
export function blobTypeForName(name: string): string | null {
  if (!FULL_NAMES.has(name) || name === 'null') return null;
  return ALIASES[name] ?? name;
}
