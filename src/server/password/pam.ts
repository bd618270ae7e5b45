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
  /** The next step of a transaction, once the previous one is done (see PamCommand). */
  command(handle: unknown, op: PamCommand): void;
  respond(handle: unknown, answers: readonly (string | null)[] | null): void;
  readonly codes: Readonly<Record<string, number>>;
  readonly styles: Readonly<{ PROMPT_ECHO_OFF: number; PROMPT_ECHO_ON: number; ERROR_MSG: number; TEXT_INFO: number }>;
  readonly flags: Readonly<{ DISALLOW_NULL_AUTHTOK: number }>;
}

/**
 * What a transaction does after pam_authenticate/pam_acct_mgmt: pam_chauthtok
 * (PAM_CHANGE_EXPIRED_AUTHTOK), pam_setcred (PAM_ESTABLISH_CRED), pam_open_session,
 * pam_close_session (PAM_SILENT), pam_setcred (PAM_DELETE_CRED), pam_end.
 */
export type PamCommand = 'chauthtok' | 'setcred' | 'open_session' | 'close_session' | 'delete_cred' | 'end';

export type PamNativeEvent =
  | { readonly type: 'conv'; readonly messages: readonly { readonly style: number; readonly text: string }[] }
  | {
      readonly type: 'done';
      readonly stage: 'start' | 'set_item' | 'authenticate' | 'account' | PamCommand;
      readonly code: number;
      readonly message: string;
      /** pam_getenvlist() after the step ("NAME=value"); absent once the handle is gone */
      readonly env?: readonly string[];
    };

/** Return codes that mean PAM itself (configuration, modules, memory) failed, not the user. */
const UNAVAILABLE_CODES = ['OPEN_ERR', 'SYMBOL_ERR', 'SERVICE_ERR', 'SYSTEM_ERR', 'BUF_ERR', 'ABORT', 'AUTHINFO_UNAVAIL'];

/** The outcome of one later step (chauthtok, opening the session). */
export type PamStepResult =
  | { readonly ok: true; readonly info: readonly string[]; readonly env: readonly string[] }
  | { readonly ok: false; readonly message: string; readonly code: string; readonly info: readonly string[] };

/**
 * A PAM transaction kept open after authentication, as sshd keeps its PAM handle for the
 * connection: the password change PAM asked for, then the session (pam_setcred,
 * pam_open_session, and at the end pam_close_session, pam_setcred(PAM_DELETE_CRED), pam_end).
 */
export interface PamTransaction {
  /** pam_chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK): PAM's prompts ("Current password: ", "New password: ", ...) go to `answer`. */
  changeExpiredPassword(answer: PamKbdintRequest['answer'], signal?: AbortSignal): Promise<PamStepResult>;
  /**
   * pam_setcred(PAM_ESTABLISH_CRED) then pam_open_session; `env` is PAM's environment
   * (pam_getenvlist). A pam_setcred failure stops here when `requireCred` (sshd: fatal when PAM
   * authenticated the user); otherwise it is reported in `credError` and the session opened anyway.
   */
  openSession(requireCred: boolean): Promise<PamStepResult & { readonly stage: 'setcred' | 'open_session'; readonly credError: string | null }>;
  /** Closes what was opened and ends the transaction (pam_end); later calls do nothing. */
  close(): Promise<void>;
}

/** An authentication or account check that keeps its transaction (null when PAM never started). */
export interface PamLogin {
  readonly result: PamResult;
  readonly transaction: PamTransaction | null;
}

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
  /** authenticate, keeping the transaction open (the caller must close() it). */
  authenticateKeep(request: PamKbdintRequest): Promise<PamLogin>;
  passwordKeep(request: PamPasswordRequest): Promise<PamLogin>;
  accountKeep(request: PamRequest): Promise<PamLogin>;
}

/** The conversation of the password method: every echo-off prompt gets the password, an echo-on one fails. */
function passwordAnswer(password: string, shown: string[]): PamKbdintRequest['answer'] {
  return async (c) => {
    shown.push(...c.info);
    return c.prompts.every((p) => !p.echo) ? c.prompts.map(() => password) : null;
  };
}

/** PAM over a binding (the native addon, or a fake in tests); null: not available, for `reason`. */
export function createPam(binding: PamBinding | null, reason = 'PAM support is not built'): Pam {
  const unavailable = (info: readonly string[] = []): PamResult => ({ ok: false, reason: 'unavailable', message: reason, code: '', info });
  const codeName = (code: number): string => {
    if (binding === null) return '';
    for (const [name, value] of Object.entries(binding.codes)) if (value === code) return `PAM_${name}`;
    return `PAM error ${code}`;
  };
  type Done = Extract<PamNativeEvent, { type: 'done' }>;

  /**
   * Starts a transaction: pam_start, the items, pam_authenticate (unless accountOnly),
   * pam_acct_mgmt. The transaction stays open unless PAM could not start.
   */
  function begin(request: PamRequest, accountOnly: boolean, answer: PamKbdintRequest['answer']): Promise<PamLogin> {
    if (binding === null) return Promise.resolve({ result: unavailable(), transaction: null });
    const b = binding;
    for (const value of [request.service, request.user, request.rhost, request.tty ?? '']) {
      // C strings: a NUL would silently cut the name short.
      if (value.includes('\0')) return Promise.resolve({ result: { ok: false, reason: 'auth', message: 'NUL in a PAM item', code: '', info: [] }, transaction: null });
    }
    let info: string[] = [];
    let answerError: unknown = null;
    // The current step's conversation: the caller's while authenticating or changing the
    // password, none afterwards (prompts fail; messages are kept, as sshd's store_conv).
    let currentAnswer: PamKbdintRequest['answer'] = answer;
    let currentSignal: AbortSignal | undefined = request.signal;
    let waiter: ((event: Done) => void) | null = null;
    let handle: unknown;
    let ended = false;
    let credEstablished = false;
    let sessionOpen = false;
    let closing: Promise<void> | null = null;

    async function converse(messages: readonly { style: number; text: string }[]): Promise<(string | null)[] | null> {
      if (currentSignal?.aborted === true) return null;
      const prompts: PamPrompt[] = [];
      for (const m of messages) {
        if (m.style === b.styles.ERROR_MSG || m.style === b.styles.TEXT_INFO) info.push(m.text);
        else if (m.style === b.styles.PROMPT_ECHO_OFF || m.style === b.styles.PROMPT_ECHO_ON) prompts.push({ text: m.text, echo: m.style === b.styles.PROMPT_ECHO_ON });
        else return null; // binary prompts and the like: not ours to answer
      }
      if (prompts.length === 0) return messages.map(() => null);
      const pending = info.splice(0);
      const answers = await abortable(currentAnswer({ prompts, info: pending }), currentSignal);
      if (answers === null || answers.length !== prompts.length || answers.some((a) => typeof a !== 'string' || a.includes('\0'))) return null;
      let next = 0;
      return messages.map((m) => (m.style === b.styles.PROMPT_ECHO_OFF || m.style === b.styles.PROMPT_ECHO_ON ? (answers[next++] ?? null) : null));
    }
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
      if (event.stage === 'end' || event.stage === 'start') ended = ended || event.stage === 'end' || event.code !== b.codes.SUCCESS;
      const w = waiter;
      waiter = null;
      w?.(event);
    };
    /** Runs one command, after the ones asked for before it; null when the transaction is gone. */
    let chain: Promise<unknown> = Promise.resolve();
    const step = (op: PamCommand): Promise<Done | null> => {
      const next = chain.then(
        () =>
          new Promise<Done | null>((resolve) => {
            if (ended) return resolve(null);
            waiter = resolve;
            try {
              b.command(handle, op);
            } catch {
              waiter = null;
              ended = true;
              resolve(null);
            }
          }),
      );
      chain = next;
      return next;
    };
    const takeInfo = (): string[] => info.splice(0);
    const failure = (d: Done | null): PamStepResult & { ok: false } =>
      d === null ? { ok: false, message: 'the PAM transaction has ended', code: '', info: takeInfo() } : { ok: false, message: d.message, code: codeName(d.code), info: takeInfo() };

    const transaction: PamTransaction = {
      changeExpiredPassword: async (ask, signal) => {
        currentAnswer = ask;
        currentSignal = signal;
        const d = await step('chauthtok');
        currentAnswer = async () => null;
        currentSignal = undefined;
        if (answerError !== null) {
          const err = answerError;
          answerError = null;
          throw err;
        }
        return d !== null && d.code === b.codes.SUCCESS ? { ok: true, info: takeInfo(), env: d.env ?? [] } : failure(d);
      },
      openSession: async (requireCred) => {
        const cred = await step('setcred');
        let credError: string | null = null;
        if (cred === null || cred.code !== b.codes.SUCCESS) {
          const f = failure(cred);
          if (requireCred || cred === null) return { ...f, stage: 'setcred' as const, credError: f.message };
          credError = f.message;
        } else credEstablished = true;
        const open = await step('open_session');
        if (open === null || open.code !== b.codes.SUCCESS) return { ...failure(open), stage: 'open_session' as const, credError };
        sessionOpen = true;
        return { ok: true, info: takeInfo(), env: open.env ?? [], stage: 'open_session' as const, credError };
      },
      close: () => {
        closing ??= (async () => {
          if (sessionOpen) await step('close_session');
          sessionOpen = false;
          if (credEstablished) await step('delete_cred');
          credEstablished = false;
          await step('end');
          ended = true;
        })();
        return closing;
      },
    };

    return new Promise<PamLogin>((resolve, reject) => {
      waiter = (event) => {
        currentAnswer = async () => null;
        currentSignal = undefined;
        const open = event.stage !== 'start' || event.code === b.codes.SUCCESS;
        const transaction_ = open && !ended ? transaction : null;
        if (answerError !== null) {
          void transaction.close();
          reject(answerError);
          return;
        }
        const out = info;
        info = [];
        if (event.code === b.codes.SUCCESS) {
          resolve({ result: { ok: true, info: out }, transaction: transaction_ });
          return;
        }
        const code = codeName(event.code);
        const broken = event.stage === 'start' || event.stage === 'set_item' || UNAVAILABLE_CODES.some((n) => b.codes[n] === event.code);
        const why: PamFailure = broken ? 'unavailable' : event.stage === 'account' ? 'account' : 'auth';
        resolve({ result: { ok: false, reason: why, message: event.message, code, info: out }, transaction: transaction_ });
      };
      const flags = request.permitEmptyPasswords ? 0 : b.flags.DISALLOW_NULL_AUTHTOK;
      try {
        handle = b.start(request.service, request.user, request.rhost, request.tty === undefined ? 'ssh' : request.tty, flags, accountOnly, onEvent);
      } catch (err) {
        waiter = null;
        resolve({ result: { ok: false, reason: 'unavailable', message: err instanceof Error ? err.message : String(err), code: '', info: [] }, transaction: null });
      }
    });
  }

  /** A one-shot check: the transaction is ended before the result is returned. */
  const once = async (login: Promise<PamLogin>): Promise<PamResult> => {
    const { result, transaction } = await login;
    await transaction?.close();
    return result;
  };
  const passwordKeep = async (request: PamPasswordRequest): Promise<PamLogin> => {
    if (request.password.includes('\0')) return { result: { ok: false, reason: 'auth', message: 'NUL in the password', code: '', info: [] }, transaction: null };
    const shown: string[] = [];
    const r = await begin(request, false, passwordAnswer(request.password, shown));
    return { ...r, result: { ...r.result, info: [...shown, ...r.result.info] } };
  };

  return {
    available: () => binding !== null,
    unavailableReason: () => (binding === null ? reason : null),
    authenticate: (request) => once(begin(request, false, request.answer)),
    password: (request) => once(passwordKeep(request)),
    account: (request) => once(begin(request, true, async () => null)),
    authenticateKeep: (request) => begin(request, false, request.answer),
    passwordKeep,
    accountKeep: (request) => begin(request, true, async () => null),
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

/** keyboard-interactive through PAM, the transaction kept open for the session. */
export function pamAuthenticateKeep(request: PamKbdintRequest): Promise<PamLogin> {
  return system().authenticateKeep(request);
}

/** password authentication through PAM, the transaction kept open for the session. */
export function pamPasswordKeep(request: PamPasswordRequest): Promise<PamLogin> {
  return system().passwordKeep(request);
}

/** PAM account checks alone, the transaction kept open for the session. */
export function pamAccountKeep(request: PamRequest): Promise<PamLogin> {
  return system().accountKeep(request);
}
