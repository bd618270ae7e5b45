/**
 * tsh-keygen -A: create each missing host key (RSA, ECDSA, ED25519) for tshd, like ssh-keygen -A.
 * Keys live in /etc/tsh when run as root, else ~/.tsh; with -f PREFIX, in PREFIX/etc/tsh.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { SaveKeyError, savePrivateKeyFile, savePublicKeyFile } from '../../keys/key-file.js';
import { generatePrivateKey, resolveKeyType, writeParams } from '../../keys/generate.js';
import type { KeygenOptions } from './options.js';
import { logLine } from './ssh-log.js';
import { checked } from './identity.js';

const HOST_KEY_TYPES = [
  { type: 'rsa', label: 'RSA' },
  { type: 'ecdsa', label: 'ECDSA' },
  { type: 'ed25519', label: 'ED25519' },
] as const;

/** The directory tshd reads its host keys from. */
export function hostKeyDir(opts: KeygenOptions): string {
  if (opts.file !== undefined) return join(opts.file, 'etc', 'tsh');
  return opts.env.isRoot ? '/etc/tsh' : join(opts.env.home, '.tsh');
}

export async function runGenerateHostKeys(opts: KeygenOptions, io: Io): Promise<number> {
  const params = checked(io, () => writeParams(opts));
  const dir = hostKeyDir(opts);
  // With a prefix, like ssh-keygen, the directory must already exist.
  if (opts.file === undefined) mkdirSync(dir, { recursive: true, mode: opts.env.isRoot ? 0o755 : 0o700 });
  const comment = `${opts.env.user}@${opts.env.hostname}`;
  let first = true;
  for (const { type, label } of HOST_KEY_TYPES) {
    const prv = join(dir, `ssh_host_${type}_key`);
    try {
      if (statSync(prv).size !== 0) continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logLine(io, `Could not stat ${prv}: ${strerror(err)}`);
        continue;
      }
    }
    if (first) io.stdout.write('tsh-keygen: generating new host keys: ');
    first = false;
    io.stdout.write(`${label} `);
    const { kind, bits } = resolveKeyType(type, undefined);
    const key = await generatePrivateKey(kind, bits);
    try {
      // The .pub first: a private key without its .pub would never be regenerated.
      savePublicKeyFile(`${prv}.pub`, key.public, comment);
    } catch (err) {
      logLine(io, `Could not save your public key in ${prv}.pub: ${strerror(err)}`);
      first = true;
      continue;
    }
    try {
      savePrivateKeyFile(prv, key, { ...params, passphrase: '', comment });
    } catch (err) {
      const reason = err instanceof SaveKeyError ? err.message : strerror(err);
      logLine(io, `Could not save your private key in ${prv}: ${reason}`);
      first = true;
    }
  }
  if (!first) io.stdout.write('\n');
  return 0;
}
