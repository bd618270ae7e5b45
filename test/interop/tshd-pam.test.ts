/**
 * tshd's PAM binding against the system's real PAM stack (pam_unix through contrib/pam.d/tshd),
 * with real accounts made by useradd/chpasswd. Needs root, as CI runs it; without root it fails
 * (it never skips). Everything it creates is removed afterwards, even when a test fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pamAccount, pamAuthenticate, pamAvailable, pamPassword, pamUnavailableReason, type PamConversation } from '../../src/server/password/index.js';
import { ensurePamService } from '../helpers/tshd.js';

const PREFIX = 'tshpamt';
const SERVICE = 'tshd';
const PASSWORD = `Pw-${process.pid}-${Date.now().toString(36)}`;
const users = {
  ok: `${PREFIX}${process.pid}o`,
  locked: `${PREFIX}${process.pid}l`,
  expired: `${PREFIX}${process.pid}e`,
  mustChange: `${PREFIX}${process.pid}c`,
};
const made: string[] = [];
const base = { service: SERVICE, rhost: '127.0.0.1' };
/** What pam_unix's stack answers for a wrong password (or a locked one). */
const AUTH_FAILURE = { ok: false, reason: 'auth', message: 'Authentication failure', code: 'PAM_AUTH_ERR', info: [] };

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function removeUser(name: string): void {
  try {
    sh('userdel', ['-f', name]);
  } catch {
    // already gone
  }
}

/** Users a killed earlier run left behind (their pid is gone). */
function sweepLeftovers(): void {
  const re = new RegExp(`^${PREFIX}(\\d+)[olec]:`);
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) removeUser(line.slice(0, line.indexOf(':')));
  }
}

function makeUser(name: string): void {
  sh('useradd', ['-M', '-N', '-s', '/bin/sh', name]);
  made.push(name);
  sh('chpasswd', [], `${name}:${PASSWORD}\n`);
}

/** Runs `work` while a 10 ms timer ticks; reports how the event loop fared. */
async function ticking<T>(work: () => Promise<T>): Promise<{ value: T; elapsed: number; ticks: number; maxGap: number }> {
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const t0 = performance.now();
  try {
    const value = await work();
    return { value, elapsed: performance.now() - t0, ticks, maxGap: Math.max(maxGap, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(() => {
  if (process.getuid?.() !== 0) {
    throw new Error('tshd PAM interop tests must run as root: they create system users (useradd, chpasswd) and install /etc/pam.d/tshd. CI runs them as root.');
  }
  if (!pamAvailable()) throw new Error(`the PAM addon must be built for these tests: ${pamUnavailableReason() ?? ''}`);
  sweepLeftovers();
  ensurePamService();
  for (const name of Object.values(users)) makeUser(name);
  sh('passwd', ['-l', users.locked]);
  sh('chage', ['-E', '0', users.expired]);
  sh('chage', ['-d', '0', users.mustChange]);
});

afterAll(() => {
  for (const name of made) removeUser(name);
});

describe('PAM password checks (pam_unix via contrib/pam.d/tshd)', () => {
  it('the right password is accepted', async () => {
    expect(await pamPassword({ ...base, user: users.ok, password: PASSWORD })).toEqual({ ok: true, info: [] });
  });

  it('a wrong password is an authentication failure, and PAM\'s fail delay does not block the event loop', async () => {
    const r = await ticking(() => pamPassword({ ...base, user: users.ok, password: `${PASSWORD}x` }));
    expect(r.value).toEqual(AUTH_FAILURE);
    // pam_unix waits ~2 s (randomized) before failing; timers kept firing meanwhile.
    expect(r.elapsed).toBeGreaterThan(1000);
    expect(r.maxGap).toBeLessThan(250);
    expect(r.ticks).toBeGreaterThan(r.elapsed / 10 / 3);
  });

  it('an unknown user fails like a wrong password', async () => {
    const r = await pamPassword({ ...base, user: `${PREFIX}-nosuchuser`, password: PASSWORD });
    expect(r).toMatchObject({ ok: false, reason: 'auth' });
  });

  it('a locked account (passwd -l) is refused with the right password, and accepted again once unlocked', async () => {
    // pam_unix refuses a "!"-prefixed hash in pam_authenticate, so the refusal is "auth".
    expect(await pamPassword({ ...base, user: users.locked, password: PASSWORD })).toEqual(AUTH_FAILURE);
    sh('passwd', ['-u', users.locked]);
    try {
      expect(await pamPassword({ ...base, user: users.locked, password: PASSWORD })).toEqual({ ok: true, info: [] });
    } finally {
      sh('passwd', ['-l', users.locked]);
    }
  });

  it('an expired account (chage -E 0) is refused by the account checks, with the right password', async () => {
    // pam_unix says PAM_ACCT_EXPIRED and why; Debian's common-account turns the code into
    // pam_deny's PAM_AUTH_ERR ([success=1 default=ignore] then requisite pam_deny.so).
    expect(await pamPassword({ ...base, user: users.expired, password: PASSWORD })).toEqual({
      ok: false,
      reason: 'account',
      message: 'Authentication failure',
      code: 'PAM_AUTH_ERR',
      info: ['Your account has expired; please contact your system administrator.'],
    });
    // Authentication comes first: a wrong password is still "auth".
    expect(await pamPassword({ ...base, user: users.expired, password: 'wrong' })).toMatchObject({ ok: false, reason: 'auth' });
  });

  it('an expired password (chage -d 0) is refused by the account checks: a change would be required', async () => {
    const r = await pamPassword({ ...base, user: users.mustChange, password: PASSWORD });
    expect(r).toMatchObject({ ok: false, reason: 'account', code: 'PAM_NEW_AUTHTOK_REQD' });
    expect(r.info.join('\n')).toMatch(/password|administrator/i);
  });

  it('account checks alone (for publickey logins): fine for a good account, refused for an expired one', async () => {
    expect(await pamAccount({ ...base, user: users.ok })).toEqual({ ok: true, info: [] });
    expect(await pamAccount({ ...base, user: users.expired })).toMatchObject({
      ok: false,
      reason: 'account',
      info: ['Your account has expired; please contact your system administrator.'],
    });
  });
});

describe('PAM keyboard-interactive', () => {
  it('surfaces the "Password: " prompt (echo off) and takes an answer given later, timers ticking meanwhile', async () => {
    const seen: PamConversation[] = [];
    const r = await ticking(() =>
      pamAuthenticate({
        ...base,
        user: users.ok,
        answer: (c) => {
          seen.push(c);
          return new Promise((resolve) => setTimeout(() => resolve([PASSWORD]), 300));
        },
      }),
    );
    expect(seen).toEqual([{ prompts: [{ text: 'Password: ', echo: false }], info: [] }]);
    expect(r.value).toEqual({ ok: true, info: [] });
    expect(r.elapsed).toBeGreaterThanOrEqual(290);
    expect(r.maxGap).toBeLessThan(250);
  });

  it('a wrong answer fails; giving up (null) fails', async () => {
    expect(await pamAuthenticate({ ...base, user: users.ok, answer: async () => ['nope'] })).toMatchObject({ ok: false, reason: 'auth' });
    expect(await pamAuthenticate({ ...base, user: users.ok, answer: async () => null })).toMatchObject({ ok: false, reason: 'auth' });
  });

  it('an abort cancels a conversation whose answer never comes', async () => {
    const ac = new AbortController();
    const r = await ticking(() =>
      pamAuthenticate({
        ...base,
        user: users.ok,
        signal: ac.signal,
        answer: () => {
          setTimeout(() => ac.abort(), 100);
          return new Promise<never>(() => undefined);
        },
      }),
    );
    expect(r.value).toMatchObject({ ok: false, reason: 'auth' });
    expect(r.elapsed).toBeLessThan(10_000);
  });
});

describe('PAM runs beside the event loop and the libuv thread pool', () => {
  it('six failing logins at once wait in parallel, and file reads complete while they wait', async () => {
    const started = performance.now();
    let firstDone = Infinity;
    const failing = Array.from({ length: 6 }, () =>
      pamPassword({ ...base, user: users.ok, password: 'wrong' }).then((r) => {
        firstDone = Math.min(firstDone, performance.now());
        return r;
      }),
    );
    // pam_unix hashes the guess, then sleeps ~2 s (randomized) before failing. Read files during
    // the sleep: the thread pool has 4 threads, so had PAM used it, no read could finish before
    // a PAM transaction did.
    await new Promise((resolve) => setTimeout(resolve, 800));
    for (let i = 0; i < 5; i++) await readFile('/etc/passwd');
    const readsDone = performance.now();
    const results = await Promise.all(failing);
    const total = performance.now() - started;
    for (const r of results) expect(r).toMatchObject({ ok: false, reason: 'auth', code: 'PAM_AUTH_ERR' });
    expect(readsDone).toBeLessThan(firstDone);
    // One after another they would take 6 x ~2 s.
    expect(total).toBeLessThan(6000);
  });
});
