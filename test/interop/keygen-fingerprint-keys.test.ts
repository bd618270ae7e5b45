// tsh-keygen -l/-lv/-B on key files prints exactly what OpenSSH's ssh-keygen prints (stdout, stderr,
// exit code): private keys of every type, .pub files, PEM/PKCS#8 keys with and without a .pub
// beside them, encrypted keys, and the error cases.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { SSH_KEYGEN, sameAsSshKeygen as same } from '../helpers/keygen.js';


function keygen(dir: string, name: string, args: string[]): void {
  execFileSync(SSH_KEYGEN, ['-q', '-N', '', '-f', join(dir, name), ...args], { stdio: 'ignore' });
}

describe('tsh-keygen -l on key files, compared with ssh-keygen', () => {
  let dir: ReturnType<typeof tempDir>;
  let d: string;
  beforeAll(() => {
    dir = tempDir('tsh-kfp-');
    d = dir.path;
    keygen(d, 'ed25519', ['-t', 'ed25519', '-C', 'ed key comment']);
    keygen(d, 'ecdsa256', ['-t', 'ecdsa', '-b', '256', '-C', 'e256']);
    keygen(d, 'ecdsa384', ['-t', 'ecdsa', '-b', '384', '-C', 'e384']);
    keygen(d, 'ecdsa521', ['-t', 'ecdsa', '-b', '521', '-C', 'e521']);
    keygen(d, 'rsa', ['-t', 'rsa', '-b', '1024', '-C', 'rsa comment']);
    keygen(d, 'dsa', ['-t', 'dsa', '-C', 'dsa comment']);
    keygen(d, 'pem', ['-t', 'ecdsa', '-m', 'PEM', '-C', 'pem comment']);
    keygen(d, 'pkcs8', ['-t', 'ecdsa', '-m', 'PKCS8', '-C', 'pkcs8 comment']);
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', 'secret pass', '-C', 'enc', '-f', join(d, 'enc')]);
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ecdsa', '-m', 'PKCS8', '-N', 'secret pass', '-C', 'encp8', '-f', join(d, 'encp8')]);
    execFileSync(SSH_KEYGEN, ['-q', '-s', join(d, 'ed25519'), '-I', 'cert-id', join(d, 'ecdsa256.pub')]);
    // The same keys without a .pub beside them.
    mkdirSync(join(d, 'nopub'));
    for (const k of ['ed25519', 'rsa', 'pem', 'pkcs8', 'enc', 'encp8']) copyFileSync(join(d, k), join(d, 'nopub', k));
    // A .pub without comment beside its private key: ssh-keygen prints the .pub file's name.
    mkdirSync(join(d, 'bare'));
    copyFileSync(join(d, 'ecdsa384'), join(d, 'bare', 'k'));
    writeFileSync(join(d, 'bare', 'k.pub'), execFileSync(SSH_KEYGEN, ['-y', '-f', join(d, 'ecdsa384')]).toString().split(' ').slice(0, 2).join(' ') + '\n');
    // Private keys others may read.
    mkdirSync(join(d, 'open'));
    for (const k of ['ed25519', 'pem']) {
      copyFileSync(join(d, k), join(d, 'open', k));
      chmodSync(join(d, 'open', k), 0o644);
    }
    writeFileSync(join(d, 'notakey'), 'hello\nworld\n');
    writeFileSync(join(d, 'fakeprivate'), '-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64!\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    writeFileSync(join(d, 'empty'), '');
  });
  afterAll(() => dir?.cleanup());

  const keys = ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa', 'dsa'];

  it('prints private keys of each type like ssh-keygen (-l, -E md5, -lv, -B)', async () => {
    await Promise.all(
      keys.map(async (k) => {
        const r = await same(d, ['-l', '-f', k]);
        expect(r.stdout).toMatch(/^\d+ SHA256:\S+ \S.* \((ED25519|ECDSA|RSA|DSA)\)\n$/);
        await same(d, ['-l', '-E', 'md5', '-f', k]);
        const v = await same(d, ['-lv', '-f', k]);
        expect(v.stdout).toContain('+----[SHA256]-----+');
        await same(d, ['-lv', '-E', 'md5', '-f', k]);
        const b = await same(d, ['-B', '-f', k]);
        expect(b.stdout).toMatch(/^\d+ x[a-z-]+x /);
      }),
    );
  });

  it('prints .pub files and certificates like ssh-keygen', async () => {
    await Promise.all(
      [...keys.map((k) => `${k}.pub`), 'ecdsa256-cert.pub'].map(async (f) => {
        await same(d, ['-l', '-f', f]);
        await same(d, ['-lv', '-E', 'md5', '-f', f]);
        await same(d, ['-B', '-f', f]);
      }),
    );
    const cert = await same(d, ['-lv', '-f', 'ecdsa256-cert.pub']);
    expect(cert.stdout).toContain('(ECDSA-CERT)');
  });

  it('handles PEM, PKCS#8 and encrypted keys with and without a .pub', async () => {
    const files = ['pem', 'pkcs8', 'enc', 'encp8', 'nopub/ed25519', 'nopub/rsa', 'nopub/pem', 'nopub/pkcs8', 'nopub/enc', 'nopub/encp8', 'bare/k'];
    await Promise.all(files.map(async (k) => {
      await same(d, ['-l', '-f', k]);
      await same(d, ['-lv', '-f', k]);
    }));
    const pem = await same(d, ['-l', '-f', 'nopub/pem']);
    expect(pem.stdout).toContain(' no comment (ECDSA)');
    const enc = await same(d, ['-l', '-f', 'nopub/encp8']);
    expect(enc.stderr).toBe('nopub/encp8 is not a key file.\r\n');
    expect(enc.code).toBe(255);
    const bare = await same(d, ['-l', '-f', 'bare/k']);
    expect(bare.stdout).toContain(' bare/k.pub (ECDSA)');
  });

  it('warns about private keys others may read, as ssh-keygen does', async () => {
    const r = await same(d, ['-l', '-f', 'open/ed25519']);
    expect(r.stderr).toContain('UNPROTECTED PRIVATE KEY FILE!');
    const p = await same(d, ['-lv', '-f', 'open/pem']);
    expect(p.code).toBe(255);
  });

  it('gives ssh-keygen messages and exit codes for missing files and non-keys', async () => {
    const missing = await same(d, ['-l', '-f', 'missing']);
    expect(missing.stderr).toBe('tsh-keygen: missing: No such file or directory\r\n');
    expect(missing.code).toBe(255);
    const nk = await same(d, ['-lv', '-f', 'notakey']);
    expect(nk.stderr).toContain('notakey is not a public key file.');
    await same(d, ['-l', '-f', 'empty']);
    await same(d, ['-l', '-f', '.']);
    await same(d, ['-lv', '-f', 'fakeprivate']);
    await same(d, ['-B', '-f', 'missing']);
  });

  it('asks for the file when -f is absent, with the default for -t', async () => {
    const r = await same(d, ['-l'], 'ed25519.pub\n');
    expect(r.stdout).toMatch(/^Enter file in which the key is \(.*\/\.ssh\/id_rsa\): 256 SHA256:/);
    await same(d, ['-l', '-t', 'ecdsa'], '');
    await same(d, ['-B', '-t', 'ed25519'], 'rsa\n');
    await same(d, ['-l', '-t', 'nonsense'], '');
  });
});
