/**
 * What ssh-keygen's key-file commands share: asking for the file name (ask_filename), the
 * stat check, and loading a private key first without a passphrase, then with -P or a prompt.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExitError, strerror, TshError } from '../../errors.js';
import type { Io } from '../../io.js';
import { BadPermissionsError, loadPrivateKeyFile } from '../../keys/key-file.js';
import { defaultIdentityName } from '../../keys/generate.js';
import type { KeyFileFormat, PrivateKey } from '../../keys/private-key.js';
import type { KeygenOptions } from './options.js';
import { fatal, logLine } from './ssh-log.js';

export { fatal };

export const WRONG_PASSPHRASE = 'incorrect passphrase supplied to decrypt private key';

/** Runs an option check from keys/, turning its TshError into OpenSSH's fatal() output. */
export function checked<T>(io: Io, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TshError && !(err instanceof ExitError)) fatal(io, err.message);
    throw err;
  }
}

/** ~/.ssh under the home tsh-keygen was given. */
export function userSshDir(opts: KeygenOptions): string {
  return join(opts.env.home, '.ssh');
}

/** -f, or ask for the file on stdout and read it from stdin (EOF exits 1, as ssh-keygen). */
export async function identityFile(opts: KeygenOptions, io: Io, prompt: string): Promise<string> {
  if (opts.file !== undefined) return opts.file;
  const def = join(userSshDir(opts), defaultIdentityName(opts.type));
  io.stdout.write(`${prompt} (${def}): `);
  const line = await io.readLine();
  if (line === null) throw new ExitError(1);
  return line === '' ? def : line;
}

/** `PATH: strerror` and exit 255 unless the file exists. */
export function statOrDie(io: Io, path: string): void {
  try {
    statSync(path);
  } catch (err) {
    fatal(io, `${path}: ${strerror(err)}`);
  }
}

export interface LoadedKey {
  key: PrivateKey;
  format: KeyFileFormat;
  /** The passphrase the key was read with ('' when not encrypted). */
  passphrase: string;
  /** OpenSSH format carries a comment; PEM and PKCS#8 have none (ssh-keygen's NULL comment). */
  hasComment: boolean;
}

/**
 * Loads a private key as ssh-keygen does: with no passphrase first; if one is needed, with
 * `passphrase()` (-P or a prompt). Failures print `${failPrefix}: reason` and exit 255.
 */
export async function loadIdentity(
  io: Io,
  path: string,
  failPrefix: string,
  passphrase: () => Promise<string>,
): Promise<LoadedKey> {
  const load = (pass: string | undefined) => {
    try {
      return loadPrivateKeyFile(path, pass);
    } catch (err) {
      if (err instanceof BadPermissionsError) {
        for (const line of err.message.split('\n').slice(0, -1)) logLine(io, line);
        fatal(io, `${failPrefix}: bad permissions`);
      }
      fatal(io, `${failPrefix}: ${strerror(err)}`);
    }
  };
  let pass = '';
  let r = load(undefined);
  if (!r.ok && r.reason !== 'invalid') {
    pass = await passphrase();
    r = load(pass);
  }
  if (!r.ok) {
    fatal(io, `${failPrefix}: ${r.reason === 'invalid' ? r.message : WRONG_PASSPHRASE}`);
  }
  return { key: r.key, format: r.format, passphrase: r.encrypted ? pass : '', hasComment: r.format === 'openssh' };
}

/** A secret from the terminal; end of input counts as empty, like read_passphrase. */
export async function readSecret(io: Io, prompt: string): Promise<string> {
  return (await io.readSecret(prompt)) ?? '';
}

/** True when `path` sits directly in ~/.ssh (hostfile_create_user_ssh_dir's test). */
export function inUserSshDir(opts: KeygenOptions, path: string): boolean {
  return path.includes('/') && dirname(path) === userSshDir(opts);
}
