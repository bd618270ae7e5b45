/**
 * Which authentication methods tshd offers and when a user is done, as sshd's auth2.c does it
 * with AuthenticationMethods, and the password checks behind "password" and
 * "keyboard-interactive": PAM when UsePAM is on and the addon is built, else the PasswordFile.
 * Without either, those two methods are not offered (tshd cannot check shadow hashes itself).
 *
 * With PAM, a successful check keeps its PAM transaction for the session (pam_setcred,
 * pam_open_session, closed with the connection), and an expired password (pam_acct_mgmt's
 * PAM_NEW_AUTHTOK_REQD) is changed as sshd does: through the keyboard-interactive conversation
 * (pam_chauthtok), by a password change request for the password method, and in the session
 * (passwd) after a public key login.
 */
import type { ResolvedServerConfig } from './config/index.js';
import { pamAccountKeep, pamAuthenticateKeep, pamAvailable, pamPasswordKeep, verifyPasswordFile, type PamConversation, type PamLogin, type PamTransaction } from './password/index.js';

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

/** A password or keyboard-interactive check's verdict; `pam` is the transaction to carry into the session (UsePAM). */
export type CheckResult = { readonly ok: true; readonly pam: PamTransaction | null } | { readonly ok: false };

/**
 * The password method's verdict: in, out, or (PAM's pam_acct_mgmt said PAM_NEW_AUTHTOK_REQD)
 * a password change to request from the client (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ). `change`
 * runs pam_chauthtok with the new password; `abandon` ends the transaction.
 */
export type PasswordResult =
  | CheckResult
  | { readonly ok: 'change'; readonly prompt: string; change(newPassword: string, signal: AbortSignal): Promise<CheckResult>; abandon(): void };

/** PAM's account stage after a public key login: refused (why), or in, perhaps with a password change due (sshd's force_pwchange). */
export type AccountResult = { readonly ok: false; readonly why: string } | { readonly ok: true; readonly pam: PamTransaction | null; readonly passwordChange: boolean };

export interface PasswordChecks {
  /** Whether "password" and "keyboard-interactive" can be checked at all. */
  readonly available: boolean;
  /** null when tshd has no way to check passwords (for the log at start). */
  readonly describe: string;
  password(user: string | null, password: string, addr: string, signal: AbortSignal): Promise<PasswordResult>;
  /** keyboard-interactive; an expired password is changed through the same conversation (pam_chauthtok). */
  kbdint(user: string | null, addr: string, ask: (c: PamConversation) => Promise<readonly string[] | null>, signal: AbortSignal): Promise<CheckResult>;
  account(user: string, addr: string): Promise<AccountResult>;
}

const FAILED: CheckResult = { ok: false };

/**
 * The answers to pam_chauthtok's prompts for the password method: the old password for
 * "Current password: " (pam_unix's text; "old" for other modules), the new one for "New
 * password: " and "Retype new password: ". A third request for the new password means PAM
 * refused it (too weak, ...): it gets no answer, so the change fails instead of looping.
 */
function changeAnswers(oldPassword: string, newPassword: string): (c: PamConversation) => Promise<readonly string[] | null> {
  let news = 0;
  return async (c) => {
    const out: string[] = [];
    for (const p of c.prompts) {
      if (p.echo) return null;
      if (/current|old/i.test(p.text)) out.push(oldPassword);
      else if (news++ < 2) out.push(newPassword);
      else return null;
    }
    return out;
  };
}

/**
 * `service`: the PAM service (the file in /etc/pam.d), tshd's program name as sshd's is its own
 * (__progname): "tshd", or the name of a link to it.
 */
export function passwordChecks(cfg: ResolvedServerConfig, log: (line: string) => void, service = 'tshd'): PasswordChecks {
  const usePam = cfg.usePam && pamAvailable();
  const file = cfg.passwordFile;
  if (usePam) {
    const base = (user: string | null, addr: string) => ({ service, user: user ?? NOUSER, rhost: addr, permitEmptyPasswords: cfg.permitEmptyPasswords });
    /** Keeps the transaction of a good login; ends the others. */
    const settle = async (login: PamLogin, user: string | null): Promise<CheckResult> => {
      if (login.result.ok && user !== null) return { ok: true, pam: login.transaction };
      await login.transaction?.close();
      return FAILED;
    };
    const changeRequired = (login: PamLogin, user: string | null): login is PamLogin & { transaction: PamTransaction } =>
      !login.result.ok && login.result.code === 'PAM_NEW_AUTHTOK_REQD' && login.transaction !== null && user !== null;
    return {
      available: true,
      describe: `PAM service "${service}"`,
      password: async (user, password, addr, signal) => {
        const login = await pamPasswordKeep({ ...base(user, addr), password, signal });
        if (!changeRequired(login, user)) return settle(login, user);
        const t = login.transaction;
        const info = login.result.info.join('\n');
        return {
          ok: 'change',
          prompt: info !== '' ? info : 'Password change required',
          change: async (newPassword, sig) => {
            const r = await t.changeExpiredPassword(changeAnswers(password, newPassword), sig);
            if (r.ok) return { ok: true, pam: t };
            log(`error: PAM: pam_chauthtok(): ${r.message}${r.info.length > 0 ? ` (${r.info.join('; ')})` : ''}`);
            await t.close();
            return FAILED;
          },
          abandon: () => void t.close(),
        };
      },
      kbdint: async (user, addr, ask, signal) => {
        const login = await pamAuthenticateKeep({ ...base(user, addr), answer: ask, signal });
        if (!changeRequired(login, user)) return settle(login, user);
        // As sshd's PAM thread: pam_chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK) in the same conversation,
        // PAM's account messages shown with its first prompt.
        let carried: readonly string[] = login.result.info;
        const r = await login.transaction.changeExpiredPassword((c) => {
          const withInfo = { prompts: c.prompts, info: [...carried, ...c.info] };
          carried = [];
          return ask(withInfo);
        }, signal);
        if (r.ok) return { ok: true, pam: login.transaction };
        log(`error: PAM: pam_chauthtok(): ${r.message}`);
        await login.transaction.close();
        return FAILED;
      },
      account: async (user, addr) => {
        const login = await pamAccountKeep({ service, user, rhost: addr });
        if (login.result.ok) return { ok: true, pam: login.transaction, passwordChange: false };
        // sshd's do_pam_account: an expired password lets the user in, to change it in the session.
        if (changeRequired(login, user)) return { ok: true, pam: login.transaction, passwordChange: true };
        await login.transaction?.close();
        return { ok: false, why: `PAM account check failed for ${user}: ${login.result.message}` };
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
    const verdict = (ok: boolean): CheckResult => (ok ? { ok: true, pam: null } : FAILED);
    return {
      available: true,
      describe: `PasswordFile ${file}`,
      password: async (user, password) => verdict(await check(user, password)),
      kbdint: async (user, _addr, ask) => {
        const answers = await ask({ prompts: [{ text: 'Password: ', echo: false }], info: [] });
        return verdict(answers !== null && answers.length === 1 && (await check(user, answers[0]!)));
      },
      account: async () => ({ ok: true, pam: null, passwordChange: false }),
    };
  }
  return {
    available: false,
    describe: cfg.usePam ? 'none (UsePAM is on but the PAM addon is not built; no PasswordFile)' : 'none (UsePAM no and no PasswordFile)',
    password: async () => FAILED,
    kbdint: async () => FAILED,
    account: async () => ({ ok: true, pam: null, passwordChange: false }),
  };
}
