/**
 * The JavaScript half of PAM against an in-memory binding that behaves like native/pam: it
 * delivers conversation events, waits for respond(), and ends with a done event. The real addon
 * is proven against the system's PAM in test/interop/tshd-pam.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPam, type PamBinding, type PamCommand, type PamNativeEvent } from './pam.js';

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

/** A later step of the fake stack: its return code and PAM environment. */
type Step = (op: PamCommand, conv: Conv) => Promise<{ code: number; env?: string[] }>;

/**
 * A binding whose PAM stack is `script` (then `steps` for the commands after it); records each
 * start(), each answer and each command.
 */
function fakeBinding(script: Script, steps: Step = async () => ({ code: 0 })): PamBinding & { calls: StartCall[]; answers: (readonly (string | null)[] | null)[]; ops: PamCommand[] } {
  const calls: StartCall[] = [];
  const answers: (readonly (string | null)[] | null)[] = [];
  const ops: PamCommand[] = [];
  let emit: (e: PamNativeEvent) => void = () => undefined;
  let convOf: Conv = async () => null;
  return {
    calls,
    answers,
    ops,
    command(_handle, op) {
      ops.push(op);
      setImmediate(() => {
        void steps(op, convOf).then((r) => emit({ type: 'done', stage: op, code: op === 'end' ? 0 : r.code, message: `code ${r.code}`, env: r.env ?? [] }));
      });
    },
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
      emit = onEvent;
      convOf = conv;
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

  it('one-shot checks end their transaction (pam_end), success or not', async () => {
    const ok = fakeBinding(unix);
    await createPam(ok).password({ ...req, password: 'pw' });
    expect(ok.ops).toEqual(['end']);
    const bad = fakeBinding(unix);
    await createPam(bad).password({ ...req, password: 'nope' });
    expect(bad.ops).toEqual(['end']);
    // PAM that never started has nothing to end.
    const broken = fakeBinding(async () => ({ stage: 'start', code: codes.SERVICE_ERR }));
    await createPam(broken).password({ ...req, password: 'pw' });
    expect(broken.ops).toEqual([]);
  });

  it('a kept transaction changes an expired password through its own conversation, opens and closes the session', async () => {
    const seen: unknown[] = [];
    const b = fakeBinding(
      async (conv) => {
        await conv([{ style: 3, text: 'You are required to change your password immediately (administrator enforced)' }]);
        return { stage: 'account', code: codes.NEW_AUTHTOK_REQD, message: 'Authentication token is no longer valid; new one required' };
      },
      async (op, conv) => {
        if (op === 'chauthtok') {
          const cur = await conv([{ style: 1, text: 'Current password: ' }]);
          const nw = await conv([{ style: 1, text: 'New password: ' }]);
          const again = await conv([{ style: 1, text: 'Retype new password: ' }]);
          return { code: cur?.[0] === 'old' && nw?.[0] === 'new' && again?.[0] === 'new' ? 0 : codes.AUTH_ERR };
        }
        if (op === 'open_session') {
          // No prompt is answered once authentication is over.
          const a = await conv([{ style: 2, text: 'Anything? ' }]);
          return { code: a === null ? 0 : codes.AUTH_ERR, env: ['FROM_PAM=1'] };
        }
        return { code: 0 };
      },
    );
    const pam = createPam(b);
    const login = await pam.passwordKeep({ ...req, password: 'old' });
    expect(login.result).toMatchObject({ ok: false, reason: 'account', code: 'PAM_NEW_AUTHTOK_REQD', info: ['You are required to change your password immediately (administrator enforced)'] });
    const t = login.transaction!;
    const answers = ['old', 'new', 'new'];
    const changed = await t.changeExpiredPassword(async (c) => {
      seen.push(c);
      return [answers.shift()!];
    });
    expect(changed).toEqual({ ok: true, info: [], env: [] });
    expect(seen).toEqual([
      { prompts: [{ text: 'Current password: ', echo: false }], info: [] },
      { prompts: [{ text: 'New password: ', echo: false }], info: [] },
      { prompts: [{ text: 'Retype new password: ', echo: false }], info: [] },
    ]);
    expect(await t.openSession(true)).toEqual({ ok: true, info: [], env: ['FROM_PAM=1'], stage: 'open_session', credError: null });
    await t.close();
    await t.close();
    expect(b.ops).toEqual(['chauthtok', 'setcred', 'open_session', 'close_session', 'delete_cred', 'end']);
  });

  it('a session that fails to open is reported with its stage; close() then only ends what was established', async () => {
    const b = fakeBinding(unix, async (op) => ({ code: op === 'open_session' ? 14 : 0 }));
    const login = await createPam(b).passwordKeep({ ...req, password: 'pw' });
    expect(login.result).toEqual({ ok: true, info: [] });
    expect(await login.transaction!.openSession(true)).toMatchObject({ ok: false, stage: 'open_session', code: 'PAM error 14' });
    await login.transaction!.close();
    expect(b.ops).toEqual(['setcred', 'open_session', 'delete_cred', 'end']);
  });

  it('pam_setcred failing stops the session when required, and is only reported otherwise', async () => {
    const steps: Step = async (op) => ({ code: op === 'setcred' ? 17 : 0 });
    const strict = fakeBinding(unix, steps);
    const a = await createPam(strict).passwordKeep({ ...req, password: 'pw' });
    expect(await a.transaction!.openSession(true)).toMatchObject({ ok: false, stage: 'setcred', credError: 'code 17' });
    await a.transaction!.close();
    expect(strict.ops).toEqual(['setcred', 'end']);
    const lenient = fakeBinding(unix, steps);
    const b = await createPam(lenient).accountKeep(req);
    expect(await b.transaction!.openSession(false)).toMatchObject({ ok: true, stage: 'open_session', credError: 'code 17' });
    // close() asked twice at once runs once.
    await Promise.all([b.transaction!.close(), b.transaction!.close()]);
    expect(lenient.ops).toEqual(['setcred', 'open_session', 'close_session', 'end']);
  });

  it('without the addon every check is "unavailable", with the reason for the log', async () => {
    const pam = createPam(null, 'PAM support is not built (no libpam)');
    expect(pam.available()).toBe(false);
    expect(pam.unavailableReason()).toBe('PAM support is not built (no libpam)');
    const none = { ok: false, reason: 'unavailable', message: 'PAM support is not built (no libpam)', code: '', info: [] };
    expect(await pam.password({ ...req, password: 'pw' })).toEqual(none);
    expect(await pam.authenticate({ ...req, answer: async () => ['pw'] })).toEqual(none);
    expect(await pam.account(req)).toEqual(none);
    // Nothing is kept open for a session.
    expect(await pam.passwordKeep({ ...req, password: 'pw' })).toEqual({ result: none, transaction: null });
    expect(await pam.accountKeep(req)).toEqual({ result: none, transaction: null });
  });

  it('never hands PAM a string with a NUL in it', async () => {
    const b = fakeBinding(unix);
    const pam = createPam(b);
    expect(await pam.password({ ...req, user: 'alice\0root', password: 'pw' })).toMatchObject({ ok: false, reason: 'auth' });
    expect(await pam.password({ ...req, password: 'pw\0' })).toMatchObject({ ok: false, reason: 'auth' });
    expect(b.calls).toEqual([]);
  });
});
