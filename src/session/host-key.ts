/**
 * Host key verification, as OpenSSH 9.2's sshconnect.c check_host_key() does it, on top of the
 * known-hosts module's pure verdict. The messages are OpenSSH's, word for word; the question is
 * asked through `ask` (the terminal), never on stdin.
 *
 * Not done (documented in the README): CheckHostIP's DNS-spoofing checks (9.2's default is no,
 * and it is off for loopback and proxied connections anyway), VerifyHostKeyDNS, KnownHostsCommand,
 * host certificates' own validity checks.
 */
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import type { ResolvedClientConfig } from '../config/index.js';
import { addKnownHost, check, hostPatternFor, loadKnownHostsFiles, type KnownHostEntry } from '../known-hosts/index.js';
import { entryMatches } from '../known-hosts/check.js';
import { fingerprint, parsePublicKeyBlob, type PublicKey } from '../keys/public-key.js';
import { randomart } from '../keys/randomart.js';
import { strerror } from '../errors.js';
import type { Logger } from './log.js';

export interface HostKeyContext {
  readonly cfg: ResolvedClientConfig;
  /** The host name as connected to (HostName), lowercased. */
  readonly hostname: string;
  readonly port: number;
  /** The peer's address; null when a ProxyCommand or jump host carries the connection. */
  readonly remoteAddress: string | null;
  readonly log: Logger;
  /** Ask on the terminal with echo on: the answer, null at EOF, undefined without a terminal. */
  readonly ask: (prompt: string) => Promise<string | null | undefined>;
  /** $HOME, for the `~/` in "This host key is known by the following other names". */
  readonly home: string | undefined;
}

export interface HostKeyResult {
  readonly accepted: boolean;
  /**
   * Accepted although the key changed or is revoked (StrictHostKeyChecking=no): password and
   * keyboard-interactive authentication, agent and port forwarding are then off, as in ssh.
   */
  readonly unsafe: boolean;
}

const BANNER = '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@';

function isLoopback(addr: string | null): boolean {
  if (addr === null) return false;
  if (isIP(addr) === 4) return addr.startsWith('127.');
  return addr === '::1' || addr === '::ffff:127.0.0.1' || /^::ffff:127\./.test(addr);
}

/** try_tilde_unexpand(): $HOME/x → ~/x. */
function tildeUnexpand(path: string, home: string | undefined): string {
  if (!path.startsWith('/') || !home) return path;
  if (!path.startsWith(home)) return path;
  const rest = path.slice(home.length);
  if (!home.endsWith('/') && !rest.startsWith('/')) return path;
  return `~/${rest.replace(/^\//, '')}`;
}

/** confirm(): yes, no, or the fingerprint itself; an empty answer or no terminal is "no". */
async function confirm(ctx: HostKeyContext, prompt: string, fp: string | null): Promise<boolean> {
  if (ctx.cfg.batchMode) return false;
  const again = fp !== null ? "Please type 'yes', 'no' or the fingerprint: " : "Please type 'yes' or 'no': ";
  for (let msg = prompt; ; msg = again) {
    const answer = await ctx.ask(msg);
    if (answer === null || answer === undefined) return false;
    const word = answer.replace(/^[ \t]+/, '').split(/[ \t\n]/)[0] ?? '';
    if (word === '' || word.toLowerCase() === 'no') return false;
    if (word.toLowerCase() === 'yes' || (fp !== null && word === fp)) return true;
  }
}

function fingerprintOf(cfg: ResolvedClientConfig, key: PublicKey): string {
  return fingerprint(key, cfg.fingerprintHash === 'MD5' ? 'md5' : 'sha256');
}

/**
 * other_hostkeys_message(): "This key is not known by any other names." or the unmarked lines
 * holding this key under a name other than `hostName` (a line for the address only still counts:
 * hostkeys_find_by_key_cb() skips HKF_MATCH_HOST lines, not HKF_MATCH_IP ones).
 */
function otherNamesMessage(ctx: HostKeyContext, entries: readonly KnownHostEntry[], hostName: string, key: PublicKey): string {
  const found: string[] = [];
  if (!key.isCert) {
    for (const e of entries) {
      if (e.marker !== 'none' || !e.key.blob.equals(key.blob)) continue;
      if (entryMatches(e, hostName)) continue;
      found.push(`${tildeUnexpand(e.file, ctx.home)}:${e.line}: ${e.hashed ? '[hashed name]' : e.hosts}`);
    }
  }
  if (found.length === 0) return 'This key is not known by any other names.';
  const shown = found.slice(0, 8).map((l) => `    ${l}`);
  if (found.length > 8) shown.push(`    (${found.length - 8} additional names omitted)`);
  return ['This host key is known by the following other names/addresses:', ...shown].join('\n');
}

/** load_hostkeys() over the user then the global files, saying (-v) which could not be opened. */
function loadEntries(cfg: ResolvedClientConfig, log: Logger | undefined): KnownHostEntry[] {
  const paths = [...cfg.userKnownHostsFiles, ...cfg.globalKnownHostsFiles];
  for (const p of log ? paths : []) {
    try {
      accessSync(p, constants.R_OK);
    } catch (err) {
      log!.debug1(`load_hostkeys: fopen ${p}: ${strerror(err)}`);
    }
  }
  return loadKnownHostsFiles(paths).entries;
}

/**
 * The plain key types known_hosts holds for this host, for host key algorithm ordering
 * (order_hostkeyalgs()); with `log`, the debug lines ssh prints while looking.
 */
export function knownKeyTypes(cfg: ResolvedClientConfig, hostname: string, port: number, log?: Logger): Set<string> {
  if (cfg.hostKeyAlias !== null) log?.debug1(`using hostkeyalias: ${cfg.hostKeyAlias}`);
  const entries = loadEntries(cfg, log);
  const name = cfg.hostKeyAlias ?? hostPatternFor(hostname, port);
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker === 'none' && entryMatches(e, name)) types.add(e.key.type);
  }
  return types;
}

/** Thrown when ExitOnForwardFailure meets forwarding that an untrusted host key cancelled. */
export class ForwardingCancelledError extends Error {
  constructor() {
    super('Error: forwarding disabled due to host key check failure');
    this.name = 'ForwardingCancelledError';
  }
}

/** check_host_key()'s continue_unsafe: what is turned off, said as ssh says it. */
function continueUnsafe(ctx: HostKeyContext): HostKeyResult {
  const { cfg, log } = ctx;
  let cancelled = false;
  const off = (on: boolean, what: string): void => {
    if (!on) return;
    log.error(`${what} is disabled to avoid man-in-the-middle attacks.`);
    cancelled = true;
  };
  off(cfg.passwordAuthentication, 'Password authentication');
  off(cfg.kbdInteractiveAuthentication, 'Keyboard-interactive authentication');
  off(cfg.forwardAgent, 'Agent forwarding');
  off(cfg.forwardX11, 'X11 forwarding');
  off(cfg.localForwards.length > 0 || cfg.remoteForwards.length > 0, 'Port forwarding');
  off(cfg.tunnel !== 'false', 'Tunnel forwarding');
  if (cfg.updateHostKeys !== 'false') log.error('UpdateHostkeys is disabled because the host key is not trusted.');
  if (cfg.exitOnForwardFailure && cancelled) throw new ForwardingCancelledError();
  return { accepted: true, unsafe: true };
}

/** check_host_key()'s `readonly`: RDRW, RDONLY (never write), ROQUIET (the port-less retry). */
type Access = 'rdrw' | 'rdonly' | 'roquiet';

const REJECT: HostKeyResult = { accepted: false, unsafe: false };
const ACCEPT: HostKeyResult = { accepted: true, unsafe: false };

/** verify_host_key() for one host key blob: fingerprint, then check_host_key(). */
export async function verifyHostKey(ctx: HostKeyContext, blob: Buffer): Promise<HostKeyResult> {
  const key = parsePublicKeyBlob(blob);
  ctx.log.debug1(`Server host key: ${key.type} ${fingerprintOf(ctx.cfg, key)}`);
  return checkHostKey(ctx, key, ctx.port, 'rdrw', false);
}

/**
 * check_host_key(): `port` 0 with `clobberPort` is ssh's retry under the bare host name for a
 * non-standard port, made quietly (a changed key there is no news), but still loud about a
 * revoked key.
 */
async function checkHostKey(ctx: HostKeyContext, key: PublicKey, port: number, access: Access, clobberPort: boolean): Promise<HostKeyResult> {
  const { cfg, log } = ctx;
  const fp = fingerprintOf(cfg, key);

  if (cfg.noHostAuthenticationForLocalhost && isLoopback(ctx.remoteAddress) && cfg.hostKeyAlias === null) {
    log.debug1('Forcing accepting of host key for loopback/localhost.');
    return ACCEPT;
  }
  // Don't ever try to write an invalid name to a known hosts file.
  if (/[@?*#[\]|'"\\]/.test(ctx.hostname)) {
    log.debug1(`check_host_key: invalid hostname "${ctx.hostname}"; will not record: (null)`);
    access = 'rdonly';
  }
  const lookupPort = clobberPort ? 0 : port;
  const hostName = cfg.hostKeyAlias ?? hostPatternFor(ctx.hostname, lookupPort);
  if (cfg.hostKeyAlias !== null) log.debug1(`using hostkeyalias: ${hostName}`);
  const ip = ctx.remoteAddress === null ? '<no hostip for proxy command>' : hostPatternFor(ctx.remoteAddress, lookupPort);
  const userFiles = cfg.userKnownHostsFiles;
  const globalFiles = cfg.globalKnownHostsFiles;
  const entries = loadEntries(cfg, log);
  if (access === 'rdrw' && userFiles.length === 0) access = 'rdonly';
  const type = key.label;
  const verdict = check(entries, { host: ctx.hostname, port: lookupPort, key, hostKeyAlias: cfg.hostKeyAlias ?? undefined });
  const host200 = hostName.slice(0, 200);

  switch (verdict.status) {
    case 'ok':
      log.debug1(`Host '${host200}' is known and matches the ${type} host ${key.isCert ? 'certificate' : 'key'}.`);
      log.debug1(`Found ${key.isCert ? 'CA key' : 'key'} in ${verdict.entry.file}:${verdict.entry.line}`);
      if (cfg.visualHostKey) log.info(`Host key fingerprint is ${fp}\n${randomart(key, cfg.fingerprintHash === 'MD5' ? 'md5' : 'sha256')}`);
      return ACCEPT;

    case 'unknown': {
      if (cfg.hostKeyAlias === null && port !== 0 && port !== 22 && !clobberPort) {
        log.debug1('checking without port identifier');
        const bare = await checkHostKey(ctx, key, 0, 'roquiet', true);
        if (bare.accepted) {
          log.debug1('found matching key w/out port');
          return bare;
        }
      }
      if (access !== 'rdrw' || key.isCert) return REJECT;
      const strict = cfg.strictHostKeyChecking;
      if (strict === 'true') {
        log.error(`No ${type} host key is known for ${host200} and you have requested strict checking.`);
        return REJECT;
      }
      if (strict === 'ask') {
        let msg = `The authenticity of host '${host200} (${ip})' can't be established.`;
        msg += `\n${type} key fingerprint is ${fp}.`;
        if (cfg.visualHostKey) msg += `\n${randomart(key, cfg.fingerprintHash === 'MD5' ? 'md5' : 'sha256')}`;
        msg += `\n${otherNamesMessage(ctx, entries, hostName, key)}`;
        msg += '\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ';
        if (!(await confirm(ctx, msg, fp))) return REJECT;
      }
      const file = userFiles[0]!;
      try {
        // hostfile_create_user_ssh_dir(): only ~/.ssh itself is created, no other directory.
        const createDir = ctx.home !== undefined && dirname(file) === join(ctx.home, '.ssh');
        addKnownHost(file, [hostName], key, { hash: cfg.hashKnownHosts, createDir });
        log.info(`Warning: Permanently added '${host200}' (${type}) to the list of known hosts.`);
      } catch {
        log.info(`Failed to add the host to the list of known hosts (${file.slice(0, 500)}).`);
      }
      return ACCEPT;
    }

    case 'revoked':
      log.error(BANNER);
      log.error('@       WARNING: REVOKED HOST KEY DETECTED!               @');
      log.error(BANNER);
      log.error(`The ${type} host key for ${hostName} is marked as revoked.`);
      log.error('This could mean that a stolen key is being used to');
      log.error('impersonate this host.');
      if (cfg.strictHostKeyChecking !== 'false') {
        log.error(`${type} host key for ${host200} was revoked and you have requested strict checking.`);
        return REJECT;
      }
      return continueUnsafe(ctx);

    case 'changed': {
      if (key.isCert || access === 'roquiet') return REJECT;
      const offending = verdict.known[verdict.known.length - 1]!;
      log.error(BANNER);
      log.error('@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @');
      log.error(BANNER);
      log.error('IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!');
      log.error('Someone could be eavesdropping on you right now (man-in-the-middle attack)!');
      log.error('It is also possible that a host key has just been changed.');
      log.error(`The fingerprint for the ${type} key sent by the remote host is\n${fp}.`);
      log.error('Please contact your system administrator.');
      const fix = userFiles[0] ?? globalFiles[0];
      if (fix !== undefined) log.error(`Add correct host key in ${fix.slice(0, 100)} to get rid of this message.`);
      log.error(`Offending ${offending.key.label} key in ${offending.file}:${offending.line}`);
      // Debian's ssh (mention-ssh-keygen-on-keychange.patch) also says how to remove the line.
      log.error('  remove with:');
      log.error(`  tsh-keygen -f "${offending.file}" -R "${hostName}"`);
      if (cfg.strictHostKeyChecking !== 'false') {
        log.error(`Host key for ${host200} has changed and you have requested strict checking.`);
        return REJECT;
      }
      return continueUnsafe(ctx);
    }
  }
}
