import { describe, expect, it, vi } from 'vitest';
import type { PerSourcePenalties } from './config/types.js';
import { PenaltyBox, StartupLimiter, fmtTimeframe, startupLimits, type LimitsLogger, type StartupLimits } from './limits.js';

const LOCAL = { address: '192.0.2.100', port: 22 };
const NB = { ipv4: 32, ipv6: 128 };
const A = '198.51.100.7';
const B = '198.51.100.8';
const C = '198.51.100.9';

/** A logger that keeps "level: line". */
function recorder(): LimitsLogger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (m: string) => void lines.push(`${level}: ${m}`);
  return { lines, error: put('error'), info: put('info'), debug1: put('debug1'), debug3: put('debug3') };
}

/** A clock in milliseconds, starting at `start` seconds. */
function clock(start = 1000) {
  let ms = start * 1000;
  return {
    now: () => ms,
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
  };
}

/** arc4random_uniform(100) draws `r.value`. */
function dice(value = 99) {
  const r = { value, draws: 0, random: () => (r.draws++, (r.value + 0.5) / 100) };
  return r;
}

function limiter(limits: Partial<StartupLimits>, extra: { random?: () => number; now?: () => number; log?: LimitsLogger } = {}) {
  return new StartupLimiter({ begin: 10, rate: 30, full: 100, perSource: null, netBlock: NB, ...limits, ...extra });
}

/** Admits n connections from distinct addresses; all must be accepted. */
function fill(lim: StartupLimiter, n: number, prefix = '203.0.113.'): void {
  for (let i = 0; i < n; i++) expect(lim.admit(`${prefix}${i}`, 40000 + i, LOCAL)).toBeNull();
}

describe('fmtTimeframe (misc.c fmt_timeframe)', () => {
  it.each([
    [0, '00:00:00'],
    [59, '00:00:59'],
    [302, '00:05:02'],
    [86399, '23:59:59'],
    [86400 + 2 * 3600 + 3 * 60 + 4, '1d02h03m'],
    [8 * 86400 + 5 * 3600, '01w1d05h'],
    [15 * 7 * 86400, '15w0d00h'],
  ])('%i s -> %s', (s, want) => expect(fmtTimeframe(s)).toBe(want));
});

describe('StartupLimiter: MaxStartups', () => {
  it('accepts below begin without drawing a random number, and counts', () => {
    const d = dice(0);
    const lim = limiter({ begin: 3 }, d);
    fill(lim, 3);
    expect(d.draws).toBe(0);
    expect(lim.startups).toBe(3);
  });

  it('at begin, drops with probability rate%', () => {
    const d = dice(99);
    const lim = limiter({}, d);
    fill(lim, 10);
    expect(d.draws).toBe(0);
    d.value = 29;
    expect(lim.admit(A, 51234, LOCAL)).toBe('drop connection #10 from [198.51.100.7]:51234 on [192.0.2.100]:22 past MaxStartups');
    expect(lim.startups).toBe(10);
    d.value = 30;
    expect(lim.admit(A, 51235, LOCAL)).toBeNull();
    expect(lim.startups).toBe(11);
  });

  // p = (100 - rate) * (startups - begin) / (full - begin) + rate, in C integer arithmetic.
  it.each([
    [10, 30, 100, 10, 30],
    [10, 30, 100, 55, 65],
    [10, 30, 100, 99, 99],
    [10, 30, 13, 11, 53],
    [10, 30, 13, 12, 76],
    [1, 1, 3, 2, 50],
    [5, 99, 50, 49, 99],
  ])('begin %i rate %i full %i: at %i connections p = %i', (begin, rate, full, startups, p) => {
    const d = dice(99);
    const log = recorder();
    const lim = limiter({ begin, rate, full }, { random: d.random, log });
    fill(lim, startups);
    d.value = p - 1;
    expect(lim.admit(A, 1, LOCAL)).toMatch(/^drop connection #\d+ .* past MaxStartups$/);
    expect(log.lines).toContain(`debug1: should_drop_connection: p ${p}, r ${p - 1}`);
    d.value = p;
    expect(lim.admit(A, 2, LOCAL)).toBeNull();
    expect(lim.startups).toBe(startups + 1);
  });

  it('drops everything from full on, without drawing', () => {
    const d = dice(99);
    const lim = limiter({ begin: 2, full: 4 }, d);
    fill(lim, 4);
    expect(d.draws).toBe(2);
    d.value = 99;
    expect(lim.admit(A, 1, LOCAL)).toBe('drop connection #4 from [198.51.100.7]:1 on [192.0.2.100]:22 past MaxStartups');
    expect(d.draws).toBe(2);
  });

  it('rate 100 drops from begin on, without drawing', () => {
    const d = dice(99);
    const lim = limiter({ begin: 3, rate: 100, full: 10 }, d);
    fill(lim, 3);
    expect(lim.admit(A, 1, LOCAL)).not.toBeNull();
    expect(d.draws).toBe(0);
  });

  it('MaxStartups N (begin = full = N) accepts N, drops the next, and accepts again after a release', () => {
    const lim = limiter({ begin: 2, rate: 100, full: 2 }, dice(99));
    fill(lim, 2);
    expect(lim.admit(A, 1, LOCAL)).not.toBeNull();
    lim.release('203.0.113.0');
    expect(lim.startups).toBe(1);
    expect(lim.admit(A, 2, LOCAL)).toBeNull();
    expect(lim.startups).toBe(2);
  });

  it('ignores the release of an address it is not counting', () => {
    const lim = limiter({});
    fill(lim, 2);
    lim.release(A);
    lim.release('not an address');
    expect(lim.startups).toBe(2);
    lim.release('203.0.113.0');
    lim.release('203.0.113.0');
    expect(lim.startups).toBe(1);
  });

  it('counts a connection without a usable address', () => {
    const lim = limiter({ begin: 1, rate: 100, full: 1, perSource: 5 });
    expect(lim.admit('', 0, LOCAL)).toBeNull();
    expect(lim.admit('', 0, { address: '', port: 0 })).toBe('drop connection #1 from [UNKNOWN]:0 on [UNKNOWN]:0 past MaxStartups');
    lim.release('');
    expect(lim.startups).toBe(0);
  });

  it('logs when throttling begins (drop at info), every 5 minutes while it lasts, and when it ends', () => {
    const c = clock();
    const log = recorder();
    const lim = limiter({ begin: 2, rate: 100, full: 2 }, { now: c.now, log });
    expect(lim.admit(A, 1, LOCAL)).toBeNull();
    expect(lim.admit(B, 2, LOCAL)).toBeNull();

    expect(lim.decide(C, 3, LOCAL)).toEqual({
      message: 'drop connection #2 from [198.51.100.9]:3 on [192.0.2.100]:22 past MaxStartups',
      level: 'info',
    });
    expect(log.lines).toEqual(['error: beginning MaxStartups throttling']);

    c.advance(1);
    expect(lim.decide(C, 4, LOCAL)?.level).toBe('verbose');
    c.advance(300); // last drop + 300 is not yet < now
    expect(lim.decide(C, 5, LOCAL)?.level).toBe('verbose');
    c.advance(301);
    expect(lim.decide(C, 6, LOCAL)?.level).toBe('info');
    expect(log.lines).toEqual(['error: beginning MaxStartups throttling', 'error: in MaxStartups throttling for 00:10:02, 4 connections dropped']);

    // Hysteresis: throttling ends once fewer than begin - 1 connections are in progress.
    lim.release(A);
    expect(lim.admit(C, 7, LOCAL)).toBeNull();
    expect(log.lines).toHaveLength(2);
    lim.release(B);
    lim.release(C);
    c.advance(58);
    expect(lim.admit(A, 8, LOCAL)).toBeNull();
    expect(log.lines[2]).toBe('info: exited MaxStartups throttling after 00:11:00, 4 connections dropped');
    lim.release(A);
    expect(lim.admit(A, 9, LOCAL)).toBeNull();
    expect(log.lines).toHaveLength(3);

    // A new episode starts over.
    expect(lim.admit(B, 10, LOCAL)).toBeNull();
    expect(lim.decide(C, 11, LOCAL)?.level).toBe('info');
    expect(log.lines[3]).toBe('error: beginning MaxStartups throttling');
  });

  it('reads its settings from the resolved configuration', () => {
    expect(
      startupLimits({ maxStartups: { begin: 10, rate: 30, full: 100 }, perSourceMaxStartups: null, perSourceNetBlockSize: { ipv4: 24, ipv6: 56 } }),
    ).toEqual({ begin: 10, rate: 30, full: 100, perSource: null, netBlock: { ipv4: 24, ipv6: 56 } });
  });
});

describe('StartupLimiter: PerSourceMaxStartups', () => {
  it('limits unauthenticated connections per address, logged as MaxStartups drops', () => {
    const log = recorder();
    const lim = limiter({ perSource: 2 }, { log });
    expect(lim.admit(A, 1, LOCAL)).toBeNull();
    expect(lim.admit(A, 2, LOCAL)).toBeNull();
    expect(lim.admit(A, 3, LOCAL)).toBe('drop connection #2 from [198.51.100.7]:3 on [192.0.2.100]:22 past MaxStartups');
    expect(log.lines).toContain('debug3: srclimit_check_allow: new unauthenticated connection from 198.51.100.7/32, at 2 of 2');
    expect(log.lines).toContain('error: beginning MaxStartups throttling');
    expect(lim.admit(B, 4, LOCAL)).toBeNull();
    lim.release(A);
    expect(lim.admit(A, 5, LOCAL)).toBeNull();
    expect(lim.admit(A, 6, LOCAL)).not.toBeNull();
    expect(lim.startups).toBe(3);
  });

  it('is not consulted when MaxStartups already dropped the connection', () => {
    const log = recorder();
    const lim = limiter({ begin: 1, rate: 100, full: 1, perSource: 5 }, { log });
    expect(lim.admit(A, 1, LOCAL)).toBeNull();
    log.lines.length = 0;
    expect(lim.admit(B, 2, LOCAL)).not.toBeNull();
    expect(log.lines.some((l) => l.includes('srclimit_check_allow'))).toBe(false);
  });

  it('groups IPv4 sources by PerSourceNetBlockSize', () => {
    const log = recorder();
    const lim = limiter({ perSource: 2, netBlock: { ipv4: 24, ipv6: 128 } }, { log });
    expect(lim.admit('10.1.2.3', 1, LOCAL)).toBeNull();
    expect(lim.admit('10.1.2.250', 2, LOCAL)).toBeNull();
    expect(lim.admit('10.1.2.9', 3, LOCAL)).toBe('drop connection #2 from [10.1.2.9]:3 on [192.0.2.100]:22 past MaxStartups');
    expect(log.lines).toContain('debug3: srclimit_check_allow: new unauthenticated connection from 10.1.2.9/24, at 2 of 2');
    expect(lim.admit('10.1.3.1', 4, LOCAL)).toBeNull();
    lim.release('10.1.2.250');
    expect(lim.admit('10.1.2.9', 5, LOCAL)).toBeNull();
  });

  it('groups IPv6 sources by their netblock size (/128 by default)', () => {
    const exact = limiter({ perSource: 1 });
    expect(exact.admit('2001:db8::1', 1, LOCAL)).toBeNull();
    expect(exact.admit('2001:db8::2', 2, LOCAL)).toBeNull();
    expect(exact.admit('2001:DB8:0:0:0:0:0:1', 3, { address: '2001:db8::ff', port: 2222 })).toBe(
      'drop connection #2 from [2001:db8::1]:3 on [2001:db8::ff]:2222 past MaxStartups',
    );

    const wide = limiter({ perSource: 2, netBlock: { ipv4: 32, ipv6: 64 } });
    expect(wide.admit('2001:db8:1:2::1', 1, LOCAL)).toBeNull();
    expect(wide.admit('2001:db8:1:2:ffff:ffff:ffff:ffff', 2, LOCAL)).toBeNull();
    expect(wide.admit('2001:db8:1:2:abcd::9', 3, LOCAL)).not.toBeNull();
    expect(wide.admit('2001:db8:1:3::1', 4, LOCAL)).toBeNull();
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
    const lim = limiter({ perSource: 2 });
    expect(lim.admit('::ffff:10.0.0.1', 1, LOCAL)).toBeNull();
    expect(lim.admit('10.0.0.1', 2, LOCAL)).toBeNull();
    expect(lim.admit('::ffff:a00:1', 3, { address: '::ffff:127.0.0.1', port: 22 })).toBe(
      'drop connection #2 from [10.0.0.1]:3 on [127.0.0.1]:22 past MaxStartups',
    );
    lim.release('10.0.0.1');
    lim.release('::FFFF:10.0.0.1');
    expect(lim.startups).toBe(0);
  });

  it('keeps the address families apart, even with a zero-length netblock', () => {
    const lim = limiter({ perSource: 1, netBlock: { ipv4: 0, ipv6: 0 } });
    expect(lim.admit('10.0.0.1', 1, LOCAL)).toBeNull();
    expect(lim.admit('192.168.7.7', 2, LOCAL)).not.toBeNull();
    expect(lim.admit('2001:db8::1', 3, LOCAL)).toBeNull();
    expect(lim.admit('fe80::1', 4, LOCAL)).not.toBeNull();
  });

  it('does not limit connections without a usable address', () => {
    const lim = limiter({ perSource: 1 });
    expect(lim.admit('', 1, LOCAL)).toBeNull();
    expect(lim.admit('', 2, LOCAL)).toBeNull();
  });
});

describe('StartupLimiter.reconfigure', () => {
  it('keeps counting connections in progress under the new limits', () => {
    const lim = limiter({ perSource: 1 });
    expect(lim.admit('10.0.0.1', 1, LOCAL)).toBeNull();
    expect(lim.admit('10.0.0.2', 2, LOCAL)).toBeNull();
    expect(lim.startups).toBe(2);

    // A wider netblock puts both in one block, already over the limit.
    lim.reconfigure({ begin: 10, rate: 30, full: 100, perSource: 1, netBlock: { ipv4: 24, ipv6: 128 } });
    expect(lim.startups).toBe(2);
    expect(lim.admit('10.0.0.3', 3, LOCAL)).not.toBeNull();
    lim.release('10.0.0.1');
    expect(lim.admit('10.0.0.3', 4, LOCAL)).not.toBeNull();
    lim.release('10.0.0.2');
    expect(lim.admit('10.0.0.3', 5, LOCAL)).toBeNull();

    // No per-source limit; a lower MaxStartups applies to what is already counted.
    lim.reconfigure({ begin: 1, rate: 100, full: 1, perSource: null, netBlock: NB });
    expect(lim.admit('10.0.0.3', 6, LOCAL)).toBe('drop connection #1 from [10.0.0.3]:6 on [192.0.2.100]:22 past MaxStartups');

    // A limit switched on counts the connections admitted without one.
    lim.reconfigure({ begin: 10, rate: 30, full: 100, perSource: 1, netBlock: NB });
    expect(lim.admit('10.0.0.3', 7, LOCAL)).not.toBeNull();
    expect(lim.admit('10.0.0.4', 8, LOCAL)).toBeNull();
  });

  it('can swap the random source', () => {
    const lim = limiter({ begin: 0, rate: 50, full: 100 }, dice(99));
    expect(lim.admit(A, 1, LOCAL)).toBeNull();
    lim.reconfigure({ begin: 0, rate: 50, full: 100, perSource: null, netBlock: NB, random: dice(0).random });
    expect(lim.admit(A, 2, LOCAL)).not.toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

const CFG: PerSourcePenalties = {
  crash: 90,
  authfail: 5,
  noauth: 1,
  graceExceeded: 20,
  max: 600,
  min: 15,
  maxSources4: 65536,
  maxSources6: 65536,
  overflow: 'permissive',
  overflow6: 'permissive',
};

function box(cfg: Partial<PerSourcePenalties> = {}, exempt: string | null = null, netBlock = NB) {
  const c = clock();
  const log = recorder();
  const pb = new PenaltyBox({ ...CFG, ...cfg }, exempt, { now: c.now, log, netBlock });
  return { pb, c, log };
}

describe('PenaltyBox: penalties', () => {
  it('does nothing when PerSourcePenalties is off', () => {
    const pb = new PenaltyBox(null, null);
    expect(pb.record(A, 'crash')).toBeNull();
    expect(pb.check(A, 1, LOCAL)).toBeNull();
    expect(pb.info()).toEqual(['0 active ipv4 penalties', '0 active ipv6 penalties']);
  });

  it('refuses at once after a penalty above min, until it expires (whole seconds)', () => {
    const { pb, c } = box();
    expect(pb.record(A, 'crash')).toBe('srclimit_penalise: ipv4: new 198.51.100.7/32 active penalty of 90 seconds for penalty: caused crash');
    expect(pb.check(A, 50000, LOCAL, 3)).toBe('drop connection #3 from [198.51.100.7]:50000 on [192.0.2.100]:22 penalty: caused crash');
    expect(pb.check(B, 50001, LOCAL)).toBeNull();
    c.advance(90.999);
    expect(pb.check(A, 50002, LOCAL)).toBe('drop connection #0 from [198.51.100.7]:50002 on [192.0.2.100]:22 penalty: caused crash');
    expect(pb.info()).toEqual(['1 active ipv4 penalties', 'client 198.51.100.7/32 penalty: caused crash (0 secs left)', '0 active ipv6 penalties']);
    c.advance(0.001);
    expect(pb.check(A, 50003, LOCAL)).toBeNull();
    expect(pb.info()).toEqual(['0 active ipv4 penalties', '0 active ipv6 penalties']);
  });

  it('defers penalties until more than min has accumulated', () => {
    const { pb, log } = box();
    expect(pb.record(A, 'authfail')).toBe(
      'srclimit_penalise: ipv4: new 198.51.100.7/32 deferred penalty of 5 seconds for penalty: failed authentication',
    );
    expect(pb.check(A, 1, LOCAL)).toBeNull();
    expect(pb.record(A, 'authfail')).toBeNull();
    expect(log.lines).toContain('debug1: srclimit_penalise: inactive penalty for ipv4 198.51.100.7/32 already exists, 5 seconds remaining');
    expect(pb.record(A, 'authfail')).toBeNull(); // 15 is not more than min:15
    expect(pb.check(A, 2, LOCAL)).toBeNull();
    expect(pb.record(A, 'authfail')).toBe('srclimit_penalise: 198.51.100.7/32: activating ipv4 penalty of 20 seconds for penalty: failed authentication');
    expect(pb.check(A, 3, LOCAL)).toBe('drop connection #0 from [198.51.100.7]:3 on [192.0.2.100]:22 penalty: failed authentication');
    // Lengthening an active penalty logs only at debug.
    expect(pb.record(A, 'authfail')).toBeNull();
    expect(log.lines.at(-1)).toBe('debug1: srclimit_penalise: active penalty for ipv4 198.51.100.7/32 already exists, 20 seconds remaining');
    expect(pb.info()[1]).toBe('client 198.51.100.7/32 penalty: failed authentication (25 secs left)');
  });

  it('a new penalty exactly at min stays deferred', () => {
    const { pb } = box({ crash: 15 });
    expect(pb.record(A, 'crash')).toContain(' deferred penalty of 15 seconds ');
    expect(pb.check(A, 1, LOCAL)).toBeNull();
  });

  it('lets deferred penalties run down while they wait', () => {
    const { pb, c } = box();
    pb.record(A, 'authfail');
    pb.record(A, 'authfail');
    pb.record(A, 'authfail'); // 15 outstanding
    c.advance(10); // 5 left
    expect(pb.record(A, 'authfail')).toBeNull(); // 10
    expect(pb.check(A, 1, LOCAL)).toBeNull();
    c.advance(11); // expired
    expect(pb.record(A, 'authfail')).toContain('new 198.51.100.7/32 deferred penalty of 5 seconds');
  });

  it('caps accumulated penalties at max, but not a new one', () => {
    const { pb } = box();
    for (let i = 0; i < 10; i++) pb.record(A, 'crash');
    expect(pb.info()[1]).toBe('client 198.51.100.7/32 penalty: caused crash (600 secs left)');

    const small = box({ max: 60 });
    small.pb.record(A, 'crash');
    expect(small.pb.info()[1]).toBe('client 198.51.100.7/32 penalty: caused crash (90 secs left)');
    small.pb.record(A, 'noauth');
    expect(small.pb.info()[1]).toBe('client 198.51.100.7/32 penalty: connections without attempting authentication (60 secs left)');
  });

  it('gives the reason of the latest penalty', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    pb.record(A, 'noauth');
    expect(pb.check(A, 1, LOCAL)).toBe(
      'drop connection #0 from [198.51.100.7]:1 on [192.0.2.100]:22 penalty: connections without attempting authentication',
    );
  });

  it('charges grace-exceeded its own duration', () => {
    const { pb } = box({ graceExceeded: 20 });
    expect(pb.record(A, 'grace-exceeded')).toBe(
      'srclimit_penalise: ipv4: new 198.51.100.7/32 active penalty of 20 seconds for penalty: exceeded LoginGraceTime',
    );
  });

  it('records nothing for a 0-second penalty', () => {
    const { pb } = box({ noauth: 0 });
    expect(pb.record(A, 'noauth')).toBeNull();
    expect(pb.info()[0]).toBe('0 active ipv4 penalties');
  });

  it('defaults the "#N" of its drop line to 0', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    expect(pb.check(A, 1, LOCAL)).toMatch(/^drop connection #0 /);
  });
});

describe('PenaltyBox: addresses', () => {
  it('penalises the whole IPv4 netblock, naming the address itself', () => {
    const { pb } = box({}, null, { ipv4: 24, ipv6: 128 });
    expect(pb.record(A, 'crash')).toBe('srclimit_penalise: ipv4: new 198.51.100.7/24 active penalty of 90 seconds for penalty: caused crash');
    expect(pb.check('198.51.100.200', 1, LOCAL)).toBe('drop connection #0 from [198.51.100.200]:1 on [192.0.2.100]:22 penalty: caused crash');
    expect(pb.check('198.51.101.1', 2, LOCAL)).toBeNull();
    expect(pb.info()[1]).toBe('client 198.51.100.0/24 penalty: caused crash (90 secs left)');
    // Another address of the block adds to the same penalty.
    pb.record('198.51.100.99', 'noauth');
    expect(pb.info()).toHaveLength(3);
  });

  it('penalises IPv6 per netblock (/128 by default)', () => {
    const exact = box();
    exact.pb.record('2001:db8::1', 'crash');
    expect(exact.pb.check('2001:db8::2', 1, LOCAL)).toBeNull();
    expect(exact.pb.check('2001:DB8:0::1', 2, LOCAL)).toBe('drop connection #0 from [2001:db8::1]:2 on [192.0.2.100]:22 penalty: caused crash');

    const { pb } = box({}, null, { ipv4: 32, ipv6: 64 });
    expect(pb.record('2001:db8:1:2::5', 'crash')).toBe(
      'srclimit_penalise: ipv6: new 2001:db8:1:2::5/64 active penalty of 90 seconds for penalty: caused crash',
    );
    expect(pb.check('2001:db8:1:2:ffff::1', 1, { address: '::1', port: 22 })).toBe(
      'drop connection #0 from [2001:db8:1:2:ffff::1]:1 on [::1]:22 penalty: caused crash',
    );
    expect(pb.check('2001:db8:1:3::1', 2, LOCAL)).toBeNull();
    expect(pb.info()).toEqual([
      '0 active ipv4 penalties',
      '1 active ipv6 penalties',
      'client 2001:db8:1:2::/64 penalty: caused crash (90 secs left)',
    ]);
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    const { pb } = box();
    expect(pb.record('::ffff:198.51.100.7', 'crash')).toBe(
      'srclimit_penalise: ipv4: new 198.51.100.7/32 active penalty of 90 seconds for penalty: caused crash',
    );
    expect(pb.check(A, 1, LOCAL)).not.toBeNull();
    expect(pb.check('::ffff:c633:6407', 2, { address: '::ffff:192.0.2.100', port: 22 })).toBe(
      'drop connection #0 from [198.51.100.7]:2 on [192.0.2.100]:22 penalty: caused crash',
    );
  });

  it('exempts PerSourcePenaltyExemptList from penalties and from refusals', () => {
    const { pb, log } = box({}, '198.51.100.0/24,2001:db8::/32,!203.0.113.5,203.0.113.*');
    expect(pb.record(A, 'crash')).toBeNull();
    expect(log.lines).toContain('debug3: srclimit_penalise: address 198.51.100.7 is exempt');
    expect(pb.record('::ffff:198.51.100.8', 'crash')).toBeNull();
    expect(pb.record('2001:db8::1', 'crash')).toBeNull();
    expect(pb.record('203.0.113.4', 'crash')).toBeNull();
    expect(pb.info()).toEqual(['0 active ipv4 penalties', '0 active ipv6 penalties']);
    // A negated entry is not an exemption.
    expect(pb.record('203.0.113.5', 'crash')).not.toBeNull();
    expect(pb.check('203.0.113.5', 1, LOCAL)).not.toBeNull();
    expect(pb.record('192.0.2.1', 'crash')).not.toBeNull();
  });

  it('ignores addresses it cannot parse', () => {
    const { pb } = box();
    expect(pb.record('', 'crash')).toBeNull();
    expect(pb.check('unix socket', 1, LOCAL)).toBeNull();
  });
});

describe('PenaltyBox: table size', () => {
  it('overflow permissive drops the soonest-to-expire penalties, per family', () => {
    const { pb, log } = box({ maxSources4: 2 });
    pb.record('2001:db8::1', 'noauth');
    pb.record(A, 'crash'); // +90
    pb.record(B, 'grace-exceeded'); // +20
    expect(pb.record(C, 'crash')).toBe('srclimit_penalise: ipv4: new 198.51.100.9/32 active penalty of 90 seconds for penalty: caused crash');
    expect(log.lines).toContain('debug3: srclimit_early_expire_penalties_from_tree: ipv4 overflow, remove 198.51.100.8/32');
    expect(pb.check(B, 1, LOCAL)).toBeNull();
    expect(pb.check(A, 2, LOCAL)).not.toBeNull();
    expect(pb.check(C, 3, LOCAL)).not.toBeNull();
    expect(pb.info()).toEqual([
      '2 active ipv4 penalties',
      'client 198.51.100.7/32 penalty: caused crash (90 secs left)',
      'client 198.51.100.9/32 penalty: caused crash (90 secs left)',
      '1 active ipv6 penalties',
      'client 2001:db8::1/128 penalty: connections without attempting authentication (1 secs left)',
    ]);
    // The newcomer goes itself when it expires soonest.
    expect(pb.record('192.0.2.1', 'noauth')).toContain('new 192.0.2.1/32 deferred penalty of 1 seconds');
    expect(pb.info()[0]).toBe('2 active ipv4 penalties');
  });

  it('overflow deny-all refuses every address of the family while the table is full', () => {
    const { pb, c } = box({ maxSources4: 2, overflow: 'deny-all' }, '192.0.2.0/24');
    pb.record(A, 'noauth');
    pb.record(B, 'noauth');
    expect(pb.check(C, 4, LOCAL, 7)).toBe('drop connection #7 from [198.51.100.9]:4 on [192.0.2.100]:22 too many penalised addresses');
    expect(pb.record(C, 'crash')).toBe('srclimit_penalise: ipv4 penalty table full, cannot penalise 198.51.100.9/32 for penalty: caused crash');
    // Existing entries cannot grow either, exempt addresses and the other family still pass.
    expect(pb.record(A, 'crash')).toContain('penalty table full');
    expect(pb.check('192.0.2.5', 5, LOCAL)).toBeNull();
    expect(pb.check('2001:db8::1', 6, LOCAL)).toBeNull();
    c.advance(2); // both expire
    expect(pb.check(C, 7, LOCAL)).toBeNull();
    expect(pb.record(C, 'crash')).toContain('new 198.51.100.9/32 active');
  });

  it('overflow6 is separate from overflow', () => {
    const { pb } = box({ maxSources6: 1, overflow6: 'deny-all', maxSources4: 1 });
    pb.record('2001:db8::1', 'noauth');
    expect(pb.check('2001:db8::99', 1, LOCAL)).toMatch(/too many penalised addresses$/);
    pb.record(A, 'noauth');
    pb.record(B, 'noauth');
    expect(pb.check(C, 2, LOCAL)).toBeNull();
    expect(pb.info()[0]).toBe('1 active ipv4 penalties');
  });
});

describe('PenaltyBox.reconfigure', () => {
  it('keeps outstanding penalties', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    pb.reconfigure({ ...CFG, authfail: 1 }, null);
    expect(pb.check(A, 1, LOCAL)).not.toBeNull();
  });

  it('forgets them when penalties are turned off', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    pb.reconfigure(null, null);
    expect(pb.check(A, 1, LOCAL)).toBeNull();
    expect(pb.record(A, 'crash')).toBeNull();
    pb.reconfigure(CFG, null);
    expect(pb.check(A, 2, LOCAL)).toBeNull();
  });

  it('applies a new exemption list at once', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    pb.reconfigure(CFG, A);
    expect(pb.check(A, 1, LOCAL)).toBeNull();
    pb.reconfigure(CFG, null);
    expect(pb.check(A, 2, LOCAL)).not.toBeNull();
  });

  it('merges penalties into wider netblocks, keeping the longest', () => {
    const { pb } = box();
    pb.record(A, 'crash'); // 90, active
    for (let i = 0; i < 4; i++) pb.record(B, 'authfail'); // 20, active
    pb.record('198.51.101.1', 'noauth'); // deferred
    pb.reconfigure(CFG, null, { ipv4: 24, ipv6: 128 });
    expect(pb.info()).toEqual([
      '2 active ipv4 penalties',
      'client 198.51.101.0/24 penalty: connections without attempting authentication (1 secs left)',
      'client 198.51.100.0/24 penalty: caused crash (90 secs left)',
      '0 active ipv6 penalties',
    ]);
    expect(pb.check('198.51.100.99', 1, LOCAL)).toMatch(/penalty: caused crash$/);
    expect(pb.check('198.51.101.99', 2, LOCAL)).toBeNull();
    // Narrower again: the penalty stays on the block's first address.
    pb.reconfigure(CFG, null, NB);
    expect(pb.check('198.51.100.0', 3, LOCAL)).not.toBeNull();
    expect(pb.check(A, 4, LOCAL)).toBeNull();
  });

  it('activates deferred penalties over a lower min, and caps at a lower max', () => {
    const { pb } = box();
    pb.record(A, 'authfail');
    pb.record(A, 'authfail'); // 10, deferred
    pb.record(B, 'crash'); // 90
    pb.reconfigure({ ...CFG, min: 5, max: 30 }, null);
    expect(pb.check(A, 1, LOCAL)).toMatch(/penalty: failed authentication$/);
    expect(pb.info()[2]).toBe('client 198.51.100.8/32 penalty: caused crash (30 secs left)');
  });

  it('trims to lower max-sources, soonest to expire first', () => {
    const { pb } = box();
    pb.record(A, 'crash');
    pb.record(B, 'noauth');
    pb.record(C, 'grace-exceeded');
    pb.record('2001:db8::1', 'noauth');
    pb.record('2001:db8::2', 'crash');
    pb.reconfigure({ ...CFG, maxSources4: 1, maxSources6: 1 }, null);
    expect(pb.info()).toEqual([
      '1 active ipv4 penalties',
      'client 198.51.100.7/32 penalty: caused crash (90 secs left)',
      '1 active ipv6 penalties',
      'client 2001:db8::2/128 penalty: caused crash (90 secs left)',
    ]);
  });
});

describe('StartupLimiter and PenaltyBox together (sshd 9.8 drop_connection order)', () => {
  it('refuses penalised sources before they count against MaxStartups', () => {
    const { pb } = box();
    const random = vi.fn(() => 0.999);
    const lim = limiter({ begin: 1, rate: 50, full: 3 }, { random });
    const connect = (addr: string, port: number) => pb.check(addr, port, LOCAL, lim.startups) ?? lim.admit(addr, port, LOCAL);
    expect(connect(A, 1)).toBeNull();
    pb.record(B, 'crash');
    expect(connect(B, 2)).toBe('drop connection #1 from [198.51.100.8]:2 on [192.0.2.100]:22 penalty: caused crash');
    expect(random).not.toHaveBeenCalled();
    expect(lim.startups).toBe(1);
  });
});
