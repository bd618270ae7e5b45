import { describe, expect, it } from 'vitest';
import { formatIpv6 } from './listen.js';
import {
  atoiErr, authMethodsError, channelTimeoutValid, firstInvalidName, hpdelim, parseIpqos, parseLogLevel, logLevelName,
  permitOpenPort, scanColonInts, scanScaled, strtolOctal, userPatternInvalid,
} from './values.js';

describe('value syntaxes', () => {
  it('scan_scaled()', () => {
    const v = (s: string): string => {
      const r = scanScaled(s);
      return 'value' in r ? String(r.value) : r.error;
    };
    expect(['1.5K', '1k', '1B', '0', '1.25M', '.5K', '-1', '1G', '1K.'].map(v)).toEqual([
      '1536', '1024', '1', '0', '1310720', '512', '-1', '1073741824', '1024',
    ]);
    expect(v('10x')).toBe('Invalid argument');
    expect(v('1Kb')).toBe('Invalid argument');
    expect(v('8E')).toBe('Numerical result out of range');
    expect(v('99999999999999999999')).toBe('Numerical result out of range');
  });

  it('atoi_err(), sscanf("%d:%d:%d") and strtol(8)', () => {
    expect(['5', ' +7', '', 'x', '5x', '-1', '2147483648'].map(atoiErr)).toEqual([
      [null, 5], [null, 7], ['missing', 0], ['invalid', 0], ['invalid', 0], ['too small', 0], ['too large', 0],
    ]);
    expect(scanColonInts('10:30:100', 3)).toEqual([10, 30, 100]);
    expect(scanColonInts('5x', 3)).toEqual([5]);
    expect(scanColonInts('5:10', 3)).toEqual([5, 10]);
    expect(scanColonInts('x', 3)).toEqual([]);
    expect([strtolOctal('022'), strtolOctal('07x'), strtolOctal('9')]).toEqual([0o22, 7, null]);
  });

  it('IPQoS names and numbers print as iptos2str() does', () => {
    expect(['af11', 'LE', '4', '0x10', '010', ' 5', 'none', '0'].map(parseIpqos)).toEqual([
      'af11', 'le', 'le', 'lowdelay', 'throughput', '0x05', 'none', 'cs0',
    ]);
    expect([parseIpqos('256'), parseIpqos('5x')]).toEqual([null, null]);
  });

  it('log levels: SILENT is QUIET, DEBUG is DEBUG1, printed as sshd does', () => {
    expect(['silent', 'debug', 'DEBUG3', 'loud'].map(parseLogLevel)).toEqual(['QUIET', 'DEBUG1', 'DEBUG3', null]);
    expect([logLevelName('QUIET'), logLevelName('DEBUG1'), logLevelName('INFO')]).toEqual(['SILENT', 'DEBUG', 'INFO']);
  });

  it('hpdelim() and permitopen_port()', () => {
    expect(hpdelim('host:22')).toEqual(['host', '22']);
    expect(hpdelim('[::1]:22')).toEqual(['[::1]', '22']);
    expect(hpdelim('host')).toEqual(['host', null]);
    expect([hpdelim('[::1'), hpdelim('[::1]x'), hpdelim('1.2.3.4/22')]).toEqual([null, null, null]);
    expect(hpdelim('1.2.3.4/22', true)).toEqual(['1.2.3.4', '22']);
    expect(['*', '22', '0', '65536', 'x'].map(permitOpenPort)).toEqual([0, 22, -1, -1, -1]);
  });

  it('name lists stop at an empty item, as strsep() loops in sshd do', () => {
    const known = (n: string): boolean => ['a', 'b'].includes(n);
    expect([firstInvalidName('a,b', known), firstInvalidName('a,,junk', known), firstInvalidName('a,x', known), firstInvalidName('', known)]).toEqual([
      null, null, 'x', '',
    ]);
  });

  it('channel timeouts, authentication methods, AllowUsers patterns', () => {
    expect(['session=5m', 'a=0', 'x=', '=5', 'a=1=2', 'bad'].map(channelTimeoutValid)).toEqual([true, true, false, false, false, false]);
    expect(authMethodsError('publickey,keyboard-interactive:pam')).toBeNull();
    expect(authMethodsError('publickey,')).toBe('Unknown authentication method "" in list');
    expect(authMethodsError('password', () => false)).toBe('Disabled method "password" in AuthenticationMethods list "password"');
    expect([userPatternInvalid('a@10.0.0.1/8'), userPatternInvalid('a@10.0.0.0/8'), userPatternInvalid('a*')]).toEqual([true, false, false]);
  });

  it('IPv6 addresses print as glibc inet_ntop() writes them', () => {
    const cases: Record<string, string> = {
      '::': '::', '0:0::1': '::1', '::FFFF:0102:0304': '::ffff:1.2.3.4', '::ffff:1.2.3.4': '::ffff:1.2.3.4',
      'fe80::1%lo': 'fe80::1%lo', '1:0:0:2:0:0:0:3': '1:0:0:2::3', '1:2:3:4:5:6:7:8': '1:2:3:4:5:6:7:8',
      '::1.2.3.4': '::1.2.3.4', '2001:DB8::': '2001:db8::', '1:0:2:0:3:0:4:0': '1:0:2:0:3:0:4:0',
    };
    for (const [input, printed] of Object.entries(cases)) expect(formatIpv6(input)).toBe(printed);
  });
});
