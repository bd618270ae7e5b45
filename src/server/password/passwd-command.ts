/**
 * `tshd passwd [-f password_file] user`: sets a user's password in tshd's PasswordFile, asking
 * twice on the terminal like passwd(1) (with no terminal, two lines are read from stdin, so it can
 * be scripted). Messages and exit codes follow passwd(1) on Debian: everything on stderr, 0 when
 * the password was updated, 10 when it was not (mismatch, empty, end of input), 2 for a bad
 * command line, 3 when the file could not be read or written.
 */
import type { Io } from '../../io.js';
import { DEFAULT_SCRYPT, PasswordFileError, setPassword, userNameError, type ScryptParams } from './password-file.js';

export const PASSWD_USAGE = 'usage: tshd passwd [-f password_file] user';
const PROG = 'tshd passwd';
/** Rounds of "New password:" before giving up on empty answers (pam_unix asks again too). */
const MAX_ROUNDS = 3;

export interface PasswdOptions {
  /** The configured PasswordFile (tshd_config), used when -f is not given. */
  passwordFile?: string | null;
  /** scrypt cost of the new hash (tests use a cheap one). */
  params?: ScryptParams;
}

type Parsed = { file: string | null; user: string } | { error: string };

function parseArgs(argv: readonly string[]): Parsed {
  let file: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-f' || (a.startsWith('-f') && a.length > 2)) {
      const v = a.length > 2 ? a.slice(2) : argv[++i];
      if (v === undefined) return { error: `${PROG}: option requires an argument -- 'f'` };
      file = v;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) return { error: `${PROG}: unrecognized option '${a}'` };
    rest.push(a);
  }
  if (rest.length !== 1) return { error: rest.length === 0 ? `${PROG}: missing user name` : `${PROG}: too many arguments` };
  return { file, user: rest[0] ?? '' };
}

export async function runPasswd(argv: readonly string[], io: Io, options: PasswdOptions = {}): Promise<number> {
  const say = (line: string): void => {
    io.stderr.write(`${line}\n`);
  };
  const parsed = parseArgs(argv);
  if ('error' in parsed) {
    say(parsed.error);
    say(PASSWD_USAGE);
    return 2;
  }
  const file = parsed.file ?? options.passwordFile ?? null;
  if (file === null) {
    say(`${PROG}: no PasswordFile is configured (set PasswordFile in tshd_config, or give -f password_file)`);
    return 2;
  }
  const bad = userNameError(parsed.user);
  if (bad !== null) {
    say(`${PROG}: ${bad}`);
    return 2;
  }
  const unchanged = (): number => {
    say(`${PROG}: Authentication token manipulation error`);
    say(`${PROG}: password unchanged`);
    return 10;
  };
  let password: string | null = null;
  for (let round = 0; round < MAX_ROUNDS && password === null; round++) {
    const first = await io.readSecret('New password: ');
    if (first === null) return unchanged();
    const second = await io.readSecret('Retype new password: ');
    if (second === null) return unchanged();
    if (first !== second) {
      say('Sorry, passwords do not match.');
      return unchanged();
    }
    if (first === '') {
      say('No password has been supplied.');
      continue;
    }
    password = first;
  }
  if (password === null) return unchanged();
  try {
    await setPassword(file, parsed.user, password, options.params ?? DEFAULT_SCRYPT);
  } catch (err) {
    if (!(err instanceof PasswordFileError)) throw err;
    say(`${PROG}: ${err.message}`);
    say(`${PROG}: password unchanged`);
    return 3;
  }
  say(`${PROG}: password updated successfully`);
  return 0;
}
