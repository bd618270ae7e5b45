import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './fs-atomic.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with the mode asked for and leaves no temporary file', () => {
    const f = join(dir, 'key');
    writeFileAtomic(f, 'secret\n');
    expect(readFileSync(f, 'utf8')).toBe('secret\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    writeFileAtomic(join(dir, 'key.pub'), 'pub\n', { mode: 0o644 });
    expect(statSync(join(dir, 'key.pub')).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).sort()).toEqual(['key', 'key.pub']);
  });

  it('replaces the file and keeps the old contents as .old when asked', () => {
    const f = join(dir, 'known_hosts');
    writeFileSync(f, 'old\n');
    writeFileAtomic(f, 'new\n', { keepOld: true, mode: 0o644 });
    expect(readFileSync(f, 'utf8')).toBe('new\n');
    expect(readFileSync(`${f}.old`, 'utf8')).toBe('old\n');
  });

  it('leaves the target untouched when the write fails', () => {
    const f = join(dir, 'missing-dir', 'x');
    expect(() => writeFileAtomic(f, 'data')).toThrow();
  });
});
