/**
 * tshd's pre-authentication limits: the checks sshd's listener makes on each accepted
 * connection before it forks a child for it (sshd.c drop_connection()), kept pure so they can be
 * tested without sockets, sleeps or luck.
 *
 * - StartupLimiter: MaxStartups random early drop (should_drop_connection()) and
 *   PerSourceMaxStartups / PerSourceNetBlockSize (srclimit_check_allow()), as OpenSSH 9.2 does
 *   them, with 9.2's log lines.
 * - PenaltyBox: PerSourcePenalties and PerSourcePenaltyExemptList as OpenSSH 9.8 has them
 *   (srclimit_penalty_check_allow(), srclimit_penalise()): whole seconds, penalties accrue per
 *   netblock up to max:, refuse only once more than min: is outstanding, separate IPv4 and IPv6
 *   tables of max-sources4:/max-sources6: entries with overflow:/overflow6: behaviour.
 *
 * sshd's order, for the caller: `penalties.check(..., limiter.startups) ?? limiter.admit(...)`;
 * then `limiter.release(addr)` when the connection authenticates or closes, and
 * `penalties.record(addr, kind)` when it closes without authenticating.
 *
 * Addresses are grouped by netblock in both; an IPv4-mapped IPv6 address counts as the IPv4
 * address (sshd's IPv6 listeners are IPV6_V6ONLY, so it never sees one; Node's are dual-stack).
 *
 * Deliberate differences from 9.8: grace-exceeded: charges its own duration (9.8 charged
 * crash:'s), and a penalty of 0 seconds records nothing (as later releases do) instead of a
 * 0-second table entry.
 */
import { isIP } from 'node:net';
import { addrMatchList } from '../pattern.js';
import { NULL_LOGGER, type Logger } from '../session/log.js';
import { formatIpv6 } from './config/listen.js';
import type { PerSourcePenalties, ResolvedServerConfig } from './config/types.js';

/** What sshd 9.2 writes to a client it drops past MaxStartups, before closing (best effort). */
export const MAXSTARTUPS_NOTICE = 'Exceeded MaxStartups\r\n';
/** What sshd 9.8 writes instead, to every client it drops (penalty or MaxStartups). */
export const PENALTY_NOTICE = 'Not allowed at this time\r\n';

/** Where the lines that are not a drop go (throttling state, debug). */
export type LimitsLogger = Pick<Logger, 'error' | 'info' | 'debug1' | 'debug3'>;

export interface NetBlock {
  readonly ipv4: number;
  readonly ipv6: number;
}

export interface LocalEnd {
  readonly address: string;
  readonly port: number;
}

/** A refused connection: the line sshd logs, and the level it logs it at. */
export interface Drop {
  readonly message: string;
  readonly level: 'info' | 'verbose';
}

// ---------------------------------------------------------------------------------------------
// Addresses

interface Ip {
  readonly v6: boolean;
  readonly bits: bigint;
  /** As sshd prints it: mapped addresses as IPv4, IPv6 as inet_ntop() writes it. */
  readonly text: string;
}

function v4Text(bits: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.');
}

function v6Text(bits: bigint): string {
  const words = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((bits >> s) & 0xffffn).toString(16));
  return formatIpv6(words.join(':'));
}

/** A numeric address, or null. IPv4-mapped IPv6 becomes IPv4 (ipv64_normalise_mapped()). */
function parseIp(addr: string): Ip | null {
  const kind = isIP(addr);
  if (kind === 4) {
    return { v6: false, bits: addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n), text: addr };
  }
  if (kind !== 6) return null;
  const pct = addr.indexOf('%');
  // WHATWG URL writes an IPv6 host canonically: lower-case hex words, at most one "::", no
  // dotted quad, so expanding it is a matter of filling in the "::".
  let host: string;
  try {
    host = new URL(`http://[${pct < 0 ? addr : addr.slice(0, pct)}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [left, right] = host.split('::').map((h) => (h === '' ? [] : h.split(':'))) as [string[], string[] | undefined];
  const words = right === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bits = words.reduce((acc, w) => (acc << 16n) | BigInt(parseInt(w, 16)), 0n);
  if (bits >> 32n === 0xffffn) {
    const v4 = bits & 0xffffffffn;
    return { v6: false, bits: v4, text: v4Text(v4) };
  }
  return { v6: true, bits, text: formatIpv6(addr) };
}

function maskLen(ip: Ip, nb: NetBlock): number {
  return Math.max(0, Math.min(ip.v6 ? nb.ipv6 : nb.ipv4, ip.v6 ? 128 : 32));
}

/** The address with its host bits cleared (addr_netmask() + addr_and()). */
function masked(bits: bigint, v6: boolean, len: number): bigint {
  const host = BigInt((v6 ? 128 : 32) - len);
  return (bits >> host) << host;
}

/** get_peer_ipaddr()/get_local_ipaddr(): "UNKNOWN" when there is no address. */
function shown(addr: string): string {
  return parseIp(addr)?.text ?? (addr === '' ? 'UNKNOWN' : addr);
}

function dropLine(startups: number, addr: string, port: number, local: LocalEnd, reason: string): string {
  return `drop connection #${startups} from [${shown(addr)}]:${port} on [${shown(local.address)}]:${local.port} ${reason}`;
}

/** misc.c fmt_timeframe(): "HH:MM:SS", "Dd HHhMMm" or "WWwDdHHh". */
export function fmtTimeframe(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  let t = Math.max(0, Math.floor(seconds));
  const sec = t % 60;
  t = Math.floor(t / 60);
  const min = t % 60;
  t = Math.floor(t / 60);
  const hrs = t % 24;
  t = Math.floor(t / 24);
  const day = t % 7;
  const week = Math.floor(t / 7);
  if (week > 0) return `${two(week)}w${day}d${two(hrs)}h`;
  if (day > 0) return `${day}d${two(hrs)}h${two(min)}m`;
  return `${two(hrs)}:${two(min)}:${two(sec)}`;
}

const monotonicMs = (): number => performance.now();

// ---------------------------------------------------------------------------------------------
// MaxStartups + PerSourceMaxStartups (OpenSSH 9.2)

export interface StartupLimits {
  /** MaxStartups start:rate:full. */
  readonly begin: number;
  readonly rate: number;
  readonly full: number;
  /** PerSourceMaxStartups; null = none. */
  readonly perSource: number | null;
  /** PerSourceNetBlockSize. */
  readonly netBlock: NetBlock;
}

export interface StartupLimiterOptions extends StartupLimits {
  /** In [0, 1), like Math.random(): arc4random_uniform(100) is floor(random() * 100). */
  readonly random?: () => number;
  /** Monotonic milliseconds; only the throttling log lines depend on it. */
  readonly now?: () => number;
  readonly log?: LimitsLogger;
}

/** The limiter's settings from the resolved configuration. */
export function startupLimits(
  cfg: Pick<ResolvedServerConfig, 'maxStartups' | 'perSourceMaxStartups' | 'perSourceNetBlockSize'>,
): StartupLimits {
  return { ...cfg.maxStartups, perSource: cfg.perSourceMaxStartups, netBlock: cfg.perSourceNetBlockSize };
}

interface LiveSource {
  readonly ip: Ip | null;
  count: number;
}

/** Seconds between sshd's "in MaxStartups throttling" reminders. */
const MAXSTARTUPS_LOG_INTERVAL = 5 * 60;

export class StartupLimiter {
  private limits: StartupLimits;
  private random: () => number;
  private now: () => number;
  private log: LimitsLogger;
  /** Unauthenticated connections by (normalised) source address. */
  private readonly live = new Map<string, LiveSource>();
  /** The same, counted by netblock. */
  private blocks = new Map<string, number>();
  private total = 0;
  /** Throttling state (drop_connection()'s statics); lastDrop null = not throttling. */
  private lastDrop: number | null = null;
  private firstDrop = 0;
  private ndropped = 0;

  constructor(opts: StartupLimiterOptions) {
    this.limits = pickLimits(opts);
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? monotonicMs;
    this.log = opts.log ?? NULL_LOGGER;
  }

  /** Unauthenticated connections counted now (sshd's `startups`, the #N of its drop lines). */
  get startups(): number {
    return this.total;
  }

  /**
   * A new unauthenticated connection from addr: null = accepted (and counted), else the line
   * sshd 9.2 logs for the drop ("drop connection #N from [ADDR]:PORT on [LADDR]:LPORT past
   * MaxStartups"; PerSourceMaxStartups drops read the same).
   */
  admit(addr: string, port: number, local: LocalEnd): string | null {
    return this.decide(addr, port, local)?.message ?? null;
  }

  /** admit(), with the level sshd logs the drop at: info when throttling begins, verbose after. */
  decide(addr: string, port: number, local: LocalEnd): Drop | null {
    const now = Math.floor(this.now() / 1000);
    const startups = this.total;
    const ip = parseIp(addr);
    if (!this.shouldDrop(startups) && this.sourceAllowed(ip)) {
      if (this.lastDrop !== null && startups < this.limits.begin - 1) {
        this.log.info(
          `exited MaxStartups throttling after ${fmtTimeframe(now - this.firstDrop)}, ${this.ndropped} connections dropped`,
        );
        this.lastDrop = null;
      }
      this.count(addr, ip, 1);
      return null;
    }
    let level: Drop['level'] = 'verbose';
    if (this.lastDrop === null) {
      this.log.error('beginning MaxStartups throttling');
      level = 'info';
      this.firstDrop = now;
      this.ndropped = 0;
    } else if (this.lastDrop + MAXSTARTUPS_LOG_INTERVAL < now) {
      this.log.error(
        `in MaxStartups throttling for ${fmtTimeframe(now - this.firstDrop)}, ${this.ndropped + 1} connections dropped`,
      );
      level = 'info';
    }
    this.lastDrop = now;
    this.ndropped++;
    return { message: dropLine(startups, addr, port, local, 'past MaxStartups'), level };
  }

  /** A connection admitted from addr authenticated or closed: it stops counting. */
  release(addr: string): void {
    const key = sourceKey(addr, parseIp(addr));
    if (this.live.has(key)) this.count(addr, this.live.get(key)!.ip, -1);
  }

  /** New settings (SIGHUP). Connections in progress keep counting, regrouped by the new netblocks. */
  reconfigure(opts: StartupLimits & Partial<Pick<StartupLimiterOptions, 'random' | 'now' | 'log'>>): void {
    this.limits = pickLimits(opts);
    if (opts.random) this.random = opts.random;
    if (opts.now) this.now = opts.now;
    if (opts.log) this.log = opts.log;
    this.blocks = new Map();
    for (const src of this.live.values()) {
      if (src.ip) this.addToBlock(src.ip, src.count);
    }
  }

  /** should_drop_connection(). */
  private shouldDrop(startups: number): boolean {
    const { begin, rate, full } = this.limits;
    if (startups < begin) return false;
    if (startups >= full) return true;
    if (rate === 100) return true;
    const p = Math.trunc(((100 - rate) * (startups - begin)) / (full - begin)) + rate;
    const r = Math.min(99, Math.max(0, Math.floor(this.random() * 100)));
    this.log.debug1(`should_drop_connection: p ${p}, r ${r}`);
    return r < p;
  }

  /** srclimit_check_allow() (its "no free slot" case cannot arise once shouldDrop() said no). */
  private sourceAllowed(ip: Ip | null): boolean {
    const limit = this.limits.perSource;
    if (limit === null || ip === null) return true;
    const len = maskLen(ip, this.limits.netBlock);
    const count = this.blocks.get(blockKey(ip, len)) ?? 0;
    this.log.debug3(`srclimit_check_allow: new unauthenticated connection from ${ip.text}/${len}, at ${count} of ${limit}`);
    return count < limit;
  }

  private count(addr: string, ip: Ip | null, delta: 1 | -1): void {
    const key = sourceKey(addr, ip);
    const src = this.live.get(key) ?? { ip, count: 0 };
    src.count += delta;
    if (src.count > 0) this.live.set(key, src);
    else this.live.delete(key);
    this.total += delta;
    if (ip) this.addToBlock(ip, delta);
  }

  private addToBlock(ip: Ip, delta: number): void {
    const key = blockKey(ip, maskLen(ip, this.limits.netBlock));
    const n = (this.blocks.get(key) ?? 0) + delta;
    if (n > 0) this.blocks.set(key, n);
    else this.blocks.delete(key);
  }
}

function pickLimits(o: StartupLimits): StartupLimits {
  return { begin: o.begin, rate: o.rate, full: o.full, perSource: o.perSource, netBlock: { ...o.netBlock } };
}

function sourceKey(addr: string, ip: Ip | null): string {
  return ip ? `${ip.v6 ? 6 : 4}:${ip.bits.toString(16)}` : `?${addr}`;
}

function blockKey(ip: Ip, len: number): string {
  return `${ip.v6 ? 6 : 4}:${masked(ip.bits, ip.v6, len).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// PerSourcePenalties (OpenSSH 9.8)

/** How a pre-auth connection ended badly (sshd 9.8 child_reap()'s penalty types). */
export type PenaltyKind = 'authfail' | 'noauth' | 'grace-exceeded' | 'crash';

const PENALTY_REASONS: Readonly<Record<PenaltyKind, string>> = {
  crash: 'penalty: caused crash',
  authfail: 'penalty: failed authentication',
  noauth: 'penalty: connections without attempting authentication',
  'grace-exceeded': 'penalty: exceeded LoginGraceTime',
};

function penaltySeconds(cfg: PerSourcePenalties, kind: PenaltyKind): number {
  switch (kind) {
    case 'crash':
      return cfg.crash;
    case 'authfail':
      return cfg.authfail;
    case 'noauth':
      return cfg.noauth;
    case 'grace-exceeded':
      return cfg.graceExceeded;
  }
}

export interface PenaltyBoxOptions {
  /** PerSourceNetBlockSize (default 32:128). */
  readonly netBlock?: NetBlock;
  /** Monotonic milliseconds; penalties run in whole seconds, as 9.8's monotime() does. */
  readonly now?: () => number;
  readonly log?: LimitsLogger;
}

interface Penalty {
  /** The netblock's address (host bits cleared). */
  readonly net: bigint;
  /** Whole seconds; the penalty holds while now <= expiry. */
  expiry: number;
  active: boolean;
  reason: string;
}

/** One address family's penalties, keyed by netblock address. */
class PenaltyTable {
  readonly entries = new Map<bigint, Penalty>();
  /** A lower bound on the soonest expiry, so most checks skip the expiry scan. */
  private nextExpiry = Infinity;

  constructor(readonly v6: boolean) {}

  get size(): number {
    return this.entries.size;
  }

  get family(): 'ipv4' | 'ipv6' {
    return this.v6 ? 'ipv6' : 'ipv4';
  }

  set(p: Penalty): void {
    this.entries.set(p.net, p);
    this.nextExpiry = Math.min(this.nextExpiry, p.expiry);
  }

  /** expire_penalties(): drops penalties whose expiry has passed. */
  expire(now: number): void {
    if (this.nextExpiry >= now) return;
    let next = Infinity;
    for (const [net, p] of this.entries) {
      if (p.expiry < now) this.entries.delete(net);
      else next = Math.min(next, p.expiry);
    }
    this.nextExpiry = next;
  }

  /** By expiry, then address (the by_expiry tree's order). */
  sorted(): Penalty[] {
    return [...this.entries.values()].sort((a, b) => a.expiry - b.expiry || (a.net < b.net ? -1 : a.net > b.net ? 1 : 0));
  }

  /** srclimit_early_expire_penalties(): drops the soonest-to-expire down to max entries. */
  trim(max: number, len: number, log: LimitsLogger): void {
    if (this.size <= max) return;
    for (const p of this.sorted().slice(0, this.size - max)) {
      log.debug3(`srclimit_early_expire_penalties_from_tree: ${this.family} overflow, remove ${netText(p.net, this.v6)}/${len}`);
      this.entries.delete(p.net);
    }
  }
}

function netText(bits: bigint, v6: boolean): string {
  return v6 ? v6Text(bits) : v4Text(bits);
}

export class PenaltyBox {
  private cfg: PerSourcePenalties | null;
  private exempt: string | null;
  private netBlock: NetBlock;
  private now: () => number;
  private log: LimitsLogger;
  private readonly v4 = new PenaltyTable(false);
  private readonly v6 = new PenaltyTable(true);

  /** cfg null: PerSourcePenalties off (check and record do nothing). */
  constructor(cfg: PerSourcePenalties | null, exempt: string | null, opts: PenaltyBoxOptions = {}) {
    this.cfg = cfg;
    this.exempt = exempt;
    this.netBlock = { ...(opts.netBlock ?? { ipv4: 32, ipv6: 128 }) };
    this.now = opts.now ?? monotonicMs;
    this.log = opts.log ?? NULL_LOGGER;
  }

  /**
   * srclimit_penalty_check_allow(): null when addr may connect, else the line sshd 9.8 logs (at
   * info) when it refuses: "drop connection #N from [ADDR]:PORT on [LADDR]:LPORT penalty: ..."
   * (or "... too many penalised addresses" when the table is full under overflow deny-all).
   * startups is the #N: the unauthenticated connections in progress (StartupLimiter.startups).
   */
  check(addr: string, port: number, local: LocalEnd, startups = 0): string | null {
    const cfg = this.cfg;
    const ip = parseIp(addr);
    if (cfg === null || ip === null || this.isExempt(ip)) return null;
    const now = this.seconds();
    this.expire(now);
    const table = this.table(ip);
    let reason: string;
    if (table.size >= (ip.v6 ? cfg.maxSources6 : cfg.maxSources4) && (ip.v6 ? cfg.overflow6 : cfg.overflow) === 'deny-all') {
      reason = 'too many penalised addresses';
    } else {
      const p = table.entries.get(masked(ip.bits, ip.v6, maskLen(ip, this.netBlock)));
      if (!p || p.expiry < now || !p.active) return null;
      reason = p.reason;
    }
    return dropLine(startups, addr, port, local, reason);
  }

  /**
   * srclimit_penalise(): records how a pre-auth connection from addr ended. Returns the line sshd
   * 9.8 logs (at verbose) when this imposes a penalty ("srclimit_penalise: ipv4: new
   * 192.0.2.1/32 active penalty of 90 seconds for penalty: caused crash", "... deferred ..."),
   * activates one ("srclimit_penalise: 192.0.2.1/32: activating ipv4 penalty of 20 seconds for
   * penalty: failed authentication") or cannot record it ("srclimit_penalise: ipv4 penalty table
   * full, cannot penalise ..."); null when it only lengthens a penalty (sshd logs that at debug,
   * through the logger) or records nothing.
   */
  record(addr: string, kind: PenaltyKind): string | null {
    const cfg = this.cfg;
    const ip = parseIp(addr);
    if (cfg === null || ip === null) return null;
    if (this.isExempt(ip)) {
      this.log.debug3(`srclimit_penalise: address ${ip.text} is exempt`);
      return null;
    }
    const secs = penaltySeconds(cfg, kind);
    const reason = PENALTY_REASONS[kind];
    if (secs <= 0) return null;
    const len = maskLen(ip, this.netBlock);
    const net = masked(ip.bits, ip.v6, len);
    // addr_masklen_ntop() of the address itself, not of its netblock.
    const addrNetmask = `${ip.text}/${len}`;
    const now = this.seconds();
    this.expire(now);
    const table = this.table(ip);
    const t = table.family;
    const maxSources = ip.v6 ? cfg.maxSources6 : cfg.maxSources4;
    if (table.size >= maxSources && (ip.v6 ? cfg.overflow6 : cfg.overflow) === 'deny-all') {
      return `srclimit_penalise: ${t} penalty table full, cannot penalise ${addrNetmask} for ${reason}`;
    }
    const existing = table.entries.get(net);
    if (!existing) {
      const active = secs > cfg.min;
      table.set({ net, expiry: now + secs, active, reason });
      const line = `srclimit_penalise: ${t}: new ${addrNetmask} ${active ? 'active' : 'deferred'} penalty of ${secs} seconds for ${reason}`;
      // Permissive overflow: the soonest-to-expire go, whichever table they are in.
      if (table.size > maxSources) this.trim(cfg);
      return line;
    }
    this.log.debug1(
      `srclimit_penalise: ${existing.active ? 'active' : 'inactive'} penalty for ${t} ${addrNetmask} already exists, ${existing.expiry - now} seconds remaining`,
    );
    let expiry = existing.expiry + secs;
    if (expiry - now > cfg.max) expiry = now + cfg.max;
    let line: string | null = null;
    if (expiry - now > cfg.min && !existing.active) {
      line = `srclimit_penalise: ${addrNetmask}: activating ${t} penalty of ${expiry - now} seconds for ${reason}`;
      existing.active = true;
    }
    existing.reason = reason;
    existing.expiry = expiry;
    table.set(existing);
    return line;
  }

  /**
   * srclimit_penalty_info() (sshd's SIGINFO report): per family "N active ipv4 penalties", then
   * "client ADDR/LEN REASON (N secs left)" for each, soonest to expire first.
   */
  info(): string[] {
    const now = this.seconds();
    const out: string[] = [];
    for (const table of [this.v4, this.v6]) {
      out.push(`${table.size} active ${table.family} penalties`);
      const len = table.v6 ? this.netBlock.ipv6 : this.netBlock.ipv4;
      for (const p of table.sorted()) {
        const s = `${netText(p.net, table.v6)}/${len}`;
        out.push(p.expiry < now ? `client ${s} ${p.reason} (expired)` : `client ${s} ${p.reason} (${p.expiry - now} secs left)`);
      }
    }
    return out;
  }

  /**
   * New settings (SIGHUP). Outstanding penalties are kept (sshd's re-exec would forget them):
   * regrouped when the netblock sizes change (merged blocks keep the longest penalty), capped at
   * the new max:, activated when they now exceed min:, and trimmed to max-sources4/6 soonest
   * first. Turning penalties off forgets them.
   */
  reconfigure(cfg: PerSourcePenalties | null, exempt: string | null, netBlock?: NetBlock): void {
    this.cfg = cfg;
    this.exempt = exempt;
    if (cfg === null) {
      this.v4.entries.clear();
      this.v6.entries.clear();
      return;
    }
    const nb = netBlock ?? this.netBlock;
    const now = this.seconds();
    this.expire(now);
    for (const table of [this.v4, this.v6]) {
      const len = table.v6 ? nb.ipv6 : nb.ipv4;
      const old = table.sorted();
      table.entries.clear();
      for (const p of old) {
        const net = masked(p.net, table.v6, len);
        const expiry = Math.min(p.expiry, now + cfg.max);
        const merged = table.entries.get(net);
        // sorted() is by expiry, so a later entry has the later (or equal) expiry: its reason wins.
        const latest = Math.max(expiry, merged?.expiry ?? expiry);
        const active = p.active || merged?.active === true || latest - now > cfg.min;
        table.set({ net, expiry: latest, active, reason: p.reason });
      }
    }
    this.netBlock = { ...nb };
    this.trim(cfg);
  }

  private trim(cfg: PerSourcePenalties): void {
    this.v4.trim(cfg.maxSources4, this.netBlock.ipv4, this.log);
    this.v6.trim(cfg.maxSources6, this.netBlock.ipv6, this.log);
  }

  private isExempt(ip: Ip): boolean {
    return this.exempt !== null && addrMatchList(ip.text, this.exempt) === 1;
  }

  private table(ip: Ip): PenaltyTable {
    return ip.v6 ? this.v6 : this.v4;
  }

  private expire(now: number): void {
    this.v4.expire(now);
    this.v6.expire(now);
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
