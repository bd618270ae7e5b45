/**
 * Listen addresses: sshd looks each ListenAddress (or the wildcard) up with getaddrinfo() once
 * per port, and `sshd -T` prints each lookup's results in reverse order (add_one_listen_addr()
 * pushes them on a stack). Name lookups are asynchronous here; numeric addresses are handled
 * without a resolver and printed as getnameinfo(NI_NUMERICHOST) prints them.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ServerConfigFatal } from './process.js';
import type { ResolvedServerConfig } from './types.js';

export interface ListenAddress {
  /** Numeric address (IPv6 in inet_ntop()'s form, with its zone if any). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly rdomain: string | null;
}

/** getaddrinfo(host, SOCK_STREAM, family): addresses in the resolver's order. */
export type HostLookup = (host: string, family: 0 | 4 | 6) => Promise<readonly { address: string; family: number }[]>;

const GAI_ERRORS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'Name or service not known',
  EAI_NONAME: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  ENODATA: 'No address associated with hostname',
  EAI_NODATA: 'No address associated with hostname',
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
};

export const systemLookup: HostLookup = async (host, family) => {
  try {
    return await dnsLookup(host, { all: true, family, verbatim: true });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    throw new Error(GAI_ERRORS[code] ?? code);
  }
};

/** inet_ntop(AF_INET6) as glibc writes it: longest zero run (2+ groups) as "::", embedded IPv4. */
export function formatIpv6(addr: string): string {
  const pct = addr.indexOf('%');
  const zone = pct >= 0 ? addr.slice(pct) : '';
  let s = pct >= 0 ? addr.slice(0, pct) : addr;
  let tail: number[] = [];
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    s = m[1]!.endsWith('::') ? m[1]! : m[1]!.slice(0, -1);
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = Array<string>(Math.max(0, 8 - tail.length - h.length - r.length)).fill('0');
  const words = [...(rest === undefined ? h : [...h, ...fill, ...r]).map((g) => parseInt(g, 16)), ...tail];
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  words.forEach((w, i) => {
    if (w === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  });
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
      return out + zone;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out + zone;
}

/**
 * The addresses tshd listens on, in the order `sshd -T` prints them. Throws sshd's
 * "bad addr or host" error (exit 255) when a lookup fails.
 */
export async function resolveListenAddresses(
  cfg: Pick<ResolvedServerConfig, 'listen' | 'addressFamily'>,
  lookup: HostLookup = systemLookup,
): Promise<ListenAddress[]> {
  const family = cfg.addressFamily === 'inet' ? 4 : cfg.addressFamily === 'inet6' ? 6 : 0;
  const out: ListenAddress[] = [];
  for (const spec of cfg.listen) {
    let batch: { address: string; family: number }[];
    if (spec.host === null) {
      batch = [];
      if (family !== 6) batch.push({ address: '0.0.0.0', family: 4 });
      if (family !== 4) batch.push({ address: '::', family: 6 });
    } else {
      const literal = isIP(spec.host);
      const bad = (why: string): never => {
        throw new ServerConfigFatal(`bad addr or host: ${spec.host} (${why})`);
      };
      if (literal !== 0) {
        if (family !== 0 && literal !== family) bad('Address family for hostname not supported');
        batch = [{ address: spec.host, family: literal }];
      } else {
        try {
          batch = [...(await lookup(spec.host, family))];
        } catch (err) {
          return bad(err instanceof Error ? err.message : String(err));
        }
      }
    }
    for (const a of batch.reverse()) {
      const fam = a.family === 6 ? 6 : 4;
      out.push({ address: fam === 6 ? formatIpv6(a.address) : a.address, family: fam, port: spec.port, rdomain: spec.rdomain });
    }
  }
  return out;
}
