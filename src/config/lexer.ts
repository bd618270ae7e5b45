/**
 * Line lexing as readconf.c does it: trailing whitespace is stripped, the keyword is split off
 * with strdelim() (which allows one `=`), and the rest is split into arguments by argv_split()
 * (quotes, backslash escapes, `#` starts a comment only at the start of a word).
 */

const WHITESPACE = ' \t\r\n';

export type LexedLine =
  | { kind: 'empty' }
  | { kind: 'noarg'; keyword: string }
  | { kind: 'badquotes'; keyword: string }
  | {
      kind: 'line';
      /** Lowercased keyword. */
      keyword: string;
      /** Arguments after argv_split(). */
      args: string[];
      /** The remainder after the keyword with leading whitespace and '=' removed (command keywords use it raw). */
      rest: string;
    };

function isWs(c: string | undefined): boolean {
  return c !== undefined && WHITESPACE.includes(c);
}

/** strdelim() with split_equals: returns [token, remainder] or null when a quote is unterminated. */
export function strdelim(s: string): [string, string | null] | null {
  let i = 0;
  while (i < s.length && !WHITESPACE.includes(s[i]!) && s[i] !== '"' && s[i] !== '=') i++;
  if (i >= s.length) return [s, null];
  if (s[i] === '"') {
    const before = s.slice(0, i);
    const after = s.slice(i + 1);
    const q = after.indexOf('"');
    if (q < 0) return null;
    let j = q + 1;
    while (isWs(after[j])) j++;
    return [before + after.slice(0, q), after.slice(j)];
  }
  const token = s.slice(0, i);
  const sawEquals = s[i] === '=';
  let j = i + 1;
  while (isWs(s[j])) j++;
  if (s[j] === '=' && !sawEquals) {
    j++;
    while (isWs(s[j])) j++;
  }
  return [token, s.slice(j)];
}

/** argv_split(s, terminate_on_comment=1). Returns null on an unterminated quote. */
export function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let quote = '';
    let arg = '';
    for (; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '\\') {
        const nx = s[i + 1];
        if (nx === "'" || nx === '"' || nx === '\\' || (quote === '' && nx === ' ')) {
          i++;
          arg += nx;
        } else {
          arg += ch;
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    out.push(arg);
    if (i >= s.length) {
      if (quote !== '') return null;
      break;
    }
  }
  return out;
}

/** Lexes one configuration line (without its newline). */
export function lexLine(line: string): LexedLine {
  // Strip trailing whitespace; a form feed is allowed at the end of a line only.
  const trimmed = line.replace(/[ \t\r\n\f]+$/, '');
  if (trimmed === '') return { kind: 'empty' };
  let d = strdelim(trimmed);
  if (d === null) return { kind: 'empty' };
  let [keyword, rest] = d;
  if (keyword === '') {
    if (rest === null) return { kind: 'empty' };
    d = strdelim(rest);
    if (d === null) return { kind: 'empty' };
    [keyword, rest] = d;
  }
  if (keyword === '' || keyword.startsWith('#')) return { kind: 'empty' };
  keyword = keyword.toLowerCase();
  if (rest !== null) {
    let j = 0;
    while (isWs(rest[j])) j++;
    rest = rest.slice(j);
  }
  if (rest === null || rest === '') return { kind: 'noarg', keyword };
  const args = argvSplit(rest);
  if (args === null) return { kind: 'badquotes', keyword };
  let k = 0;
  while (k < rest.length && (isWs(rest[k]) || rest[k] === '=')) k++;
  return { kind: 'line', keyword, args, rest: rest.slice(k) };
}
