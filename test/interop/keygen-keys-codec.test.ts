// Private key files: everything tsh-keygen writes, ssh-keygen reads, and the other way round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome } from '../helpers/run.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const CIPHERS = [
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  '3des-cbc',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
];
const PW = 'correct horse';

let home: ReturnType<typeof tempHome>;
beforeAll(() => {
  home = tempHome();
});
afterAll(() => home.cleanup());

const p = (name: string): string => join(home.ssh, name);

async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, { home: home.home });
  expect(r.stderr, `${cmd} ${args.join(' ')}`).toBe('');
  expect(r.code, `${cmd} ${args.join(' ')}`).toBe(0);
  return r.stdout;
}

/** The public line both programs print for a key file. */
async function bothPrint(file: string, pass: string): Promise<string> {
  const theirs = await ok(SSH_KEYGEN, ['-y', '-P', pass, '-f', file]);
  const ours = await ok('tsh-keygen', ['-y', '-P', pass, '-f', file]);
  expect(ours).toBe(theirs);
  return ours;
}

function pubOf(file: string): string {
  return readFileSync(`${file}.pub`, 'utf8');
}

describe('keys tsh-keygen writes are read by ssh-keygen -y', () => {
  const kinds: [string, string[]][] = [
    ['ed25519', ['-t', 'ed25519']],
    ['ecdsa256', ['-t', 'ecdsa']],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
    ['ecdsa521', ['-t', 'ecdsa', '-b', '521']],
    ['rsa', ['-t', 'rsa', '-b', '1024']],
  ];
  for (const [name, args] of kinds) {
    it(`${name}, plain and encrypted`, async () => {
      const plain = p(`tsh_${name}`);
      await ok('tsh-keygen', [...args, '-q', '-N', '', '-C', `c ${name}`, '-f', plain]);
      const line = await bothPrint(plain, '');
      expect(line).toBe(pubOf(plain));
      const enc = p(`tsh_${name}_enc`);
      await ok('tsh-keygen', [...args, '-q', '-N', PW, '-a', '2', '-C', `e ${name}`, '-f', enc]);
      expect(readFileSync(enc, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
      expect(await bothPrint(enc, PW)).toBe(pubOf(enc));
      expect((await run(SSH_KEYGEN, ['-y', '-P', 'wrong', '-f', enc], { home: home.home })).code).toBe(255);
    });
  }

  for (const cipher of CIPHERS) {
    it(`ed25519 and ecdsa with -Z ${cipher}`, async () => {
      for (const t of ['ed25519', 'ecdsa']) {
        const f = p(`tsh_${t}_${cipher}`);
        await ok('tsh-keygen', ['-t', t, '-q', '-N', PW, '-a', '1', '-Z', cipher, '-C', cipher, '-f', f]);
        expect(await bothPrint(f, PW)).toBe(pubOf(f));
      }
    });
  }

  for (const fmt of ['PEM', 'PKCS8']) {
    it(`-m ${fmt} on generation and on -p`, async () => {
      const f = p(`tsh_ecdsa_${fmt}`);
      await ok('tsh-keygen', ['-t', 'ecdsa', '-q', '-N', '', '-m', fmt, '-f', f]);
      expect(readFileSync(f, 'utf8')).toContain(fmt === 'PEM' ? 'BEGIN EC PRIVATE KEY' : 'BEGIN PRIVATE KEY');
      const bare = pubOf(f).split(' ').slice(0, 2).join(' ');
      expect(await bothPrint(f, '')).toBe(`${bare}\n`); // PEM has no comment
      const r = p(`tsh_rsa_${fmt}`);
      await ok('tsh-keygen', ['-t', 'rsa', '-b', '1024', '-q', '-N', '', '-f', r]);
      await ok('tsh-keygen', ['-p', '-f', r, '-N', PW, '-m', fmt]);
      const text = readFileSync(r, 'utf8');
      expect(text).toContain(fmt === 'PEM' ? 'BEGIN RSA PRIVATE KEY' : 'BEGIN ENCRYPTED PRIVATE KEY');
      if (fmt === 'PEM') expect(text).toContain('Proc-Type: 4,ENCRYPTED');
      expect(await bothPrint(r, PW)).toBe(`${pubOf(r).split(' ').slice(0, 2).join(' ')}\n`);
    });
  }
});

describe('keys ssh-keygen writes are read by tsh-keygen -y', () => {
  it('each type, plain and encrypted', async () => {
    const kinds: string[][] = [['-t', 'ed25519'], ['-t', 'ecdsa'], ['-t', 'ecdsa', '-b', '384'], ['-t', 'ecdsa', '-b', '521'], ['-t', 'rsa', '-b', '1024']];
    for (const [i, args] of kinds.entries()) {
      for (const pass of ['', PW]) {
        const f = p(`ossh_${i}_${pass ? 'enc' : 'plain'}`);
        await ok(SSH_KEYGEN, [...args, '-q', '-N', pass, '-a', '2', '-C', `o${i}`, '-f', f]);
        expect(await bothPrint(f, pass)).toBe(pubOf(f));
      }
    }
  });

  for (const cipher of CIPHERS) {
    it(`-Z ${cipher}`, async () => {
      const f = p(`ossh_${cipher}`);
      await ok(SSH_KEYGEN, ['-t', 'ed25519', '-q', '-N', PW, '-a', '1', '-Z', cipher, '-C', cipher, '-f', f]);
      expect(await bothPrint(f, PW)).toBe(pubOf(f));
      const bad = await run('tsh-keygen', ['-y', '-P', 'wrong', '-f', f], { home: home.home });
      expect(bad.code).toBe(255);
      expect(bad.stderr).toBe(`Load key "${f}": incorrect passphrase supplied to decrypt private key\r\n`);
    });
  }

  for (const fmt of ['PEM', 'PKCS8']) {
    it(`-m ${fmt}, plain and encrypted, rsa and ecdsa`, async () => {
      for (const t of ['ecdsa', 'rsa']) {
        for (const pass of ['', PW]) {
          const f = p(`ossh_${t}_${fmt}_${pass ? 'enc' : 'plain'}`);
          await ok(SSH_KEYGEN, ['-t', t, ...(t === 'rsa' ? ['-b', '1024'] : []), '-q', '-N', pass, '-m', fmt, '-f', f]);
          const line = await bothPrint(f, pass);
          expect(line).toBe(`${pubOf(f).split(' ').slice(0, 2).join(' ')}\n`);
          if (pass) {
            const bad = await run('tsh-keygen', ['-y', '-P', 'wrong', '-f', f], { home: home.home });
            const theirs = await run(SSH_KEYGEN, ['-y', '-P', 'wrong', '-f', f], { home: home.home });
            expect([bad.code, bad.stderr]).toEqual([theirs.code, theirs.stderr]);
          }
        }
      }
    });
  }
});
