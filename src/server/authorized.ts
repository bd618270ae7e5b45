/**
 * Where the served account's public keys come from: authorized_keys files (AuthorizedKeysFile,
 * tokens already expanded) and, for `npm start`, plain `.pub` files. Every lookup reads the files
 * again, as sshd does, so edits take effect on the next login.
 */
import { readFileSync } from 'node:fs';
import { errnoCode, strerror } from '../errors.js';
import { parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';

export interface AuthorizedKeySource {
  readonly files: readonly string[];
  /** Plain public key files (one key each), accepted without options. */
  readonly pubFiles: readonly string[];
}

export interface AuthorizedMatch {
  readonly file: string;
  readonly line: number;
}

/**
 * The first line holding `key`. Lines with options (from=, command=, restrict, ...) are skipped
 * with a log line until the options are enforced: a key is never accepted with fewer
 * restrictions than its line asks for.
 */
export function findAuthorizedKey(src: AuthorizedKeySource, key: PublicKey, log: (line: string) => void): AuthorizedMatch | null {
  for (const file of src.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') log(`Could not open user '${file}' authorized keys: ${strerror(err)}`);
      continue;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (raw === '' || raw.startsWith('#')) continue;
      const parsed = parsePublicKeyLine(raw);
      if (!parsed) {
        if (/^\S+\s+(ssh-|ecdsa-|sk-)/.test(raw) && raw.split(/\s+/)[1] && parsePublicKeyLine(raw.replace(/^\S+\s+/, '')) !== null) {
          const line = parsePublicKeyLine(raw.replace(/^\S+\s+/, ''));
          if (line && line.key.blob.equals(key.blob)) log(`${file}:${i + 1}: key options are not supported by this release of tshd; line skipped`);
        }
        continue;
      }
      if (!parsed.key.isCert && parsed.key.blob.equals(key.blob)) return { file, line: i + 1 };
    }
  }
  for (const file of src.pubFiles) {
    try {
      const line = parsePublicKeyLine(readFileSync(file, 'utf8').split('\n')[0] ?? '');
      if (line && line.key.blob.equals(key.blob)) return { file, line: 1 };
    } catch {
      // unreadable: skipped
    }
  }
  return null;
}
