import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { decodePrivateKey, encodePrivateKey, privateKeyFromKeyObject, publicKeyFromOpenSshPrivate } from './private-key.js';
import { formatPublicKey } from './public-key.js';

// ssh-keygen 9.2: -t ed25519 -N pw -a 1 -Z chacha20-poly1305@openssh.com -C fixture
const FIXTURE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAAHWNoYWNoYTIwLXBvbHkxMzA1QG9wZW5zc2guY29tAAAABm
JjcnlwdAAAABgAAAAQP0RLP8aABdqDbtDfVW0FbQAAAAEAAAABAAAAMwAAAAtzc2gtZWQy
NTUxOQAAACCxYLJNN8xbOsXr+ei8JXyPKjpzmGWySs9HDG0tihST7wAAAJBR50X7/n18Fm
dEORLVPBPCnVt1mDGfbIKk1j6ReCLsaKPizwbp9JawO4BB9z3hsuRh/bPD4u9SE1PdwxzG
C9oA0y73YPXPnHZ+Jo3butNuyihtvHeaWwRhkRgdJEqMZMno7mssisuID9BJRQnpbu7M3O
ozASps43VLAmKcNkai+FfKSvNUMZ6BFzy9OqucuU+zOOVEpdrWrsuowDRuo4LJ
-----END OPENSSH PRIVATE KEY-----
`;
const FIXTURE_PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILFgsk03zFs6xev56LwlfI8qOnOYZbJKz0cMbS2KFJPv fixture';

describe('private keys', () => {
  it('decodes an OpenSSH chacha20-poly1305 key from ssh-keygen', () => {
    const r = decodePrivateKey(Buffer.from(FIXTURE), 'pw');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.format).toBe('openssh');
    expect(r.encrypted).toBe(true);
    expect(formatPublicKey(r.key.public, r.key.comment)).toBe(FIXTURE_PUB);
  });

  it('tells a missing passphrase from a wrong one, and junk from both', () => {
    const data = Buffer.from(FIXTURE);
    expect(decodePrivateKey(data)).toEqual({ ok: false, reason: 'passphrase-required' });
    expect(decodePrivateKey(data, 'wrong')).toEqual({ ok: false, reason: 'bad-passphrase' });
    expect(decodePrivateKey(Buffer.from('hello\n'))).toEqual({ ok: false, reason: 'invalid', message: 'error in libcrypto' });
    const pem = '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n';
    expect(decodePrivateKey(Buffer.from(pem))).toEqual({ ok: false, reason: 'invalid', message: 'invalid format' });
  });

  it('reads the clear public key of an encrypted file without the passphrase', () => {
    const r = publicKeyFromOpenSshPrivate(Buffer.from(FIXTURE));
    expect(r && formatPublicKey(r.key)).toBe(FIXTURE_PUB.replace(/ fixture$/, ''));
    expect(r?.comment).toBe('');
    expect(publicKeyFromOpenSshPrivate(Buffer.from('not a key'))).toBeNull();
  });

  it('round-trips ecdsa through every format, encrypted and not', () => {
    for (const curve of ['P-256', 'P-384', 'P-521']) {
      const key = privateKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: curve }).privateKey, 'c');
      for (const format of ['openssh', 'pem', 'pkcs8'] as const) {
        for (const passphrase of ['', 'secret']) {
          const text = encodePrivateKey(key, { format, passphrase, rounds: 1 });
          const r = decodePrivateKey(Buffer.from(text), passphrase || undefined);
          expect(r.ok, `${curve} ${format} ${passphrase}`).toBe(true);
          if (!r.ok) continue;
          expect(r.format).toBe(format);
          expect(r.encrypted).toBe(passphrase !== '');
          expect(r.key.public.blob.equals(key.public.blob)).toBe(true);
          expect(r.key.comment).toBe(format === 'openssh' ? 'c' : '');
        }
      }
    }
  });

  it('writes ed25519 in OpenSSH format whatever format is asked, as ssh-keygen does', () => {
    const key = privateKeyFromKeyObject(generateKeyPairSync('ed25519').privateKey, 'e');
    expect(encodePrivateKey(key, { format: 'pem' })).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const r = decodePrivateKey(Buffer.from(encodePrivateKey(key, { passphrase: 'x', cipher: 'aes128-gcm@openssh.com', rounds: 1 })), 'x');
    expect(r.ok && r.key.public.blob.equals(key.public.blob)).toBe(true);
  });

  it('rejects a file whose clear public key is not the private key\'s', () => {
    const a = privateKeyFromKeyObject(generateKeyPairSync('ed25519').privateKey);
    const b = privateKeyFromKeyObject(generateKeyPairSync('ed25519').privateKey);
    const body = Buffer.from(encodePrivateKey(a).split('\n').slice(1, -2).join(''), 'base64');
    const swapped = Buffer.from(body.toString('latin1').replace(a.public.blob.toString('latin1'), b.public.blob.toString('latin1')), 'latin1');
    const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${swapped.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(decodePrivateKey(Buffer.from(text))).toEqual({ ok: false, reason: 'invalid', message: 'error in libcrypto' });
  });
});
