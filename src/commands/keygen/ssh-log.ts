/**
 * ssh-keygen's output conventions: log messages (fatal, error, debug) go to stderr ending in
 * "\r\n" (OpenSSH's log.c), and untrusted text is printed through mprintf (utf8.c), which escapes
 * bytes that are not printable in the current locale as \ooo.
 */
import { ExitError } from '../../errors.js';
import type { Io } from '../../io.js';

/** One log line to stderr, as OpenSSH's log.c writes it. */
export function logLine(io: Io, message: string): void {
  io.stderr.write(`${message}\r\n`);
}

/** fatal(): the message, then exit 255. */
export function fatal(io: Io, message: string): never {
  logLine(io, message);
  throw new ExitError(255);
}

/** debug(): shown from -v on (ssh-keygen's first -v already means DEBUG1). */
export function debug(io: Io, verbose: number, message: string): void {
  if (verbose > 0) logLine(io, `debug1: ${message}`);
}

/** Whether OpenSSH would run in a UTF-8 locale (msetlocale: LC_ALL, LC_CTYPE, LANG). */
export function utf8Locale(env: Readonly<Record<string, string | undefined>>): boolean {
  for (const name of ['LC_ALL', 'LC_CTYPE', 'LANG']) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    return /utf-?8/i.test(v);
  }
  return false;
}

const NON_PRINTING = /[\p{Cc}\p{Cn}\p{Cs}]/u;

/** The bytes of `text` as mprintf prints them: \t \r \n and printable characters kept, the rest \ooo. */
export function sanitize(text: Buffer | string, utf8: boolean): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (utf8 && b >= 0x80) {
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
      if (len > 0 && i + len <= bytes.length) {
        const chunk = bytes.subarray(i, i + len);
        const ch = chunk.toString('utf8');
        if (!ch.includes('\ufffd') && Buffer.from(ch, 'utf8').equals(chunk) && !NON_PRINTING.test(ch)) {
          out += ch;
          i += len;
          continue;
        }
      }
    }
    out += `\\${b.toString(8).padStart(3, '0')}`;
    i++;
  }
  return out;
}
