/**
 * tshd's host keys: the configured HostKey files, or ed25519, ecdsa and rsa keys in the state
 * directory (/etc/tsh as root, ~/.tsh otherwise), created 0600 at first start when missing.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { strerror } from '../errors.js';
import { generatePrivateKey, resolveKeyType } from '../keys/generate.js';
import { savePrivateKeyFile, savePublicKeyFile, loadPrivateKeyFile } from '../keys/key-file.js';
import type { PublicKey } from '../keys/public-key.js';

export interface HostKey {
  readonly path: string;
  /** The file's contents, as ssh2's Server takes them. */
  readonly data: Buffer;
  readonly public: PublicKey;
}

export const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;

/** The state directory: /etc/tsh as root, ~/.tsh otherwise. */
export function stateDir(home: string, isRoot: boolean): string {
  return isRoot ? '/etc/tsh' : join(home, '.tsh');
}

export function defaultHostKeyPaths(dir: string): string[] {
  return HOST_KEY_TYPES.map((t) => join(dir, `ssh_host_${t}_key`));
}

/** Creates the missing default host keys in `dir`; returns the paths created. */
export async function createMissingHostKeys(dir: string, isRoot: boolean): Promise<string[]> {
  mkdirSync(dir, { recursive: true, mode: isRoot ? 0o755 : 0o700 });
  const created: string[] = [];
  const comment = `${userInfo().username}@${hostname()}`;
  for (const type of HOST_KEY_TYPES) {
    const path = join(dir, `ssh_host_${type}_key`);
    try {
      readFileSync(path);
      continue;
    } catch {
      // missing: create it
    }
    const { kind, bits } = resolveKeyType(type, undefined);
    const key = await generatePrivateKey(kind, bits);
    savePublicKeyFile(`${path}.pub`, key.public, comment);
    savePrivateKeyFile(path, key, { passphrase: '', comment });
    created.push(path);
  }
  return created;
}

/**
 * Loads host keys; a file that is missing, unreadable, too open or not a key is skipped with
 * sshd's message ("Unable to load host key: PATH"), and an error is thrown when none is left.
 */
export function loadHostKeys(paths: readonly string[], log: (line: string) => void): HostKey[] {
  const keys: HostKey[] = [];
  for (const path of paths) {
    try {
      const decoded = loadPrivateKeyFile(path);
      if (!decoded.ok) {
        log(`Unable to load host key "${path}": ${decoded.reason === 'invalid' ? decoded.message : 'incorrect passphrase supplied to decrypt private key'}`);
        continue;
      }
      keys.push({ path, data: readFileSync(path), public: decoded.key.public });
    } catch (err) {
      log(`Unable to load host key: ${path}${err instanceof Error && 'code' in err ? ` (${strerror(err)})` : ''}`);
    }
  }
  return keys;
}
