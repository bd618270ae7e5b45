import { describe, expect, it } from 'vitest';
import { fingerprint, formatPublicKey, parsePublicKeyLine, plainType } from './public-key.js';

// Produced by OpenSSH 9.2 ssh-keygen; fingerprints from `ssh-keygen -l [-E md5]`.
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHG5bDswcgU5lfMeDRb4XYO5hcrHAgg2utMVShvifOrF test@example';

describe('public keys', () => {
  it('parses a .pub line and formats it back', () => {
    const p = parsePublicKeyLine(ED)!;
    expect(p.key.type).toBe('ssh-ed25519');
    expect(p.key.bits).toBe(256);
    expect(p.key.label).toBe('ED25519');
    expect(p.comment).toBe('test@example');
    expect(formatPublicKey(p.key, p.comment)).toBe(ED);
  });
  it('rejects garbage and type mismatches', () => {
    expect(parsePublicKeyLine('ssh-ed25519 AAAA')).toBeNull();
    expect(parsePublicKeyLine(ED.replace('ssh-ed25519 ', 'ssh-rsa '))).toBeNull();
    expect(parsePublicKeyLine('')).toBeNull();
  });
  it('maps certificate types to their plain type', () => {
    expect(plainType('ssh-ed25519-cert-v01@openssh.com')).toBe('ssh-ed25519');
    expect(plainType('sk-ssh-ed25519-cert-v01@openssh.com')).toBe('sk-ssh-ed25519@openssh.com');
    expect(plainType('ecdsa-sha2-nistp256-cert-v01@openssh.com')).toBe('ecdsa-sha2-nistp256');
  });
  it('fingerprints in SHA256 and MD5 form', () => {
    const k = parsePublicKeyLine(ED)!.key;
    expect(fingerprint(k)).toBe('SHA256:zE2Bd0rhZqlEKjAqvZmI/5p398sLQCpcLxV4CjAi/8M');
    expect(fingerprint(k, 'md5')).toBe('MD5:1b:65:b7:9c:a3:6b:0d:54:de:e8:4b:76:f1:34:a4:78');
  });
});
