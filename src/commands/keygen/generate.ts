/** tsh-keygen key generation (no mode flag), following ssh-keygen's prompts and messages. */
import { mkdirSync, statSync } from 'node:fs';
import { strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { SaveKeyError, savePrivateKeyFile, savePublicKeyFile } from '../../keys/key-file.js';
import { DEFAULT_KEY_TYPE, generatePrivateKey, resolveKeyType, writeParams } from '../../keys/generate.js';
import { fingerprint } from '../../keys/public-key.js';
import { randomart } from '../../keys/randomart.js';
import { checked, fatal, identityFile, inUserSshDir, readSecret, userSshDir } from './identity.js';
import type { KeygenOptions } from './options.js';
import { logLine } from './ssh-log.js';

/** hostfile_create_user_ssh_dir: make ~/.ssh (0700) when the key goes straight into it. */
function createUserSshDir(opts: KeygenOptions, io: Io, path: string): void {
  if (!inUserSshDir(opts, path)) return;
  const dir = userSshDir(opts);
  try {
    statSync(dir);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      logLine(io, `Could not stat ${dir}: ${strerror(err)}`);
      return;
    }
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
    if (!opts.quiet) logLine(io, `Created directory '${dir}'.`);
  } catch (err) {
    logLine(io, `Could not create directory '${dir}' (${strerror(err)}).`);
  }
}

/** confirm_overwrite: true to go on. */
async function confirmOverwrite(io: Io, path: string): Promise<boolean> {
  try {
    statSync(path);
  } catch {
    return true;
  }
  io.stdout.write(`${path} already exists.\nOverwrite (y/n)? `);
  const answer = await io.readLine();
  return answer !== null && (answer.startsWith('y') || answer.startsWith('Y'));
}

/** private_key_passphrase: -N, else -P, else asked twice until both agree. */
async function newPassphrase(opts: KeygenOptions, io: Io): Promise<string> {
  if (opts.newPassphrase !== undefined) return opts.newPassphrase;
  if (opts.oldPassphrase !== undefined) return opts.oldPassphrase;
  for (;;) {
    const first = await readSecret(io, 'Enter passphrase (empty for no passphrase): ');
    const second = await readSecret(io, 'Enter same passphrase again: ');
    if (first === second) return first;
    io.stdout.write('Passphrases do not match.  Try again.\n');
  }
}

export async function runGenerate(opts: KeygenOptions, io: Io): Promise<number> {
  const params = checked(io, () => writeParams(opts));
  const typeName = opts.type ?? DEFAULT_KEY_TYPE;
  const { kind, bits } = checked(io, () => resolveKeyType(opts.type, opts.bits));
  if (!opts.quiet) io.stdout.write(`Generating public/private ${typeName} key pair.\n`);
  const key = await generatePrivateKey(kind, bits);
  const path = await identityFile(opts, io, 'Enter file in which to save the key');
  createUserSshDir(opts, io, path);
  if (!(await confirmOverwrite(io, path))) return 1;
  const passphrase = await newPassphrase(opts, io);
  const comment = opts.comment ?? `${opts.env.user}@${opts.env.hostname}`;
  try {
    savePrivateKeyFile(path, key, { ...params, passphrase, comment });
  } catch (err) {
    if (!(err instanceof SaveKeyError)) throw err;
    logLine(io, `Saving key "${path}" failed: ${err.message}`);
    return 1;
  }
  if (!opts.quiet) io.stdout.write(`Your identification has been saved in ${path}\n`);
  const pubPath = `${path}.pub`;
  try {
    savePublicKeyFile(pubPath, key.public, comment);
  } catch (err) {
    fatal(io, `Unable to save public key to ${pubPath}: ${strerror(err)}`);
  }
  if (!opts.quiet) {
    io.stdout.write(
      `Your public key has been saved in ${pubPath}\n` +
        'The key fingerprint is:\n' +
        `${fingerprint(key.public, opts.fingerprintHash)} ${comment}\n` +
        "The key's randomart image is:\n" +
        `${randomart(key.public, opts.fingerprintHash)}\n`,
    );
  }
  return 0;
}
