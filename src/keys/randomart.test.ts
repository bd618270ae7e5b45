import { describe, expect, it } from 'vitest';
import { parsePublicKeyLine } from './public-key.js';
import { randomart } from './randomart.js';

// Keys and pictures produced by OpenSSH 9.2: `ssh-keygen -lv [-E md5] -f key.pub` (lines after the first).
const CASES: { line: string; sha256: string; md5: string }[] = [
  {
    line: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKY5yeZNX+4oK0+hvqyrqUdAni+s3x+8LuU8YazVtc90 c ed25519',
    sha256: '+--[ED25519 256]--+\n|        .. .     |\n|         .+.     |\n|   . .   o. .  . |\n| .+ o o.  .  ...o|\n|+*o* o..S.    .o.|\n|XoBo+  o.     .  |\n|oOo+ .. o      o |\n|* o o. . .    + .|\n|.=   ..       .E |\n+----[SHA256]-----+',
    md5: '+--[ED25519 256]--+\n| ..++.... .      |\n|  +.o+ ..+ .     |\n| . o+. .E +      |\n|  . ..o. o .     |\n|   .   .S .      |\n|       . o       |\n|        o        |\n|       o         |\n|        .        |\n+------[MD5]------+'
  },
  {
    line: 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBD1kNBEMu1i2OZhDsj6lB1Ip4SJQSyCmfM2PitDo/vEC9wfTeSXEI+8vc1H3UbR6QpLBVSYxlri+is3tfSIn4M2kH512sHpLOP7zQ230gI+SaFPZhODfGfFE/qMpmT/bXg== c ecdsab384',
    sha256: '+---[ECDSA 384]---+\n|       .*++      |\n|     o =.o o     |\n|    . ooo o o    |\n|  .   +. o +     |\n| + .   oS =      |\n|+ + .   .+ +     |\n|o. = . o .o      |\n|+o+++.o o        |\n|=.+*B=E.         |\n+----[SHA256]-----+',
    md5: '+---[ECDSA 384]---+\n|                 |\n|                 |\n|      ..         |\n|    . .o.o       |\n|     o  S.       |\n|    . .+  .      |\n|   . =+...       |\n|    E+oo=        |\n|   .oo+*o.       |\n+------[MD5]------+'
  },
  {
    line: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCvAliRIUXxWwc72qqGWSInAcoaMmH2fhR7tSQJcrAEWlyDQy1J7uXgjsfwKR0OM9evhXj3Ip8OHU5erDc83LNDt883ZCP9EbKYSHmikMMyuVyFv2ja4WPDqC3BBg2mliNvfQl1zwysbTMzXNrakiTPfvNZ0fYx0+nf7agHDg0m8Q== r',
    sha256: '+---[RSA 1024]----+\n| ...B*o.         |\n|o.oO+oo.         |\n|o+o.B+  o        |\n|++=*+o.o o .     |\n|+*+o=o= S +      |\n|..+o o E +       |\n| .      . .      |\n|                 |\n|                 |\n+----[SHA256]-----+',
    md5: '+---[RSA 1024]----+\n|              o. |\n|             o ..|\n|          .   oo |\n|         + +  +oo|\n|        S *   o*.|\n|           .  =E*|\n|            . .Oo|\n|             .o  |\n|                 |\n+------[MD5]------+'
  },
  {
    line: 'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIG+AUS9OnpGLh+ZbUbxy3fPBNvMdORLBkfzFmJoxDjM/AAAAIKY5yeZNX+4oK0+hvqyrqUdAni+s3x+8LuU8YazVtc90AAAAAAAAAAAAAAABAAAAAmlkAAAAAAAAAAAAAAAA//////////8AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAAAAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACCmOcnmTV/uKCtPob6sq6lHQJ4vrN8fvC7lPGGs1bXPdAAAAFMAAAALc3NoLWVkMjU1MTkAAABAjEAy/yaoBQag/KDjhlESIlBzDIy13524Dd7O3/2Saeh0fwpNlSDBIidR12wVjvmeAeYTflkHmfSrnTM1ZXawDA== c ed25519',
    sha256: '+-[ED25519-CERT]--+\n|        .. .     |\n|         .+.     |\n|   . .   o. .  . |\n| .+ o o.  .  ...o|\n|+*o* o..S.    .o.|\n|XoBo+  o.     .  |\n|oOo+ .. o      o |\n|* o o. . .    + .|\n|.=   ..       .E |\n+----[SHA256]-----+',
    md5: '+-[ED25519-CERT]--+\n| ..++.... .      |\n|  +.o+ ..+ .     |\n| . o+. .E +      |\n|  . ..o. o .     |\n|   .   .S .      |\n|       . o       |\n|        o        |\n|       o         |\n|        .        |\n+------[MD5]------+'
  },
  {
    line: 'ecdsa-sha2-nistp256-cert-v01@openssh.com AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgiLsXjrflKf+ra+KJIOrLH7vyDuULaFkPKQPkXKnXWMEAAAAIbmlzdHAyNTYAAABBBIbi4CrEzqoxJ9em6OtBWaAOwTyJwUiFkq5V68jbjnfU0oBnZk+2/3Ta5zmcKmAdnDpclo4KOUzs16fCj/hm1cUAAAAAAAAAAAAAAAEAAAACaWQAAAAFAAAAAXUAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgpjnJ5k1f7igrT6G+rKupR0CeL6zfH7wu5TxhrNW1z3QAAABTAAAAC3NzaC1lZDI1NTE5AAAAQH8A05OmY7bUl6g44YlnCdmVx3yki5foTE2jg0h0stGhMmQO6ABTXqMTzpYn3cyj0M9r75CElsxNI4U1q/92hg4= c ecdsab256',
    sha256: '+[ECDSA-CERT 256]-+\n|     .ooo...=+o  |\n|    E.  =oo=o o..|\n|       . +o. o +.|\n|         . o .oo=|\n|        S   =.+*=|\n|           . oo=O|\n|              =oB|\n|             . ==|\n|              ..X|\n+----[SHA256]-----+',
    md5: '+[ECDSA-CERT 256]-+\n|     .=.         |\n|     ..o         |\n|     E  .        |\n|         o       |\n|        S + o   +|\n|       . o O ..o=|\n|        o o o o=.|\n|         . o  ...|\n|          . ..   |\n+------[MD5]------+'
  }
];

describe('randomart', () => {
  for (const c of CASES) {
    const key = parsePublicKeyLine(c.line)!.key;
    it(`draws ${key.label} ${key.bits} like ssh-keygen -lv`, () => {
      expect(randomart(key, 'sha256')).toBe(c.sha256);
      expect(randomart(key, 'md5')).toBe(c.md5);
    });
  }
});
