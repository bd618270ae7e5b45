import { describe, expect, it } from 'vitest';
import { fmtScaled, formatRate, formatSize, lsFile, strmode } from './format.js';
import { strvis } from './vislog.js';

describe('format', () => {
  it('strmode', () => {
    expect(strmode(0o100644)).toBe('-rw-r--r-- ');
    expect(strmode(0o040755)).toBe('drwxr-xr-x ');
    expect(strmode(0o120777)).toBe('lrwxrwxrwx ');
    expect(strmode(0o104755)).toBe('-rwsr-xr-x ');
    expect(strmode(0o041777)).toBe('drwxrwxrwt ');
    expect(strmode(0o102644)).toBe('-rw-r-Sr-- ');
  });
  it('fmtScaled (fmt_scaled(3))', () => {
    expect(fmtScaled(0)).toBe('0B');
    expect(fmtScaled(512)).toBe('512B');
    expect(fmtScaled(1024)).toBe('1.0K');
    expect(fmtScaled(1536)).toBe('1.5K');
    expect(fmtScaled(3 * 1024 * 1024 + 123)).toBe('3.0M');
    expect(fmtScaled(150 * 1024 * 1024)).toBe('150M');
  });
  it('progress meter fields', () => {
    expect(formatSize(6)).toBe('   6  ');
    expect(formatSize(123456)).toBe(' 121KB');
    expect(formatRate(2048)).toBe('  2.0KB');
    expect(formatRate(0)).toBe('  0.0KB');
  });
  it('lsFile', () => {
    const line = lsFile('a.txt', { mode: 0o100644, uid: 0, gid: 0, size: 2, mtime: Math.floor(Date.now() / 1000) - 60 }, true, false, 'root', null);
    expect(line).toMatch(/^-rw-r--r-- {4}\? root {5}0 {15}2 [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d a\.txt$/);
  });
  it('strvis doubles backslashes and escapes control bytes', () => {
    expect(strvis('a\\b\x01c\né')).toBe('a\\\\b\\001c\n\\303\\251');
  });
});
