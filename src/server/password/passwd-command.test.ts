import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/run.js';
import { memoryIo } from '../../io.js';
import { runPasswd } from './passwd-command.js';
import { verifyPasswordFile } from './password-file.js';

const FAST = { ln: 4, r: 8, p: 1 };
let dir: { path: string; cleanup: () => void };
let file: string;
beforeEach(() => {
  dir = tempDir('tsh-passwd-');
  file = join(dir.path, 'passwords');
});
afterEach(() => dir.cleanup());

async function passwd(argv: string[], secrets: string[], passwordFile: string | null = file) {
  const io = memoryIo({ secrets });
  const code = await runPasswd(argv, io, { passwordFile, params: FAST });
  return { code, err: io.err(), out: io.out() };
}

describe('tshd passwd', () => {
  it('asks twice like passwd(1) and stores the hash at 0600', async () => {
    const r = await passwd(['alice'], ['s3cret', 's3cret']);
    expect(r).toEqual({ code: 0, out: '', err: 'New password: Retype new password: tshd passwd: password updated successfully\n' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await verifyPasswordFile(file, 'alice', 's3cret')).toBe(true);
  });

  it('changes an existing password and keeps the other users', async () => {
    await passwd(['alice'], ['one', 'one']);
    await passwd(['bob'], ['bobs', 'bobs']);
    expect((await passwd(['alice'], ['two', 'two'])).code).toBe(0);
    expect(await verifyPasswordFile(file, 'alice', 'two')).toBe(true);
    expect(await verifyPasswordFile(file, 'alice', 'one')).toBe(false);
    expect(await verifyPasswordFile(file, 'bob', 'bobs')).toBe(true);
  });

  it('leaves the password unchanged when the two do not match (exit 10, passwd(1)\'s messages)', async () => {
    await passwd(['alice'], ['old', 'old']);
    const before = readFileSync(file, 'utf8');
    const r = await passwd(['alice'], ['new', 'New']);
    expect(r.code).toBe(10);
    expect(r.err).toBe(
      'New password: Retype new password: Sorry, passwords do not match.\n' +
        'tshd passwd: Authentication token manipulation error\ntshd passwd: password unchanged\n',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('asks again after an empty password, and gives up after three', async () => {
    const again = await passwd(['alice'], ['', '', 'pw', 'pw']);
    expect(again.code).toBe(0);
    expect(again.err).toBe('New password: Retype new password: No password has been supplied.\nNew password: Retype new password: tshd passwd: password updated successfully\n');
    const never = await passwd(['bob'], ['', '', '', '', '', '']);
    expect(never.code).toBe(10);
    expect(never.err.match(/No password has been supplied\./g)).toHaveLength(3);
    expect(never.err.endsWith('tshd passwd: password unchanged\n')).toBe(true);
    expect(await verifyPasswordFile(file, 'bob', '')).toBe(false);
  });

  it('stops at end of input without writing anything', async () => {
    const r = await passwd(['alice'], ['only-once']);
    expect(r.code).toBe(10);
    expect(r.err).toBe('New password: Retype new password: tshd passwd: Authentication token manipulation error\ntshd passwd: password unchanged\n');
    expect(existsSync(file)).toBe(false);
  });

  it('-f names the file, over the configured one', async () => {
    const other = join(dir.path, 'other');
    expect((await passwd(['-f', other, 'alice'], ['pw', 'pw'])).code).toBe(0);
    expect((await passwd([`-f${other}`, 'bob'], ['pw', 'pw'], null)).code).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(await verifyPasswordFile(other, 'bob', 'pw')).toBe(true);
  });

  it.each([
    [[], 'tshd passwd: missing user name'],
    [['a', 'b'], 'tshd passwd: too many arguments'],
    [['-x', 'a'], "tshd passwd: unrecognized option '-x'"],
    [['a', '-f'], "tshd passwd: option requires an argument -- 'f'"],
  ])('usage errors exit 2: %j', async (argv, message) => {
    const r = await passwd(argv, []);
    expect(r).toEqual({ code: 2, out: '', err: `${message}\nusage: tshd passwd [-f password_file] user\n` });
  });

  it('refuses without a PasswordFile, and for user names the file cannot hold', async () => {
    expect(await passwd(['alice'], [], null)).toEqual({
      code: 2,
      out: '',
      err: 'tshd passwd: no PasswordFile is configured (set PasswordFile in tshd_config, or give -f password_file)\n',
    });
    expect((await passwd(['a:b'], [])).err).toBe('tshd passwd: user name "a:b" contains ":", white space or a control character\n');
  });

  it('reports a file it cannot write by name (exit 3)', async () => {
    const bad = join(dir.path, 'missing', 'passwords');
    const r = await passwd(['-f', bad, 'alice'], ['pw', 'pw']);
    expect(r.code).toBe(3);
    expect(r.err).toBe(
      `New password: Retype new password: tshd passwd: Could not write PasswordFile ${bad}: No such file or directory\ntshd passwd: password unchanged\n`,
    );
  });
});
