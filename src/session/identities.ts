/**
 * The keys tsh offers for public key authentication, in OpenSSH's order (sshconnect2.c
 * pubkey_prepare): identity files that are also in the agent (in the agent's order), then the
 * agent's other keys (unless IdentitiesOnly), then the remaining identity files.
 *
 * To ssh2 each key is offered as a one-key agent (its `agent` auth type queries the key and signs
 * only after the server accepts it, asynchronously); auth.ts offers them one by one, as
 * userauth_pubkey does. That gives OpenSSH's behaviour for files: the public key is offered first
 * and the private key is loaded, and its passphrase asked for, only when the server would accept
 * it ("Enter passphrase for key 'PATH': ").
 */
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import ssh2, { type ParsedKey } from 'ssh2';
import { errnoCode, strerror } from '../errors.js';
import { BadPermissionsError, loadPrivateKeyFile } from '../keys/key-file.js';
import { publicKeyFromOpenSshPrivate } from '../keys/private-key.js';
import { fingerprint, formatPublicKey, parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import type { Logger } from './log.js';

const { BaseAgent, OpenSSHAgent, utils } = ssh2;

type SignCallback = (err: Error | undefined | null, signature?: Buffer) => void;

export interface Identity {
  /**
   * The public key, or null for an identity file whose public key is not known before its private
   * key is loaded (missing file, encrypted PEM key without .pub): "Trying private key: PATH".
   */
  readonly key: PublicKey | null;
  /** The identity file (as configured), or null for a key only the agent has. */
  readonly file: string | null;
  /** Signed by the agent (the key is in it), else by loading `file`. */
  readonly viaAgent: boolean;
  /** ssh2's view of the public key (null with `key`). */
  readonly parsed: ParsedKey | null;
  /** The agent's comment, or the file name. */
  readonly label: string;
  /** An IdentityFile the user gave (-i, config), not one of the defaults. */
  readonly explicit: boolean;
}

export interface KeyRingOptions {
  /** IdentityFile paths after expansion, in order. */
  readonly files: readonly string[];
  readonly identitiesOnly: boolean;
  /** The agent's socket, or null for none. */
  readonly agentSocket: string | null;
  /** Tries per encrypted key (NumberOfPasswordPrompts). */
  readonly passphrasePrompts: number;
  readonly batchMode: boolean;
  readonly log: Logger;
  /** Ask for a passphrase on the terminal (echo off): the answer, or null/undefined for none. */
  readonly askPassphrase: (prompt: string) => Promise<string | null | undefined>;
  /** PubkeyAcceptedAlgorithms: keys of other types are not offered. */
  readonly acceptedAlgorithms: string;
  /**
   * Whether `files` came from the user (IdentityFile, -i) rather than the built-in defaults: a
   * missing user file is reported ("no such identity: PATH: ..."). Unset: guessed from `files`.
   */
  readonly userProvidedFiles?: boolean;
}

/** The default IdentityFile names (readconf.c fill_default_options), in order. */
const DEFAULT_IDENTITY_NAMES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];

function isDefaultFileList(files: readonly string[]): boolean {
  return files.length === DEFAULT_IDENTITY_NAMES.length && files.every((f, i) => f.endsWith(`/.ssh/${DEFAULT_IDENTITY_NAMES[i]!}`));
}

/** OpenSSH's numeric key type (sshkey.h enum sshkey_types), as "identity file PATH type N" shows it. */
function keyTypeNumber(key: PublicKey | null): number {
  if (key === null) return -1;
  const cert = key.type.includes('-cert-v01@openssh.com') ? 4 : 0;
  const base = key.type.replace('-cert-v01@openssh.com', '');
  if (base === 'ssh-rsa') return 0 + cert;
  if (base === 'ssh-dss') return 1 + cert;
  if (base.startsWith('ecdsa-sha2-')) return 2 + cert;
  if (base === 'ssh-ed25519') return 3 + cert;
  if (base.startsWith('sk-ecdsa-')) return cert ? 11 : 10;
  if (base.startsWith('sk-ssh-ed25519')) return cert ? 13 : 12;
  return 14;
}

/** A private key loaded from an identity file. */
interface LoadedKey {
  readonly key: PublicKey;
  readonly keyObject: KeyObject;
}

function parsedFromPublic(key: PublicKey): ParsedKey | null {
  const p = utils.parseKey(formatPublicKey(key));
  if (p instanceof Error) return null;
  return Array.isArray(p) ? (p[0] ?? null) : p;
}

/** The public key of an identity file: FILE.pub, else the public part of the private key file. */
function loadPublicIdentity(path: string): { key: PublicKey; comment: string } | null {
  try {
    const line = parsePublicKeyLine(readFileSync(`${path}.pub`, 'utf8').split('\n')[0] ?? '');
    if (line) return { key: line.key, comment: line.comment };
  } catch {
    // no .pub: try the private key file
  }
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return null;
  }
  const fromPrivate = publicKeyFromOpenSshPrivate(data);
  if (fromPrivate) return fromPrivate;
  try {
    const decoded = loadPrivateKeyFile(path);
    if (decoded.ok) return { key: decoded.key.public, comment: decoded.key.comment };
  } catch {
    // unreadable or bad permissions: reported when the key is used
  }
  return null;
}

function keyAccepted(key: PublicKey, accepted: string): boolean {
  const algs = accepted.split(',');
  if (key.type === 'ssh-rsa') return algs.some((a) => a === 'ssh-rsa' || a === 'rsa-sha2-256' || a === 'rsa-sha2-512');
  return algs.includes(key.type);
}

function hashForSign(key: PublicKey, hash: string | undefined): string | null {
  switch (key.type) {
    case 'ssh-ed25519':
      return null;
    case 'ecdsa-sha2-nistp256':
      return 'sha256';
    case 'ecdsa-sha2-nistp384':
      return 'sha384';
    case 'ecdsa-sha2-nistp521':
      return 'sha512';
    default:
      return hash ?? 'sha1';
  }
}

/** An identity as OpenSSH's format_identity() shows it in debug lines: "PATH TYPE FP[ explicit][ agent]". */
export function formatIdentity(id: Identity, key: PublicKey | null = id.key): string {
  return `${id.label} ${key ? `${key.label} ${fingerprint(key)}` : ''}${id.explicit ? ' explicit' : ''}${id.viaAgent ? ' agent' : ''}`;
}

export class KeyRing extends BaseAgent {
  readonly identities: Identity[];
  private readonly agent: InstanceType<typeof OpenSSHAgent> | null;
  private readonly opts: KeyRingOptions;
  private readonly loaded = new Map<string, LoadedKey>();
  /** The public keys of identities that had none until their private key was loaded. */
  private readonly resolved = new Map<Identity, { key: PublicKey; parsed: ParsedKey }>();
  private signed = false;

  private constructor(opts: KeyRingOptions, identities: Identity[], agent: InstanceType<typeof OpenSSHAgent> | null) {
    super();
    this.opts = opts;
    this.identities = identities;
    this.agent = agent;
  }

  /** Lists the identity files and the agent's keys, in the order they will be offered. */
  static async create(opts: KeyRingOptions): Promise<KeyRing> {
    const { log } = opts;
    const explicit = opts.userProvidedFiles ?? !isDefaultFileList(opts.files);
    const files: Identity[] = [];
    for (const file of opts.files) {
      const pub = loadPublicIdentity(file);
      const parsed = pub ? parsedFromPublic(pub.key) : null;
      const key = parsed ? pub!.key : null;
      log.debug1(`identity file ${file} type ${keyTypeNumber(key)}`);
      files.push({ key, file, viaAgent: false, parsed, label: file, explicit });
    }
    let agent: InstanceType<typeof OpenSSHAgent> | null = null;
    const preferred: Identity[] = [];
    const agentOnly: Identity[] = [];
    if (opts.agentSocket !== null) {
      agent = new OpenSSHAgent(opts.agentSocket);
      const keys = await new Promise<ParsedKey[] | null>((resolve) => {
        agent!.getIdentities((err, list) => {
          if (err) {
            log.debug1(`get_agent_identities: ssh_get_authentication_socket: ${err.message}`);
            resolve(null);
          } else resolve((list ?? []).filter((k): k is ParsedKey => 'getPublicSSH' in k));
        });
      });
      if (keys === null) agent = null;
      for (const parsed of keys ?? []) {
        const blob = parsed.getPublicSSH();
        const i = files.findIndex((f) => f.key !== null && f.key.blob.equals(blob));
        if (i >= 0) {
          preferred.push({ ...files[i]!, viaAgent: true, parsed });
          files.splice(i, 1);
        } else if (!opts.identitiesOnly) {
          const line = parsePublicKeyLine(`${parsed.type} ${blob.toString('base64')}`);
          if (line) agentOnly.push({ key: line.key, file: null, viaAgent: true, parsed, label: parsed.comment || '', explicit: false });
        }
      }
    }
    const all = [...preferred, ...agentOnly, ...files].filter((id) => {
      if (id.key === null || keyAccepted(id.key, opts.acceptedAlgorithms)) return true;
      log.debug1(`Skipping ${id.key.type} key ${id.label} - corresponding algo not in PubkeyAcceptedAlgorithms`);
      return false;
    });
    for (const id of all) log.debug1(`Will attempt key: ${formatIdentity(id)}`);
    return new KeyRing(opts, all, agent);
  }

  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    const keys: ParsedKey[] = [];
    for (const id of this.identities) {
      const parsed = id.parsed ?? this.resolved.get(id)?.parsed;
      if (parsed) keys.push(parsed);
    }
    cb(undefined, keys);
  }

  /**
   * The public key to offer for `id`. An identity without one is loaded first, as userauth_pubkey
   * does ("Trying private key: PATH", passphrase prompt): null when it cannot be used.
   */
  async offerable(id: Identity): Promise<ParsedKey | null> {
    if (id.parsed) return id.parsed;
    const known = this.resolved.get(id);
    if (known) return known.parsed;
    this.opts.log.debug1(`Trying private key: ${id.label}`);
    const loaded = await this.loadPrivate(id);
    if (loaded === null) return null;
    if (!keyAccepted(loaded.key, this.opts.acceptedAlgorithms)) {
      this.opts.log.debug1(`Skipping ${loaded.key.type} key ${id.label} - corresponding algo not in PubkeyAcceptedAlgorithms`);
      return null;
    }
    const parsed = parsedFromPublic(loaded.key);
    if (parsed === null) return null;
    this.resolved.set(id, { key: loaded.key, parsed });
    return parsed;
  }

  /** An agent holding only `id`, signing through this ring: one ssh2 attempt per key. */
  agentFor(id: Identity): InstanceType<typeof BaseAgent> {
    return new OneKeyAgent(this, id);
  }

  /**
   * Whether a signature was made since the last call: the server accepted a key and then got its
   * signature. If authentication still goes on, that key gave a partial success.
   */
  takeSigned(): boolean {
    const signed = this.signed;
    this.signed = false;
    return signed;
  }

  /** Whether `id` has a public key to offer (always, except an identity file not loaded yet or unusable). */
  hasPublicKey(id: Identity): boolean {
    return this.publicKey(id) !== null;
  }

  private publicKey(id: Identity): PublicKey | null {
    return id.key ?? this.resolved.get(id)?.key ?? null;
  }

  private find(pub: ParsedKey): Identity | undefined {
    const blob = pub.getPublicSSH();
    return this.identities.find((id) => this.publicKey(id)?.blob.equals(blob));
  }

  sign(pub: ParsedKey, data: Buffer, options: { hash?: 'sha1' | 'sha256' | 'sha512' } | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb) as SignCallback;
    const opts = typeof options === 'function' ? {} : options;
    const id = this.find(pub);
    if (!id) {
      done(new Error('unknown key'));
      return;
    }
    this.signWith(id, data, opts, done);
  }

  /** Signs `data` as `id`: through the agent that holds it, else with its file's private key. */
  signWith(id: Identity, data: Buffer, opts: { hash?: 'sha1' | 'sha256' | 'sha512' }, done: SignCallback): void {
    const key = this.publicKey(id);
    if (key === null) {
      done(new Error(`no public key for ${id.label}`));
      return;
    }
    this.opts.log.debug1(`Server accepts key: ${formatIdentity(id, key)}`);
    const finish: SignCallback = (err, signature) => {
      if (!err && signature) this.signed = true;
      done(err, signature);
    };
    if (id.viaAgent && id.parsed && this.agent !== null) {
      this.agent.sign(id.parsed, data, opts, finish);
      return;
    }
    this.loadPrivate(id).then(
      (loaded) => {
        if (loaded === null) return finish(new Error(`no private key for ${id.label}`));
        try {
          finish(undefined, cryptoSign(hashForSign(key, opts.hash), data, loaded.keyObject));
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      },
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** load_identity_file(): the private key, asking for its passphrase if needed; null to skip it. */
  private async loadPrivate(id: Identity): Promise<LoadedKey | null> {
    const { log } = this.opts;
    const path = id.file;
    if (path === null) return null;
    const cached = this.loaded.get(path);
    if (cached) return cached;
    try {
      statSync(path);
    } catch (err) {
      const message = `no such identity: ${path}: ${strerror(err)}`;
      if (id.explicit) log.info(message);
      else log.debug3(message);
      return null;
    }
    const prompt = `Enter passphrase for key '${path}': `;
    for (let i = 0; i <= this.opts.passphrasePrompts; i++) {
      let passphrase: string | undefined;
      if (i > 0) {
        const answer = await this.opts.askPassphrase(prompt);
        if (!answer) {
          log.debug2('no passphrase given, try next key');
          return null;
        }
        passphrase = answer;
      }
      let result;
      try {
        result = loadPrivateKeyFile(path, passphrase);
      } catch (err) {
        if (err instanceof BadPermissionsError) {
          // One log line per line of the warning block, each ending in "\r\n" as error() does.
          for (const line of err.message.split('\n')) log.error(line);
          return null;
        }
        if (errnoCode(err) === 'ENOENT') {
          log.debug2(`Load key "${path}": ${strerror(err)}`);
          return null;
        }
        log.error(`Load key "${path}": ${strerror(err)}`);
        return null;
      }
      if (result.ok) {
        if (id.key !== null && !result.key.public.blob.equals(id.key.blob)) {
          log.error(`Load key "${path}": key does not match its public key`);
          return null;
        }
        const loaded = { key: result.key.public, keyObject: result.key.keyObject };
        this.loaded.set(path, loaded);
        return loaded;
      }
      if (result.reason === 'invalid') {
        log.error(`Load key "${path}": ${result.message}`);
        return null;
      }
      if (this.opts.batchMode) return null;
      if (i > 0) log.debug2('bad passphrase given, try again...');
    }
    return null;
  }
}

/** One identity of a KeyRing, as an agent of its own. */
class OneKeyAgent extends BaseAgent {
  constructor(
    private readonly ring: KeyRing,
    private readonly id: Identity,
  ) {
    super();
  }

  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    this.ring.offerable(this.id).then(
      (parsed) => cb(undefined, parsed ? [parsed] : []),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }

  sign(_pub: ParsedKey, data: Buffer, options: { hash?: 'sha1' | 'sha256' | 'sha512' } | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb) as SignCallback;
    this.ring.signWith(this.id, data, typeof options === 'function' ? {} : options, done);
  }
}
