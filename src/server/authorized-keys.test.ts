import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publicKeyFromKeyObject } from '../keys/key-object.js';
import { formatPublicKey, parsePublicKeyBlob, type PublicKey } from '../keys/public-key.js';
import { SshWriter } from '../keys/ssh-buffer.js';
import {
  authorizeKey,
  checkAuthorizedKeysPath,
  checkKeyOptions,
  defaultKeyOptions,
  findKey,
  formatAbsoluteTime,
  parseAbsoluteTime,
  parseAuthorizedKeys,
  parseKeyOptions,
  SSH_TUNID_ANY,
  type KeyOptions,
  type OptionContext,
} from './authorized-keys.js';

const FILE = '/home/u/.ssh/authorized_keys';
// Times below are in UTC unless a test says otherwise (and puts UTC back).
process.env.TZ = 'UTC';

const fromCrypto = (k: ReturnType<typeof generateKeyPairSync>['publicKey']): PublicKey => publicKeyFromKeyObject(k);
const ed = (): PublicKey => fromCrypto(generateKeyPairSync('ed25519').publicKey);
const ED = ed();
const ED2 = ed();
const RSA = fromCrypto(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
const EC256 = fromCrypto(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
const EC384 = fromCrypto(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
const EC521 = fromCrypto(generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey);
// Made by OpenSSH 9.2 ssh-keygen -t dsa.
const DSA_LINE =
  'ssh-dss AAAAB3NzaC1kc3MAAACBAN4Pb3jZZiHK2wWhjw3KFfdp9KkXGd059za2KDLqS4nGUT0eCIqwFf+sPu5Eyvf0N9P1k7sZMqp5lDdfYTIsZI0cu4/j/1d3kT6c3058vGMeuXUkSHw2N4ZfQ8XMV/50bpbwY2e72vm/hKoAlglycFOd6OCquIddT6/vC/BZCFHbAAAAFQCWPLZ0eJ/xdup83b1ryO691smGMwAAAIAULAs7L8u7CKPRkOyENBx5yPpC9lLlLG0t9xFm3UGdq3Ao+PTzR2JGWJ5uSTT8EFZeL9eNV15lxM/OUYBhPlPaK8KrSKB2Ff5ZVqn1FNl+UO2YdRenABfF3T19kpljxP9RzM9xsbHKW2VGwo0YHX+NN1pXe4IKqK4vT0zAT37o1wAAAIAKTj9i8m0PxpefLI0U9Kinu6Gcp+uUCOnCSeetZ4UUt9NmxT9WoEEbfNkdJqkMmLnRwI2OffCKIwp1RvKBLm5XnZdViuLtifFrkvQVmARutOy8Bpb5lgh617M+g/fnGwhWFbu2vWZClUfr697R4eSeRFSc4wEAAxab6YTN+fzfNA==';
const SK_ED = parsePublicKeyBlob(new SshWriter().string('sk-ssh-ed25519@openssh.com').string(Buffer.alloc(32, 7)).string('ssh:').toBuffer());
const ecPoint = (EC256.blob.subarray(EC256.blob.length - 65));
const SK_EC = parsePublicKeyBlob(new SshWriter().string('sk-ecdsa-sha2-nistp256@openssh.com').string('nistp256').string(ecPoint).string('ssh:').toBuffer());

const line = (k: PublicKey, comment = 'user@host'): string => formatPublicKey(k, comment);

/** The options of a one-line file `OPTS KEY`, or the error text. */
function opts(options: string): KeyOptions | string {
  const r = parseAuthorizedKeys(`${options} ${line(ED)}\n`, FILE);
  if (r.errors.length) return r.errors[0]!.message;
  return r.keys[0]!.options;
}

const with_ = (o: Partial<KeyOptions>): KeyOptions => ({ ...defaultKeyOptions(), ...o });

describe('parseAuthorizedKeys: the line format', () => {
  it('reads the man page example file', () => {
    const k = line(RSA, '');
    const text = [
      '# Comments are allowed at start of line. Blank lines are allowed.',
      '# Plain key, no restrictions',
      `${k}`,
      '# Forced command, disable PTY and all forwarding',
      `restrict,command="dump /home" ${k}`,
      '# Restriction of ssh -L forwarding destinations',
      `permitopen="192.0.2.1:80",permitopen="192.0.2.2:25" ${k}`,
      '# Restriction of ssh -R forwarding listeners',
      `permitlisten="localhost:8080",permitlisten="[::1]:22000" ${k}`,
      '# Configuration for tunnel forwarding',
      `tunnel="0",command="sh /etc/netstart tun0" ${k}`,
      '# Override of restriction to allow PTY allocation',
      `restrict,pty,command="nethack" ${k}`,
      '# Allow FIDO key without requiring touch',
      `no-touch-required ${line(SK_EC, '')}`,
      '# Require user-verification (e.g. PIN or biometric) for FIDO key',
      `verify-required ${line(SK_EC, '')}`,
      '# Trust CA key, allow touch-less FIDO if requested in certificate',
      `cert-authority,no-touch-required,principals="user_a" ${k}`,
      '',
    ].join('\n');
    const r = parseAuthorizedKeys(text, FILE);
    expect(r.errors).toEqual([]);
    const restricted = { restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: false, permitUserRc: false };
    expect(r.keys.map((e) => [e.line, e.key.type, e.options])).toEqual([
      [3, 'ssh-rsa', defaultKeyOptions()],
      [5, 'ssh-rsa', with_({ ...restricted, forceCommand: 'dump /home' })],
      [7, 'ssh-rsa', with_({ permitOpen: ['192.0.2.1:80', '192.0.2.2:25'] })],
      [9, 'ssh-rsa', with_({ permitListen: ['localhost:8080', '[::1]:22000'] })],
      [11, 'ssh-rsa', with_({ tunnel: 0, forceCommand: 'sh /etc/netstart tun0' })],
      [13, 'ssh-rsa', with_({ ...restricted, permitPty: true, forceCommand: 'nethack' })],
      [15, 'sk-ecdsa-sha2-nistp256@openssh.com', with_({ noTouchRequired: true })],
      [17, 'sk-ecdsa-sha2-nistp256@openssh.com', with_({ verifyRequired: true })],
      [19, 'ssh-rsa', with_({ certAuthority: true, noTouchRequired: true, principals: 'user_a' })],
    ]);
    expect(r.keys[0]!.loc).toBe(`${FILE}:3`);
  });

  it('reads every key type, with and without options', () => {
    const keys = [ED, RSA, EC256, EC384, EC521, SK_ED, SK_EC];
    const text = [...keys.map((k) => line(k)), DSA_LINE, ...keys.map((k) => `no-pty ${line(k, '')}`), `pty ${DSA_LINE} x`].join('\n');
    const r = parseAuthorizedKeys(text, FILE);
    expect(r.errors).toEqual([]);
    const types = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-dss'];
    expect(r.keys.map((e) => e.key.type)).toEqual([...types, ...types]);
    expect(r.keys.slice(8).every((e) => !e.options.permitPty || e.key.type === 'ssh-dss')).toBe(true);
    expect(r.keys[15]!.comment).toBe('x');
  });

  it('reads the rsa-sha2 names as ssh-rsa keys', () => {
    const r = parseAuthorizedKeys(`rsa-sha2-512 ${RSA.blob.toString('base64')} c\n`, FILE);
    expect(r.keys[0]!.key.type).toBe('ssh-rsa');
  });

  it('skips blank lines, comments and leading blanks; keeps line numbers', () => {
    const text = `\n   \n\t# comment\n# ${line(ED)}\n \t ${line(ED, 'first')}\r\n\n  no-pty ${line(ED2, 'second  ')}  \n`;
    const r = parseAuthorizedKeys(text, FILE);
    expect(r.errors).toEqual([]);
    expect(r.keys.map((e) => [e.line, e.comment, e.options.permitPty])).toEqual([
      [5, 'first', true],
      [7, 'second', false],
    ]);
  });

  it('reports lines without a key as sshd does (debug2 "advance"), and goes on', () => {
    const text = `garbage\nno-pty ssh-ed25519 AAAA broken\nssh-ed25519\n${line(ED)}\nssh-ed25519 ${RSA.blob.toString('base64')}\n`;
    const r = parseAuthorizedKeys(text, FILE);
    expect(r.keys.map((e) => e.line)).toEqual([4]);
    expect(r.errors).toEqual([
      { line: 1, reason: 'no key', message: `${FILE}:1: advance: ''`, level: 'debug2' },
      { line: 2, reason: 'no key', message: `${FILE}:2: advance: 'ssh-ed25519 AAAA broken'`, level: 'debug2' },
      { line: 3, reason: 'no key', message: `${FILE}:3: advance: ''`, level: 'debug2' },
      { line: 5, reason: 'no key', message: `${FILE}:5: advance: '${RSA.blob.toString('base64')}'`, level: 'debug2' },
    ]);
  });

  it('refuses RSA keys under 1024 bits as sshd does', () => {
    const small = publicKeyFromKeyObject(generateKeyPairSync('rsa', { modulusLength: 768 }).publicKey);
    expect(parseAuthorizedKeys(line(small), FILE).keys).toEqual([]);
  });

  it('has no line length limit (getline)', () => {
    const long = 'x'.repeat(100_000);
    const r = parseAuthorizedKeys(`command="${'y'.repeat(20_000)}" ${line(ED, long)}\n`, FILE);
    expect(r.keys[0]!.comment).toBe(long);
    expect(r.keys[0]!.options.forceCommand).toHaveLength(20_000);
  });

  it('ends a line at a NUL byte and reads the last line without newline', () => {
    const r = parseAuthorizedKeys(Buffer.from(`\0${line(ED)}\n${line(ED2)}\0junk`), FILE);
    expect(r.keys.map((e) => [e.line, e.comment])).toEqual([[2, 'user@host']]);
  });

  it('cuts the file name in locations to 200 bytes, as sshd does', () => {
    const file = `/${'d'.repeat(300)}`;
    const r = parseAuthorizedKeys(`foo ${line(ED)}`, file);
    expect(r.errors[0]!.message).toBe(`/${'d'.repeat(199)}:1: bad key options: unknown key option`);
  });

  it('decodes option values and comments as UTF-8', () => {
    const r = parseAuthorizedKeys(`command="écho ☃" ${line(ED, 'ünï')}`, FILE);
    expect(r.keys[0]!.options.forceCommand).toBe('écho ☃');
    expect(r.keys[0]!.comment).toBe('ünï');
  });
});

describe('options', () => {
  it.each<[string, Partial<KeyOptions>]>([
    ['no-port-forwarding', { permitPortForwarding: false }],
    ['no-agent-forwarding', { permitAgentForwarding: false }],
    ['no-X11-forwarding', { permitX11Forwarding: false }],
    ['no-pty', { permitPty: false }],
    ['no-user-rc', { permitUserRc: false }],
    ['port-forwarding,agent-forwarding,X11-forwarding,pty,user-rc', {}],
    ['cert-authority', { certAuthority: true }],
    ['no-touch-required', { noTouchRequired: true }],
    ['touch-required', { noTouchRequired: false }],
    ['no-touch-required,touch-required', { noTouchRequired: false }],
    ['verify-required', { verifyRequired: true }],
    ['no-verify-required', { verifyRequired: false }],
    ['NO-PTY,No-Agent-Forwarding,x11-FORWARDING', { permitPty: false, permitAgentForwarding: false }],
    ['no-pty,pty', {}],
    ['pty,no-pty', { permitPty: false }],
    ['restrict', { restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: false, permitUserRc: false }],
    ['restrict,pty,port-forwarding,agent-forwarding,x11-forwarding,user-rc', { restricted: true }],
    ['pty,restrict', { restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: false, permitUserRc: false }],
    ['RESTRICT,User-Rc', { restricted: true, permitPortForwarding: false, permitAgentForwarding: false, permitX11Forwarding: false, permitPty: false }],
    ['command="echo \\"hi\\" \\\\n"', { forceCommand: 'echo "hi" \\\\n' }],
    ['COMMAND=""', { forceCommand: '' }],
    ['from="*.example.com,!bad.example.com,10.0.0.0/8"', { requiredFromHostPatterns: '*.example.com,!bad.example.com,10.0.0.0/8' }],
    ['principals="a,b"', { principals: 'a,b' }],
    ['environment="A=1",environment="B_2=x y",environment="A=2",environment="1=one"', { environment: ['A=1', 'B_2=x y', '1=one'] }],
    ['environment="EMPTY="', { environment: ['EMPTY='] }],
    ['permitopen="host:22",permitopen="[::1]:*",permitopen="h/80",permitopen="10.0.0.1:ssh"', { permitOpen: ['host:22', '[::1]:*', 'h/80', '10.0.0.1:ssh'] }],
    ['permitopen="h: 22",permitopen="h:+22"', { permitOpen: ['h: 22', 'h:+22'] }],
    ['permitlisten="8080",permitlisten="localhost:*",permitlisten="*"', { permitListen: ['*:8080', 'localhost:*', '*:*'] }],
    ['tunnel="0"', { tunnel: 0 }],
    ['tunnel="ANY"', { tunnel: SSH_TUNID_ANY }],
    ['tunnel="1",tunnel="2147483645"', { tunnel: 2147483645 }],
    ['expiry-time="20300101Z"', { expiryTime: 1893456000 }],
    ['expiry-time="20300101Z",expiry-time="20290101Z",expiry-time="20310101Z"', { expiryTime: 1861920000 }],
    [',pty', {}],
    ['no-pty,,pty,', {}],
  ])('%s', (o, want) => {
    expect(opts(o)).toEqual(with_(want));
  });

  // Reasons and texts as auth-options.c and auth2-pubkeyfile.c have them.
  it.each<[string, string]>([
    ['foo', 'unknown key option'],
    ['ptyx', 'unknown key option'],
    ['pty=yes', 'unknown key option'],
    ['restricted', 'unknown key option'],
    ['no-restrict', 'unknown key option'],
    ['no-cert-authority', 'unknown key option'],
    ['no_pty', 'unknown key option'],
    ['command', 'unknown key option'],
    ['pty;no-pty', 'unknown key option'],
    ['command=x', 'missing start quote'],
    ['from=', 'missing start quote'],
    ['command="a",command="b"', 'multiple "command" clauses'],
    ['principals="a",principals="b"', 'multiple "principals" clauses'],
    ['from="a",from="b"', 'multiple "from" clauses'],
    ['expiry-time="2030"', 'invalid expires time'],
    ['expiry-time="20301301"', 'invalid expires time'],
    ['expiry-time="19690101"', 'invalid expires time'],
    ['expiry-time="19700101Z"', 'invalid expires time'],
    ['expiry-time="203001010000000"', 'invalid expires time'],
    ['environment="NOEQUALS"', 'invalid environment string'],
    ['environment="=x"', 'invalid environment string'],
    ['environment="A-B=x"', 'invalid environment string'],
    ['environment="A B=x"', 'invalid environment string'],
    ['permitopen="host"', 'invalid permission port'],
    ['permitopen=""', 'invalid permission port'],
    ['permitopen="host:"', 'invalid permission port'],
    ['permitopen="host:0"', 'invalid permission port'],
    ['permitopen="host:65536"', 'invalid permission port'],
    ['permitopen="host:22:23"', 'invalid permission port'],
    ['permitopen="host:nosuchservice"', 'invalid permission port'],
    ['permitopen="[::1"', 'invalid permission hostname'],
    ['permitopen="[::1]x:22"', 'invalid permission hostname'],
    [`permitopen="${'h'.repeat(1025)}:22"`, 'invalid permission hostname'],
    ['permitlisten="0"', 'invalid permission port'],
    ['permitlisten="[::1]"', 'invalid permission port'],
    ['tunnel="x"', 'invalid tun device'],
    ['tunnel="-1"', 'invalid tun device'],
    ['tunnel="2147483646"', 'invalid tun device'],
  ])('%s: %s', (o, reason) => {
    expect(opts(o)).toBe(`${FILE}:1: bad key options: ${reason}`);
    expect(parseKeyOptions(o)).toEqual({ ok: false, reason });
  });

  it('a name of exactly 1024 bytes is a valid permitopen host', () => {
    expect(opts(`permitopen="${'h'.repeat(1024)}:22"`)).toMatchObject({ permitOpen: [`${'h'.repeat(1024)}:22`] });
  });

  it('counts permissions and environment strings as sshd does (one more than the maximum passes)', () => {
    const many = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join(',');
    expect(parseKeyOptions(many(4097, () => 'permitopen="h:1"'))).toMatchObject({ ok: true });
    expect(parseKeyOptions(many(4098, () => 'permitopen="h:1"'))).toEqual({ ok: false, reason: 'too many permission directives' });
    expect(parseKeyOptions(many(4098, () => 'permitlisten="1"'))).toEqual({ ok: false, reason: 'too many permission directives' });
    expect(parseKeyOptions(many(1025, (i) => `environment="V${i}=1"`))).toMatchObject({ ok: true });
    expect(parseKeyOptions(many(1026, (i) => `environment="V${i}=1"`))).toEqual({ ok: false, reason: 'too many environment strings' });
  });

  it('an unterminated quote on a line is sshd\'s "invalid key option string"', () => {
    const r = parseAuthorizedKeys(`command="echo ${line(ED)}\n${line(ED2)}\n`, FILE);
    expect(r.errors).toEqual([{ line: 1, reason: 'invalid key option string', message: 'invalid key option string', level: 'error' }]);
    expect(r.keys.map((e) => e.line)).toEqual([2]);
    expect(parseKeyOptions('command="echo')).toEqual({ ok: false, reason: 'missing end quote' });
  });

  it('quoted values may hold blanks, commas and escaped quotes', () => {
    expect(opts('command="a, b\\",c",no-pty')).toEqual(with_({ forceCommand: 'a, b",c', permitPty: false }));
  });

  it('an option list ending in a comma is an error only at the very end of the string', () => {
    expect(parseKeyOptions('pty,')).toEqual({ ok: false, reason: 'unexpected end-of-options' });
    expect(opts('pty,')).toEqual(defaultKeyOptions());
  });
});

describe('parseAbsoluteTime', () => {
  afterEach(() => {
    process.env.TZ = 'UTC';
  });
  // Values computed by OpenSSH 9.2's parse_absolute_time with glibc 2.36.
  it.each<[string, number | null]>([
    ['20230101', 1672531200],
    ['20230101Z', 1672531200],
    ['20230101utc', 1672531200],
    ['20230101z', 1672531200],
    ['202301011230', 1672576200],
    ['20230101123045Z', 1672576245],
    ['20230231', 1677801600],
    ['2023 101', 1672531200],
    ['202301 1', 1672531200],
    ['20230101235960Z', 1672617600],
    ['20230101235961Z', 1672617601],
    ['99991231Z', 253402214400],
    ['19700101Z', 0],
    ['2023', null],
    ['20231301', null],
    ['20230100', null],
    ['00000101', null],
    ['+2023101', null],
    ['2023-101', null],
    ['20230101240000', null],
    ['20230101235962Z', null],
    ['1999010Z', null],
    ['199901011Z', null],
    ['  230101', null],
    ['a0230101', null],
    ['20230101T', null],
    ['12345678', null],
  ])('%s in UTC', (s, want) => {
    expect(parseAbsoluteTime(s)).toBe(want);
  });

  it('reads local times as standard time (mktime with tm_isdst = 0)', () => {
    process.env.TZ = 'America/New_York';
    expect(parseAbsoluteTime('20230701')).toBe(1688187600);
    expect(parseAbsoluteTime('20230101')).toBe(1672549200);
    expect(parseAbsoluteTime('202303120230')).toBe(1678606200);
    expect(parseAbsoluteTime('202311050130')).toBe(1699165800);
    expect(parseAbsoluteTime('20230701Z')).toBe(1688169600);
    process.env.TZ = 'Europe/London';
    expect(parseAbsoluteTime('20230701')).toBe(1688169600);
  });

  it('formats times as format_absolute_time does (local time)', () => {
    expect(formatAbsoluteTime(1672576245)).toBe('2023-01-01T12:30:45');
    process.env.TZ = 'Asia/Kolkata';
    expect(formatAbsoluteTime(1672576245)).toBe('2023-01-01T18:00:45');
  });
});

describe('findKey and authorizeKey', () => {
  const text = [
    `cert-authority ${line(ED)}`,
    `from="10.0.0.1" ${line(ED, 'one')}`,
    `no-pty ${line(ED, 'two')}`,
    `${line(ED, 'three')}`,
    `${line(RSA)}`,
  ].join('\n');
  const { keys } = parseAuthorizedKeys(text, FILE);
  const ctx = { remoteAddr: '127.0.0.1', remoteHost: '127.0.0.1', now: 1_700_000_000, user: 'u' };

  it('finds the first plain line with the key; never a cert-authority line', () => {
    expect(findKey(keys, ED)!.comment).toBe('one');
    expect(findKey(keys, RSA)!.line).toBe(5);
    expect(findKey(keys, ED2)).toBeNull();
    expect(findKey(parseAuthorizedKeys(`cert-authority ${line(ED2)}`, FILE).keys, ED2)).toBeNull();
  });

  it('returns null for certificates', () => {
    const cert = parsePublicKeyBlob(
      new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').string(Buffer.alloc(32)).string(ED.blob.subarray(19)).toBuffer(),
    );
    expect(cert.isCert).toBe(true);
    expect(findKey(keys, cert)).toBeNull();
  });

  it('a line refused by its options does not end the search (auth_check_authkeys_file)', () => {
    const r = authorizeKey(keys, ED, ctx);
    expect(r.entry!.comment).toBe('two');
    expect(r.refusals).toEqual([
      `${FILE}:2: Authentication tried for u with correct key but not from a permitted host (host=127.0.0.1, ip=127.0.0.1, required=10.0.0.1).`,
    ]);
    expect(authorizeKey(keys, ED2, ctx)).toEqual({ entry: null, refusals: [] });
  });
});

describe('checkKeyOptions', () => {
  const ctx: OptionContext = { remoteAddr: '192.168.1.20', remoteHost: 'ws.example.com', now: 1_700_000_000, user: 'alice', loc: 'ak:3' };
  const from = (patterns: string, c: Partial<OptionContext> = {}): boolean =>
    checkKeyOptions(with_({ requiredFromHostPatterns: patterns }), { ...ctx, ...c }).ok;

  it('passes a line without restrictions', () => {
    expect(checkKeyOptions(defaultKeyOptions(), ctx)).toEqual({ ok: true });
  });

  it('from=: host names, addresses, wildcards, CIDR and negation (match_host_and_ip)', () => {
    expect(from('ws.example.com')).toBe(true);
    expect(from('*.EXAMPLE.com')).toBe(true);
    expect(from('192.168.1.20')).toBe(true);
    expect(from('192.168.1.*')).toBe(true);
    expect(from('192.168.0.0/16')).toBe(true);
    expect(from('10.0.0.0/8')).toBe(false);
    expect(from('10.0.0.0/8,192.168.1.0/24')).toBe(true);
    expect(from('*,!ws.example.com')).toBe(false);
    expect(from('*.example.com,!192.168.1.0/24')).toBe(false);
    expect(from('!10.0.0.1,*')).toBe(true);
    expect(from('other.example.com')).toBe(false);
    expect(from('ws.example.com', { remoteHost: null })).toBe(false);
    expect(from('::1', { remoteAddr: '::1', remoteHost: '::1' })).toBe(true);
    expect(from('::/0', { remoteAddr: '::1', remoteHost: '::1' })).toBe(true);
    expect(from('0.0.0.0/0', { remoteAddr: '::1', remoteHost: '::1' })).toBe(false);
    // An invalid address list (host bits set) refuses, whatever else matches.
    expect(from('*,192.168.1.1/16')).toBe(false);
  });

  it('from= refusal text', () => {
    expect(checkKeyOptions(with_({ requiredFromHostPatterns: '10.0.0.1' }), ctx)).toEqual({
      ok: false,
      reason: 'ak:3: Authentication tried for alice with correct key but not from a permitted host (host=ws.example.com, ip=192.168.1.20, required=10.0.0.1).',
    });
  });

  it('expiry-time: refused once the time has passed', () => {
    const o = with_({ expiryTime: ctx.now });
    expect(checkKeyOptions(o, ctx)).toEqual({ ok: true });
    expect(checkKeyOptions(o, { ...ctx, now: ctx.now - 1 })).toEqual({ ok: true });
    expect(checkKeyOptions(o, { ...ctx, now: ctx.now + 1 })).toEqual({ ok: false, reason: 'ak:3: entry expired at 2023-11-14T22:13:20' });
    const parsed = opts('expiry-time="19990101Z"') as KeyOptions;
    expect(checkKeyOptions(parsed, { ...ctx, loc: undefined })).toEqual({ ok: false, reason: 'entry expired at 1999-01-01T00:00:00' });
    expect(checkKeyOptions(opts('expiry-time="29990101"') as KeyOptions, ctx)).toEqual({ ok: true });
  });

  it('principals= on a key that is not a CA is refused', () => {
    expect(checkKeyOptions(with_({ principals: 'a' }), ctx)).toEqual({ ok: false, reason: 'ak:3: principals on non-CA key' });
  });
});

describe('checkAuthorizedKeysPath (StrictModes)', () => {
  const root = mkdtempSync('/tmp/tsh-ak-test-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const OTHER = 65534;
  /** A group id no group has. */
  const NO_GROUP = 54321;
  const badFile = (f: string): string => `bad ownership or modes for file ${f}`;
  const badDir = (d: string): string => `bad ownership or modes for directory ${d}`;

  /** home/.ssh/authorized_keys, all root-owned, 0755/0700/0600. */
  function layout(): { home: string; ssh: string; file: string } {
    const home = join(root, `home${n++}`);
    const ssh = join(home, '.ssh');
    mkdirSync(ssh, { recursive: true });
    chmodSync(home, 0o755);
    chmodSync(ssh, 0o700);
    const file = join(ssh, 'authorized_keys');
    writeFileSync(file, `${line(ED)}\n`, { mode: 0o600 });
    return { home, ssh, file };
  }

  it('accepts a safe layout, for root and for the owner', () => {
    const { home, ssh, file } = layout();
    expect(checkAuthorizedKeysPath(file, 0, home)).toBeNull();
    expect(checkAuthorizedKeysPath(file, 1000, home)).toBeNull();
    chownSync(file, OTHER, OTHER);
    chownSync(ssh, OTHER, OTHER);
    chownSync(home, OTHER, OTHER);
    chmodSync(file, 0o644);
    expect(checkAuthorizedKeysPath(file, OTHER, home)).toBeNull();
  });

  it('refuses a file others may write or another user owns', () => {
    const { home, file } = layout();
    chmodSync(file, 0o602);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBe(badFile(file));
    chmodSync(file, 0o644);
    chownSync(file, OTHER, OTHER);
    expect(checkAuthorizedKeysPath(file, 1000, home)).toBe(badFile(file));
  });

  it('allows group write only for a group that is the user\'s alone (Debian)', () => {
    const { home, ssh, file } = layout();
    // root:root: root is the only account whose primary group is root, and it has no members.
    chmodSync(file, 0o660);
    chmodSync(ssh, 0o770);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBeNull();
    // For another user the group root is not theirs alone.
    expect(checkAuthorizedKeysPath(file, 1000, home)).toBe(badFile(file));
    // A group that does not exist.
    chownSync(file, 0, NO_GROUP);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBe(badFile(file));
    chmodSync(file, 0o640);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBeNull();
    chownSync(ssh, 0, NO_GROUP);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBe(badDir(ssh));
  });

  it('refuses an unsafe directory up to and including the home directory', () => {
    const { home, ssh, file } = layout();
    chmodSync(ssh, 0o707);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBe(badDir(ssh));
    chmodSync(ssh, 0o700);
    chmodSync(home, 0o757);
    expect(checkAuthorizedKeysPath(file, 0, home)).toBe(badDir(home));
    chmodSync(home, 0o755);
    chownSync(ssh, OTHER, OTHER);
    expect(checkAuthorizedKeysPath(file, 1000, home)).toBe(badDir(ssh));
  });

  it('stops at the home directory; walks up to / outside it', () => {
    const { home, file } = layout();
    // /tmp (1777) is above the home directory: not checked.
    expect(checkAuthorizedKeysPath(file, 0, home)).toBeNull();
    expect(checkAuthorizedKeysPath(file, 0, '/nonexistent')).toBe(badDir('/tmp'));
    expect(checkAuthorizedKeysPath(file, 0, '/root')).toBe(badDir('/tmp'));
  });

  it('checks the real path of a symbolic link and names it', () => {
    const { home, ssh, file } = layout();
    const elsewhere = join(root, `elsewhere${n++}`);
    mkdirSync(elsewhere, { mode: 0o755 });
    const target = join(elsewhere, 'keys');
    writeFileSync(target, '');
    chmodSync(target, 0o666);
    const link = join(ssh, 'linked');
    symlinkSync(target, link);
    expect(checkAuthorizedKeysPath(link, 0, home)).toBe(badFile(target));
    chmodSync(target, 0o644);
    expect(checkAuthorizedKeysPath(link, 0, home)).toBe(badDir('/tmp'));
    expect(checkAuthorizedKeysPath(file, 0, home)).toBeNull();
  });

  it('refuses what is not a regular file, or missing', () => {
    const { home, ssh } = layout();
    expect(checkAuthorizedKeysPath(ssh, 0, home)).toBe(`${ssh} is not a regular file`);
    expect(checkAuthorizedKeysPath(join(ssh, 'none'), 0, home)).toBe(`cannot stat file ${join(ssh, 'none')}: No such file or directory`);
  });
});
