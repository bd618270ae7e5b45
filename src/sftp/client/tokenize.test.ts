import { describe, expect, it } from 'vitest';
import { TokenizeError, escapeGlob, makeArgv, undoGlobEscape } from './tokenize.js';

describe('makeArgv (sftp.c makeargv)', () => {
  const cases: [string, string[]][] = [
    ['ls -l', ['ls', '-l']],
    ['  get  a   b  ', ['get', 'a', 'b']],
    ['get "a b" c', ['get', 'a b', 'c']],
    ["get 'a \"b' c", ['get', 'a "b', 'c']],
    ['get a\\ b', ['get', 'a b']],
    ['get a"b c"d', ['get', 'ab cd']],
    ['ls *.txt', ['ls', '*.txt']],
    ['ls "*.txt"', ['ls', '\\*.txt']],
    ['ls \\*.txt', ['ls', '\\*.txt']],
    ['ls a\\\\b', ['ls', 'a\\\\b']],
    ['ls "a\\"b"', ['ls', 'a"b']],
    ['ls "a\\*"', ['ls', 'a\\\\\\*']],
    ['ls # comment', ['ls']],
    ['ls a#b', ['ls', 'a']],
    ['ls "a#b"', ['ls', 'a#b']],
    ['', []],
  ];
  for (const [line, want] of cases) {
    it(JSON.stringify(line), () => expect(makeArgv(line)).toEqual(want));
  }
  it('refuses an unterminated quote', () => {
    expect(() => makeArgv('ls "abc')).toThrow(TokenizeError);
    expect(() => makeArgv('ls "abc')).toThrow('Unterminated quoted argument');
  });
  it('refuses too many arguments', () => {
    expect(() => makeArgv(Array(200).fill('x').join(' '))).toThrow('Too many arguments.');
  });
});

describe('glob escapes', () => {
  it('undoGlobEscape removes one level', () => {
    expect(undoGlobEscape('a\\*b\\?c\\[d\\\\e\\f')).toBe('a*b?c[d\\e\\f');
    expect(undoGlobEscape('end\\')).toBe('end\\');
  });
  it('escapeGlob escapes glob characters', () => {
    expect(escapeGlob('/a[1]/*?\\')).toBe('/a\\[1\\]/\\*\\?\\\\');
  });
});
