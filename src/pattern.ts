/**
 * OpenSSH pattern matching (match.c, addrmatch.c): `*` and `?` wildcards, comma-separated
 * pattern lists with `!` negation, and CIDR address lists. Pure; imports nothing.
 */
import { isIP } from 'node:net';

/** True if `s` matches `pattern` (`*` = any run, `?` = any one character). match_pattern(). */
export function matchPattern(s: string, pattern: string): boolean {
  return matchFrom(s, 0, pattern, 0);
}

function matchFrom(s: string, si: number, p: string, pi: number): boolean {
  for (;;) {
    if (pi >= p.length) return si >= s.length;
    if (p[pi] === '*') {
      while (p[pi] === '*') pi++;
      if (pi >= p.length) return true;
      if (p[pi] !== '?') {
        // Next pattern character is literal: only try positions where it occurs.
        for (; si < s.length; si++) {
          if (s[si] === p[pi] && matchFrom(s, si + 1, p, pi + 1)) return true;
        }
        return false;
      }
      for (; si < s.length; si++) if (matchFrom(s, si, p, pi)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (p[pi] !== '?' && p[pi] !== s[si]) return false;
    si++;
    pi++;
  }
}

export type ListMatch = 1 | 0 | -1;

/**
 * Matches `s` against a comma-separated list of patterns, each optionally negated with `!`.
 * Returns -1 if a negated pattern matched, 1 if a positive one did, 0 otherwise.
 * With `caseInsensitive` the patterns (not `s`) are lowercased, as match_pattern_list(dolower) does.
 */
export function matchPatternList(s: string, list: string, caseInsensitive: boolean): ListMatch {
  let gotPositive = false;
  let i = 0;
  const len = list.length;
  while (i < len) {
    let negated = false;
    if (list[i] === '!') {
      negated = true;
      i++;
    }
    let end = list.indexOf(',', i);
    if (end < 0) end = len;
    let sub = list.slice(i, end);
    // OpenSSH copies into a 1024-byte buffer; an over-long subpattern is no match at all.
    if (Buffer.byteLength(sub) >= 1023) return 0;
    i = end < len ? end + 1 : end;
    if (caseInsensitive) sub = asciiLower(sub);
    if (matchPattern(s, sub)) {
      if (negated) return -1;
      gotPositive = true;
    }
  }
  return gotPositive ? 1 : 0;
}

/** ASCII-only lowercase, like the C library's tolower() in the C locale. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** match_hostname(): the host is lowercased, the patterns are matched case-insensitively. */
export function matchHostname(host: string, patterns: string): ListMatch {
  return matchPatternList(asciiLower(host), patterns, true);
}

interface Net {
  v6: boolean;
  bits: bigint;
}

function parseAddr(a: string): Net | null {
  const kind = isIP(a);
  if (kind === 4) {
    const parts = a.split('.').map(Number);
    return { v6: false, bits: parts.reduce((acc, n) => (acc << 8n) | BigInt(n), 0n) };
  }
  if (kind === 6) {
    let s = a;
    const pct = s.indexOf('%');
    if (pct >= 0) s = s.slice(0, pct);
    let tail: number[] = [];
    const lastColon = s.lastIndexOf(':');
    if (s.slice(lastColon + 1).includes('.')) {
      const v4 = parseAddr(s.slice(lastColon + 1));
      if (!v4) return null;
      tail = [Number((v4.bits >> 16n) & 0xffffn), Number(v4.bits & 0xffffn)];
      s = s.slice(0, lastColon + 1) + '0';
    }
    const [head, rest] = s.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
    let groups: string[];
    if (rest === undefined) groups = h;
    else groups = [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
    const nums = groups.map((g) => parseInt(g, 16));
    if (tail.length) nums.splice(nums.length - 1, 1, ...tail);
    while (nums.length < 8) nums.push(0);
    return { v6: true, bits: nums.slice(0, 8).reduce((acc, n) => (acc << 16n) | BigInt(n), 0n) };
  }
  return null;
}

/** addr_pton_cidr(): 0 = parsed, -1 = not an address, -2 = bad mask / host bits set. */
function parseCidr(p: string): { r: 0; net: Net; masklen: number } | { r: -1 | -2 } {
  const slash = p.indexOf('/');
  const addr = slash >= 0 ? p.slice(0, slash) : p;
  const net = parseAddr(addr);
  if (!net) return { r: -1 };
  const max = net.v6 ? 128 : 32;
  let masklen = max;
  if (slash >= 0) {
    const m = p.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(m)) return { r: -1 };
    masklen = Number(m);
    if (masklen > max) return { r: -1 };
  }
  const hostMask = (1n << BigInt(max - masklen)) - 1n;
  if ((net.bits & hostMask) !== 0n) return { r: -2 };
  return { r: 0, net, masklen };
}

/**
 * addr_match_list(): matches an address against a list of CIDR blocks or wildcard patterns.
 * 1 = match, 0 = no match, -1 = negated match, -2 = malformed list.
 */
export function addrMatchList(addr: string | null, list: string): 1 | 0 | -1 | -2 {
  let tryAddr: Net | null = null;
  if (addr !== null) {
    tryAddr = parseAddr(addr);
    if (!tryAddr) return 0;
  }
  let ret: 1 | 0 | -1 | -2 = 0;
  for (let cp of list.split(',')) {
    const neg = cp.startsWith('!');
    if (neg) cp = cp.slice(1);
    if (cp === '') return -2;
    const c = parseCidr(cp);
    let found = false;
    if (c.r === -2) return -2;
    if (c.r === 0) {
      if (tryAddr && tryAddr.v6 === c.net.v6) {
        const max = c.net.v6 ? 128 : 32;
        const shift = BigInt(max - c.masklen);
        found = tryAddr.bits >> shift === c.net.bits >> shift;
      }
    } else if (addr !== null && matchPattern(addr, cp)) {
      found = true;
    }
    if (found) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/**
 * match_host_and_ip(): 1 if the host name or its address matches the list and neither is
 * negated, 0 otherwise, -1 if the list has a malformed address entry.
 */
export function matchHostAndIp(host: string | null, ipaddr: string | null, patterns: string): 1 | 0 | -1 {
  const mip = addrMatchList(ipaddr, patterns);
  if (mip === -2) return -1;
  if (host === null || ipaddr === null || mip === -1) return 0;
  const mhost = matchHostname(host, patterns);
  if (mhost === -1) return 0;
  if (mhost === 0 && mip === 0) return 0;
  return 1;
}

/** Items of the comma list `proposal` that match (allow) / do not match (deny) the filter list. */
export function matchFilterAllowlist(proposal: string, filter: string): string {
  return proposal
    .split(',')
    .filter((cp) => matchPatternList(cp, filter, false) === 1)
    .join(',');
}

export function matchFilterDenylist(proposal: string, filter: string): string {
  return proposal
    .split(',')
    .filter((cp) => matchPatternList(cp, filter, false) !== 1)
    .join(',');
}
