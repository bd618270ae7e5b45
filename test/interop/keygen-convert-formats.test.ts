// tsh-keygen -e writes exactly what OpenSSH's ssh-keygen writes for each -m format (from .pub files
// and from private keys), and tsh-keygen -i of ssh-keygen's exports gives the same public key line
// as ssh-keygen -i. Error cases give ssh-keygen's messages and exit codes.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { SSH_KEYGEN, sameAsSshKeygen as same } from '../helpers/keygen.js';


const FORMATS = ['RFC4716', 'PKCS8', 'PEM'] as const;
const KEYS = ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa', 'dsa'] as const;

describe('tsh-keygen -e / -i, compared with ssh-keygen', () => {
  let dir: ReturnType<typeof tempDir>;
  let d: string;
  beforeAll(() => {
    dir = tempDir('tsh-kcv-');
    d = dir.path;
    const gen = (name: string, ...args: string[]): void => {
      execFileSync(SSH_KEYGEN, ['-q', '-N', '', '-C', `${name} comment`, '-f', join(d, name), ...args]);
    };
    gen('ed25519', '-t', 'ed25519');
    gen('ecdsa256', '-t', 'ecdsa', '-b', '256');
    gen('ecdsa384', '-t', 'ecdsa', '-b', '384');
    gen('ecdsa521', '-t', 'ecdsa', '-b', '521');
    gen('rsa', '-t', 'rsa', '-b', '1024');
    gen('dsa', '-t', 'dsa');
    gen('pemrsa', '-t', 'rsa', '-b', '1024', '-m', 'PEM');
    execFileSync(SSH_KEYGEN, ['-q', '-s', join(d, 'ed25519'), '-I', 'cid', join(d, 'rsa.pub')]);
    mkdirSync(join(d, 'nopub'));
    for (const k of ['ed25519', 'ecdsa256', 'pemrsa']) copyFileSync(join(d, k), join(d, 'nopub', k));
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ecdsa', '-N', 'pass phrase', '-m', 'PKCS8', '-f', join(d, 'nopub', 'enc')]);
    unlinkSync(join(d, 'nopub', 'enc.pub'));
    // ssh-keygen's own exports, to import back.
    mkdirSync(join(d, 'exp'));
    for (const k of KEYS) {
      for (const m of FORMATS) {
        try {
          writeFileSync(join(d, 'exp', `${k}.${m}`), execFileSync(SSH_KEYGEN, ['-e', '-m', m, '-f', join(d, `${k}.pub`)], { stdio: ['ignore', 'pipe', 'ignore'] }));
        } catch {
          // ed25519 has no PKCS8/PEM form
        }
      }
    }
    writeFileSync(join(d, 'exp', 'cert.RFC4716'), execFileSync(SSH_KEYGEN, ['-e', '-f', join(d, 'rsa-cert.pub')]));
    // An RFC 4716 file written by another tool: headers, a continued header line, CRLF.
    const b64 = readFileSync(join(d, 'ecdsa384.pub'), 'utf8').split(' ')[1]!;
    writeFileSync(
      join(d, 'exp', 'other.RFC4716'),
      ['---- BEGIN SSH2 PUBLIC KEY ----', 'Subject: someone', 'Comment: "a long comment \\', 'continued here"', 'x-private: yes', b64.slice(0, 64), b64.slice(64), '---- END SSH2 PUBLIC KEY ----', ''].join('\r\n'),
    );
    writeFileSync(join(d, 'garbage'), 'not a key at all\n');
    chmodSync(join(d, 'garbage'), 0o600);
  });
  afterAll(() => dir?.cleanup());

  it('exports .pub files in every format exactly as ssh-keygen (and fails the same way)', async () => {
    await Promise.all(
      KEYS.map(async (k) => {
        for (const m of FORMATS) await same(d, ['-e', '-m', m, '-f', `${k}.pub`]);
        const def = await same(d, ['-e', '-f', `${k}.pub`]);
        expect(def.stdout).toMatch(/^---- BEGIN SSH2 PUBLIC KEY ----\nComment: "\d+-bit (ED25519|ECDSA|RSA|DSA), converted by /);
      }),
    );
    const pem = await same(d, ['-e', '-m', 'PEM', '-f', 'rsa.pub']);
    expect(pem.stdout).toMatch(/^-----BEGIN RSA PUBLIC KEY-----\n/);
    const ed = await same(d, ['-e', '-m', 'pkcs8', '-f', 'ed25519.pub']);
    expect(ed.stderr).toBe('do_convert_to_pkcs8: unsupported key type ED25519\r\n');
    expect(ed.code).toBe(255);
    await same(d, ['-e', '-f', 'rsa-cert.pub']);
    await same(d, ['-e', '-m', 'PKCS8', '-f', 'rsa-cert.pub']);
    await same(d, ['-e', '-m', 'ssh2', '-f', 'ecdsa256.pub']);
  });

  it('exports from private keys (OpenSSH and PEM, with and without .pub, encrypted)', async () => {
    const files = ['ed25519', 'ecdsa256', 'rsa', 'pemrsa', 'nopub/ed25519', 'nopub/ecdsa256', 'nopub/pemrsa'];
    await Promise.all(files.flatMap((k) => FORMATS.map((m) => same(d, ['-e', '-m', m, '-f', k]))));
    const enc = await same(d, ['-e', '-f', 'nopub/enc'], 'wrong\n');
    expect(enc.stderr).toContain('Load key "nopub/enc": incorrect passphrase supplied to decrypt private key');
    const ok = await run('tsh-keygen', ['-e', '-m', 'PKCS8', '-f', 'nopub/enc', '-P', 'pass phrase'], { cwd: d });
    const want = await run(SSH_KEYGEN, ['-e', '-m', 'PKCS8', '-f', 'nopub/enc', '-P', 'pass phrase'], { cwd: d });
    expect(ok.stdout).toBe(want.stdout);
    expect(ok.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('imports ssh-keygen exports to the line ssh-keygen -i prints', async () => {
    const files = [...KEYS.flatMap((k) => FORMATS.map((m) => `${k}.${m}`)), 'cert.RFC4716', 'other.RFC4716'].filter((f) => {
      try {
        readFileSync(join(d, 'exp', f));
        return true;
      } catch {
        return false;
      }
    });
    expect(files.length).toBe(18);
    await Promise.all(
      files.map(async (f) => {
        const m = f.split('.')[1]!;
        const r = await same(d, ['-i', '-m', m, '-f', `exp/${f}`]);
        // ssh-keygen -e -m PEM writes DSA and ECDSA keys as SubjectPublicKeyInfo, which -i -m PEM refuses.
        if (/^(ecdsa\d+|dsa)\.PEM$/.test(f)) {
          expect(r.stderr).toBe('do_convert_from_pem: unrecognised raw private key format\r\n');
          return;
        }
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^(ssh-|ecdsa-)\S+ [A-Za-z0-9+/=]+\n$/);
      }),
    );
    // The default -m is RFC4716.
    await same(d, ['-i', '-f', 'exp/ed25519.RFC4716']);
  });

  it('gives ssh-keygen messages for bad input, missing files and formats', async () => {
    await Promise.all([
      same(d, ['-i', '-f', 'ed25519.pub']),
      same(d, ['-i', '-m', 'PKCS8', '-f', 'ed25519.pub']),
      same(d, ['-i', '-m', 'PEM', '-f', 'exp/ecdsa256.PKCS8']),
      same(d, ['-i', '-m', 'PKCS8', '-f', 'exp/rsa.PEM']),
      same(d, ['-i', '-f', 'missing']),
      same(d, ['-e', '-f', 'missing']),
      same(d, ['-e', '-f', 'garbage']),
      same(d, ['-e', '-m', 'bogus', '-f', 'rsa.pub']),
      same(d, ['-i', '-m', 'bogus', '-f', 'rsa.pub']),
      same(d, ['-e'], 'rsa.pub\n'),
      same(d, ['-i', '-t', 'ecdsa'], ''),
    ]);
    const missing = await same(d, ['-e', '-f', 'missing']);
    expect(missing.stderr).toBe('tsh-keygen: missing: No such file or directory\r\n');
    expect(missing.code).toBe(255);
  });
});
