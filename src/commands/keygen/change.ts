/** tsh-keygen -p (change passphrase) and -c (change comment), as ssh-keygen does them. */
import type { Io } from '../../io.js';
import { SaveKeyError, savePrivateKeyFile, savePublicKeyFile } from '../../keys/key-file.js';
import { writeParams } from '../../keys/generate.js';
import type { PrivateKey } from '../../keys/private-key.js';
import { strerror } from '../../errors.js';
import { checked, fatal, identityFile, loadIdentity, readSecret, statOrDie } from './identity.js';
import type { KeygenOptions } from './options.js';
import { logLine, sanitize, utf8Locale } from './ssh-log.js';

function save(io: Io, path: string, key: PrivateKey, opts: Parameters<typeof savePrivateKeyFile>[2]): boolean {
  try {
    savePrivateKeyFile(path, key, opts);
    return true;
  } catch (err) {
    if (!(err instanceof SaveKeyError)) throw err;
    logLine(io, `Saving key "${path}" failed: ${err.message}`);
    return false;
  }
}

export async function runChangePassphrase(opts: KeygenOptions, io: Io): Promise<number> {
  const params = checked(io, () => writeParams(opts));
  const path = await identityFile(opts, io, 'Enter file in which the key is');
  statOrDie(io, path);
  const loaded = await loadIdentity(io, path, `Failed to load key ${path}`, async () =>
    opts.oldPassphrase ?? readSecret(io, 'Enter old passphrase: '),
  );
  if (loaded.hasComment) io.stdout.write(`Key has comment '${sanitize(loaded.key.comment, utf8Locale(io.env))}'\n`);
  let passphrase: string;
  if (opts.newPassphrase !== undefined) {
    passphrase = opts.newPassphrase;
  } else {
    passphrase = await readSecret(io, 'Enter new passphrase (empty for no passphrase): ');
    const again = await readSecret(io, 'Enter same passphrase again: ');
    if (passphrase !== again) {
      io.stdout.write('Pass phrases do not match.  Try again.\n');
      return 1;
    }
  }
  if (!save(io, path, loaded.key, { ...params, passphrase, comment: loaded.key.comment })) return 1;
  io.stdout.write('Your identification has been saved with the new passphrase.\n');
  return 0;
}

export async function runChangeComment(opts: KeygenOptions, io: Io): Promise<number> {
  const params = checked(io, () => writeParams(opts));
  const path = await identityFile(opts, io, 'Enter file in which the key is');
  statOrDie(io, path);
  const loaded = await loadIdentity(io, path, `Cannot load private key "${path}"`, async () =>
    opts.oldPassphrase ?? opts.newPassphrase ?? readSecret(io, 'Enter passphrase: '),
  );
  const { key } = loaded;
  if (key.keyObject.asymmetricKeyType !== 'ed25519' && params.format !== 'openssh') {
    logLine(io, 'Comments are only supported for keys stored in the new format (-o).');
    return 1;
  }
  io.stdout.write(loaded.hasComment ? `Old comment: ${key.comment}\n` : 'No existing comment\n');
  let comment: string;
  if (opts.comment !== undefined) {
    comment = opts.comment;
  } else {
    io.stdout.write('New comment: ');
    const line = await io.readLine();
    if (line === null) return 1;
    comment = line;
  }
  if (loaded.hasComment && key.comment === comment) {
    io.stdout.write('No change to comment\n');
    return 0;
  }
  if (!save(io, path, key, { ...params, passphrase: loaded.passphrase, comment })) return 1;
  try {
    savePublicKeyFile(`${path}.pub`, key.public, comment);
  } catch (err) {
    fatal(io, `Unable to save public key to ${path}.pub: ${strerror(err)}`);
  }
  io.stdout.write(comment.length > 0 ? `Comment '${comment}' applied\n` : 'Comment removed\n');
  return 0;
}
