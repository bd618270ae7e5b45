/**
 * The ciphers OpenSSH may use to encrypt the private section of an OpenSSH-format key file
 * (cipher.c's table), each applied once with sequence number 0 and no additional data, as
 * sshkey.c does. AEAD ciphers append their 16-byte tag after the ciphertext.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { poly1305 } from './poly1305.js';

export interface KeyCipher {
  readonly name: string;
  readonly keyLen: number;
  readonly ivLen: number;
  readonly blockSize: number;
  readonly authLen: number;
  /** Ciphertext followed by the tag (authLen bytes). */
  encrypt(key: Buffer, iv: Buffer, plain: Buffer): Buffer;
  /** The plaintext, or null when the tag does not verify. */
  decrypt(key: Buffer, iv: Buffer, cipherText: Buffer, tag: Buffer): Buffer | null;
}

function evpCipher(name: string, evp: string, keyLen: number, ivLen: number, blockSize: number): KeyCipher {
  const run = (enc: boolean, key: Buffer, iv: Buffer, data: Buffer): Buffer => {
    const c = enc ? createCipheriv(evp, key, iv) : createDecipheriv(evp, key, iv);
    c.setAutoPadding(false); // the key format pads itself to the block size
    return Buffer.concat([c.update(data), c.final()]);
  };
  return {
    name,
    keyLen,
    ivLen,
    blockSize,
    authLen: 0,
    encrypt: (key, iv, plain) => run(true, key, iv, plain),
    decrypt: (key, iv, data) => run(false, key, iv, data),
  };
}

function gcmCipher(name: string, keyLen: number): KeyCipher {
  const evp = `aes-${keyLen * 8}-gcm`;
  return {
    name,
    keyLen,
    ivLen: 12,
    blockSize: 16,
    authLen: 16,
    encrypt(key, iv, plain) {
      const c = createCipheriv(evp as 'aes-256-gcm', key, iv, { authTagLength: 16 });
      return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    },
    decrypt(key, iv, data, tag) {
      const d = createDecipheriv(evp as 'aes-256-gcm', key, iv, { authTagLength: 16 });
      d.setAuthTag(tag);
      try {
        return Buffer.concat([d.update(data), d.final()]);
      } catch {
        return null;
      }
    },
  };
}

/**
 * Original (64-bit nonce, 64-bit counter) ChaCha20 through node's IETF variant: the IETF IV is a
 * 32-bit little-endian counter then a 96-bit nonce, so counter || 0x00000000 || nonce64 gives the
 * same state words as DJB's layout while the block counter stays below 2^32.
 */
function chacha20(key: Buffer, nonce8: Buffer, counter: number, data: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  nonce8.copy(iv, 8);
  const c = createCipheriv('chacha20', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305), sequence number 0, no length header. */
const chachaPoly: KeyCipher = {
  name: 'chacha20-poly1305@openssh.com',
  keyLen: 64,
  ivLen: 0,
  blockSize: 8,
  authLen: 16,
  encrypt(key, _iv, plain) {
    const mainKey = key.subarray(0, 32);
    const nonce = Buffer.alloc(8); // seqnr 0, big-endian
    const polyKey = chacha20(mainKey, nonce, 0, Buffer.alloc(32));
    const ct = chacha20(mainKey, nonce, 1, plain);
    return Buffer.concat([ct, poly1305(polyKey, ct)]);
  },
  decrypt(key, _iv, data, tag) {
    const mainKey = key.subarray(0, 32);
    const nonce = Buffer.alloc(8);
    const polyKey = chacha20(mainKey, nonce, 0, Buffer.alloc(32));
    const expected = poly1305(polyKey, data);
    if (tag.length !== 16 || !timingSafeEqual(expected, tag)) return null;
    return chacha20(mainKey, nonce, 1, data);
  },
};

const none: KeyCipher = {
  name: 'none',
  keyLen: 0,
  ivLen: 0,
  blockSize: 8,
  authLen: 0,
  encrypt: (_k, _i, plain) => Buffer.from(plain),
  decrypt: (_k, _i, data) => Buffer.from(data),
};

const CIPHERS: readonly KeyCipher[] = [
  evpCipher('3des-cbc', 'des-ede3-cbc', 24, 8, 8),
  evpCipher('aes128-cbc', 'aes-128-cbc', 16, 16, 16),
  evpCipher('aes192-cbc', 'aes-192-cbc', 24, 16, 16),
  evpCipher('aes256-cbc', 'aes-256-cbc', 32, 16, 16),
  evpCipher('aes128-ctr', 'aes-128-ctr', 16, 16, 16),
  evpCipher('aes192-ctr', 'aes-192-ctr', 24, 16, 16),
  evpCipher('aes256-ctr', 'aes-256-ctr', 32, 16, 16),
  gcmCipher('aes128-gcm@openssh.com', 16),
  gcmCipher('aes256-gcm@openssh.com', 32),
  chachaPoly,
  none,
];

/** The cipher named as OpenSSH names it, or undefined. */
export function keyCipherByName(name: string): KeyCipher | undefined {
  return CIPHERS.find((c) => c.name === name);
}

/** Names `ssh-keygen -Z` accepts (every cipher except "none"). */
export const KEY_CIPHER_NAMES: readonly string[] = CIPHERS.filter((c) => c !== none).map((c) => c.name);
