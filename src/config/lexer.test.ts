import { describe, expect, it } from 'vitest';
import { argvSplit, lexLine } from './lexer.js';

describe('lexLine', () => {
  it('splits keyword and arguments in every accepted form', () => {
    for (const l of ['Port 22', 'port=22', 'PORT = 22', '  Port\t22  ', 'Port= 22 # c']) {
      expect(lexLine(l)).toMatchObject({ kind: 'line', keyword: 'port', args: ['22'] });
    }
  });
  it('ignores blank and comment lines', () => {
    expect(lexLine('')).toEqual({ kind: 'empty' });
    expect(lexLine('   # x')).toEqual({ kind: 'empty' });
  });
  it('reports a keyword without argument and bad quotes', () => {
    expect(lexLine('Port')).toEqual({ kind: 'noarg', keyword: 'port' });
    expect(lexLine('User "x')).toEqual({ kind: 'badquotes', keyword: 'user' });
  });
  it('keeps the raw rest for commands', () => {
    expect(lexLine('ProxyCommand=nc %h "%p" # x')).toMatchObject({ rest: 'nc %h "%p" # x' });
  });
});

describe('argvSplit', () => {
  it('handles quotes, escapes and comments', () => {
    expect(argvSplit('a "b c" \'d e\' f\\ g')).toEqual(['a', 'b c', 'd e', 'f g']);
    expect(argvSplit('a#b # c')).toEqual(['a#b']);
    expect(argvSplit('x "y')).toBeNull();
  });
});
