/**
 * The keys tsh offers for public key authentication, in OpenSSH's order (sshconnect2.c
 * pubkey_prepare): identity files that are also in the agent (in the agent's order), then the
 * agent's other keys (unless IdentitiesOnly), then the remaining identity files.
 *
 * To ssh2 the whole list is one agent (its `agent` auth type queries each key and signs only
 * after the server accepts it, asynchronously). That gives OpenSSH's behaviour for files: the
 * public key is offered first and the private key is loaded, and its passphrase asked for, only
 * when the server would accept it ("Enter passphrase for key 'PATH': ").
 */
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2, { type ParsedKey } from 'ssh2';
import { errnoCode, strerror } from '../errors.js';
import { BadPermissionsError, loadPrivateKeyFile } from '../keys/key-file.js';
import { publicKeyFromOpenSshPrivate } from '../keys/private-key.js';
import { fingerprint, formatPublicKey, parsePublicKeyLine, type PublicKey } from '../keys/public-key.js';
import type { Logger } from './log.js';

const { BaseAgent, OpenSSHAgent, utils } = ssh2;


type SignCallback = (err: Error | undefined | null, signature?: Buffer) => void;

export interface Identity {
  readonly key: PublicKey;
  /** The identity file (as configured), or null for a key only the agent has. */
  readonly file: string | null;
  /** Signed by the agent (the key is in it), else by loading `file`. */
  readonly viaAgent: boolean;
  /** ssh2's view of the public key. */
  readonly parsed: ParsedKey;
  /** The agent's comment, or the file name. */
  readonly label: string;
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

export class KeyRing extends BaseAgent {
  readonly identities: Identity[];
  private readonly agent: InstanceType<typeof OpenSSHAgent> | null;
  private readonly opts: KeyRingOptions;
  private readonly loaded = new Map<string, KeyObject>();

  private constructor(opts: KeyRingOptions, identities: Identity[], agent: InstanceType<typeof OpenSSHAgent> | null) {
    super();
    this.opts = opts;
    this.identities = identities;
    this.agent = agent;
  }

  /** Lists the identity files and the agent's keys, in the order they will be offered. */
  static async create(opts: KeyRingOptions): Promise<KeyRing> {
    const { log } = opts;
    const files: Identity[] = [];
    for (const file of opts.files) {
      const pub = loadPublicIdentity(file);
      log.debug1(`identity file ${file} type ${pub ? pub.key.type : -1}`);
      if (!pub) continue;
      const parsed = parsedFromPublic(pub.key);
      if (!parsed) continue;
      files.push({ key: pub.key, file, viaAgent: false, parsed, label: file });
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
        const i = files.findIndex((f) => f.key.blob.equals(blob));
        if (i >= 0) {
          preferred.push({ ...files[i]!, viaAgent: true, parsed });
          files.splice(i, 1);
        } else if (!opts.identitiesOnly) {
          const line = parsePublicKeyLine(`${parsed.type} ${blob.toString('base64')}`);
          if (line) agentOnly.push({ key: line.key, file: null, viaAgent: true, parsed, label: parsed.comment || '' });
        }
      }
    }
    const all = [...preferred, ...agentOnly, ...files].filter((id) => {
      if (keyAccepted(id.key, opts.acceptedAlgorithms)) return true;
      log.debug1(`Skipping ${id.key.label} key ${id.label}: key type ${id.key.type} not in PubkeyAcceptedAlgorithms`);
      return false;
    });
    for (const id of all) {
      log.debug1(`Will attempt key: ${id.label} ${id.key.label} ${fingerprint(id.key)}${id.viaAgent ? ' agent' : ''}`);
    }
    return new KeyRing(opts, all, agent);
  }

  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    cb(undefined, this.identities.map((id) => id.parsed));
  }

  private find(pub: ParsedKey): Identity | undefined {
    const blob = pub.getPublicSSH();
    return this.identities.find((id) => id.key.blob.equals(blob));
  }

  sign(pub: ParsedKey, data: Buffer, options: { hash?: 'sha1' | 'sha256' | 'sha512' } | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb) as SignCallback;
    const opts = typeof options === 'function' ? {} : options;
    const id = this.find(pub);
    if (!id) {
      done(new Error('unknown key'));
      return;
    }
    if (id.viaAgent && this.agent !== null) {
      this.agent.sign(id.parsed, data, opts, done);
      return;
    }
    this.loadPrivate(id).then(
      (keyObject) => {
        if (keyObject === null) return done(new Error(`no private key for ${id.label}`));
        try {
          done(undefined, cryptoSign(hashForSign(id.key, opts.hash), data, keyObject));
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      },
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** load_identity_file(): the private key, asking for its passphrase if needed; null to skip it. */
  private async loadPrivate(id: Identity): Promise<KeyObject | null> {
    const { log } = this.opts;
    const path = id.file;
    if (path === null) return null;
    const cached = this.loaded.get(path);
    if (cached) return cached;
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
          log.error(err.message);
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
        if (!result.key.public.blob.equals(id.key.blob)) {
          log.error(`Load key "${path}": key does not match its public key`);
          return null;
        }
        this.loaded.set(path, result.key.keyObject);
        return result.key.keyObject;
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
