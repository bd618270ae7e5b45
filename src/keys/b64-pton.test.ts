import { describe, expect, it } from 'vitest';
import { b64pton } from './b64-pton.js';

const dec = (s: string): string | null => b64pton(Buffer.from(s, 'latin1'))?.toString('latin1') ?? null;

describe('b64pton', () => {
  it('decodes with and without padding, skipping whitespace', () => {
    expect(dec('aGVsbG8=')).toBe('hello');
    expect(dec('aGVs\nbG8=\r\n')).toBe('hello');
    expect(dec('aGVsbA==')).toBe('hell');
    expect(dec('aGVsbA= =')).toBe('hell');
    expect(dec('aGVs')).toBe('hel');
    expect(dec('')).toBe('');
  });
  it('rejects what OpenSSH rejects', () => {
    expect(dec('aGVsbG8')).toBeNull(); // partial group without padding
    expect(dec('aGVsbA=')).toBeNull(); // one pad where two are needed
    expect(dec('aGVsbG8=x')).toBeNull(); // data after padding
    expect(dec('aGVsbG9=')).toBeNull(); // non-zero bits past the last byte
    expect(dec('a-b=')).toBeNull();
    expect(dec('=')).toBeNull();
  });
  it('stops at a NUL like a C string', () => {
    expect(b64pton(Buffer.from('aGVs\0garbage', 'latin1'))?.toString()).toBe('hel');
  });
});
