/**
 * Host key verification, as OpenSSH 9.2's sshconnect.c check_host_key() does it, on top of the
 * known-hosts module's pure verdict. The messages are OpenSSH's, word for word; the question is
 * asked through `ask` (the terminal), never on stdin.
 *
 * Not done (documented in the README): CheckHostIP's DNS-spoofing checks (9.2's default is no,
 * and it is off for loopback and proxied connections anyway), VerifyHostKeyDNS, KnownHostsCommand,
 * host certificates' own validity checks.
 */
import { isIP } from 'node:net';
import type { ResolvedClientConfig } from '../config/index.js';
import { addKnownHost, check, hostPatternFor, loadKnownHostsFiles, type KnownHostEntry } from '../known-hosts/index.js';
import { entryMatches } from '../known-hosts/check.js';
import { fingerprint, parsePublicKeyBlob, type PublicKey } from '../keys/public-key.js';
import { randomart } from '../keys/randomart.js';
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

/** "This key is not known by any other names." or the list of other names holding this key. */
function otherNamesMessage(ctx: HostKeyContext, entries: readonly KnownHostEntry[], names: readonly string[], key: PublicKey): string {
  const found: string[] = [];
  for (const e of entries) {
    if (e.marker !== 'none' || !e.key.blob.equals(key.blob)) continue;
    if (names.some((n) => entryMatches(e, n))) continue;
    found.push(`${tildeUnexpand(e.file, ctx.home)}:${e.line}: ${e.hashed ? '[hashed name]' : e.hosts}`);
  }
  if (found.length === 0) return 'This key is not known by any other names.';
  const shown = found.slice(0, 8).map((l) => `    ${l}`);
  if (found.length > 8) shown.push(`    (${found.length - 8} additional names omitted)`);
  return ['This host key is known by the following other names/addresses:', ...shown].join('\n');
}

/** The plain key types known_hosts holds for this host, for host key algorithm ordering. */
export function knownKeyTypes(cfg: ResolvedClientConfig, hostname: string, port: number): Set<string> {
  const { entries } = loadKnownHostsFiles([...cfg.userKnownHostsFiles, ...cfg.globalKnownHostsFiles]);
  const name = cfg.hostKeyAlias ?? hostPatternFor(hostname, port);
  const types = new Set<string>();
  for (const e of entries) {
    if (e.marker === 'none' && entryMatches(e, name)) types.add(e.key.type);
  }
  return types;
}

function warnUnsafe(ctx: HostKeyContext): void {
  const { cfg, log } = ctx;
  if (cfg.passwordAuthentication) log.error('Password authentication is disabled to avoid man-in-the-middle attacks.');
  if (cfg.kbdInteractiveAuthentication) log.error('Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.');
  if (cfg.forwardAgent) log.error('Agent forwarding is disabled to avoid man-in-the-middle attacks.');
  if (cfg.forwardX11) log.error('X11 forwarding is disabled to avoid man-in-the-middle attacks.');
  if (cfg.localForwards.length > 0 || cfg.remoteForwards.length > 0) log.error('Port forwarding is disabled to avoid man-in-the-middle attacks.');
}

/** verify_host_key() + check_host_key() for one host key blob. */
export async function verifyHostKey(ctx: HostKeyContext, blob: Buffer): Promise<HostKeyResult> {
  const { cfg, log } = ctx;
  const key = parsePublicKeyBlob(blob);
  const fp = fingerprintOf(cfg, key);
  log.debug1(`Server host key: ${key.type} ${fp}`);
  const reject = { accepted: false, unsafe: false } as const;
  const accept = { accepted: true, unsafe: false } as const;

  if (cfg.noHostAuthenticationForLocalhost && isLoopback(ctx.remoteAddress) && cfg.hostKeyAlias === null) {
    log.debug1('Forcing accepting of host key for loopback/localhost.');
    return accept;
  }
  let readonly = /[@?*#[\]|'"\\]/.test(ctx.hostname);
  const hostName = cfg.hostKeyAlias ?? hostPatternFor(ctx.hostname, ctx.port);
  if (cfg.hostKeyAlias !== null) log.debug1(`using hostkeyalias: ${hostName}`);
  const ip = ctx.remoteAddress === null ? '<no hostip for proxy command>' : hostPatternFor(ctx.remoteAddress, ctx.port);
  const userFiles = cfg.userKnownHostsFiles;
  const { entries } = loadKnownHostsFiles([...userFiles, ...cfg.globalKnownHostsFiles]);
  if (userFiles.length === 0) readonly = true;
  const type = key.label;
  const verdict = check(entries, { host: ctx.hostname, port: ctx.port, key, hostKeyAlias: cfg.hostKeyAlias ?? undefined });

  switch (verdict.status) {
    case 'ok':
      log.debug1(`Host '${hostName}' is known and matches the ${type} host ${key.isCert ? 'certificate' : 'key'}.`);
      log.debug1(`Found ${key.isCert ? 'CA key' : 'key'} in ${verdict.entry.file}:${verdict.entry.line}`);
      if (cfg.visualHostKey) log.info(`Host key fingerprint is ${fp}\n${randomart(key, cfg.fingerprintHash === 'MD5' ? 'md5' : 'sha256')}`);
      return accept;

    case 'unknown': {
      if (cfg.hostKeyAlias === null && ctx.port !== 22) {
        log.debug1('checking without port identifier');
        const bare = check(entries, { host: ctx.hostname, port: 22, key });
        if (bare.status === 'ok') {
          log.debug1('found matching key w/out port');
          return accept;
        }
      }
      if (readonly || key.isCert) return reject;
      const strict = cfg.strictHostKeyChecking;
      if (strict === 'true') {
        log.error(`No ${type} host key is known for ${hostName} and you have requested strict checking.`);
        return reject;
      }
      if (strict === 'ask') {
        let msg = `The authenticity of host '${hostName} (${ip})' can't be established.`;
        msg += `\n${type} key fingerprint is ${fp}.`;
        if (cfg.visualHostKey) msg += `\n${randomart(key, cfg.fingerprintHash === 'MD5' ? 'md5' : 'sha256')}`;
        msg += `\n${otherNamesMessage(ctx, entries, [hostName, ip], key)}`;
        msg += '\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ';
        if (!(await confirm(ctx, msg, fp))) return reject;
      }
      const file = userFiles[0]!;
      try {
        addKnownHost(file, [hostName], key, { hash: cfg.hashKnownHosts, createDir: true });
        log.info(`Warning: Permanently added '${hostName}' (${type}) to the list of known hosts.`);
      } catch {
        log.info(`Failed to add the host to the list of known hosts (${file}).`);
      }
      return accept;
    }

    case 'revoked':
      log.error(BANNER);
      log.error('@       WARNING: REVOKED HOST KEY DETECTED!               @');
      log.error(BANNER);
      log.error(`The ${type} host key for ${hostName} is marked as revoked.`);
      log.error('This could mean that a stolen key is being used to');
      log.error('impersonate this host.');
      if (cfg.strictHostKeyChecking !== 'false') {
        log.error(`${type} host key for ${hostName} was revoked and you have requested strict checking.`);
        return reject;
      }
      warnUnsafe(ctx);
      return { accepted: true, unsafe: true };

    case 'changed': {
      if (key.isCert) return reject;
      const offending = verdict.known[verdict.known.length - 1]!;
      log.error(BANNER);
      log.error('@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @');
      log.error(BANNER);
      log.error('IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!');
      log.error('Someone could be eavesdropping on you right now (man-in-the-middle attack)!');
      log.error('It is also possible that a host key has just been changed.');
      log.error(`The fingerprint for the ${type} key sent by the remote host is\n${fp}.`);
      log.error('Please contact your system administrator.');
      log.error(`Add correct host key in ${userFiles[0] ?? '(none)'} to get rid of this message.`);
      log.error(`Offending ${offending.key.label} key in ${offending.file}:${offending.line}`);
      if (cfg.strictHostKeyChecking !== 'false') {
        log.error(`${type} host key for ${hostName} has changed and you have requested strict checking.`);
        return reject;
      }
      warnUnsafe(ctx);
      return { accepted: true, unsafe: true };
    }
  }
}
