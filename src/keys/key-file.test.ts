import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadPermissionsError, checkPrivateKeyPermissions, loadPrivateKeyFile, publicKeyFileText, SaveKeyError, savePrivateKeyFile, savePublicKeyFile } from './key-file.js';
import { privateKeyFromKeyObject } from './private-key.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsh-keyfile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key files', () => {
  const key = privateKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'kf');

  it('saves 0600 / 0644 and loads back', () => {
    const f = join(dir, 'k');
    savePrivateKeyFile(f, key, { passphrase: 'pass phrase', rounds: 1 });
    savePublicKeyFile(`${f}.pub`, key.public, 'kf');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(`${f}.pub`).mode & 0o777).toBe(0o644);
    expect(readFileSync(`${f}.pub`, 'utf8')).toBe(publicKeyFileText(key.public, 'kf'));
    const r = loadPrivateKeyFile(f, 'pass phrase');
    expect(r.ok && r.key.comment).toBe('kf');
  });

  it('writes a space before an empty comment, as sshkey_save_public does', () => {
    expect(publicKeyFileText(key.public, '')).toMatch(/^ecdsa-sha2-nistp256 \S+ \n$/);
  });

  it('refuses keys that group or others may access, with OpenSSH\'s block', () => {
    const f = join(dir, 'open');
    writeFileSync(f, 'x', { mode: 0o600 });
    expect(() => checkPrivateKeyPermissions(f)).not.toThrow();
    chmodSync(f, 0o640);
    let err: unknown;
    try {
      loadPrivateKeyFile(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadPermissionsError);
    const lines = (err as Error).message.split('\n');
    expect(lines[1]).toBe('@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @');
    expect(lines[3]).toBe(`Permissions 0640 for '${f}' are too open.`);
    expect(lines[6]).toBe(`Load key "${f}": bad permissions`);
  });

  it('refuses short passphrases for PEM like OpenSSH, and reports missing directories', () => {
    expect(() => savePrivateKeyFile(join(dir, 'short'), key, { format: 'pem', passphrase: 'abcd' })).toThrow(
      new SaveKeyError('passphrase is too short (minimum five characters)'),
    );
    expect(() => savePrivateKeyFile(join(dir, 'no', 'k'), key, { passphrase: '' })).toThrow('No such file or directory');
    expect(() => loadPrivateKeyFile(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
