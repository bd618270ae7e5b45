import { describe, expect, it } from 'vitest';
import { check, lookupName } from './check.js';
import { hashHostName } from './hash.js';
import { parseKnownHosts } from './parse.js';
import { scanKnownHosts, type ScanDiagnostic } from './scan.js';
import { generateKeyPairSync } from 'node:crypto';
import { parsePublicKeyBlob, type PublicKey } from '../keys/public-key.js';
import { SshWriter } from '../keys/ssh-buffer.js';

function ed25519Key(): PublicKey {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x!, 'base64url');
  return parsePublicKeyBlob(new SshWriter().string('ssh-ed25519').string(raw).toBuffer());
}

function ecdsaKey(): PublicKey {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return parsePublicKeyBlob(new SshWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(q).toBuffer());
}

/** An ed25519 host certificate for `key` naming `ca` as its signer (signature not meaningful). */
function ed25519Cert(key: PublicKey, ca: PublicKey): PublicKey {
  const pk = key.blob.subarray(4 + 'ssh-ed25519'.length + 4);
  const w = new SshWriter()
    .string('ssh-ed25519-cert-v01@openssh.com')
    .string(Buffer.alloc(32, 1))
    .string(pk)
    .raw(Buffer.alloc(8))
    .uint32(2)
    .string('host')
    .string('')
    .raw(Buffer.alloc(8))
    .raw(Buffer.alloc(8, 0xff))
    .string('')
    .string('')
    .string('')
    .string(ca.blob)
    .string(Buffer.alloc(10));
  return parsePublicKeyBlob(w.toBuffer());
}

const line = (hosts: string, key: PublicKey, rest = ''): string =>
  `${hosts} ${key.type} ${key.blob.toString('base64')}${rest}`;

const A = ed25519Key();
const B = ed25519Key();
const C = ecdsaKey();
const D = ed25519Key();
const CA = ed25519Key();

const FILE = [
  '# a comment',
  line('alpha', A, ' my comment'),
  '',
  line('beta,gamma', B),
  line('[alpha]:2222', C),
  line('*.example.com,!bad.example.com', D),
  line('@revoked alpha', D),
  line('@cert-authority *.corp', CA),
  line('alpha', C),
  '   # indented',
  'badline',
  'omega ssh-ed25519 AAAAbroken',
  line(hashHostName('hashed.host'), B),
  line('@bogus alpha', A),
  line('|1|abc|def', A),
].join('\n');

describe('parseKnownHosts', () => {
  const parsed = parseKnownHosts(FILE, 'kh');
  it('reads entries with markers, host lists and comments', () => {
    expect(parsed.entries.map((e) => [e.line, e.marker, e.hosts])).toEqual([
      [2, 'none', 'alpha'],
      [4, 'none', 'beta,gamma'],
      [5, 'none', '[alpha]:2222'],
      [6, 'none', '*.example.com,!bad.example.com'],
      [7, 'revoked', 'alpha'],
      [8, 'cert-authority', '*.corp'],
      [9, 'none', 'alpha'],
      [13, 'none', parsed.entries[7]!.hosts],
    ]);
    expect(parsed.entries[0]!.comment).toBe('my comment');
    expect(parsed.entries[7]!.hashed).toBe(true);
    expect(parsed.entries[2]!.key.type).toBe('ecdsa-sha2-nistp256');
  });
  it('reports invalid lines with file:line and skips them', () => {
    expect(parsed.invalid.map((i) => i.message)).toEqual([
      'kh:11: parse error in hostkeys file',
      'kh:12: parse error in hostkeys file',
      'kh:14: parse error in hostkeys file',
      'kh:15: parse error in hostkeys file',
    ]);
  });
});

describe('scanKnownHosts (hostkeys_foreach)', () => {
  it('without decoding keys, a known type name with any blob is valid (as ssh-keygen -R/-H see it)', () => {
    const lines = scanKnownHosts('h ED25519 AAAA\nh rsa-sha2-256 AAAA\nh foo AAAA\nh 1024 35 99\nh ssh-ed25519\n', 'f');
    expect(lines.map((l) => l.status)).toEqual(['ok', 'ok', 'invalid', 'invalid', 'invalid']);
  });
  it('with key decoding, only full type names whose blob has that type', () => {
    const b64 = A.blob.toString('base64');
    const text = `h ED25519 ${b64}\nh ssh-ed25519 ${b64}\nh ssh-rsa ${b64}\nh ssh-ed25519 ${b64}=\n`;
    expect(scanKnownHosts(text, 'f', { parseKey: true }).map((l) => l.status)).toEqual([
      'invalid',
      'ok',
      'invalid',
      'invalid',
    ]);
  });
  it('emits OpenSSH’s verbose and debug messages', () => {
    const diags: ScanDiagnostic[] = [];
    scanKnownHosts('@bogus h ssh-ed25519 AAAA\nh\nh ssh-ed25519 #\n|1|bad ssh-ed25519 AAAA\n', 'f', { host: 'h' }, (d) =>
      diags.push(d),
    );
    expect(diags).toEqual([
      { level: 3, message: 'hostkeys_foreach: reading file "f"' },
      { level: 1, message: 'hostkeys_foreach_file: invalid marker at f:1' },
      { level: 2, message: 'f:2: truncated before key type' },
      { level: 2, message: 'f:3: truncated after key type' },
      { level: 2, message: 'extract_salt: missing salt termination character' },
      { level: 2, message: 'hostkeys_foreach_file: f:4: bad host hash "|1|bad"' },
    ]);
  });
  it('a marker ends at the first space of the line (a tab after it does not count)', () => {
    const [l] = scanKnownHosts(`@revoked\t${line('h', A)}`, 'f');
    expect(l!.status).toBe('invalid');
  });
});

describe('check', () => {
  const { entries } = parseKnownHosts(FILE, 'kh');

  it('ok: the key is listed for the host', () => {
    const v = check(entries, { host: 'alpha', key: A });
    expect(v).toMatchObject({ status: 'ok', entry: { line: 2 } });
    expect(check(entries, { host: 'gamma', key: B })).toMatchObject({ status: 'ok', entry: { line: 4 } });
  });

  it('ok through wildcards, negation and hashed names', () => {
    expect(check(entries, { host: 'x.example.com', key: D })).toMatchObject({ status: 'ok', entry: { line: 6 } });
    expect(check(entries, { host: 'bad.example.com', key: D }).status).toBe('unknown');
    expect(check(entries, { host: 'hashed.host', key: B })).toMatchObject({ status: 'ok', entry: { line: 13 } });
  });

  it('[host]:port for other ports, with no fallback to the bare host (as ssh 9.2)', () => {
    expect(lookupName({ host: 'alpha', port: 2222 })).toBe('[alpha]:2222');
    expect(lookupName({ host: 'alpha', port: 22 })).toBe('alpha');
    expect(check(entries, { host: 'alpha', port: 2222, key: C })).toMatchObject({ status: 'ok', entry: { line: 5 } });
    expect(check(entries, { host: 'alpha', port: 2222, key: A })).toMatchObject({
      status: 'changed',
      known: [{ line: 5 }],
    });
    expect(check(entries, { host: 'beta', port: 2200, key: B })).toEqual({ status: 'unknown', otherKeys: [] });
  });

  it('HostKeyAlias replaces the name and port', () => {
    expect(check(entries, { host: 'elsewhere', port: 2022, hostKeyAlias: 'beta', key: B }).status).toBe('ok');
  });

  it('changed: lists every other known key for the host with its file and line', () => {
    const v = check(entries, { host: 'alpha', key: B });
    expect(v.status).toBe('changed');
    if (v.status !== 'changed') return;
    expect(v.known.map((e) => `${e.file}:${e.line}`)).toEqual(['kh:2', 'kh:9']);
  });

  it('unknown: no entry for the host', () => {
    expect(check(entries, { host: 'nowhere', key: A })).toEqual({ status: 'unknown', otherKeys: [] });
  });

  it('revoked wins over an ok entry', () => {
    const text = `${FILE}\n${line('alpha', D)}\n`;
    const v = check(parseKnownHosts(text, 'kh').entries, { host: 'alpha', key: D });
    expect(v).toMatchObject({ status: 'revoked', entry: { line: 7, marker: 'revoked' } });
  });

  it('@cert-authority never makes a plain key ok, but vouches for its certificates', () => {
    expect(check(entries, { host: 'h.corp', key: CA }).status).toBe('unknown');
    const cert = ed25519Cert(ed25519Key(), CA);
    expect(check(entries, { host: 'h.corp', key: cert })).toMatchObject({ status: 'ok', entry: { line: 8 } });
    expect(check(entries, { host: 'other', key: cert }).status).toBe('unknown');
  });

  it('a certificate signed by a revoked CA is revoked', () => {
    const cert = ed25519Cert(ed25519Key(), D);
    expect(check(entries, { host: 'alpha', key: cert })).toMatchObject({ status: 'revoked', entry: { line: 7 } });
  });

  it('a certificate without a known CA falls back to its plain key', () => {
    const cert = ed25519Cert(A, ed25519Key());
    expect(check(entries, { host: 'alpha', key: cert })).toMatchObject({ status: 'ok', entry: { line: 2 } });
  });
});
