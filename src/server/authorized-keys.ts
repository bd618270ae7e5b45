/**
 * authorized_keys as OpenSSH 9.2's sshd reads it: the line walk of auth_check_authkeys_file and
 * auth_check_authkey_line (auth2-pubkeyfile.c), the option grammar of sshauthopt_parse
 * (auth-options.c, with misc.c's opt_flag/opt_match/opt_dequote, hpdelim2, a2port, a2tun,
 * valid_env_name, parse_absolute_time), the per-attempt checks of auth_authorise_keyopts
 * (expiry-time, principals, from=) and StrictModes' safe_path (misc.c, with Debian's
 * secure_permissions, as the installed sshd has it).
 *
 * Lines are handled as bytes, as the C code does: option names match ASCII case-insensitively,
 * quoted values end at the first `"` not preceded by a backslash, and values come back decoded
 * as UTF-8. Texts returned as errors or refusal reasons are sshd's log messages, word for word.
 * Parsing is pure; only checkAuthorizedKeysPath (and a2port's /etc/services lookup for a named
 * permitopen/permitlisten port) touch the file system.
 */
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { TUN_DEFAULT as SSH_TUNID_ANY } from '../config/keywords.js';
import { strerror } from '../errors.js';
import { strtonum } from '../keys/generate.js';
import { sshkeyRead } from '../keys/key-lines.js';
import { publicKeysEqual, type PublicKey } from '../keys/public-key.js';
import { asciiLower, matchHostAndIp } from '../pattern.js';

/** What a key line allows and demands (struct sshauthopt, auth-options.h). */
export interface KeyOptions {
  /** `restrict` was given (it clears the five permit flags; later flags may set them again). */
  restricted: boolean;
  permitPortForwarding: boolean;
  permitAgentForwarding: boolean;
  permitX11Forwarding: boolean;
  permitPty: boolean;
  permitUserRc: boolean;
  /** command="..." */
  forceCommand: string | null;
  /** from="pattern-list" (not checked for syntax until a key matches, as sshd does). */
  requiredFromHostPatterns: string | null;
  /** environment="NAME=value" in order; a repeated NAME keeps its first value. */
  environment: string[];
  /** permitopen="host:port" as written. */
  permitOpen: string[];
  /** permitlisten="[host:]port"; a bare port is recorded as "*:port", as sshd does. */
  permitListen: string[];
  /** expiry-time=: seconds since the epoch (the earliest if given twice). */
  expiryTime: number | null;
  certAuthority: boolean;
  /** principals="..." */
  principals: string | null;
  noTouchRequired: boolean;
  verifyRequired: boolean;
  /** tunnel="n": the device number, or SSH_TUNID_ANY (0x7fffffff) for "any". */
  tunnel: number | null;
}

export interface AuthorizedKeyLine {
  /** 1-based line number. */
  line: number;
  /** "FILE:LINE" as sshd prefixes its messages about the line (the name cut to 200 bytes). */
  loc: string;
  key: PublicKey;
  options: KeyOptions;
  /** What follows the key on the line, without trailing blanks (sshd ignores it). */
  comment: string;
}

export interface AuthorizedKeysError {
  line: number;
  /** What is wrong: sshauthopt_parse's reason, "invalid key option string" or "no key". */
  reason: string;
  /** sshd's log text for the line. */
  message: string;
  /** The level sshd logs it at. */
  level: 'error' | 'debug' | 'debug2';
}

/** KeyOptions.tunnel for tunnel="any" (SSH_TUNID_ANY, the same value ssh_config uses). */
export { SSH_TUNID_ANY };
/** More than this many permitopen/permitlisten (each) is an error (SSH_AUTHOPT_PERMIT_MAX). */
const SSH_AUTHOPT_PERMIT_MAX = 4096;
const SSH_AUTHOPT_ENV_MAX = 1024;
const SSH_TUNID_MAX = SSH_TUNID_ANY - 2;
const NI_MAXHOST = 1025;

/** The options of a line without any (sshauthopt_new_with_keys_defaults). */
export function defaultKeyOptions(): KeyOptions {
  return {
    restricted: false,
    permitPortForwarding: true,
    permitAgentForwarding: true,
    permitX11Forwarding: true,
    permitPty: true,
    permitUserRc: true,
    forceCommand: null,
    requiredFromHostPatterns: null,
    environment: [],
    permitOpen: [],
    permitListen: [],
    expiryTime: null,
    certAuthority: false,
    principals: null,
    noTouchRequired: false,
    verifyRequired: false,
    tunnel: null,
  };
}

const SP = 0x20;
const TAB = 0x09;

/** Bytes kept in a JS string one char per byte ("binary"), back to text. */
const utf8 = (bin: string): string => Buffer.from(bin, 'latin1').toString('utf8');

/** C's "%.Ns" of a UTF-8 string: at most n bytes. */
function cut(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= n ? s : b.subarray(0, n).toString('utf8');
}

/** An option string being consumed (the `const char *opts` of sshauthopt_parse). */
class Cursor {
  constructor(
    readonly s: string,
    public i = 0,
  ) {}
  get ch(): string {
    return this.s[this.i] ?? '';
  }
  /** strncasecmp(here, word, strlen(word)) == 0 */
  startsWith(word: string, at = this.i): boolean {
    return asciiLower(this.s.slice(at, at + word.length)) === word;
  }
}

/** opt_flag(): 1 for `opt`, 0 for `no-opt` (if allowed), -1 if neither; a prefix match. */
function optFlag(c: Cursor, opt: string, allowNegate: boolean): 1 | 0 | -1 {
  let at = c.i;
  let negate = false;
  if (allowNegate && c.startsWith('no-')) {
    at += 3;
    negate = true;
  }
  if (!c.startsWith(opt, at)) return -1;
  c.i = at + opt.length;
  return negate ? 0 : 1;
}

/** opt_match(): `term=` case-insensitively; consumes it. */
function optMatch(c: Cursor, term: string): boolean {
  if (!c.startsWith(term) || c.s[c.i + term.length] !== '=') return false;
  c.i += term.length + 1;
  return true;
}

class OptionError extends Error {}

/** opt_dequote(): a "..." value in which \" stands for "; other backslashes stay. */
function optDequote(c: Cursor): string {
  if (c.ch !== '"') throw new OptionError('missing start quote');
  let i = c.i + 1;
  let out = '';
  while (i < c.s.length && c.s[i] !== '"') {
    if (c.s[i] === '\\' && c.s[i + 1] === '"') i++;
    out += c.s[i++];
  }
  if (i >= c.s.length) throw new OptionError('missing end quote');
  c.i = i + 1;
  return out;
}

let services: Map<string, number> | null = null;

/** getservbyname(name, "tcp") over /etc/services (the "files" source). */
function tcpService(name: string): number | null {
  if (!services) {
    services = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/services', 'latin1');
    } catch {
      // no services database: no names resolve
    }
    for (const raw of text.split('\n')) {
      const f = raw.replace(/#.*/, '').trim().split(/[ \t]+/);
      const m = /^(\d+)\/tcp$/.exec(f[1] ?? '');
      if (!m) continue;
      for (const n of [f[0]!, ...f.slice(2)]) if (!services.has(n)) services.set(n, Number(m[1]));
    }
  }
  return services.get(name) ?? null;
}

/** a2port(): strtonum 0..65535, else a tcp service name; -1 if neither. */
function a2port(s: string): number {
  const n = strtonum(s, 0n, 65535n);
  if (typeof n === 'bigint') return Number(n);
  return tcpService(s) ?? -1;
}

/** hpdelim2(): the host of "host:port", "host/port", "[v6]:port"; null if malformed. */
function hpdelim2(s: string): { host: string; rest: string | null } | null {
  let end: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    end = close + 1;
  } else {
    const m = /[:/]/.exec(s);
    end = m ? m.index : s.length;
  }
  if (end >= s.length) return { host: s, rest: null };
  if (s[end] !== ':' && s[end] !== '/') return null;
  return { host: s.slice(0, end), rest: s.slice(end + 1) };
}

/** handle_permit(): one permitopen/permitlisten value, checked and recorded. */
function handlePermit(c: Cursor, allowBarePort: boolean, permits: string[]): void {
  if (permits.length > SSH_AUTHOPT_PERMIT_MAX) throw new OptionError('too many permission directives');
  let opt = optDequote(c);
  if (allowBarePort && !opt.includes(':')) opt = `*:${opt}`;
  const hp = hpdelim2(opt);
  if (!hp || hp.host.length >= NI_MAXHOST) throw new OptionError('invalid permission hostname');
  if (hp.rest === null || (hp.rest !== '*' && a2port(hp.rest) <= 0)) throw new OptionError('invalid permission port');
  permits.push(utf8(opt));
}

/** valid_env_name(): one or more of [A-Za-z0-9_]. */
const validEnvName = (name: string): boolean => /^[A-Za-z0-9_]+$/.test(name);

/** a2tun(s, NULL): "any" or 0..SSH_TUNID_MAX; null where sshd gets SSH_TUNID_ERR. */
function a2tun(s: string): number | null {
  if (asciiLower(s) === 'any') return SSH_TUNID_ANY;
  const n = strtonum(s, 0n, BigInt(SSH_TUNID_MAX));
  return typeof n === 'bigint' ? Number(n) : null;
}

const isCSpace = (ch: string | undefined): boolean => ch !== undefined && ' \t\n\v\f\r'.includes(ch);

/** glibc strptime's get_number(from, to, n): blanks, then up to n digits; null if out of range. */
function getNumber(s: string, pos: { i: number }, from: number, to: number, n: number): number | null {
  while (isCSpace(s[pos.i])) pos.i++;
  const digit = (): boolean => (s[pos.i] ?? '') >= '0' && (s[pos.i] ?? '') <= '9';
  if (!digit()) return null;
  let val = 0;
  do {
    val = val * 10 + (s.charCodeAt(pos.i++) - 0x30);
  } while (--n > 0 && val * 10 <= to && digit());
  return val < from || val > to ? null : val;
}

/** The zone's standard-time offset in minutes west of UTC (mktime with tm_isdst = 0). */
function standardOffset(year: number): number {
  const jan = new Date(2000, 0, 1);
  const jul = new Date(2000, 6, 1);
  jan.setFullYear(year);
  jul.setFullYear(year);
  return Math.max(jan.getTimezoneOffset(), jul.getTimezoneOffset());
}

/**
 * parse_absolute_time(): YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, in UTC with a "Z" (or "UTC")
 * suffix, else in local standard time (sshd's mktime runs with tm_isdst = 0). Seconds since the
 * epoch, or null where sshd fails (including any time before 1970).
 */
export function parseAbsoluteTime(s: string): number | null {
  let l = s.length;
  let utc = false;
  if (l > 1 && asciiLower(s.slice(l - 1)) === 'z') {
    utc = true;
    l--;
  } else if (l > 3 && asciiLower(s.slice(l - 3)) === 'utc') {
    utc = true;
    l -= 3;
  }
  const part = (from: number, len: number): string => s.slice(from, Math.min(from + len, l));
  // The C code formats the pieces into "%Y-%m-%dT%H:%M:%S" and hands them to strptime.
  const pieces = [part(0, 4), '-', part(4, 2), '-', part(6, 2)];
  const specs: [number, number, number][] = [
    [0, 9999, 4],
    [1, 12, 2],
    [1, 31, 2],
  ];
  if (l === 12 || l === 14) {
    pieces.push('T', part(8, 2), ':', part(10, 2));
    specs.push([0, 23, 2], [0, 59, 2]);
    if (l === 14) {
      pieces.push(':', part(12, 2));
      specs.push([0, 61, 2]);
    }
  } else if (l !== 8) {
    return null;
  }
  const buf = pieces.join('');
  const pos = { i: 0 };
  const vals: number[] = [];
  for (let k = 0; k < specs.length; k++) {
    if (k > 0) {
      const sep = k === 3 ? 'T' : k === 5 || k === 4 ? ':' : '-';
      if (buf[pos.i] !== sep) return null;
      pos.i++;
    }
    const [from, to, n] = specs[k]!;
    const v = getNumber(buf, pos, from, to, n);
    if (v === null) return null;
    vals.push(v);
  }
  if (pos.i !== buf.length) return null;
  const [year, mon, day, hour = 0, min = 0, sec = 0] = vals as [number, number, number, number?, number?, number?];
  const d = new Date(0);
  d.setUTCFullYear(year, mon - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  let t = d.getTime() / 1000;
  if (!utc) t += standardOffset(year) * 60;
  return t < 0 ? null : t;
}

/**
 * sshauthopt_parse() over the options at the start of `s` (the rest of the line: parsing stops
 * at the first unquoted blank). Throws OptionError with sshd's reason.
 */
function parseOptionString(s: string): KeyOptions {
  const o = defaultKeyOptions();
  const c = new Cursor(s);
  let r: 1 | 0 | -1;
  while (c.i < s.length && c.ch !== ' ' && c.ch !== '\t') {
    if (optFlag(c, 'restrict', false) !== -1) {
      o.restricted = true;
      o.permitPortForwarding = o.permitAgentForwarding = o.permitX11Forwarding = false;
      o.permitPty = o.permitUserRc = false;
    } else if (optFlag(c, 'cert-authority', false) !== -1) {
      o.certAuthority = true;
    } else if ((r = optFlag(c, 'port-forwarding', true)) !== -1) {
      o.permitPortForwarding = r === 1;
    } else if ((r = optFlag(c, 'agent-forwarding', true)) !== -1) {
      o.permitAgentForwarding = r === 1;
    } else if ((r = optFlag(c, 'x11-forwarding', true)) !== -1) {
      o.permitX11Forwarding = r === 1;
    } else if ((r = optFlag(c, 'touch-required', true)) !== -1) {
      o.noTouchRequired = r !== 1;
    } else if ((r = optFlag(c, 'verify-required', true)) !== -1) {
      o.verifyRequired = r === 1;
    } else if ((r = optFlag(c, 'pty', true)) !== -1) {
      o.permitPty = r === 1;
    } else if ((r = optFlag(c, 'user-rc', true)) !== -1) {
      o.permitUserRc = r === 1;
    } else if (optMatch(c, 'command')) {
      if (o.forceCommand !== null) throw new OptionError('multiple "command" clauses');
      o.forceCommand = utf8(optDequote(c));
    } else if (optMatch(c, 'principals')) {
      if (o.principals !== null) throw new OptionError('multiple "principals" clauses');
      o.principals = utf8(optDequote(c));
    } else if (optMatch(c, 'from')) {
      if (o.requiredFromHostPatterns !== null) throw new OptionError('multiple "from" clauses');
      o.requiredFromHostPatterns = utf8(optDequote(c));
    } else if (optMatch(c, 'expiry-time')) {
      const t = parseAbsoluteTime(optDequote(c));
      if (t === null || t === 0) throw new OptionError('invalid expires time');
      if (o.expiryTime === null || t < o.expiryTime) o.expiryTime = t;
    } else if (optMatch(c, 'environment')) {
      if (o.environment.length > SSH_AUTHOPT_ENV_MAX) throw new OptionError('too many environment strings');
      const opt = optDequote(c);
      const eq = opt.indexOf('=');
      if (eq < 0 || !validEnvName(opt.slice(0, eq))) throw new OptionError('invalid environment string');
      const name = utf8(opt.slice(0, eq + 1));
      if (!o.environment.some((e) => e.startsWith(name))) o.environment.push(utf8(opt));
    } else if (optMatch(c, 'permitopen')) {
      handlePermit(c, false, o.permitOpen);
    } else if (optMatch(c, 'permitlisten')) {
      handlePermit(c, true, o.permitListen);
    } else if (optMatch(c, 'tunnel')) {
      const tun = a2tun(optDequote(c));
      if (tun === null) throw new OptionError('invalid tun device');
      o.tunnel = tun;
    }
    // Skip the comma and move to the next option, or stop at the end of the options.
    if (c.i >= s.length || c.ch === ' ' || c.ch === '\t') break;
    if (c.ch !== ',') throw new OptionError('unknown key option');
    c.i++;
    if (c.i >= s.length) throw new OptionError('unexpected end-of-options');
  }
  return o;
}

/**
 * Parses a key options string ("restrict,pty,command=\"x\"") as sshd does: the options or
 * sshd's reason for refusing them.
 */
export function parseKeyOptions(text: string): { ok: true; options: KeyOptions } | { ok: false; reason: string } {
  try {
    return { ok: true, options: parseOptionString(Buffer.from(text, 'utf8').toString('latin1')) };
  } catch (err) {
    if (err instanceof OptionError) return { ok: false, reason: err.message };
    throw err;
  }
}

/** sshkey_advance_past_options(): the first unquoted blank; null for an unterminated quote. */
function advancePastOptions(buf: Buffer, i: number): number | null {
  let quoted = false;
  for (; i < buf.length && (quoted || (buf[i] !== SP && buf[i] !== TAB)); i++) {
    if (buf[i] === 0x5c && buf[i + 1] === 0x22) i++;
    else if (buf[i] === 0x22) quoted = !quoted;
  }
  return i >= buf.length && quoted ? null : i;
}

function skipSpace(buf: Buffer, i: number): number {
  while (buf[i] === SP || buf[i] === TAB) i++;
  return i;
}

/**
 * Reads an authorized_keys file. Blank lines, comments and lines with leading blanks are handled
 * as sshd does; lines are not limited in length (sshd reads them with getline). A line sshd
 * would skip (no key, or options it refuses) is left out of `keys` and reported in `errors`
 * with the text sshd logs for it.
 *
 * sshd reads each line again for every key offered, looking for a key of the offered type only:
 * it logs a bad options line only when the key on it is of the offered key's type. This parser
 * reads every key type at once and reports every broken line.
 */
export function parseAuthorizedKeys(text: string | Buffer, file: string): { keys: AuthorizedKeyLine[]; errors: AuthorizedKeysError[] } {
  const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const keys: AuthorizedKeyLine[] = [];
  const errors: AuthorizedKeysError[] = [];
  const where = cut(file, 200);
  let lineNo = 0;
  for (let pos = 0; pos < data.length; ) {
    let nl = data.indexOf(0x0a, pos);
    nl = nl < 0 ? data.length : nl + 1;
    let line = data.subarray(pos, nl);
    pos = nl;
    lineNo++;
    const nul = line.indexOf(0);
    if (nul >= 0) line = line.subarray(0, nul);
    let cp = skipSpace(line, 0);
    if (cp >= line.length || line[cp] === 0x0a || line[cp] === 0x23) continue;
    const loc = `${where}:${lineNo}`;
    let optionStart: number | null = null;
    let read = sshkeyRead(line, cp);
    if (!read) {
      optionStart = cp;
      const end = advancePastOptions(line, cp);
      if (end === null) {
        const reason = 'invalid key option string';
        errors.push({ line: lineNo, reason, message: reason, level: 'error' });
        continue;
      }
      cp = skipSpace(line, end);
      read = sshkeyRead(line, cp);
      if (!read) {
        const rest = utf8(line.subarray(cp).toString('latin1')).replace(/\r?\n$/, '');
        errors.push({ line: lineNo, reason: 'no key', message: `${loc}: advance: '${rest}'`, level: 'debug2' });
        continue;
      }
    }
    let options = defaultKeyOptions();
    if (optionStart !== null) {
      try {
        options = parseOptionString(line.subarray(optionStart).toString('latin1'));
      } catch (err) {
        if (!(err instanceof OptionError)) throw err;
        errors.push({ line: lineNo, reason: err.message, message: `${loc}: bad key options: ${err.message}`, level: 'debug' });
        continue;
      }
    }
    const comment = utf8(line.subarray(read.next).toString('latin1')).replace(/[ \t\r\n]+$/, '');
    keys.push({ line: lineNo, loc, key: read.key, options, comment });
  }
  return { keys, errors };
}

/**
 * The first line that authorizes the plain key `key` by itself: same key, not a cert-authority
 * line. Certificates (matched against cert-authority lines) are not handled here: null.
 */
export function findKey(lines: readonly AuthorizedKeyLine[], key: PublicKey): AuthorizedKeyLine | null {
  return candidates(lines, key)[0] ?? null;
}

function candidates(lines: readonly AuthorizedKeyLine[], key: PublicKey): AuthorizedKeyLine[] {
  if (key.isCert) return [];
  return lines.filter((l) => !l.options.certAuthority && publicKeysEqual(l.key, key));
}

export type OptionCheck = { ok: true } | { ok: false; reason: string };

export interface OptionContext {
  /** The client's IP address. */
  remoteAddr: string;
  /**
   * The client's host name as sshd knows it: with UseDNS no (the default) that is the address
   * itself, so pass remoteAddr then. null matches no name.
   */
  remoteHost: string | null;
  /** Seconds since the epoch. */
  now: number;
  /** The user logging in (named in the from= refusal). */
  user?: string;
  /** "FILE:LINE" of the key's line (AuthorizedKeyLine.loc), prefixed to the messages. */
  loc?: string;
}

/** format_absolute_time(): local "%Y-%m-%dT%H:%M:%S". */
export function formatAbsoluteTime(t: number): string {
  const d = new Date(t * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${String(d.getFullYear()).padStart(4, '0')}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * auth_authorise_keyopts() for a plain key: an expired entry, principals= without
 * cert-authority, and a from= list the client does not match (match_host_and_ip) refuse the
 * key. The reason is what sshd logs (sshd then logs "Refused by key options").
 */
export function checkKeyOptions(opts: KeyOptions, ctx: OptionContext): OptionCheck {
  const loc = ctx.loc === undefined ? '' : `${ctx.loc}: `;
  if (opts.expiryTime !== null && ctx.now > 0 && opts.expiryTime < ctx.now) {
    return { ok: false, reason: `${loc}entry expired at ${formatAbsoluteTime(opts.expiryTime)}` };
  }
  if (opts.principals !== null && !opts.certAuthority) return { ok: false, reason: `${loc}principals on non-CA key` };
  const from = opts.requiredFromHostPatterns;
  if (from !== null && matchHostAndIp(ctx.remoteHost, ctx.remoteAddr, from) !== 1) {
    const host = ctx.remoteHost ?? '(null)';
    return {
      ok: false,
      reason:
        `${loc}Authentication tried for ${cut(ctx.user ?? '(null)', 100)} with correct key but not from a permitted host ` +
        `(host=${cut(host, 200)}, ip=${cut(ctx.remoteAddr, 200)}, required=${cut(from, 200)}).`,
    };
  }
  return { ok: true };
}

/**
 * What sshd decides for a plain key against one file's lines: the first line with this key
 * whose options let the client in (a refused line does not stop the search), and the refusals
 * met on the way.
 */
export function authorizeKey(
  lines: readonly AuthorizedKeyLine[],
  key: PublicKey,
  ctx: Omit<OptionContext, 'loc'>,
): { entry: AuthorizedKeyLine | null; refusals: string[] } {
  const refusals: string[] = [];
  for (const entry of candidates(lines, key)) {
    const check = checkKeyOptions(entry.options, { ...ctx, loc: entry.loc });
    if (check.ok) return { entry, refusals };
    refusals.push(check.reason);
  }
  return { entry: null, refusals };
}

/** The sshd_config settings auth_log_authopts consults. */
export interface OptionLogSettings {
  permitUserEnvironment: boolean;
  /** AllowTcpForwarding yes/local. */
  forwardLocal: boolean;
  /** AllowTcpForwarding yes/remote. */
  forwardRemote: boolean;
}

/**
 * auth_log_authopts(): the debug lines sshd logs for an accepted line's options, each prefixed
 * with `loc` ("FILE:LINE: key options: agent-forwarding port-forwarding pty ...", then the
 * details). Defaults are sshd's: PermitUserEnvironment no, AllowTcpForwarding yes.
 */
export function keyOptionsLog(
  opts: KeyOptions,
  loc: string,
  settings: OptionLogSettings = { permitUserEnvironment: false, forwardLocal: true, forwardRemote: true },
): string[] {
  const env = settings.permitUserEnvironment && opts.environment.length > 0;
  const open = opts.permitOpen.length > 0 && settings.forwardLocal;
  const listen = opts.permitListen.length > 0 && settings.forwardRemote;
  const words = [
    opts.permitAgentForwarding ? ' agent-forwarding' : '',
    opts.forceCommand === null ? '' : ' command',
    env ? ' environment' : '',
    opts.expiryTime === null ? '' : 'expires', // sic: sshd prints no blank before it
    opts.noTouchRequired ? ' no-touch-required' : '',
    open ? ' permitopen' : '',
    listen ? ' permitlisten' : '',
    opts.permitPortForwarding ? ' port-forwarding' : '',
    opts.principals === null ? '' : ' principals',
    opts.permitPty ? ' pty' : '',
    opts.verifyRequired ? ' uv' : '',
    opts.tunnel === null ? '' : ` tun=${opts.tunnel}`,
    opts.permitUserRc ? ' user-rc' : '',
    opts.permitX11Forwarding ? ' x11-forwarding' : '',
  ];
  const out = [`${loc}: key options:${words.join('')}`];
  if (settings.permitUserEnvironment) for (const e of opts.environment) out.push(`${loc}: environment: ${e}`);
  if (opts.expiryTime !== null) out.push(`${loc}: expires at ${formatAbsoluteTime(opts.expiryTime)}`);
  if (opts.principals !== null) out.push(`${loc}: authorized principals: "${opts.principals}"`);
  if (opts.forceCommand !== null) out.push(`${loc}: forced command: "${opts.forceCommand}"`);
  if (open) for (const p of opts.permitOpen) out.push(`${loc}: permitted open: ${p}`);
  if (listen) for (const p of opts.permitListen) out.push(`${loc}: permitted listen: ${p}`);
  return out;
}

/** The colon-separated records of /etc/passwd or /etc/group ("files", as NSS reads them). */
function records(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/**
 * secure_permissions() of Debian's OpenSSH (user-group-modes.patch; upstream's safe_path refuses
 * any group-writable path): owned by root or `uid`, not writable by others, and group-writable
 * only if the group's sole member is `uid` (by primary group) or the owner (listed as the
 * group's only supplementary member).
 */
function securePermissions(st: Stats, uid: number): boolean {
  if (st.uid !== 0 && st.uid !== uid) return false;
  if ((st.mode & 0o002) !== 0) return false;
  if ((st.mode & 0o020) === 0) return true;
  const group = records('/etc/group').find((g) => Number(g[2]) === st.gid);
  if (!group) return false;
  const passwd = records('/etc/passwd');
  let members = 0;
  for (const pw of passwd) {
    if (Number(pw[3]) !== st.gid) continue;
    members++;
    if (Number(pw[2]) !== uid) return false;
  }
  const owner = passwd.find((pw) => Number(pw[2]) === st.uid);
  if (!owner) return false;
  const mem = (group[3] ?? '').split(',').filter((m) => m !== '');
  if (mem.length > 0) {
    members++;
    if (mem[0] !== owner[0] || mem.length > 1) return false;
  }
  return members > 0;
}

/**
 * StrictModes for a user's authorized_keys (safe_path_fd/safe_path): the file is a regular file
 * and it and every directory above it, up to the user's home (or /), belong to root or `uid`
 * and are not writable by others, nor by the group unless that group is the user's alone
 * (Debian's rule, which the installed sshd follows). Returns sshd's text (logged as
 * "Authentication refused: TEXT") or null if the path is safe.
 */
export function checkAuthorizedKeysPath(path: string, uid: number, home: string): string | null {
  let st: Stats;
  let buf: string;
  try {
    st = statSync(path);
  } catch (err) {
    return `cannot stat file ${path}: ${strerror(err)}`;
  }
  try {
    buf = realpathSync(path);
  } catch (err) {
    return `realpath ${path} failed: ${strerror(err)}`;
  }
  let homedir: string | null = null;
  try {
    homedir = realpathSync(home);
  } catch {
    // sshd then walks up to /
  }
  if (!st.isFile()) return `${buf} is not a regular file`;
  if (!securePermissions(st, uid)) return `bad ownership or modes for file ${buf}`;
  for (;;) {
    buf = dirname(buf);
    let dst: Stats | null = null;
    try {
      dst = statSync(buf);
    } catch {
      // reported below
    }
    if (!dst || !securePermissions(dst, uid)) return `bad ownership or modes for directory ${buf}`;
    if (homedir !== null && homedir === buf) break;
    if (buf === '/' || buf === '.') break;
  }
  return null;
}
