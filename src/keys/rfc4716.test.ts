import { describe, expect, it } from 'vitest';
import { parsePublicKeyLine } from './public-key.js';
import { decodeRfc4716, encodeRfc4716, rfc4716Comment } from './rfc4716.js';

// Key and export produced by OpenSSH 9.2 (`ssh-keygen -e -f key.pub` as root@vm).
const EC384 =
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBD1kNBEMu1i2OZhDsj6lB1Ip4SJQSyCmfM2PitDo/vEC9wfTeSXEI+8vc1H3UbR6QpLBVSYxlri+is3tfSIn4M2kH512sHpLOP7zQ230gI+SaFPZhODfGfFE/qMpmT/bXg==';
const EXPORTED = `---- BEGIN SSH2 PUBLIC KEY ----
Comment: "384-bit ECDSA, converted by root@vm from OpenSSH"
AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBD1kNBEMu1i2OZhDsj
6lB1Ip4SJQSyCmfM2PitDo/vEC9wfTeSXEI+8vc1H3UbR6QpLBVSYxlri+is3tfSIn4M2k
H512sHpLOP7zQ230gI+SaFPZhODfGfFE/qMpmT/bXg==
---- END SSH2 PUBLIC KEY ----
`;

describe('RFC 4716', () => {
  const key = parsePublicKeyLine(EC384)!.key;
  it('writes what ssh-keygen -e writes', () => {
    expect(encodeRfc4716(key, rfc4716Comment(key, 'root', 'vm'))).toBe(EXPORTED);
  });
  it('cuts the comment to 60 bytes', () => {
    expect(rfc4716Comment(key, 'u', 'h'.repeat(80))).toHaveLength(60);
  });
  it('reads it back, with headers, continuation lines and CRLF', () => {
    const d = decodeRfc4716(Buffer.from(EXPORTED));
    expect(d.ok && d.blob.equals(key.blob)).toBe(true);
    const other = EXPORTED.replace('Comment: "384', 'Subject: x\nComment: "a \\\nsecond line"\nComment: "384').replace(/\n/g, '\r\n');
    const o = decodeRfc4716(Buffer.from(other));
    expect(o.ok && o.blob.equals(key.blob)).toBe(true);
  });
  it('notices SSH.COM private keys and bad base64', () => {
    const p = decodeRfc4716(Buffer.from('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nAAAA\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n'));
    expect(p.ok && p.private).toBe(true);
    expect(decodeRfc4716(Buffer.from('AA-A\n'))).toEqual({ ok: false, error: 'base64' });
    expect(decodeRfc4716(Buffer.from(`${'A'.repeat(1100)}\n`))).toEqual({ ok: false, error: 'line-too-long' });
  });
  it('ignores a last line without newline, as ssh-keygen does', () => {
    const d = decodeRfc4716(Buffer.from('AAAA\nBBBB'));
    expect(d.ok && d.blob.length).toBe(3);
  });
});
