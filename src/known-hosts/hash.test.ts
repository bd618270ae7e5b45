import { describe, expect, it } from 'vitest';
import { extractSalt, hashHostName, matchHashed } from './hash.js';

// Written by ssh-keygen 9.2 (-H) for "beta" and "delta".
const BETA = '|1|sYRVMLJV9Son8i/jOSNb6i1OrMw=|/eBl8KXoskJKgAit+czpN34H1Bs=';
const DELTA = '|1|Q0zhagxt1lnCq+EiNhUrp1D7aDI=|c11f1ABnRpXpVK02ACtJbo7KQeE=';

describe('hashed host names', () => {
  it('reproduces OpenSSH’s hashes from their salts', () => {
    const salt = Buffer.from('sYRVMLJV9Son8i/jOSNb6i1OrMw=', 'base64');
    expect(hashHostName('beta', salt)).toBe(BETA);
    expect(matchHashed('beta', BETA)).toBe('match');
    expect(matchHashed('delta', DELTA)).toBe('match');
    expect(matchHashed('Delta', DELTA)).toBe('nomatch');
    expect(matchHashed('beta', DELTA)).toBe('nomatch');
  });
  it('random salts: a fresh hash matches its name only', () => {
    const h = hashHostName('[host]:2222');
    expect(h).toMatch(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}=$/);
    expect(hashHostName('[host]:2222')).not.toBe(h);
    expect(matchHashed('[host]:2222', h)).toBe('match');
    expect(matchHashed('host', h)).toBe('nomatch');
  });
  it('rejects malformed hash fields with OpenSSH’s reasons', () => {
    expect(extractSalt('|1|abc|def')).toEqual({ ok: false, reason: 'extract_salt: salt decode error' });
    expect(extractSalt('|1|bad')).toEqual({ ok: false, reason: 'extract_salt: missing salt termination character' });
    expect(extractSalt('|2|x|y')).toEqual({ ok: false, reason: 'extract_salt: invalid magic identifier' });
    expect(extractSalt('|1|AAAA|x')).toEqual({ ok: false, reason: 'extract_salt: expected salt len 20, got 3' });
    expect(matchHashed('x', '|1|abc|def')).toEqual({ bad: 'extract_salt: salt decode error' });
  });
});
