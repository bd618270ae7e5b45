import { describe, expect, it } from 'vitest';
import { poly1305 } from './poly1305.js';

describe('poly1305', () => {
  it('matches the RFC 8439 §2.5.2 test vector', () => {
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    const msg = Buffer.from('Cryptographic Forum Research Group', 'ascii');
    expect(poly1305(key, msg).toString('hex')).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });
  it('handles an empty message and rejects a short key', () => {
    const key = Buffer.alloc(32);
    key[16] = 7; // s = 7, r = 0
    expect(poly1305(key, Buffer.alloc(0)).toString('hex')).toBe(`07${'00'.repeat(15)}`);
    expect(() => poly1305(Buffer.alloc(16), Buffer.alloc(1))).toThrow(RangeError);
  });
});
