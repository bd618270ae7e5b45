/** tsh-keygen -y: print the public key of a private key file, as ssh-keygen -y does. */
import type { Io } from '../../io.js';
import { formatPublicKey } from '../../keys/public-key.js';
import { identityFile, loadIdentity, readSecret, statOrDie } from './identity.js';
import type { KeygenOptions } from './options.js';

export async function runPrintPublic(opts: KeygenOptions, io: Io): Promise<number> {
  const path = await identityFile(opts, io, 'Enter file in which the key is');
  statOrDie(io, path);
  const loaded = await loadIdentity(io, path, `Load key "${path}"`, async () =>
    opts.oldPassphrase ?? readSecret(io, 'Enter passphrase: '),
  );
  io.stdout.write(`${formatPublicKey(loaded.key.public, loaded.key.comment)}\n`);
  return 0;
}
