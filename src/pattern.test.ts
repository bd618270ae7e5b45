import { describe, expect, it } from 'vitest';
import { addrMatchList, matchFilterAllowlist, matchHostAndIp, matchHostname, matchPattern, matchPatternList } from './pattern.js';

describe('matchPattern', () => {
  it.each([
    ['foo', 'foo', true],
    ['foo', 'f*', true],
    ['foo', '*o', true],
    ['foo', 'f?o', true],
    ['foo', 'f??o', false],
    ['', '*', true],
    ['a.b.c', '*.c', true],
    ['abc', '**c', true],
    ['abc', '*?', true],
    ['abc', 'ABC', false],
    ['ab', 'a*b*', true],
  ])('%s vs %s', (s, p, want) => expect(matchPattern(s, p)).toBe(want));
});

describe('matchPatternList', () => {
  it('returns 1, 0 or -1', () => {
    expect(matchPatternList('foo', 'bar,f*', false)).toBe(1);
    expect(matchPatternList('foo', 'bar,baz', false)).toBe(0);
    expect(matchPatternList('foo', '*,!foo', false)).toBe(-1);
    expect(matchPatternList('foo', '!bar', false)).toBe(0);
  });
  it('lowercases the patterns only when asked', () => {
    expect(matchPatternList('foo', 'FOO', true)).toBe(1);
    expect(matchPatternList('foo', 'FOO', false)).toBe(0);
    expect(matchPatternList('FOO', 'foo', true)).toBe(0);
    expect(matchHostname('FOO', 'foo')).toBe(1);
  });
});

describe('addresses', () => {
  it('matches CIDR blocks and wildcards', () => {
    expect(addrMatchList('192.168.1.5', '192.168.0.0/16')).toBe(1);
    expect(addrMatchList('10.0.0.1', '192.168.0.0/16')).toBe(0);
    expect(addrMatchList('10.0.0.1', '!10.0.0.0/8,*')).toBe(-1);
    expect(addrMatchList('10.0.0.1', '10.0.0.*')).toBe(1);
    expect(addrMatchList('2001:db8::1', '2001:db8::/32')).toBe(1);
    expect(addrMatchList('10.0.0.1', '10.0.0.1/8')).toBe(-2);
  });
  it('matchHostAndIp combines host and address', () => {
    expect(matchHostAndIp('host.example', '10.1.2.3', '*.example')).toBe(1);
    expect(matchHostAndIp('host.example', '10.1.2.3', '10.0.0.0/8')).toBe(1);
    expect(matchHostAndIp('host.example', '10.1.2.3', '*.example,!10.0.0.0/8')).toBe(0);
    expect(matchHostAndIp('host.example', '10.1.2.3', '!host.example,10.0.0.0/8')).toBe(0);
    expect(matchHostAndIp('h', '10.1.2.3', '10.0.0.1/8')).toBe(-1);
  });
  it('filters algorithm lists', () => {
    expect(matchFilterAllowlist('a-1,b-2,a-3', 'a-*')).toBe('a-1,a-3');
  });
});


describe('matchPattern (known_hosts cases)', () => {
  it.each([
    ['host', 'host', true],
    ['host', 'hos', false],
    ['a.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['host1', 'host?', true],
    ['host12', 'host?', false],
    ['abc', 'a**c', true],
    ['abc', '*', true],
    ['', '*', true],
    ['[host]:2222', '[host]:2222', true],
    ['[host]:2222', '[host]:*', true],
    ['host', '[host]:2222', false],
  ])('%s ~ %s → %s', (s, p, want) => {
    expect(matchPattern(s, p)).toBe(want);
  });
});

describe('matchPatternList / matchHostname (known_hosts cases)', () => {
  it('a positive match anywhere in the list', () => {
    expect(matchPatternList('b', 'a,b,c', false)).toBe(1);
    expect(matchPatternList('d', 'a,b,c', false)).toBe(0);
  });
  it('a negated match wins whatever comes before', () => {
    expect(matchPatternList('bad.example.com', '*.example.com,!bad.example.com', false)).toBe(-1);
    expect(matchPatternList('ok.example.com', '*.example.com,!bad.example.com', false)).toBe(1);
    expect(matchPatternList('x', '!y', false)).toBe(0);
  });
  it('host names are matched case-insensitively', () => {
    expect(matchHostname('ALPHA', 'alpha')).toBe(1);
    expect(matchHostname('alpha', 'Alpha,beta')).toBe(1);
  });
  it('an over-long subpattern fails the whole list, as OpenSSH’s 1024-byte buffer does', () => {
    expect(matchPatternList('a', `a,${'x'.repeat(1100)}`, false)).toBe(0);
  });
});
