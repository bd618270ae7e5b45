/**
 * Value syntaxes of sshd_config as OpenSSH 9.2's misc.c, log.c and servconf.c read them:
 * integers (atoi_err), scaled sizes (scan_scaled), octal masks (strtol), sscanf("%d:%d:%d"),
 * log levels and facilities, IPQoS names, host:port (hpdelim), channel timeouts,
 * authentication method lists and AllowUsers patterns. Pure.
 */
import { matchHostAndIp } from '../../pattern.js';
import { convtime } from '../../config/tokens.js';

const INT_MAX = 0x7fffffff;

/** strtol()'s prefix: optional whitespace and sign, then digits. [value, rest] or null if no digits. */
function strtolPrefix(s: string, base: 8 | 10): [number, string] | null {
  const re = base === 10 ? /^[ \t\n\r\f\v]*([+-]?)([0-9]+)/ : /^[ \t\n\r\f\v]*([+-]?)([0-7]+)/;
  const m = re.exec(s);
  if (!m) return null;
  const n = parseInt(m[2]!, base);
  return [m[1] === '-' ? -n : n, s.slice(m[0].length)];
}

/** atoi_err(): strtonum(s, 0, INT_MAX). Returns [error or null, value]. */
export function atoiErr(s: string | undefined): [string | null, number] {
  if (s === undefined || s === '') return ['missing', 0];
  const p = strtolPrefix(s, 10);
  if (!p || p[1] !== '') return ['invalid', 0];
  if (p[0] < 0) return ['too small', 0];
  if (p[0] > INT_MAX) return ['too large', 0];
  return [null, p[0]];
}

/** strtol(s, &end, 8) for StreamLocalBindMask: the value, or null when no digit was read. */
export function strtolOctal(s: string): number | null {
  const p = strtolPrefix(s, 8);
  return p ? p[0] : null;
}

/** sscanf(s, "%d:%d:%d") (or fewer): the values converted before the first mismatch. */
export function scanColonInts(s: string, max: number): number[] {
  const out: number[] = [];
  let rest = s;
  while (out.length < max) {
    const p = strtolPrefix(rest, 10);
    if (!p) break;
    out.push(p[0]);
    rest = p[1];
    if (out.length < max) {
      if (!rest.startsWith(':')) break;
      rest = rest.slice(1);
    }
  }
  return out;
}

/** scan_scaled(): "1.5K" → 1536. Returns the value or the errno text. */
export function scanScaled(s: string): { value: bigint } | { error: string } {
  const EINVAL = { error: 'Invalid argument' };
  const ERANGE = { error: 'Numerical result out of range' };
  const LLMAX = (1n << 63n) - 1n;
  let i = 0;
  while (i < s.length && /[ \t\n\r\f\v]/.test(s[i]!)) i++;
  let sign = 0n;
  while (s[i] === '-' || s[i] === '+') {
    if (sign !== 0n) return EINVAL;
    sign = s[i] === '-' ? -1n : 1n;
    i++;
  }
  let whole = 0n;
  let fpart = 0n;
  let ndigits = 0;
  let fract = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '.') {
      if (fract > 0) return EINVAL;
      fract = 1;
      continue;
    }
    if (c < '0' || c > '9') break;
    const d = BigInt(c.charCodeAt(0) - 48);
    if (fract > 0) {
      if (fract >= 20) continue;
      fract++;
      fpart = fpart * 10n + d;
    } else {
      if (++ndigits >= 21) return ERANGE;
      whole = whole * 10n + d;
      if (whole > LLMAX) return ERANGE;
    }
  }
  if (sign !== 0n) {
    whole *= sign;
    fpart *= sign;
  }
  if (i >= s.length) return { value: whole };
  const unit = 'BKMGTPE'.indexOf(s[i]!.toUpperCase());
  if (unit < 0 || /[A-Za-z0-9]/.test(s[i + 1] ?? '')) return EINVAL;
  const scale = 1n << BigInt(10 * unit);
  if (whole > LLMAX / scale || whole < -LLMAX / scale) return ERANGE;
  whole *= scale;
  while (fpart >= LLMAX / scale) {
    fpart /= 10n;
    fract--;
  }
  fpart *= scale;
  for (let k = 0; k < fract - 1; k++) fpart /= 10n;
  return { value: whole + fpart };
}

/** log.c: level names (case-insensitive) → the canonical level. */
const LOG_LEVEL_NAMES: Readonly<Record<string, string>> = {
  QUIET: 'QUIET', SILENT: 'QUIET', FATAL: 'FATAL', ERROR: 'ERROR', INFO: 'INFO', VERBOSE: 'VERBOSE',
  DEBUG: 'DEBUG1', DEBUG1: 'DEBUG1', DEBUG2: 'DEBUG2', DEBUG3: 'DEBUG3',
};
/** Levels in severity order (SYSLOG_LEVEL_* values). */
export const LOG_LEVEL_ORDER = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG1', 'DEBUG2', 'DEBUG3'] as const;
export type LogLevel = (typeof LOG_LEVEL_ORDER)[number];

export function parseLogLevel(s: string | undefined): LogLevel | null {
  return (LOG_LEVEL_NAMES[(s ?? '').toUpperCase()] as LogLevel | undefined) ?? null;
}

/** log_level_name() as `sshd -T` prints it. */
export function logLevelName(l: LogLevel): string {
  return l === 'QUIET' ? 'SILENT' : l === 'DEBUG1' ? 'DEBUG' : l;
}

const FACILITIES = 'DAEMON USER AUTH AUTHPRIV LOCAL0 LOCAL1 LOCAL2 LOCAL3 LOCAL4 LOCAL5 LOCAL6 LOCAL7'.split(' ');

export function parseLogFacility(s: string | undefined): string | null {
  const up = (s ?? '').toUpperCase();
  return FACILITIES.includes(up) ? up : null;
}

/** ssh_digest_alg_by_name(): the printed (upper-case) name or null. */
export function parseDigest(s: string): string | null {
  const up = s.toUpperCase();
  return ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512'].includes(up) ? up : null;
}

/** misc.c ipqos[]: name → DSCP/TOS value, in table order (iptos2str prints the first name). */
const IPQOS: ReadonlyArray<readonly [string, number]> = (
  'af11 40 af12 48 af13 56 af21 72 af22 80 af23 88 af31 104 af32 112 af33 120 af41 136 af42 144 af43 152 ' +
  'cs0 0 cs1 32 cs2 64 cs3 96 cs4 128 cs5 160 cs6 192 cs7 224 ef 184 le 4 lowdelay 16 throughput 8 reliability 4'
)
  .split(' ')
  .reduce<[string, number][]>((acc, w, i, all) => (i % 2 === 0 ? [...acc, [w, Number(all[i + 1])]] : acc), [])
  .concat([['none', INT_MAX]]);

/** parse_ipqos(): returns the value iptos2str() prints ("af21", "0x2a", "none"), or null. */
export function parseIpqos(s: string): string | null {
  let v = IPQOS.find(([n]) => n === s.toLowerCase())?.[1];
  if (v === undefined) {
    // strtol(cp, &ep, 0): decimal, 0x hex or 0 octal, the whole string.
    const m = /^[ \t]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
    if (!m) return null;
    const body = m[2]!;
    const n = /^0[xX]/.test(body) ? parseInt(body, 16) : body.startsWith('0') ? parseInt(body, 8) : Number(body);
    v = m[1] === '-' ? -n : n;
    if (v < 0 || v > 255) return null;
  }
  const found = v;
  return IPQOS.find(([, n]) => n === found)?.[0] ?? `0x${found.toString(16).padStart(2, '0')}`;
}

/**
 * hpdelim() / hpdelim2(): splits "host:port" or "[v6]:port" (and "host/port" with `slash`, as
 * hpdelim2() callers allow). Returns [host, rest] where rest is null when there is no port part;
 * null when a '[' is not closed, junk follows ']', or the separator is not allowed.
 */
export function hpdelim(s: string, slash = false): [string, string | null] | null {
  let i: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    i = close + 1;
  } else {
    const m = /[:/]/.exec(s);
    i = m ? m.index : s.length;
  }
  if (i >= s.length) return [s, null];
  if (s[i] !== ':' && !(slash && s[i] === '/')) return null;
  return [s.slice(0, i), s.slice(i + 1)];
}

/** cleanhostname(): strips the brackets of "[addr]". */
export function cleanHostname(h: string): string {
  return h.startsWith('[') && h.endsWith(']') && h.length >= 2 ? h.slice(1, -1) : h;
}

/** permitopen_port(): "*" → 0 (any), 1..65535, or -1. */
export function permitOpenPort(s: string): number {
  if (s === '*') return 0;
  if (!/^[0-9]+$/.test(s)) return -1;
  const n = Number(s);
  return n > 0 && n <= 65535 ? n : -1;
}

/**
 * ciphers_valid(), mac_valid(), kex_names_valid(), sshkey_names_valid2(): every name up to the
 * first empty item is valid (so "a,,junk" passes, as in sshd). Returns null when valid, else the
 * first bad name ("" for an empty list).
 */
export function firstInvalidName(names: string, valid: (name: string) => boolean): string | null {
  if (names === '') return '';
  for (const n of names.split(',')) {
    if (n === '') break;
    if (!valid(n)) return n;
  }
  return null;
}

/** parse_timeout() of a ChannelTimeout entry "type=interval". */
export function channelTimeoutValid(s: string): boolean {
  const eq = s.indexOf('=');
  return eq > 0 && convtime(s.slice(eq + 1)) >= 0;
}

/** auth2.c authmethods[] as Debian builds it (GSSAPI key exchange included). */
export const AUTH_METHODS = ['none', 'publickey', 'gssapi-keyex', 'gssapi-with-mic', 'password', 'keyboard-interactive', 'hostbased'];

/**
 * auth2_methods_valid(): every method of a comma list is known (a ":submethod" suffix is
 * allowed); with `enabled`, each must also be enabled. Returns null or the error line sshd logs.
 */
export function authMethodsError(list: string, enabled?: (method: string) => boolean): string | null {
  if (list === '') return 'empty authentication method list';
  for (const m of list.split(',')) {
    const name = m.split(':')[0]!;
    if (!AUTH_METHODS.includes(name)) return `Unknown authentication method "${name}" in list`;
    if (enabled && !enabled(name)) return `Disabled method "${name}" in AuthenticationMethods list "${list}"`;
  }
  return null;
}

/** match_user(NULL, NULL, NULL, pattern) == -1: a "user@host" pattern with a bad address list. */
export function userPatternInvalid(pattern: string): boolean {
  const at = pattern.indexOf('@');
  return at >= 0 && matchHostAndIp(null, null, pattern.slice(at + 1)) < 0;
}
