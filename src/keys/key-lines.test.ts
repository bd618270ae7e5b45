import { describe, expect, it } from 'vitest';
import { fingerprintLines, sshkeyRead, tryLoadPublic, type FingerprintLine } from './key-lines.js';

// Keys made by OpenSSH 9.2 ssh-keygen.
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHG5bDswcgU5lfMeDRb4XYO5hcrHAgg2utMVShvifOrF';
const EC =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIbi4CrEzqoxJ9em6OtBWaAOwTyJwUiFkq5V68jbjnfU0oBnZk+2/3Ta5zmcKmAdnDpclo4KOUzs16fCj/hm1cU=';

const summary = (text: string, privateCheck = true): string[] =>
  [...fingerprintLines(Buffer.from(text, 'latin1'), privateCheck)].map((e: FingerprintLine) =>
    e.kind === 'key' ? `${e.key.label} ${e.comment === null ? '(none)' : e.comment.toString('latin1')}` : e.kind === 'not-a-key' ? `bad ${e.lineNumber}` : 'private',
  );

describe('sshkeyRead', () => {
  it('reads a key and points at the comment', () => {
    const buf = Buffer.from(`${ED} \t the comment\0`, 'latin1');
    const r = sshkeyRead(buf, 0)!;
    expect(r.key.type).toBe('ssh-ed25519');
    expect(buf.subarray(r.next, buf.length - 1).toString()).toBe('the comment');
  });
  it('accepts the rsa-sha2 names and refuses mismatched or broken keys', () => {
    expect(sshkeyRead(Buffer.from(ED.replace('ssh-ed25519', 'ssh-rsa')), 0)).toBeNull();
    expect(sshkeyRead(Buffer.from(ED.slice(0, -4)), 0)).toBeNull();
    expect(sshkeyRead(Buffer.from('ssh-ed25519'), 0)).toBeNull();
    expect(sshkeyRead(Buffer.from(`${ED}\0 comment`), 0)).not.toBeNull();
  });
});

describe('tryLoadPublic', () => {
  it('takes the first key line; the comment defaults to the file name', () => {
    const r = tryLoadPublic(Buffer.from(`# c\n\nnot a key\n${ED} a b \r\n${EC} second\n`), 'x.pub')!;
    expect(r.key.type).toBe('ssh-ed25519');
    expect(r.comment.toString()).toBe('a b ');
    expect(tryLoadPublic(Buffer.from(`${ED}\n`), 'x.pub')!.comment.toString()).toBe('x.pub');
  });
  it('stops at a private key armour', () => {
    expect(tryLoadPublic(Buffer.from(`-----BEGIN OPENSSH PRIVATE KEY-----\n${ED}\n`), 'k')).toBeNull();
  });
});

describe('fingerprintLines (ssh-keygen -l walk)', () => {
  it('reads bare keys, options, host fields and comments', () => {
    expect(
      summary(
        [
          '# comment',
          `${ED} plain`,
          `command="a b",no-pty ${EC} opts`,
          `host1,[host2]:22 ${ED}`,
          `@revoked host ${ED}`,
          'broken',
          `2048 ${ED}`,
          '',
        ].join('\n'),
      ),
    ).toEqual(['ED25519 plain', 'ECDSA opts', 'ED25519 host1,[host2]:22', 'bad 5', 'bad 7']);
  });
  it('carries the previous comment pointer over to a key without comment, as ssh-keygen does', () => {
    expect(summary(`host ${ED}\n${ED}\n`)).toEqual(['ED25519 host', `ED25519 ${ED}`]);
    expect(summary(`${ED}\n`)).toEqual(['ED25519 (none)']);
    expect(summary(`${ED} #hash\n`)).toEqual(['ED25519 (none)']);
  });
  it('skips a host field that runs to the end of the line without a message', () => {
    expect(summary('justonefield\n')).toEqual([]);
  });
  it('detects a private key on the first line only, and not on stdin', () => {
    expect(summary('-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n')).toEqual(['private']);
    expect(summary('-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n', false)).toEqual(['bad 1']);
    expect(summary('\n-----BEGIN OPENSSH PRIVATE KEY-----\n')).toEqual(['bad 2']);
  });
});
