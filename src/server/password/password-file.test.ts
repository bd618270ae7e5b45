import * as crypto from 'node:crypto';
import { chmodSync, chownSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/helpers/run.js';

// Spies on the two primitives the file must use, keeping their real behaviour.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, scrypt: vi.fn(real.scrypt), timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const {
  DEFAULT_SCRYPT,
  PasswordFileError,
  checkPasswordFileMode,
  decodeHash,
  hashPassword,
  parsePasswordFile,
  removePassword,
  setPassword,
  updatePasswordText,
  verifyHash,
  verifyPasswordFile,
} = await import('./password-file.js');

/** Cheap parameters so the tests stay fast; the format carries them. */
const FAST = { ln: 4, r: 8, p: 1 };
const scryptSpy = vi.mocked(crypto.scrypt);
const equalSpy = vi.mocked(crypto.timingSafeEqual);

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir('tsh-pwfile-');
  scryptSpy.mockClear();
  equalSpy.mockClear();
});
afterEach(() => dir.cleanup());

describe('hash format', () => {
  it('is a PHC scrypt string: ln, r, p, 16-byte salt, 32-byte key, base64 without padding', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$scrypt\$ln=16,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const d = decodeHash(h);
    if (typeof d === 'string') throw new Error(d);
    expect(d.params).toEqual(DEFAULT_SCRYPT);
    expect(d.salt.length).toBe(16);
    expect(d.key.length).toBe(32);
    // The key is exactly scrypt(password, salt, 32, {N: 2^ln, r, p}): other tools can check it.
    const again = crypto.scryptSync('correct horse', d.salt, 32, { N: 2 ** 16, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
    expect(again.equals(d.key)).toBe(true);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same', FAST)).not.toBe(await hashPassword('same', FAST));
  });

  it('verifies with the parameters stored in the hash', async () => {
    const h = await hashPassword('pw', { ln: 5, r: 4, p: 2 });
    expect(h.startsWith('$scrypt$ln=5,r=4,p=2$')).toBe(true);
    expect(await verifyHash(h, 'pw')).toBe(true);
    expect(await verifyHash(h, 'pW')).toBe(false);
    expect(scryptSpy.mock.calls.at(-1)?.[3]).toMatchObject({ N: 32, r: 4, p: 2 });
  });

  it('takes the password as UTF-8 bytes, unnormalized', async () => {
    const h = await hashPassword('caf\u00e9', FAST);
    expect(await verifyHash(h, 'caf\u00e9')).toBe(true);
    expect(await verifyHash(h, 'cafe\u0301')).toBe(false);
  });

  it.each([
    ['$2b$10$abcdefghijklmnopqrstuv', 'not a $scrypt$ hash'],
    ['$scrypt$N=16384,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5', 'bad scrypt parameters "N=16384,r=8,p=1"'],
    ['$scrypt$ln=21,r=8,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5', 'scrypt parameters out of range "ln=21,r=8,p=1" (ln 1-20, r 1-32, p 1-16)'],
    ['$scrypt$ln=20,r=32,p=16$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5', 'scrypt parameters need too much memory "ln=20,r=32,p=16"'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5', 'salt and key must be base64 without padding'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5', 'salt shorter than 8 bytes'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$a2V5', 'key must be 16 to 64 bytes'],
  ])('refuses the malformed hash %s', (hash, why) => {
    expect(decodeHash(hash)).toBe(why);
  });
});

describe('parsePasswordFile', () => {
  it('reads user:hash lines, skips comments and blank lines, first entry wins, reports bad lines by file and line', async () => {
    const a = await hashPassword('a', FAST);
    const b = await hashPassword('b', FAST);
    const text = ['# tshd passwords', '', `alice:${a}`, `  # indented comment`, 'nocolon', `alice:${b}`, `bob:${b}\r`, 'eve:$md5$x', `:${a}`, `bad user:${a}`].join('\n');
    const parsed = parsePasswordFile(text, '/etc/tsh/passwords');
    expect([...parsed.entries.values()]).toEqual([
      { user: 'alice', hash: a, line: 3 },
      { user: 'bob', hash: b, line: 7 },
    ]);
    expect(parsed.errors).toEqual([
      '/etc/tsh/passwords line 5: missing ":" between user and hash',
      '/etc/tsh/passwords line 8: not a $scrypt$ hash',
      '/etc/tsh/passwords line 9: empty user name',
      '/etc/tsh/passwords line 10: user name "bad user" contains ":", white space or a control character',
    ]);
  });

  it('updatePasswordText replaces the first entry in place, drops duplicates, keeps everything else', () => {
    const text = '# c\nalice:old1\nbob:x\nalice:old2\n\n';
    expect(updatePasswordText(text, 'alice', 'NEW')).toEqual({ text: '# c\nalice:NEW\nbob:x\n\n', found: true });
    expect(updatePasswordText(text, 'carol', 'NEW')).toEqual({ text: `${text}carol:NEW\n`, found: false });
    expect(updatePasswordText(text, 'alice', null)).toEqual({ text: '# c\nbob:x\n\n', found: true });
    expect(updatePasswordText('', 'alice', 'H')).toEqual({ text: 'alice:H\n', found: false });
  });
});

describe('verifyPasswordFile', () => {
  async function file(lines: string[], mode = 0o600): Promise<string> {
    const f = join(dir.path, 'passwords');
    writeFileSync(f, `${lines.join('\n')}\n`);
    chmodSync(f, mode);
    return f;
  }

  it('accepts the right password and refuses a wrong one, comparing with timingSafeEqual', async () => {
    const f = await file([`alice:${await hashPassword('s3cret', FAST)}`]);
    scryptSpy.mockClear();
    expect(await verifyPasswordFile(f, 'alice', 's3cret')).toBe(true);
    expect(await verifyPasswordFile(f, 'alice', 's3cret ')).toBe(false);
    expect(await verifyPasswordFile(f, 'alice', '')).toBe(false);
    expect(equalSpy).toHaveBeenCalledTimes(3);
    expect(scryptSpy).toHaveBeenCalledTimes(3);
  });

  it('costs a missing user one scrypt with the default parameters, like a wrong password', async () => {
    const f = await file([`alice:${await hashPassword('s3cret')}`]);
    const time = async (user: string): Promise<number> => {
      const t0 = performance.now();
      expect(await verifyPasswordFile(f, user, 'guess')).toBe(false);
      return performance.now() - t0;
    };
    scryptSpy.mockClear();
    equalSpy.mockClear();
    const wrong = await time('alice');
    const missing = await time('mallory');
    expect(scryptSpy).toHaveBeenCalledTimes(2);
    expect(scryptSpy.mock.calls[0]?.[3]).toMatchObject({ N: 2 ** 16, r: 8, p: 1 });
    expect(scryptSpy.mock.calls[1]?.[3]).toMatchObject({ N: 2 ** 16, r: 8, p: 1 });
    expect(equalSpy).toHaveBeenCalledTimes(2);
    // The same work: a missing user must not answer in a fraction of the time.
    expect(missing).toBeGreaterThan(wrong * 0.4);
  });

  it('refuses a malformed entry for the user after the same work, and logs bad lines', async () => {
    const f = await file(['alice:$scrypt$ln=4,r=8,p=1$short$short', `bob:${await hashPassword('pw', FAST)}`]);
    const log: string[] = [];
    scryptSpy.mockClear();
    expect(await verifyPasswordFile(f, 'alice', 'short', { log: (m) => log.push(m) })).toBe(false);
    expect(scryptSpy).toHaveBeenCalledTimes(1);
    expect(log).toEqual([`${f} line 1: salt shorter than 8 bytes`]);
    expect(await verifyPasswordFile(f, 'bob', 'pw')).toBe(true);
  });

  it('refuses a file others may write or read, or owned by someone else; group-readable is fine', async () => {
    const f = await file([`alice:${await hashPassword('pw', FAST)}`], 0o640);
    expect(await verifyPasswordFile(f, 'alice', 'pw')).toBe(true);
    for (const mode of [0o644, 0o620, 0o602]) {
      chmodSync(f, mode);
      await expect(verifyPasswordFile(f, 'alice', 'pw')).rejects.toThrow(
        `Bad owner or modes for PasswordFile ${f}: mode ${mode.toString(8).padStart(4, '0')} (it holds password hashes: chmod 600)`,
      );
    }
    chmodSync(f, 0o600);
    const me = process.getuid?.() ?? 0;
    await expect(checkPasswordFileMode(f, me)).resolves.toBeUndefined();
    if (me === 0) {
      chownSync(f, 4242, 4242);
      await expect(checkPasswordFileMode(f, 4343)).rejects.toThrow(`Bad owner or modes for PasswordFile ${f}`);
      await expect(checkPasswordFileMode(f, 4242)).resolves.toBeUndefined();
    }
  });

  it('names the file when it cannot be read', async () => {
    const f = join(dir.path, 'absent');
    await expect(verifyPasswordFile(f, 'alice', 'pw')).rejects.toThrow(new PasswordFileError(`Could not open PasswordFile ${f}: No such file or directory`));
    await expect(verifyPasswordFile(dir.path, 'alice', 'pw')).rejects.toThrow(`PasswordFile ${dir.path} is not a regular file`);
  });
});

describe('setPassword', () => {
  it('creates the file at 0600 whatever the umask', async () => {
    const f = join(dir.path, 'passwords');
    const old = process.umask(0);
    try {
      await setPassword(f, 'alice', 'pw1', FAST);
    } finally {
      process.umask(old);
    }
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(f, 'utf8')).toMatch(/^alice:\$scrypt\$ln=4,r=8,p=1\$[^$]+\$[^$]+\n$/);
    expect(await verifyPasswordFile(f, 'alice', 'pw1')).toBe(true);
  });

  it('replaces the file atomically (a new inode, no temporary left), keeping other lines, and makes it 0600 again', async () => {
    const f = join(dir.path, 'passwords');
    const bob = await hashPassword('bobpw', FAST);
    writeFileSync(f, `# mine\nalice:${await hashPassword('old', FAST)}\nbob:${bob}\n`);
    chmodSync(f, 0o640);
    const before = statSync(f).ino;
    await setPassword(f, 'alice', 'new', FAST);
    expect(statSync(f).ino).not.toBe(before);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir.path)).toEqual(['passwords']);
    const lines = readFileSync(f, 'utf8').split('\n');
    expect(lines[0]).toBe('# mine');
    expect(lines[1]).toMatch(/^alice:/);
    expect(lines[2]).toBe(`bob:${bob}`);
    expect(await verifyPasswordFile(f, 'alice', 'new')).toBe(true);
    expect(await verifyPasswordFile(f, 'alice', 'old')).toBe(false);
    expect(await verifyPasswordFile(f, 'bob', 'bobpw')).toBe(true);
  });

  it('refuses user names the format cannot hold, and reports unwritable places by name', async () => {
    const f = join(dir.path, 'passwords');
    await expect(setPassword(f, 'a:b', 'pw', FAST)).rejects.toThrow(`Cannot store user name "a:b" contains ":", white space or a control character in PasswordFile ${f}`);
    await expect(setPassword(f, '#x', 'pw', FAST)).rejects.toThrow('user name "#x" starts with "#"');
    const inMissingDir = join(dir.path, 'nope', 'passwords');
    await expect(setPassword(inMissingDir, 'alice', 'pw', FAST)).rejects.toThrow(`Could not write PasswordFile ${inMissingDir}: No such file or directory`);
  });

  it('removePassword drops the entry and says whether there was one', async () => {
    const f = join(dir.path, 'passwords');
    await setPassword(f, 'alice', 'pw', FAST);
    await setPassword(f, 'bob', 'pw', FAST);
    expect(await removePassword(f, 'alice')).toBe(true);
    expect(await removePassword(f, 'alice')).toBe(false);
    expect(readFileSync(f, 'utf8')).toMatch(/^bob:[^\n]+\n$/);
  });
});
