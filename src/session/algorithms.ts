/**
 * The algorithm lists tsh offers: the configured lists (Ciphers, KexAlgorithms, MACs,
 * HostKeyAlgorithms) keeping only what the protocol engine (ssh2) implements, in the configured
 * order. Two choices of our own:
 *
 * - With the default Ciphers, aes128-gcm@openssh.com goes first: in pure JavaScript it is the
 *   fastest cipher by far (STACK.md), while OpenSSH's default chacha20-poly1305 is slow here.
 *   An explicit Ciphers list is offered as written.
 * - Host key algorithms are reordered like OpenSSH's order_hostkeyalgs(): the types already in
 *   known_hosts for this host come first, so a known host is not met with a new key type.
 */
import { createRequire } from 'node:module';
import { DEFAULT_CIPHERS } from '../config/algorithms.js';
import type { ResolvedClientConfig } from '../config/index.js';

const require = createRequire(import.meta.url);
const constants = require('ssh2/lib/protocol/constants.js') as Record<string, readonly string[]>;

function supported(name: string): ReadonlySet<string> {
  return new Set(constants[name] ?? []);
}

const CIPHERS = supported('SUPPORTED_CIPHER');
const KEX = supported('SUPPORTED_KEX');
const MACS = supported('SUPPORTED_MAC');
const HOST_KEYS = supported('SUPPORTED_SERVER_HOST_KEY');

export interface OfferedAlgorithms {
  readonly kex: string[];
  readonly cipher: string[];
  readonly hmac: string[];
  readonly serverHostKey: string[];
  readonly compress: string[];
}

export class NoAlgorithmsError extends Error {}

function keep(list: string, have: ReadonlySet<string>, what: string): string[] {
  const out = list.split(',').filter((a) => a !== '' && have.has(a));
  if (out.length === 0) throw new NoAlgorithmsError(`no supported ${what} in "${list}"`);
  return out;
}

/** The plain key type an algorithm name signs with (rsa-sha2-* → ssh-rsa, certs → their key). */
export function keyTypeOfAlgorithm(alg: string): string {
  if (alg.startsWith('rsa-sha2-')) return 'ssh-rsa';
  return alg.replace(/-cert-v01@openssh\.com$/, '');
}

/**
 * order_hostkeyalgs(): when the best-preference algorithm's key type is known for the host, the
 * list as is; otherwise the algorithms whose key type is known move to the front, order kept.
 * `best` is the first algorithm as configured, before dropping what ssh2 lacks: ssh decides on
 * its full list, whose head is a certificate type by default (its plain type counts).
 */
export function orderHostKeyAlgorithms(algs: readonly string[], knownKeyTypes: ReadonlySet<string>, best: string | undefined = algs[0]): string[] {
  if (best === undefined || knownKeyTypes.has(keyTypeOfAlgorithm(best))) return [...algs];
  const known = (a: string): boolean => knownKeyTypes.has(keyTypeOfAlgorithm(a));
  return [...algs.filter(known), ...algs.filter((a) => !known(a))];
}

/**
 * The lists to offer. `knownKeyTypes` are the plain key types known_hosts holds for this host;
 * they order the host key algorithms unless HostKeyAlgorithms was given verbatim.
 */
export function offeredAlgorithms(cfg: ResolvedClientConfig, knownKeyTypes: ReadonlySet<string>): OfferedAlgorithms {
  let cipher = keep(cfg.ciphers, CIPHERS, 'ciphers');
  if (cfg.ciphers === DEFAULT_CIPHERS && cipher.includes('aes128-gcm@openssh.com')) {
    cipher = ['aes128-gcm@openssh.com', ...cipher.filter((c) => c !== 'aes128-gcm@openssh.com')];
  }
  let serverHostKey = keep(cfg.hostKeyAlgorithms, HOST_KEYS, 'host key algorithms');
  if (cfg.hostKeyAlgorithmsOrderFromKnownHosts) {
    serverHostKey = orderHostKeyAlgorithms(serverHostKey, knownKeyTypes, cfg.hostKeyAlgorithms.split(',')[0]);
  }
  return {
    kex: keep(cfg.kexAlgorithms, KEX, 'key exchange algorithms'),
    cipher,
    hmac: keep(cfg.macs, MACS, 'MACs'),
    serverHostKey,
    compress: cfg.compression ? ['zlib@openssh.com', 'zlib', 'none'] : ['none'],
  };
}
