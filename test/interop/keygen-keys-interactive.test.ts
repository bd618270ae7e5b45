// Prompts under a terminal: the same dialogue as ssh-keygen, answered through a PTY.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, runPty, tempDir, tempHome } from '../helpers/run.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
let home: ReturnType<typeof tempHome>;
beforeAll(() => {
  home = tempHome();
});
afterAll(() => home.cleanup());
const p = (name: string): string => join(home.ssh, name);

type Step = [expectText: string, answer: string];

/** Runs a program under a PTY, answering each prompt once it appears; returns exit code and transcript. */
async function dialogue(cmd: string, args: string[], steps: Step[], homeDir = home.home): Promise<{ code: number; out: string }> {
  const s = runPty(cmd, args, { home: homeDir });
  try {
    let seen = 0;
    for (const [text, answer] of steps) {
      // Wait for the next occurrence of the prompt after what was already answered.
      await s.expect(new RegExp(`^[\\s\\S]{${seen}}[\\s\\S]*?${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      seen = s.output().length;
      s.write(`${answer}\r`);
    }
    const code = await s.exit();
    // log lines end in \r\n, which the terminal turns into \r\r\n
    return { code, out: s.output().replace(/\r+\n/g, '\n') };
  } finally {
    s.kill();
  }
}

/** Both programs on copies of one key file, same answers; transcripts compared with the path masked. */
async function compare(src: string, args: (f: string) => string[], steps: Step[]) {
  const a = p(`${src}.A`);
  const b = p(`${src}.B`);
  for (const f of [a, b]) {
    copyFileSync(p(src), f);
    chmodSync(f, 0o600);
    if (existsSync(p(`${src}.pub`))) copyFileSync(p(`${src}.pub`), `${f}.pub`);
  }
  const theirs = await dialogue(SSH_KEYGEN, args(a), steps);
  const ours = await dialogue('tsh-keygen', args(b), steps);
  expect(ours.out.split(b).join('F')).toBe(theirs.out.split(a).join('F'));
  expect(ours.code).toBe(theirs.code);
  return { a, b, code: ours.code, out: ours.out };
}

describe('interactive tsh-keygen', () => {
  it('generation asks for the file, creates ~/.ssh, retries mismatched passphrases', async () => {
    const h = tempDir('tsh-home-');
    try {
      const ssh = join(h.path, '.ssh');
      const key = join(ssh, 'id_ed25519');
      const r = await dialogue(
        'tsh-keygen',
        [],
        [
          [`Enter file in which to save the key (${key}): `, ''],
          ['Enter passphrase (empty for no passphrase): ', 'one two'],
          ['Enter same passphrase again: ', 'two one'],
          ['Enter passphrase (empty for no passphrase): ', 'same pass'],
          ['Enter same passphrase again: ', 'same pass'],
        ],
        h.path,
      );
      expect(r.code).toBe(0);
      const out = r.out;
      expect(out).toContain(
        `Generating public/private ed25519 key pair.\nEnter file in which to save the key (${key}): \n` +
          `Created directory '${ssh}'.\n` +
          'Enter passphrase (empty for no passphrase): \nEnter same passphrase again: \n' +
          'Passphrases do not match.  Try again.\n' +
          'Enter passphrase (empty for no passphrase): \nEnter same passphrase again: \n' +
          `Your identification has been saved in ${key}\nYour public key has been saved in ${key}.pub\n` +
          'The key fingerprint is:\nSHA256:',
      );
      expect(out).toMatch(/The key's randomart image is:\n\+--\[ED25519 256\]--\+\n/);
      expect(out).not.toContain('one two'); // no echo
      expect(statSync(ssh).mode & 0o777).toBe(0o700);
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(statSync(`${key}.pub`).mode & 0o777).toBe(0o644);
      const y = await run(SSH_KEYGEN, ['-y', '-P', 'same pass', '-f', key], { home: h.path });
      expect(y.code).toBe(0);
      expect(y.stdout).toBe(readFileSync(`${key}.pub`, 'utf8'));
    } finally {
      h.cleanup();
    }
  });

  it('refusing to overwrite exits 1 and changes nothing; accepting overwrites', async () => {
    await run('tsh-keygen', ['-q', '-N', '', '-C', 'keep me', '-f', p('exists')], { home: home.home });
    const before = readFileSync(p('exists'), 'latin1');
    const beforePub = readFileSync(p('exists.pub'), 'latin1');
    const refused = await compare('exists', (f) => ['-t', 'ed25519', '-f', f], [['Overwrite (y/n)? ', 'n']]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe(`Generating public/private ed25519 key pair.\n${refused.b} already exists.\nOverwrite (y/n)? n\n`);
    expect(readFileSync(refused.b, 'latin1')).toBe(before);
    expect(readFileSync(`${refused.b}.pub`, 'latin1')).toBe(beforePub);
    const accepted = await dialogue('tsh-keygen', ['-q', '-f', p('exists')], [
      ['Overwrite (y/n)? ', 'y'],
      ['Enter passphrase (empty for no passphrase): ', ''],
      ['Enter same passphrase again: ', ''],
    ]);
    expect(accepted.code).toBe(0);
    expect(readFileSync(p('exists'), 'latin1')).not.toBe(before);
  });

  it('-y, -p and -c ask as ssh-keygen does', async () => {
    await run(SSH_KEYGEN, ['-t', 'ecdsa', '-q', '-N', 'secret one', '-C', 'asked', '-f', p('ask')], { home: home.home });
    await compare('ask', (f) => ['-y', '-f', f], [['Enter passphrase: ', 'secret one']]);
    const wrong = await compare('ask', (f) => ['-y', '-f', f], [['Enter passphrase: ', 'nope']]);
    expect(wrong.code).toBe(255);
    const changed = await compare('ask', (f) => ['-p', '-f', f], [
      ['Enter old passphrase: ', 'secret one'],
      ['Enter new passphrase (empty for no passphrase): ', 'secret two'],
      ['Enter same passphrase again: ', 'secret two'],
    ]);
    expect(changed.code).toBe(0);
    expect((await run(SSH_KEYGEN, ['-y', '-P', 'secret two', '-f', changed.b], { home: home.home })).code).toBe(0);
    const before = readFileSync(p('ask'), 'latin1');
    const mismatch = await compare('ask', (f) => ['-p', '-f', f], [
      ['Enter old passphrase: ', 'secret one'],
      ['Enter new passphrase (empty for no passphrase): ', 'aaaaa'],
      ['Enter same passphrase again: ', 'bbbbb'],
    ]);
    expect(mismatch.code).toBe(1);
    expect(readFileSync(mismatch.b, 'latin1')).toBe(before);
    const comment = await compare('ask', (f) => ['-c', '-f', f], [
      ['Enter passphrase: ', 'secret one'],
      ['New comment: ', 'typed comment'],
    ]);
    expect(comment.code).toBe(0);
    expect(readFileSync(`${comment.b}.pub`, 'utf8')).toMatch(/ typed comment\n$/);
  });
});
