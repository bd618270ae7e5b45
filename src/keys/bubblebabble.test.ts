import { describe, expect, it } from 'vitest';
import { parsePublicKeyLine } from './public-key.js';
import { bubblebabble, bubblebabbleBytes } from './bubblebabble.js';

// Keys and fingerprints produced by OpenSSH 9.2 `ssh-keygen -B -f key.pub`.
const CASES: [string, string][] = [
  ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKY5yeZNX+4oK0+hvqyrqUdAni+s3x+8LuU8YazVtc90 c ed25519', 'xoken-nikah-kurib-rumof-genaz-ruvus-zycuc-zizun-fesaf-nymen-byxax'],
  ['ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBD1kNBEMu1i2OZhDsj6lB1Ip4SJQSyCmfM2PitDo/vEC9wfTeSXEI+8vc1H3UbR6QpLBVSYxlri+is3tfSIn4M2kH512sHpLOP7zQ230gI+SaFPZhODfGfFE/qMpmT/bXg== c ecdsab384', 'xikof-libuf-pobes-rypib-byciv-fevig-cames-muhys-ciruv-haryz-hexox'],
  ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCvAliRIUXxWwc72qqGWSInAcoaMmH2fhR7tSQJcrAEWlyDQy1J7uXgjsfwKR0OM9evhXj3Ip8OHU5erDc83LNDt883ZCP9EbKYSHmikMMyuVyFv2ja4WPDqC3BBg2mliNvfQl1zwysbTMzXNrakiTPfvNZ0fYx0+nf7agHDg0m8Q== r', 'xucit-mypod-hagev-haseh-pycep-nulus-nadeg-susis-lunis-dugip-kexax'],
  ['ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIG+AUS9OnpGLh+ZbUbxy3fPBNvMdORLBkfzFmJoxDjM/AAAAIKY5yeZNX+4oK0+hvqyrqUdAni+s3x+8LuU8YazVtc90AAAAAAAAAAAAAAABAAAAAmlkAAAAAAAAAAAAAAAA//////////8AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAAAAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACCmOcnmTV/uKCtPob6sq6lHQJ4vrN8fvC7lPGGs1bXPdAAAAFMAAAALc3NoLWVkMjU1MTkAAABAjEAy/yaoBQag/KDjhlESIlBzDIy13524Dd7O3/2Saeh0fwpNlSDBIidR12wVjvmeAeYTflkHmfSrnTM1ZXawDA== c ed25519', 'xoken-nikah-kurib-rumof-genaz-ruvus-zycuc-zizun-fesaf-nymen-byxax'],
  ['ecdsa-sha2-nistp256-cert-v01@openssh.com AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgiLsXjrflKf+ra+KJIOrLH7vyDuULaFkPKQPkXKnXWMEAAAAIbmlzdHAyNTYAAABBBIbi4CrEzqoxJ9em6OtBWaAOwTyJwUiFkq5V68jbjnfU0oBnZk+2/3Ta5zmcKmAdnDpclo4KOUzs16fCj/hm1cUAAAAAAAAAAAAAAAEAAAACaWQAAAAFAAAAAXUAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgpjnJ5k1f7igrT6G+rKupR0CeL6zfH7wu5TxhrNW1z3QAAABTAAAAC3NzaC1lZDI1NTE5AAAAQH8A05OmY7bUl6g44YlnCdmVx3yki5foTE2jg0h0stGhMmQO6ABTXqMTzpYn3cyj0M9r75CElsxNI4U1q/92hg4= c ecdsab256', 'xukaf-corah-vylyc-vylov-tazam-mudul-kylev-betep-futub-bykug-saxex'],
];

describe('bubblebabble', () => {
  for (const [line, expected] of CASES) {
    const key = parsePublicKeyLine(line)!.key;
    it(`encodes ${key.label} ${key.bits} like ssh-keygen -B`, () => {
      expect(bubblebabble(key)).toBe(expected);
    });
  }
  it('matches the specification examples', () => {
    // Test vectors from the Bubble Babble specification.
    expect(bubblebabbleBytes(Buffer.alloc(0))).toBe('xexax');
    expect(bubblebabbleBytes(Buffer.from('1234567890'))).toBe('xesef-disof-gytuf-katof-movif-baxux');
    expect(bubblebabbleBytes(Buffer.from('Pineapple'))).toBe('xigak-nyryk-humil-bosek-sonax');
  });
});
