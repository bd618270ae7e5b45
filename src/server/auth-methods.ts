/**
 * Which authentication methods tshd offers and when a user is done, as sshd's auth2.c does it
 * with AuthenticationMethods, and the password checks behind "password" and
 * "keyboard-interactive": PAM when UsePAM is on and the addon is built, else the PasswordFile.
 * Without either, those two methods are not offered (tshd cannot check shadow hashes itself).
 */
import type { ResolvedServerConfig } from './config/index.js';
import { pamAccount, pamAuthenticate, pamAvailable, pamPassword, verifyPasswordFile, type PamConversation } from './password/index.js';

export type Method = 'publickey' | 'password' | 'keyboard-interactive';

/** sshd's pseudo-user for PAM when the real one does not exist or is not allowed (same work, same time). */
const NOUSER = 'NOUSER';

/**
 * AuthenticationMethods progress: "any" (one method suffices) or lists that must be completed in
 * order; at each step only the methods next in some list are offered.
 */
export class MethodProgress {
  private readonly done: Method[] = [];
  constructor(
    private readonly lists: readonly (readonly string[])[] | null,
    private readonly enabled: ReadonlySet<Method>,
  ) {}

  static fromConfig(cfg: ResolvedServerConfig, enabled: ReadonlySet<Method>): MethodProgress {
    const am = cfg.authenticationMethods;
    const lists = am.length === 0 || (am.length === 1 && am[0] === 'any') ? null : am.map((l) => l.split(','));
    return new MethodProgress(lists, enabled);
  }

  /** The methods to offer now. */
  next(): Method[] {
    if (this.lists === null) return [...this.enabled];
    const out = new Set<Method>();
    for (const list of this.lists) {
      if (!this.done.every((m, i) => list[i] === m)) continue;
      const n = list[this.done.length]?.split(':')[0] as Method | undefined;
      if (n !== undefined && this.enabled.has(n)) out.add(n);
    }
    return [...out];
  }

  allowed(method: string): method is Method {
    return (this.next() as string[]).includes(method);
  }

  /** Records a successful method: true when authentication is complete, false for a partial success. */
  succeeded(method: Method): boolean {
    this.done.push(method);
    if (this.lists === null) return true;
    return this.lists.some((l) => l.length === this.done.length && l.every((m, i) => m.split(':')[0] === this.done[i]));
  }
}

export interface PasswordChecks {
  /** Whether "password" and "keyboard-interactive" can be checked at all. */
  readonly available: boolean;
  /** null when tshd has no way to check passwords (for the log at start). */
  readonly describe: string;
  password(user: string | null, password: string, addr: string, signal: AbortSignal): Promise<boolean>;
  kbdint(user: string | null, addr: string, ask: (c: PamConversation) => Promise<readonly string[] | null>, signal: AbortSignal): Promise<boolean>;
  /** PAM's account stage after a public key login (UsePAM): null to go on, else the reason to refuse. */
  account(user: string, addr: string): Promise<string | null>;
}

export function passwordChecks(cfg: ResolvedServerConfig, log: (line: string) => void): PasswordChecks {
  const usePam = cfg.usePam && pamAvailable();
  const file = cfg.passwordFile;
  if (usePam) {
    return {
      available: true,
      describe: 'PAM service "tshd"',
      password: async (user, password, addr, signal) =>
        (await pamPassword({ service: 'tshd', user: user ?? NOUSER, rhost: addr, password, permitEmptyPasswords: cfg.permitEmptyPasswords, signal })).ok && user !== null,
      kbdint: async (user, addr, ask, signal) =>
        (await pamAuthenticate({ service: 'tshd', user: user ?? NOUSER, rhost: addr, answer: ask, permitEmptyPasswords: cfg.permitEmptyPasswords, signal })).ok && user !== null,
      account: async (user, addr) => {
        const r = await pamAccount({ service: 'tshd', user, rhost: addr });
        return r.ok ? null : `PAM account check failed for ${user}: ${r.message}`;
      },
    };
  }
  if (file !== null) {
    const check = async (user: string | null, password: string): Promise<boolean> => {
      try {
        // An unknown user still costs one scrypt computation: same time as a wrong password.
        const ok = await verifyPasswordFile(file, user ?? '\u0000', password, { log });
        return ok && user !== null && (password !== '' || cfg.permitEmptyPasswords);
      } catch (err) {
        log(`error: PasswordFile ${file}: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }
    };
    return {
      available: true,
      describe: `PasswordFile ${file}`,
      password: (user, password) => check(user, password),
      kbdint: async (user, _addr, ask) => {
        const answers = await ask({ prompts: [{ text: 'Password: ', echo: false }], info: [] });
        return answers !== null && answers.length === 1 && check(user, answers[0]!);
      },
      account: async () => null,
    };
  }
  return {
    available: false,
    describe: cfg.usePam ? 'none (UsePAM is on but the PAM addon is not built; no PasswordFile)' : 'none (UsePAM no and no PasswordFile)',
    password: async () => false,
    kbdint: async () => false,
    account: async () => null,
  };
}
