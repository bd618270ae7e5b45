import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { keyObjectFromPublicKey, publicKeyFromKeyObject } from './key-object.js';
import { parsePublicKeyLine } from './public-key.js';

describe('KeyObject ↔ SSH public key', () => {
  it('round-trips ed25519, the three ECDSA curves and RSA', () => {
    const pairs = [
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      generateKeyPairSync('ec', { namedCurve: 'P-521' }),
      generateKeyPairSync('rsa', { modulusLength: 1024 }),
    ];
    const types = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
    pairs.forEach((pair, i) => {
      const pub = publicKeyFromKeyObject(pair.privateKey);
      expect(pub.type).toBe(types[i]);
      expect(publicKeyFromKeyObject(pair.publicKey).blob.equals(pub.blob)).toBe(true);
      const back = keyObjectFromPublicKey(pub);
      expect(back.equals(pair.publicKey)).toBe(true);
    });
  });
  it('reads a key ssh-keygen wrote and refuses certificates', () => {
    const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILFgsk03zFs6xev56LwlfI8qOnOYZbJKz0cMbS2KFJPv fixture';
    const key = parsePublicKeyLine(line)!.key;
    expect(publicKeyFromKeyObject(keyObjectFromPublicKey(key)).blob.equals(key.blob)).toBe(true);
    expect(() => keyObjectFromPublicKey({ ...key, isCert: true })).toThrow();
  });
});
