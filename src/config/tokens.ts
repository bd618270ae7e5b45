/**
 * Token expansion as misc.c does it: %-tokens (percent_expand), ${ENV} (dollar_expand), ~ (tilde
 * expansion against the passwd home, not $HOME) and the %C connection hash.
 */
import { createHash } from 'node:crypto';
import { TshError } from '../errors.js';

export type TokenMap = Readonly<Record<string, string>>;

export class ExpandError extends Error {}

/**
 * percent_expand / percent_dollar_expand. `tokens` maps one-letter keys to their values; with
 * `env`, ${NAME} is replaced too. Throws ExpandError with OpenSSH's message on a bad string.
 */
export function expandTokens(s: string, tokens: TokenMap | null, env: Readonly<Record<string, string | undefined>> | null): string {
  let out = '';
  let missing: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (env && c === '$' && s[i + 1] === '{') {
      const start = i + 2;
      const end = s.indexOf('}', start);
      if (end < 0) throw new ExpandError(`environment variable '${s.slice(start)}' missing closing '}'`);
      if (end === start) throw new ExpandError('zero-length environment variable');
      const name = s.slice(start, end);
      const val = env[name];
      if (val === undefined) missing ??= `env var \${${name}} has no value`;
      else out += val;
      i = end;
      continue;
    }
    if (c !== '%' || !tokens) {
      out += c;
      continue;
    }
    i++;
    const k = s[i];
    if (k === '%') {
      out += '%';
      continue;
    }
    if (k === undefined) throw new ExpandError('invalid format');
    const v = tokens[k];
    if (v === undefined) throw new ExpandError(`unknown key %${k}`);
    out += v;
  }
  if (missing) throw new ExpandError(missing);
  return out;
}

/** dollar_expand(): ${ENV} only. */
export function dollarExpand(s: string, env: Readonly<Record<string, string | undefined>>): string {
  return expandTokens(s, null, env);
}

/**
 * tilde_expand_filename(): `~/x` and `~` use the local user's passwd home; `~user/x` asks
 * `lookupHome`. Quirk kept from OpenSSH: `~x` (no slash) means `<home>/x`.
 */
export function tildeExpand(path: string, home: string, lookupHome?: (user: string) => string | undefined): string {
  if (!path.startsWith('~')) return path;
  const rest = path.slice(1);
  const slash = rest.indexOf('/');
  let dir = home;
  if (slash > 0) {
    const user = rest.slice(0, slash);
    const h = lookupHome?.(user);
    if (h === undefined) throw new TshError(`tilde_expand_filename: No such user ${user}`);
    dir = h;
  }
  const sep = dir === '' || !dir.endsWith('/') ? '/' : '';
  const file = slash >= 0 ? rest.slice(slash + 1) : rest;
  return `${dir}${sep}${file}`;
}

/** ssh_connection_hash(): %C, the SHA-1 of local host name, remote host, port and remote user. */
export function connectionHash(thisHost: string, host: string, port: string, user: string): string {
  return createHash('sha1').update(thisHost).update(host).update(port).update(user).digest('hex');
}

/** convtime(): "90", "1h30m", "2d" → seconds, or -1 if malformed. */
export function convtime(s: string): number {
  if (s === '') return -1;
  let total = 0;
  const re = /([0-9]+)([sSmMhHdDwW]?)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return -1;
    const n = Number(m[1]);
    const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]!.toLowerCase()] ?? 1;
    total += n * mult;
    if (total > 0x7fffffff) return -1;
    i = re.lastIndex;
  }
  return total;
}

/** a2port(): 1..65535, 0 for "0", -1 for anything else. */
export function a2port(s: string): number {
  if (!/^[0-9]+$/.test(s)) return -1;
  const n = Number(s);
  return n > 65535 ? -1 : n;
}
