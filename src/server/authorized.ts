/**
 * Where the served account's public keys come from: authorized_keys files (AuthorizedKeysFile,
 * tokens already expanded, options enforced) and, for `npm start`, plain `.pub` files (no
 * options). Every lookup reads the files again, as sshd does, so edits take effect at once.
 */
import { readFileSync } from 'node:fs';
import { errnoCode, strerror } from '../errors.js';
import { parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import { authorizeKey, checkAuthorizedKeysPath, defaultKeyOptions, parseAuthorizedKeys, type KeyOptions } from './authorized-keys.js';

export interface AuthorizedKeySource {
  readonly files: readonly string[];
  /** Plain public key files (one key each), accepted without options. */
  readonly pubFiles: readonly string[];
  /** StrictModes: refuse files (and directories) others may write. */
  readonly strictModes: boolean;
}

export interface AuthorizedMatch {
  readonly file: string;
  readonly line: number;
  readonly options: KeyOptions;
}

export interface LookupContext {
  readonly user: string;
  readonly uid: number;
  readonly home: string;
  readonly remoteAddr: string;
}

/** The first line holding `key` whose options let this client in (sshd's user_key_allowed2). */
export function findAuthorizedKey(src: AuthorizedKeySource, key: PublicKey, ctx: LookupContext, log: (line: string) => void): AuthorizedMatch | null {
  for (const file of src.files) {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') log(`Could not open user '${ctx.user}' authorized keys '${file}': ${strerror(err)}`);
      continue;
    }
    if (src.strictModes) {
      const bad = checkAuthorizedKeysPath(file, ctx.uid, ctx.home);
      if (bad !== null) {
        log(`Authentication refused: ${bad}`);
        continue;
      }
    }
    const parsed = parseAuthorizedKeys(text, file);
    const { entry, refusals } = authorizeKey(parsed.keys, key, { remoteAddr: ctx.remoteAddr, remoteHost: ctx.remoteAddr, now: Math.floor(Date.now() / 1000), user: ctx.user });
    for (const r of refusals) log(r);
    if (entry) return { file, line: entry.line, options: entry.options };
  }
  for (const file of src.pubFiles) {
    try {
      const line = parsePublicKeyLine(readFileSync(file, 'utf8').split('\n')[0] ?? '');
      if (line && !line.key.isCert && line.key.blob.equals(key.blob)) return { file, line: 1, options: defaultKeyOptions() };
    } catch {
      // unreadable: skipped
    }
  }
  return null;
}
