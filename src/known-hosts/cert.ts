/** The CA key inside an OpenSSH certificate (PROTOCOL.certkeys), for @cert-authority lookups. */
import { parsePublicKeyBlob, plainType, type PublicKey } from '../keys/public-key.js';
import { SshReader } from '../keys/ssh-buffer.js';

/** Number of string/mpint fields of each plain key type inside a certificate. */
const KEY_FIELDS: Record<string, number> = {
  'ssh-rsa': 2,
  'ssh-dss': 4,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
  'sk-ecdsa-sha2-nistp256@openssh.com': 3,
  'ssh-ed25519': 1,
  'sk-ssh-ed25519@openssh.com': 2,
};

/** The signature (CA) key of a certificate; null if `cert` is not one or is malformed. */
export function certSignatureKey(cert: PublicKey): PublicKey | null {
  if (!cert.isCert) return null;
  const fields = KEY_FIELDS[plainType(cert.type)];
  if (fields === undefined) return null;
  try {
    const r = new SshReader(cert.blob);
    r.string(); // type
    r.string(); // nonce
    for (let i = 0; i < fields; i++) r.string();
    r.bytes(8); // serial
    r.uint32(); // cert type
    r.string(); // key id
    r.string(); // principals
    r.bytes(16); // validity
    r.string(); // critical options
    r.string(); // extensions
    r.string(); // reserved
    return parsePublicKeyBlob(r.string());
  } catch {
    return null;
  }
}
