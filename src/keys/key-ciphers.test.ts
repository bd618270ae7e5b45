import { describe, expect, it } from 'vitest';
import { KEY_CIPHER_NAMES, keyCipherByName } from './key-ciphers.js';

describe('key file ciphers', () => {
  it('knows the ciphers ssh -Q cipher lists', () => {
    expect([...KEY_CIPHER_NAMES].sort()).toEqual(
      [
        '3des-cbc',
        'aes128-cbc',
        'aes192-cbc',
        'aes256-cbc',
        'aes128-ctr',
        'aes192-ctr',
        'aes256-ctr',
        'aes128-gcm@openssh.com',
        'aes256-gcm@openssh.com',
        'chacha20-poly1305@openssh.com',
      ].sort(),
    );
    expect(keyCipherByName('none')).toBeDefined();
    expect(keyCipherByName('arcfour')).toBeUndefined();
  });
  for (const name of KEY_CIPHER_NAMES) {
    it(`${name} round-trips and detects tampering when authenticated`, () => {
      const c = keyCipherByName(name)!;
      const key = Buffer.alloc(c.keyLen, 1);
      const iv = Buffer.alloc(c.ivLen, 2);
      const plain = Buffer.alloc(c.blockSize * 3, 0x41);
      const sealed = c.encrypt(key, iv, plain);
      expect(sealed.length).toBe(plain.length + c.authLen);
      const ct = sealed.subarray(0, plain.length);
      const tag = sealed.subarray(plain.length);
      expect(ct.equals(plain)).toBe(false);
      expect(c.decrypt(key, iv, ct, tag)).toEqual(plain);
      if (c.authLen > 0) {
        const bad = Buffer.from(ct);
        bad[0] = bad[0]! ^ 1;
        expect(c.decrypt(key, iv, bad, tag)).toBeNull();
      }
    });
  }
});
