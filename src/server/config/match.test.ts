import { describe, expect, it } from 'vitest';
import { MatchFatal, matchServerCfgLine, parseConnectionSpec, type ConnectionSpec } from './match.js';

const groups = (u: string): string[] | null => ({ alice: ['alice', 'wheel', 'staff'], bob: ['bob'] })[u] ?? null;

function match(criteria: string, ci: ConnectionSpec | null): { result: number; errors: string[] } {
  const errors: string[] = [];
  const r = matchServerCfgLine(criteria, 7, ci, groups, { error: (l) => errors.push(l) });
  return { result: r.result, errors };
}

describe('Match criteria', () => {
  it('ANDs the criteria; pattern lists with negation', () => {
    expect(match('User alice Group wheel', { user: 'alice' }).result).toBe(1);
    expect(match('User alice Group nope', { user: 'alice' }).result).toBe(0);
    expect(match('User a*,!alice', { user: 'alice' }).result).toBe(0);
    expect(match('User a*,!bob', { user: 'alice' }).result).toBe(1);
    expect(match('User ALICE', { user: 'alice' }).result).toBe(0);
    expect(match('Group *,!staff', { user: 'alice' }).result).toBe(0);
    expect(match('Group bob', { user: 'nosuch' }).result).toBe(0);
  });

  it('hosts case-insensitively, addresses by CIDR or pattern', () => {
    expect(match('Host *.example.com', { host: 'A.EXAMPLE.com' }).result).toBe(1);
    expect(match('Address 10.0.0.0/8,!10.1.0.0/16', { addr: '10.2.0.1' }).result).toBe(1);
    expect(match('Address 10.0.0.0/8,!10.1.0.0/16', { addr: '10.1.0.1' }).result).toBe(0);
    expect(match('Address fe80::/10', { addr: 'fe80::1' }).result).toBe(1);
    expect(match('LocalAddress 192.168.*', { laddr: '192.168.3.4' }).result).toBe(1);
    expect(match('LocalPort 2222', { lport: 2222 }).result).toBe(1);
    expect(match('RDomain vrf*', { rdomain: 'vrf1' }).result).toBe(1);
  });

  it('all, comments, key=value and quotes', () => {
    expect(match('all', null).result).toBe(1);
    expect(match('all # comment', null).result).toBe(1);
    expect(match('User=bob', { user: 'bob' }).result).toBe(1);
    expect(match('User "bob" # x', { user: 'bob' }).result).toBe(1);
  });

  it('syntax-only checks (first pass): nothing matches but `all`, bad addresses are fatal', () => {
    expect(match('User x', null).result).toBe(0);
    expect(() => match('Address 10.0.0.1/8', null)).toThrow(new MatchFatal("Invalid Match address argument '10.0.0.1/8' at line 7"));
  });

  it('absent connection fields do not match; LocalPort requires lport', () => {
    expect(match('User x', {}).result).toBe(0);
    expect(match('Address 10.*', {}).result).toBe(0);
    expect(() => match('LocalPort 22', { user: 'x' })).toThrow(MatchFatal);
  });

  it('bad criteria, with sshd messages', () => {
    expect(match('Foo x', null)).toEqual({ result: -1, errors: ['Unsupported Match attribute Foo'] });
    expect(match('User', null)).toEqual({ result: -1, errors: ['Missing Match criteria for User'] });
    expect(match('User # x', null)).toEqual({ result: -1, errors: ['Missing Match criteria for User'] });
    expect(match('all User x', null).errors).toEqual(["'all' cannot be combined with other Match attributes"]);
    expect(match('User x all', null).errors).toEqual(["'all' cannot be combined with other Match attributes"]);
    expect(match('LocalPort x', null).errors).toEqual(["Invalid LocalPort 'x' on Match line"]);
    expect(match('# only a comment', null)).toEqual({ result: -1, errors: ['One or more attributes required for Match'] });
    expect(match('!User x', null).errors).toEqual(['Unsupported Match attribute !User']);
    expect(match('Address 10.0.0.1/8', { addr: '10.0.0.1' }).result).toBe(-1);
  });
});

describe('connection specifications (-C)', () => {
  it('accumulates fields; an empty item ends the list', () => {
    const ci: Record<string, unknown> = {};
    expect(parseConnectionSpec('user=u,host=h,addr=1.2.3.4', ci)).toBeNull();
    expect(parseConnectionSpec('laddr=5.6.7.8,lport=22,rdomain=r,,user=ignored', ci)).toBeNull();
    expect(ci).toEqual({ user: 'u', host: 'h', addr: '1.2.3.4', laddr: '5.6.7.8', lport: 22, rdomain: 'r' });
  });

  it('rejects unknown fields and bad ports with sshd messages', () => {
    expect(parseConnectionSpec('user=x,foo=1', {})).toBe('Invalid test mode specification foo=1');
    expect(parseConnectionSpec('lport=abc', {})).toBe("Invalid port 'abc' in test mode specification lport=abc");
  });
});
