/**
 * sftp.c's command-line tokenizer (makeargv): sh-like quoting, `#` comments, backslash escapes,
 * with glob characters inside quotes (or escaped) kept escaped for the glob matcher, and
 * undo_glob_escape() for arguments that are not globbed.
 */

export class TokenizeError extends Error {}

/** makeargv(arg, sloppy=0): the words of a command line; throws TokenizeError with sftp's text. */
export function makeArgv(arg: string): string[] {
  if (Buffer.byteLength(arg) > 8191) throw new TokenizeError('string too long');
  type State = 'start' | 'squote' | 'dquote' | 'unquoted';
  const argv: string[] = [];
  let state: State = 'start';
  let cur = '';
  const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\r\f\v'.includes(c);
  for (let i = 0; ; i++) {
    if (argv.length >= 129) throw new TokenizeError('Too many arguments.');
    const c = arg[i];
    if (isSpace(c)) {
      if (state === 'unquoted') {
        argv.push(cur);
        cur = '';
        state = 'start';
      } else if (state !== 'start') cur += c;
    } else if (c === '"' || c === "'") {
      const q: State = c === '"' ? 'dquote' : 'squote';
      if (state === 'start') state = q;
      else if (state === 'unquoted') state = q;
      else if (state === q) state = 'unquoted';
      else cur += c;
    } else if (c === '\\') {
      const next = arg[i + 1];
      if (state === 'squote' || state === 'dquote') {
        const quot = state === 'squote' ? "'" : '"';
        if (next === quot) {
          i++;
          cur += next;
        } else if (next === '?' || next === '[' || next === '*') {
          cur += `\\\\\\${next}`;
          i++;
        } else {
          cur += `\\${next ?? ''}`;
          i++;
          if (next === undefined) i--;
        }
      } else {
        if (state === 'start') state = 'unquoted';
        if (next === '?' || next === '[' || next === '*' || next === '\\') {
          cur += `\\${next}`;
          i++;
        } else {
          i++;
          if (next === undefined) {
            argv.push(cur);
            break;
          }
          cur += next;
        }
      }
    } else if (c === '#' && state !== 'squote' && state !== 'dquote') {
      if (state === 'unquoted') argv.push(cur);
      break;
    } else if (c === undefined) {
      if (state === 'squote' || state === 'dquote') throw new TokenizeError('Unterminated quoted argument');
      if (state === 'unquoted') argv.push(cur);
      break;
    } else {
      if (state === 'start') state = 'unquoted';
      if ((state === 'squote' || state === 'dquote') && (c === '?' || c === '[' || c === '*')) cur += `\\${c}`;
      else cur += c;
    }
  }
  return argv;
}

/** undo_glob_escape(): removes one level of glob escaping (\? \[ \* \\). */
export function undoGlobEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const n = s[i + 1];
    if (n === undefined) return `${out}\\`;
    if (n === '?' || n === '[' || n === '*' || n === '\\') out += n;
    else out += `\\${n}`;
    i++;
  }
  return out;
}

/** escape_glob(): escapes glob characters so a path matches only itself. */
export function escapeGlob(s: string): string {
  return s.replace(/[[\]?*\\]/g, '\\$&');
}
