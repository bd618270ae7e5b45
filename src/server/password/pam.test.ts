/**
 * The JavaScript half of PAM against an in-memory binding that behaves like native/pam: it
 * delivers conversation events, waits for respond(), and ends with a done event. The real addon
 * is proven against the system's PAM in test/interop/tshd-pam.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPam, type PamBinding, type PamNativeEvent } from './pam.js';

const codes = { SUCCESS: 0, SERVICE_ERR: 3, SYSTEM_ERR: 4, AUTH_ERR: 7, AUTHINFO_UNAVAIL: 9, USER_UNKNOWN: 10, NEW_AUTHTOK_REQD: 12, ACCT_EXPIRED: 13, CONV_ERR: 19 };
const styles = { PROMPT_ECHO_OFF: 1, PROMPT_ECHO_ON: 2, ERROR_MSG: 3, TEXT_INFO: 4 };
type Msg = { style: number; text: string };
type Conv = (messages: Msg[]) => Promise<readonly (string | null)[] | null>;
type Script = (conv: Conv, call: StartCall) => Promise<{ stage: 'start' | 'set_item' | 'authenticate' | 'account'; code: number; message?: string }>;
interface StartCall {
  service: string;
  user: string;
  rhost: string;
  tty: string | null;
  flags: number;
  accountOnly: boolean;
}

/** A binding whose PAM stack is `script`; records each start() and each answer. */
function fakeBinding(script: Script): PamBinding & { calls: StartCall[]; answers: (readonly (string | null)[] | null)[] } {
  const calls: StartCall[] = [];
  const answers: (readonly (string | null)[] | null)[] = [];
  return {
    calls,
    answers,
    codes,
    styles,
    flags: { DISALLOW_NULL_AUTHTOK: 1 },
    start(service, user, rhost, tty, flags, accountOnly, onEvent) {
      const call = { service, user, rhost, tty, flags, accountOnly };
      calls.push(call);
      const handle = { waiting: null as null | ((a: readonly (string | null)[] | null) => void) };
      const conv: Conv = (messages) =>
        new Promise((resolve) => {
          handle.waiting = (a) => {
            answers.push(a);
            resolve(a === null || a.length !== messages.length ? null : a);
          };
          setImmediate(() => onEvent({ type: 'conv', messages } as PamNativeEvent));
        });
      setImmediate(() => {
        void script(conv, call).then((end) => onEvent({ type: 'done', stage: end.stage, code: end.code, message: end.message ?? `code ${end.code}` }));
      });
      return handle;
    },
    respond(handle, a) {
      const h = handle as { waiting: null | ((a: readonly (string | null)[] | null) => void) };
      if (h.waiting === null) throw new Error('no conversation is waiting');
      const w = h.waiting;
      h.waiting = null;
      w(a);
    },
  };
}

const req = { service: 'tshd', user: 'alice', rhost: '192.0.2.1' };

/** pam_unix-like: one echo-off "Password: " prompt, right password "pw". */
const unix: Script = async (conv, call) => {
  if (!call.accountOnly) {
    const a = await conv([{ style: 1, text: 'Password: ' }]);
    if (a === null) return { stage: 'authenticate', code: codes.CONV_ERR, message: 'Conversation error' };
    if (a[0] !== 'pw') return { stage: 'authenticate', code: codes.AUTH_ERR, message: 'Authentication failure' };
  }
  return { stage: 'account', code: codes.SUCCESS, message: 'Success' };
};

describe('PAM over its binding', () => {
  it('password: answers the echo-off prompt; passes service, user, rhost, PAM_TTY "ssh", PAM_DISALLOW_NULL_AUTHTOK', async () => {
    const b = fakeBinding(unix);
    const pam = createPam(b);
    expect(await pam.password({ ...req, password: 'pw' })).toEqual({ ok: true, info: [] });
    expect(b.calls).toEqual([{ service: 'tshd', user: 'alice', rhost: '192.0.2.1', tty: 'ssh', flags: 1, accountOnly: false }]);
    expect(b.answers).toEqual([['pw']]);
    await pam.password({ ...req, password: 'pw', permitEmptyPasswords: true, tty: null });
    expect(b.calls[1]).toMatchObject({ flags: 0, tty: null });
  });

  it('password: a wrong one is an auth failure with PAM\'s message and code name', async () => {
    const pam = createPam(fakeBinding(unix));
    expect(await pam.password({ ...req, password: 'nope' })).toEqual({ ok: false, reason: 'auth', message: 'Authentication failure', code: 'PAM_AUTH_ERR', info: [] });
  });

  it('password: refuses an echo-on prompt (as sshd) and keeps the messages PAM sent for after login', async () => {
    const b = fakeBinding(async (conv) => {
      await conv([{ style: 4, text: 'Welcome' }]);
      const a = await conv([{ style: 3, text: 'Password expires in 3 days' }, { style: 1, text: 'Password: ' }]);
      if (a?.[1] !== 'pw') return { stage: 'authenticate', code: codes.AUTH_ERR };
      await conv([{ style: 4, text: 'Last login: never' }]);
      const otp = await conv([{ style: 2, text: 'Token: ' }]);
      return otp === null ? { stage: 'authenticate', code: codes.CONV_ERR, message: 'Conversation error' } : { stage: 'account', code: 0 };
    });
    const r = await createPam(b).password({ ...req, password: 'pw' });
    expect(r).toEqual({ ok: false, reason: 'auth', message: 'Conversation error', code: 'PAM_CONV_ERR', info: ['Welcome', 'Password expires in 3 days', 'Last login: never'] });
    expect(b.answers).toEqual([[null], [null, 'pw'], [null], null]);
  });

  it('keyboard-interactive: prompts with their echo flags, and the messages since the last prompts', async () => {
    const b = fakeBinding(async (conv) => {
      await conv([{ style: 4, text: 'Hello' }]);
      const a = await conv([{ style: 1, text: 'Password: ' }, { style: 3, text: 'beware' }, { style: 2, text: 'Code: ' }]);
      await conv([{ style: 4, text: 'bye' }]);
      return a?.[0] === 'pw' && a[2] === '123' ? { stage: 'account', code: 0 } : { stage: 'authenticate', code: codes.AUTH_ERR };
    });
    const seen: unknown[] = [];
    const r = await createPam(b).authenticate({
      ...req,
      answer: async (c) => {
        seen.push(c);
        return ['pw', '123'];
      },
    });
    expect(seen).toEqual([
      {
        prompts: [
          { text: 'Password: ', echo: false },
          { text: 'Code: ', echo: true },
        ],
        info: ['Hello', 'beware'],
      },
    ]);
    expect(b.answers).toEqual([[null], ['pw', null, '123'], [null]]);
    expect(r).toEqual({ ok: true, info: ['bye'] });
  });

  it('keyboard-interactive: null, the wrong number of answers, or a NUL cancels the conversation', async () => {
    for (const given of [null, [], ['pw', 'extra'], ['p\0w']]) {
      const b = fakeBinding(unix);
      const r = await createPam(b).authenticate({ ...req, answer: async () => given });
      expect(r).toMatchObject({ ok: false, reason: 'auth', code: 'PAM_CONV_ERR' });
      expect(b.answers).toEqual([null]);
    }
  });

  it('keyboard-interactive: an answer that throws cancels PAM, then the error comes out', async () => {
    const b = fakeBinding(unix);
    const boom = new Error('client went away');
    await expect(createPam(b).authenticate({ ...req, answer: () => Promise.reject(boom) })).rejects.toBe(boom);
    expect(b.answers).toEqual([null]);
  });

  it('keyboard-interactive: aborting the signal cancels a conversation still waiting for its answer', async () => {
    const b = fakeBinding(unix);
    const ac = new AbortController();
    const t0 = Date.now();
    const r = createPam(b).authenticate({
      ...req,
      signal: ac.signal,
      answer: () => {
        setTimeout(() => ac.abort(), 20);
        return new Promise<never>(() => undefined); // the client never answers
      },
    });
    expect(await r).toMatchObject({ ok: false, reason: 'auth', code: 'PAM_CONV_ERR' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('account failures are "account"; PAM failing itself is "unavailable"', async () => {
    const ends: [Awaited<ReturnType<Script>>, string, string][] = [
      [{ stage: 'account', code: codes.ACCT_EXPIRED, message: 'User account has expired' }, 'account', 'PAM_ACCT_EXPIRED'],
      [{ stage: 'account', code: codes.NEW_AUTHTOK_REQD, message: 'Authentication token is no longer valid; new one required' }, 'account', 'PAM_NEW_AUTHTOK_REQD'],
      [{ stage: 'authenticate', code: codes.USER_UNKNOWN, message: 'User not known to the underlying authentication module' }, 'auth', 'PAM_USER_UNKNOWN'],
      [{ stage: 'authenticate', code: codes.AUTHINFO_UNAVAIL }, 'unavailable', 'PAM_AUTHINFO_UNAVAIL'],
      [{ stage: 'account', code: codes.SYSTEM_ERR }, 'unavailable', 'PAM_SYSTEM_ERR'],
      [{ stage: 'start', code: codes.SERVICE_ERR }, 'unavailable', 'PAM_SERVICE_ERR'],
      [{ stage: 'authenticate', code: 99 }, 'auth', 'PAM error 99'],
    ];
    for (const [end, reason, code] of ends) {
      const r = await createPam(fakeBinding(async () => end)).password({ ...req, password: 'pw' });
      expect(r).toEqual({ ok: false, reason, code, message: end.message ?? `code ${end.code}`, info: [] });
    }
  });

  it('account: runs pam_acct_mgmt alone and answers no prompt', async () => {
    const b = fakeBinding(async (conv, call) => {
      expect(call.accountOnly).toBe(true);
      const a = await conv([{ style: 4, text: 'Your account expires soon' }]);
      return { stage: 'account', code: a === null ? codes.CONV_ERR : 0 };
    });
    expect(await createPam(b).account(req)).toEqual({ ok: true, info: ['Your account expires soon'] });
  });

  it('without the addon every check is "unavailable", with the reason for the log', async () => {
    const pam = createPam(null, 'PAM support is not built (no libpam)');
    expect(pam.available()).toBe(false);
    expect(pam.unavailableReason()).toBe('PAM support is not built (no libpam)');
    const none = { ok: false, reason: 'unavailable', message: 'PAM support is not built (no libpam)', code: '', info: [] };
    expect(await pam.password({ ...req, password: 'pw' })).toEqual(none);
    expect(await pam.authenticate({ ...req, answer: async () => ['pw'] })).toEqual(none);
    expect(await pam.account(req)).toEqual(none);
  });

  it('never hands PAM a string with a NUL in it', async () => {
    const b = fakeBinding(unix);
    const pam = createPam(b);
    expect(await pam.password({ ...req, user: 'alice\0root', password: 'pw' })).toMatchObject({ ok: false, reason: 'auth' });
    expect(await pam.password({ ...req, password: 'pw\0' })).toMatchObject({ ok: false, reason: 'auth' });
    expect(b.calls).toEqual([]);
  });
});
