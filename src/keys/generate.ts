/**
 * Key generation and the option checks ssh-keygen applies before it writes a private key
 * (-t, -b, -a, -m, -Z), with ssh-keygen's messages. Failures throw TshError (exit 255).
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { TshError } from '../errors.js';
import { keyCipherByName } from './key-ciphers.js';
import { DEFAULT_ROUNDS } from './openssh-format.js';
import { privateKeyFromKeyObject, type KeyFileFormat, type PrivateKey } from './private-key.js';

export type KeyKind = 'ed25519' | 'ecdsa' | 'rsa';

export const DEFAULT_KEY_TYPE = 'ed25519';
const RSA_DEFAULT_BITS = 3072;
const RSA_MIN_BITS = 1024;
const RSA_MAX_BITS = 16384;

/** strtonum(3): the value, or OpenSSH's reason ("invalid", "too small", "too large"). */
export function strtonum(text: string, min: bigint, max: bigint): bigint | 'invalid' | 'too small' | 'too large' {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(text)) return 'invalid';
  const v = BigInt(text.trim());
  if (v < min) return 'too small';
  if (v > max) return 'too large';
  return v;
}

interface TypeInfo {
  kind: KeyKind | 'dsa' | 'sk' | 'cert';
  /** Bits implied by the name (ecdsa-sha2-nistp384 → 384). */
  bits?: number;
}

/** sshkey_type_from_name: full wire names, or short names case-insensitively. */
function typeInfo(name: string): TypeInfo | undefined {
  const short = name.toLowerCase();
  if (short === 'ed25519' || name === 'ssh-ed25519') return { kind: 'ed25519' };
  if (short === 'rsa' || name === 'ssh-rsa' || name === 'rsa-sha2-256' || name === 'rsa-sha2-512') return { kind: 'rsa' };
  if (short === 'ecdsa') return { kind: 'ecdsa' };
  const m = /^ecdsa-sha2-nistp(256|384|521)$/.exec(name);
  if (m) return { kind: 'ecdsa', bits: Number(m[1]) };
  if (short === 'dsa' || name === 'ssh-dss') return { kind: 'dsa' };
  if (short === 'ecdsa-sk' || short === 'ed25519-sk' || name === 'sk-ecdsa-sha2-nistp256@openssh.com' || name === 'sk-ssh-ed25519@openssh.com') {
    return { kind: 'sk' };
  }
  if (/-cert-v01@openssh\.com$/.test(name)) return { kind: 'cert' };
  return undefined;
}

/** The kind of key `-t NAME` asks for and its bits, checked as ssh-keygen's type_bits_valid does. */
export function resolveKeyType(name: string | undefined, bitsArg: string | undefined): { kind: KeyKind; bits: number } {
  const typeName = name ?? DEFAULT_KEY_TYPE;
  let bits = 0;
  if (bitsArg !== undefined) {
    const b = strtonum(bitsArg, 1n, 0xffffffffn);
    if (typeof b === 'string') throw new TshError(`Bits has bad value ${bitsArg} (${b})`);
    bits = Number(b);
  }
  const info = typeInfo(typeName);
  if (!info) throw new TshError(`unknown key type ${typeName}`);
  switch (info.kind) {
    case 'dsa':
      throw new TshError('DSA keys are not supported by tsh-keygen (OpenSSH has deprecated them); use -t ed25519');
    case 'sk':
      throw new TshError(`FIDO security key types (${typeName}) are not supported by tsh-keygen`);
    case 'cert':
      throw new TshError('sshkey_generate failed');
    case 'rsa':
      if (bits === 0) bits = RSA_DEFAULT_BITS;
      if (bits < RSA_MIN_BITS) throw new TshError(`Invalid RSA key length: minimum is ${RSA_MIN_BITS} bits`);
      if (bits > RSA_MAX_BITS) throw new TshError(`Invalid RSA key length: maximum is ${RSA_MAX_BITS} bits`);
      return { kind: 'rsa', bits };
    case 'ecdsa':
      if (bits === 0) bits = info.bits ?? 256;
      if (bits !== 256 && bits !== 384 && bits !== 521) {
        throw new TshError('Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits');
      }
      return { kind: 'ecdsa', bits };
    case 'ed25519':
      return { kind: 'ed25519', bits: 256 };
  }
}

/** The default file name under ~/.ssh for a key type (ask_filename). */
export function defaultIdentityName(name: string | undefined): string {
  const info = typeInfo(name ?? DEFAULT_KEY_TYPE);
  switch (info?.kind) {
    case 'rsa':
      return 'id_rsa';
    case 'ecdsa':
      return 'id_ecdsa';
    case 'dsa':
      return 'id_dsa';
    default:
      return 'id_ed25519';
  }
}

const generate = promisify(generateKeyPair);

/** A new private key (comment ''). */
export async function generatePrivateKey(kind: KeyKind, bits: number): Promise<PrivateKey> {
  let pair;
  switch (kind) {
    case 'ed25519':
      pair = await generate('ed25519');
      break;
    case 'ecdsa':
      pair = await generate('ec', { namedCurve: bits === 256 ? 'P-256' : bits === 384 ? 'P-384' : 'P-521' });
      break;
    case 'rsa':
      pair = await generate('rsa', { modulusLength: bits, publicExponent: 0x10001 });
      break;
  }
  return privateKeyFromKeyObject(pair.privateKey);
}

export interface WriteParams {
  format: KeyFileFormat;
  cipher?: string;
  rounds: number;
}

/** The private-key writing options from -m, -Z and -a, checked with ssh-keygen's messages. */
export function writeParams(opts: { keyFormat?: 'RFC4716' | 'PKCS8' | 'PEM'; cipher?: string; rounds?: string }): WriteParams {
  let format: KeyFileFormat = 'openssh';
  let rounds = DEFAULT_ROUNDS;
  if (opts.rounds !== undefined) {
    const r = strtonum(opts.rounds, 1n, 0x7fffffffn);
    if (typeof r === 'string') throw new TshError(`Invalid number: ${opts.rounds} (${r})`);
    rounds = Number(r);
  }
  // -m was checked by cli/; RFC4716 means the default, the OpenSSH format, as in ssh-keygen.
  if (opts.keyFormat === 'PKCS8') format = 'pkcs8';
  else if (opts.keyFormat === 'PEM') format = 'pem';
  if (opts.cipher !== undefined && !keyCipherByName(opts.cipher)) {
    throw new TshError(`Invalid OpenSSH-format cipher '${opts.cipher}'`);
  }
  return { format, cipher: opts.cipher, rounds };
}
