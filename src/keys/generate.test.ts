import { describe, expect, it } from 'vitest';
import { defaultIdentityName, resolveKeyType, strtonum, writeParams } from './generate.js';

describe('ssh-keygen option checks', () => {
  it('strtonum reports like OpenSSH', () => {
    expect(strtonum('12', 1n, 100n)).toBe(12n);
    expect(strtonum(' +7', 1n, 100n)).toBe(7n);
    expect(strtonum('abc', 1n, 100n)).toBe('invalid');
    expect(strtonum('12x', 1n, 100n)).toBe('invalid');
    expect(strtonum('0', 1n, 100n)).toBe('too small');
    expect(strtonum('101', 1n, 100n)).toBe('too large');
  });
  it('resolves key types and bits with ssh-keygen\'s defaults and messages', () => {
    expect(resolveKeyType(undefined, undefined)).toEqual({ kind: 'ed25519', bits: 256 });
    expect(resolveKeyType('ed25519', '1')).toEqual({ kind: 'ed25519', bits: 256 });
    expect(resolveKeyType('RSA', undefined)).toEqual({ kind: 'rsa', bits: 3072 });
    expect(resolveKeyType('ecdsa', undefined)).toEqual({ kind: 'ecdsa', bits: 256 });
    expect(resolveKeyType('ecdsa-sha2-nistp521', undefined)).toEqual({ kind: 'ecdsa', bits: 521 });
    expect(() => resolveKeyType('foo', undefined)).toThrow('unknown key type foo');
    expect(() => resolveKeyType('rsa', '512')).toThrow('Invalid RSA key length: minimum is 1024 bits');
    expect(() => resolveKeyType('rsa', '16385')).toThrow('Invalid RSA key length: maximum is 16384 bits');
    expect(() => resolveKeyType('ecdsa', '255')).toThrow('Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits');
    expect(() => resolveKeyType('rsa', 'x')).toThrow('Bits has bad value x (invalid)');
    expect(() => resolveKeyType('dsa', undefined)).toThrow(/not supported/);
    expect(() => resolveKeyType('ed25519-sk', undefined)).toThrow(/not supported/);
  });
  it('checks -a and -Z, and maps -m', () => {
    expect(writeParams({})).toEqual({ format: 'openssh', cipher: undefined, rounds: 16 });
    expect(writeParams({ keyFormat: 'PKCS8', rounds: '4', cipher: 'aes128-ctr' })).toEqual({ format: 'pkcs8', cipher: 'aes128-ctr', rounds: 4 });
    expect(writeParams({ keyFormat: 'RFC4716' }).format).toBe('openssh');
    expect(() => writeParams({ rounds: '0' })).toThrow('Invalid number: 0 (too small)');
    expect(writeParams({ keyFormat: 'PEM' }).format).toBe('pem');
    expect(() => writeParams({ cipher: 'x' })).toThrow("Invalid OpenSSH-format cipher 'x'");
  });
  it('names default identity files by type', () => {
    expect(defaultIdentityName(undefined)).toBe('id_ed25519');
    expect(defaultIdentityName('rsa')).toBe('id_rsa');
    expect(defaultIdentityName('ecdsa-sha2-nistp384')).toBe('id_ecdsa');
  });
});
