/**
 * Password and keyboard-interactive checks against system accounts through PAM, as sshd does
 * with UsePAM yes (auth-pam.c): pam_start(service, user), PAM_RHOST = the client's address,
 * PAM_TTY = "ssh", pam_authenticate, then pam_acct_mgmt (locked, expired, not allowed: refused),
 * pam_end. PAM_DISALLOW_NULL_AUTHTOK unless PermitEmptyPasswords.
 *
 * The native part is our own N-API addon (native/pam, package `tsh-pam`, an optional
 * dependency): each transaction runs on its own thread, and each PAM conversation call comes
 * back here as a PamConversation to be answered asynchronously. If the addon did not build (no
 * libpam headers), pamAvailable() is false and every check answers `unavailable`.
 *
 * keyboard-interactive: sshd sends one prompt per INFO_REQUEST, with the PAM info and error
 * messages that came before it prepended to the prompt text, each followed by "\n"
 * (sshpam_query). PamConversation gives the prompts of one PAM conversation call together with
 * the messages pending before them, so the daemon can do the same.
 */
import { createRequire } from 'node:module';

export interface PamPrompt {
  readonly text: string;
  /** PAM_PROMPT_ECHO_ON: the answer may be shown as it is typed */
  readonly echo: boolean;
}

export interface PamConversation {
  readonly prompts: readonly PamPrompt[];
  /** PAM_TEXT_INFO and PAM_ERROR_MSG texts sent since the last prompts */
  readonly info: readonly string[];
}

export type PamFailure = 'auth' | 'account' | 'unavailable';

export type PamResult =
  | {
      readonly ok: true;
      /** messages PAM sent that no prompt carried (e.g. "Your password will expire in 3 days"); sshd shows them after login */
      readonly info: readonly string[];
    }
  | {
      readonly ok: false;
      /** auth: wrong credentials (or a locked password); account: pam_acct_mgmt refused (expired, password change required, not allowed); unavailable: PAM itself failed or is missing */
      readonly reason: PamFailure;
      /** pam_strerror's text, e.g. "Authentication failure", "User account has expired" */
      readonly message: string;
      /** the PAM return code's name, e.g. "PAM_AUTH_ERR", for the log; "" when PAM is not available */
      readonly code: string;
      readonly info: readonly string[];
    };

export interface PamRequest {
  /** the PAM service name: the file in /etc/pam.d (tshd's is "tshd", contrib/pam.d/tshd) */
  readonly service: string;
  readonly user: string;
  /** the client's address, for PAM_RHOST ("" leaves it unset) */
  readonly rhost: string;
  /** PAM_TTY; sshd sets "ssh" (default), null leaves it unset */
  readonly tty?: string | null;
  /** PermitEmptyPasswords: without it PAM gets PAM_DISALLOW_NULL_AUTHTOK */
  readonly permitEmptyPasswords?: boolean;
  /** Aborting answers the waiting (and any later) conversation with a cancel: PAM then fails. */
  readonly signal?: AbortSignal;
}

export interface PamKbdintRequest extends PamRequest {
  /**
   * Answers one conversation: one string per prompt, or null to give up (PAM fails with
   * PAM_CONV_ERR). Must settle: the PAM thread waits for it (abort `signal` to stop waiting).
   * Not called for conversations that only carry messages: those come with the next prompts,
   * or in the result's `info`.
   */
  readonly answer: (conversation: PamConversation) => Promise<readonly string[] | null>;
}

export interface PamPasswordRequest extends PamRequest {
  readonly password: string;
}

/** What the native addon (native/pam/pam.c) exports. */
export interface PamBinding {
  start(
    service: string,
    user: string,
    rhost: string,
    tty: string | null,
    flags: number,
    accountOnly: boolean,
    onEvent: (event: PamNativeEvent) => void,
  ): unknown;
  respond(handle: unknown, answers: readonly (string | null)[] | null): void;
  readonly codes: Readonly<Record<string, number>>;
  readonly styles: Readonly<{ PROMPT_ECHO_OFF: number; PROMPT_ECHO_ON: number; ERROR_MSG: number; TEXT_INFO: number }>;
  readonly flags: Readonly<{ DISALLOW_NULL_AUTHTOK: number }>;
}

export type PamNativeEvent =
  | { readonly type: 'conv'; readonly messages: readonly { readonly style: number; readonly text: string }[] }
  | { readonly type: 'done'; readonly stage: 'start' | 'set_item' | 'authenticate' | 'account'; readonly code: number; readonly message: string };

/** Return codes that mean PAM itself (configuration, modules, memory) failed, not the user. */
const UNAVAILABLE_CODES = ['OPEN_ERR', 'SYMBOL_ERR', 'SERVICE_ERR', 'SYSTEM_ERR', 'BUF_ERR', 'ABORT', 'AUTHINFO_UNAVAIL'];

export interface Pam {
  available(): boolean;
  /** Why PAM is not available (for tshd's log), or null. */
  unavailableReason(): string | null;
  /** keyboard-interactive: the conversation is the caller's. */
  authenticate(request: PamKbdintRequest): Promise<PamResult>;
  /** password: every echo-off prompt gets the password; an echo-on prompt fails (as sshd's sshpam_passwd_conv). */
  password(request: PamPasswordRequest): Promise<PamResult>;
  /** pam_acct_mgmt alone, for logins PAM did not authenticate (publickey), as sshd's do_pam_account. */
  account(request: PamRequest): Promise<PamResult>;
}

/** PAM over a binding (the native addon, or a fake in tests); null: not available, for `reason`. */
export function createPam(binding: PamBinding | null, reason = 'PAM support is not built'): Pam {
  const unavailable = (info: readonly string[] = []): PamResult => ({ ok: false, reason: 'unavailable', message: reason, code: '', info });
  const codeName = (code: number): string => {
    if (binding === null) return '';
    for (const [name, value] of Object.entries(binding.codes)) if (value === code) return `PAM_${name}`;
    return `PAM error ${code}`;
  };

  function run(request: PamRequest, accountOnly: boolean, answer: PamKbdintRequest['answer']): Promise<PamResult> {
    if (binding === null) return Promise.resolve(unavailable());
    const b = binding;
    for (const value of [request.service, request.user, request.rhost, request.tty ?? '']) {
      // C strings: a NUL would silently cut the name short.
      if (value.includes('\0')) return Promise.resolve({ ok: false, reason: 'auth', message: 'NUL in a PAM item', code: '', info: [] });
    }
    const info: string[] = [];
    let answerError: unknown = null;
    const cancelled = (): boolean => request.signal?.aborted === true;

    async function converse(messages: readonly { style: number; text: string }[]): Promise<(string | null)[] | null> {
      if (cancelled()) return null;
      const prompts: PamPrompt[] = [];
      for (const m of messages) {
        if (m.style === b.styles.ERROR_MSG || m.style === b.styles.TEXT_INFO) info.push(m.text);
        else if (m.style === b.styles.PROMPT_ECHO_OFF || m.style === b.styles.PROMPT_ECHO_ON) prompts.push({ text: m.text, echo: m.style === b.styles.PROMPT_ECHO_ON });
        else return null; // binary prompts and the like: not ours to answer
      }
      if (prompts.length === 0) return messages.map(() => null);
      const pending = info.splice(0);
      const answers = await abortable(answer({ prompts, info: pending }), request.signal);
      if (answers === null || answers.length !== prompts.length || answers.some((a) => typeof a !== 'string' || a.includes('\0'))) return null;
      let next = 0;
      return messages.map((m) => (m.style === b.styles.PROMPT_ECHO_OFF || m.style === b.styles.PROMPT_ECHO_ON ? (answers[next++] ?? null) : null));
    }

    return new Promise<PamResult>((resolve, reject) => {
      let handle: unknown;
      const respond = (answers: (string | null)[] | null): void => {
        try {
          b.respond(handle, answers);
        } catch {
          // the transaction already ended
        }
      };
      const onEvent = (event: PamNativeEvent): void => {
        if (event.type === 'conv') {
          converse(event.messages).then(respond, (err: unknown) => {
            answerError ??= err;
            respond(null);
          });
          return;
        }
        if (answerError !== null) {
          reject(answerError);
          return;
        }
        if (event.code === b.codes.SUCCESS) {
          resolve({ ok: true, info });
          return;
        }
        const code = codeName(event.code);
        const broken = event.stage === 'start' || event.stage === 'set_item' || UNAVAILABLE_CODES.some((n) => b.codes[n] === event.code);
        const why: PamFailure = broken ? 'unavailable' : event.stage === 'account' ? 'account' : 'auth';
        resolve({ ok: false, reason: why, message: event.message, code, info });
      };
      const flags = request.permitEmptyPasswords ? 0 : b.flags.DISALLOW_NULL_AUTHTOK;
      try {
        handle = b.start(request.service, request.user, request.rhost, request.tty === undefined ? 'ssh' : request.tty, flags, accountOnly, onEvent);
      } catch (err) {
        resolve({ ok: false, reason: 'unavailable', message: err instanceof Error ? err.message : String(err), code: '', info: [] });
      }
    });
  }

  return {
    available: () => binding !== null,
    unavailableReason: () => (binding === null ? reason : null),
    authenticate: (request) => run(request, false, request.answer),
    password: (request) => {
      if (request.password.includes('\0')) return Promise.resolve({ ok: false, reason: 'auth', message: 'NUL in the password', code: '', info: [] });
      const shown: string[] = [];
      return run(request, false, async (c) => {
        shown.push(...c.info);
        return c.prompts.every((p) => !p.echo) ? c.prompts.map(() => request.password) : null;
      }).then((r) => ({ ...r, info: [...shown, ...r.info] }));
    },
    account: (request) => run(request, true, async () => null),
  };
}

/** Settles with the promise's value, or null once `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | null> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(null);
  }
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function loadBinding(): { binding: PamBinding | null; reason: string } {
  try {
    const require = createRequire(import.meta.url);
    return { binding: require('tsh-pam') as PamBinding, reason: '' };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { binding: null, reason: `PAM support is not built (the optional tsh-pam addon did not load: ${why}; it needs the libpam headers, e.g. apt-get install libpam0g-dev, then npm install again)` };
  }
}

let pam: Pam | undefined;
function system(): Pam {
  if (pam === undefined) {
    const { binding, reason } = loadBinding();
    pam = createPam(binding, reason);
  }
  return pam;
}

/** Whether the PAM addon loaded; tshd logs pamUnavailableReason() when it did not. */
export function pamAvailable(): boolean {
  return system().available();
}

export function pamUnavailableReason(): string | null {
  return system().unavailableReason();
}

/** keyboard-interactive through PAM. */
export function pamAuthenticate(request: PamKbdintRequest): Promise<PamResult> {
  return system().authenticate(request);
}

/** password authentication through PAM. */
export function pamPassword(request: PamPasswordRequest): Promise<PamResult> {
  return system().password(request);
}

/** PAM account checks alone (publickey logins, as sshd with UsePAM). */
export function pamAccount(request: PamRequest): Promise<PamResult> {
  return system().account(request);
}
