// -p / -c round trips with ssh-keygen, and every refusal (wrong passphrase, bad permissions, bad
// options, missing or corrupt files) printing what ssh-keygen prints and changing no file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome, type RunResult } from '../helpers/run.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
let home: ReturnType<typeof tempHome>;
beforeAll(() => {
  home = tempHome();
});
afterAll(() => home.cleanup());

const p = (name: string): string => join(home.ssh, name);
const tsh = (args: string[]): Promise<RunResult> => run('tsh-keygen', args, { home: home.home });
const ossh = (args: string[]): Promise<RunResult> => run(SSH_KEYGEN, args, { home: home.home });

async function ok(r: Promise<RunResult>): Promise<RunResult> {
  const res = await r;
  expect(res.code, res.stderr).toBe(0);
  return res;
}

async function publicLine(file: string, pass: string): Promise<string> {
  return (await ok(ossh(['-y', '-P', pass, '-f', file]))).stdout;
}

/** Runs both programs on copies of the same file; returns both results and both files after. */
async function both(src: string, args: (file: string) => string[]) {
  const a = p(`${src}.A`);
  const b = p(`${src}.B`);
  for (const f of [a, b]) {
    copyFileSync(p(src), f);
    chmodSync(f, 0o600);
    if (existsSync(p(`${src}.pub`))) copyFileSync(p(`${src}.pub`), `${f}.pub`);
  }
  const theirs = await ossh(args(a));
  const ours = await tsh(args(b));
  const norm = (s: string, f: string): string => s.split(f).join('FILE');
  return {
    theirs: { ...theirs, stdout: norm(theirs.stdout, a), stderr: norm(theirs.stderr, a) },
    ours: { ...ours, stdout: norm(ours.stdout, b), stderr: norm(ours.stderr, b) },
    a,
    b,
  };
}

function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(home.ssh)) out[f] = readFileSync(p(f), 'latin1');
  return out;
}

describe('-p and -c round trips with ssh-keygen', () => {
  it('ssh-keygen key → tsh-keygen -p → ssh-keygen reads; and back', async () => {
    await ok(ossh(['-t', 'ecdsa', '-q', '-N', 'old pass', '-C', 'round trip', '-f', p('rt')]));
    const line = await publicLine(p('rt'), 'old pass');
    const r = await ok(tsh(['-p', '-f', p('rt'), '-P', 'old pass', '-N', 'new pass']));
    expect(r.stdout).toBe("Key has comment 'round trip'\nYour identification has been saved with the new passphrase.\n");
    expect(await publicLine(p('rt'), 'new pass')).toBe(line);
    await ok(ossh(['-p', '-f', p('rt'), '-P', 'new pass', '-N', 'third pass', '-Z', 'aes256-gcm@openssh.com']));
    expect((await ok(tsh(['-y', '-f', p('rt'), '-P', 'third pass']))).stdout).toBe(line);
    await ok(tsh(['-p', '-f', p('rt'), '-P', 'third pass', '-N', '']));
    expect(await publicLine(p('rt'), '')).toBe(line);
    expect(readFileSync(p('rt'), 'utf8')).toContain('AAAABG5vbmUAAAAEbm9uZQ'); // cipher "none", kdf "none"
  });

  it('-c changes the comment in the key and the .pub, readable by ssh-keygen; and back', async () => {
    await ok(tsh(['-t', 'ed25519', '-q', '-N', 'pw pw pw', '-C', 'first', '-f', p('cm')]));
    const r = await ok(tsh(['-c', '-f', p('cm'), '-P', 'pw pw pw', '-C', 'second']));
    expect(r.stdout).toBe('Old comment: first\nComment \'second\' applied\n');
    const line = await publicLine(p('cm'), 'pw pw pw');
    expect(line).toMatch(/ second\n$/);
    expect(readFileSync(p('cm.pub'), 'utf8')).toBe(line);
    await ok(ossh(['-c', '-f', p('cm'), '-P', 'pw pw pw', '-C', 'third']));
    expect((await ok(tsh(['-y', '-f', p('cm'), '-P', 'pw pw pw']))).stdout).toMatch(/ third\n$/);
  });

  it('-c and -p print what ssh-keygen prints (same comment, removal, PEM keys, -m PEM)', async () => {
    await ok(ossh(['-t', 'ecdsa', '-q', '-N', '', '-C', 'cmt', '-f', p('same')]));
    await ok(ossh(['-t', 'ecdsa', '-q', '-N', '', '-m', 'PEM', '-f', p('pem')]));
    const cases: [string, (f: string) => string[]][] = [
      ['same', (f) => ['-c', '-f', f, '-C', 'cmt']],
      ['same', (f) => ['-c', '-f', f, '-C', '']],
      ['same', (f) => ['-c', '-f', f, '-C', 'x', '-m', 'PEM']],
      ['pem', (f) => ['-c', '-f', f, '-C', 'now commented']],
      ['pem', (f) => ['-p', '-f', f, '-N', '']],
      ['pem', (f) => ['-p', '-f', f, '-N', 'abc', '-m', 'PEM']],
      ['same', (f) => ['-p', '-f', f, '-N', 'abc', '-m', 'PKCS8']],
    ];
    for (const [src, args] of cases) {
      const { theirs, ours, a, b } = await both(src, args);
      expect(ours, args('F').join(' ')).toEqual(theirs);
      expect(existsSync(`${b}.pub`)).toBe(existsSync(`${a}.pub`));
      if (existsSync(`${a}.pub`)) expect(readFileSync(`${b}.pub`, 'utf8')).toBe(readFileSync(`${a}.pub`, 'utf8'));
      const head = (f: string): string => readFileSync(f, 'utf8').split('\n')[0]!;
      expect(head(b)).toBe(head(a));
    }
  });
});

describe('refusals change nothing', () => {
  it('a wrong passphrase for -p, -c and -y: same message and exit code, no file changed', async () => {
    await ok(ossh(['-t', 'ed25519', '-q', '-N', 'right one', '-C', 'wp', '-f', p('wp')]));
    for (const args of [
      (f: string) => ['-p', '-f', f, '-P', 'wrong', '-N', 'new one'],
      (f: string) => ['-c', '-f', f, '-P', 'wrong', '-C', 'new'],
      (f: string) => ['-y', '-f', f, '-P', 'wrong'],
    ]) {
      const before = snapshot();
      const { theirs, ours, b } = await both('wp', args);
      expect(ours).toEqual(theirs);
      expect(ours.code).toBe(255);
      expect(readFileSync(b, 'latin1')).toBe(before['wp']);
      expect(readFileSync(`${b}.pub`, 'latin1')).toBe(before['wp.pub']);
    }
  });

  it('a private key others can read is refused with OpenSSH\'s block', async () => {
    await ok(tsh(['-t', 'ed25519', '-q', '-N', '', '-f', p('open')]));
    for (const mode of [0o644, 0o640, 0o604]) {
      for (const args of [
        (f: string) => ['-y', '-f', f],
        (f: string) => ['-p', '-f', f, '-N', 'xxxxx'],
        (f: string) => ['-c', '-f', f, '-C', 'y'],
      ]) {
        chmodSync(p('open'), mode);
        const { theirs, ours } = await both('open', (f) => {
          chmodSync(f, mode);
          return args(f);
        });
        expect(ours).toEqual(theirs);
        expect(ours.stderr).toContain('WARNING: UNPROTECTED PRIVATE KEY FILE!');
        expect(ours.stderr).toContain(`Permissions 0${mode.toString(8)} for 'FILE' are too open.`);
        expect(ours.code).toBe(255);
      }
    }
    chmodSync(p('open'), 0o600);
  });

  it('missing, corrupt and non-key files', async () => {
    writeFileSync(p('junk'), 'hello\n', { mode: 0o600 });
    const good = readFileSync(p('wp'), 'utf8').split('\n');
    good[3] = good[3]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A')); // damage the body
    writeFileSync(p('corrupt'), good.join('\n'), { mode: 0o600 });
    for (const src of ['junk', 'corrupt']) {
      for (const args of [
        (f: string) => ['-y', '-f', f, '-P', 'right one'],
        (f: string) => ['-p', '-f', f, '-P', 'right one', '-N', ''],
        (f: string) => ['-c', '-f', f, '-P', 'right one', '-C', 'z'],
      ]) {
        const before = readFileSync(p(src), 'latin1');
        const { theirs, ours, b } = await both(src, args);
        expect(ours, `${src} ${args('F').join(' ')}`).toEqual(theirs);
        expect(readFileSync(b, 'latin1')).toBe(before);
      }
    }
    for (const flag of ['-y', '-p', '-c']) {
      const theirs = await ossh([flag, '-f', p('nothing'), '-N', 'x', '-C', 'x']);
      const ours = await tsh([flag, '-f', p('nothing'), '-N', 'x', '-C', 'x']);
      expect(ours).toEqual(theirs);
      expect(ours.stderr).toBe(`${p('nothing')}: No such file or directory\r\n`);
    }
  });

  it('bad -t, -b, -a, -m, -Z: ssh-keygen\'s message and exit code, no file written', async () => {
    const argsList = [
      ['-t', 'foo'],
      ['-t', 'ecdsa', '-b', '255'],
      ['-t', 'rsa', '-b', '512'],
      ['-t', 'rsa', '-b', '20000'],
      ['-b', 'abc'],
      ['-b', '0'],
      ['-b', '99999999999'],
      ['-a', 'x'],
      ['-a', '0'],
      ['-m', 'foo'],
      ['-Z', 'foo'],
      ['-t', 'ecdsa', '-N', 'abc', '-m', 'PEM'],
    ];
    for (const args of argsList) {
      const before = snapshot();
      const base = args.includes('-N') ? [...args, '-q'] : [...args, '-q', '-N', ''];
      const theirs = await ossh([...base, '-f', p('bad_ossh')]);
      const ours = await tsh([...base, '-f', p('bad_tsh')]);
      expect({ code: ours.code, stderr: ours.stderr, stdout: ours.stdout }, args.join(' ')).toEqual({
        code: theirs.code,
        stderr: theirs.stderr.replace('bad_ossh', 'bad_tsh'),
        stdout: theirs.stdout,
      });
      expect(ours.code).not.toBe(0);
      expect(snapshot()).toEqual(before);
    }
  });

  it('dsa and security-key types are refused clearly, exit 255, nothing written', async () => {
    for (const t of ['dsa', 'ecdsa-sk', 'ed25519-sk']) {
      const r = await tsh(['-t', t, '-q', '-N', '', '-f', p('unsup')]);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/not supported by tsh-keygen/);
      expect(existsSync(p('unsup'))).toBe(false);
    }
  });
});
