/**
 * What the configuration needs from the system: files (as sshd reads them), users' groups for
 * `Match Group`, other users' home directories for `~user`, and the authorized_keys path of a
 * user. The evaluator itself stays pure; these are passed in.
 */
import { execFileSync } from 'node:child_process';
import { fsLoader, type ConfigLoader } from '../../config/load.js';
import { expandTokens } from '../../config/tokens.js';
import { strerror } from '../../errors.js';
import type { GroupLookup } from './match.js';

/** fsLoader with sshd's message for a file it cannot read ("path: Permission denied"). */
export const serverFsLoader: ConfigLoader = {
  read(path) {
    try {
      return fsLoader.read(path, false);
    } catch (err) {
      const cause = err instanceof Error && /: ([^:]+)$/.exec(err.message)?.[1];
      throw new Error(`${path}: ${cause || strerror(err)}`);
    }
  },
  glob: (pattern) => fsLoader.glob(pattern),
};

/** getgrouplist() through `id -Gn`: the user's group names, or null if there is no such user. */
export const systemGroups: GroupLookup = (user) => {
  try {
    const out = execFileSync('id', ['-Gn', '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return out.trim().split(/\s+/).filter(Boolean);
  } catch {
    return null;
  }
};

/** getpwnam(user)->pw_dir through `getent passwd`. */
export function systemHome(user: string): string | undefined {
  try {
    const out = execFileSync('getent', ['passwd', '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return out.split('\n')[0]?.split(':')[5];
  } catch {
    return undefined;
  }
}

export interface AccountInfo {
  readonly name: string;
  readonly uid: number;
  readonly home: string;
}

/**
 * expand_authorized_keys(): %h (home), %u (user), %U (uid) and %% expanded; a relative result
 * is taken from the user's home directory. Entries "none" are skipped, as sshd does.
 * Throws ExpandError for an unknown %-token.
 */
export function expandAuthorizedKeysFiles(files: readonly string[], pw: AccountInfo): string[] {
  return files
    .filter((f) => f.toLowerCase() !== 'none')
    .map((f) => {
      const file = expandTokens(f, { h: pw.home, u: pw.name, U: String(pw.uid) }, null);
      return file.startsWith('/') ? file : `${pw.home}/${file}`;
    });
}
