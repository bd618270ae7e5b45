/**
 * Resolution of the client configuration as ssh.c main() and readconf.c do it: -o overrides,
 * then the files in order (first value wins; Host/Match switch sections on and off; Include),
 * HostName %h expansion, an optional second pass for `Match final`/canonicalization, defaults
 * (fill_default_options) and token expansion. The result is frozen.
 */
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { TshError } from '../errors.js';
import { asciiLower } from '../pattern.js';
import {
  ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGS, ALL_MACS, ALL_SIG_ALGS, DEFAULT_CA_SIGS, DEFAULT_CIPHERS, DEFAULT_GSS_KEX,
  DEFAULT_KEX, DEFAULT_MACS, DEFAULT_PK_ALGS, assembleNames,
} from './algorithms.js';
import type { Forward } from './forward.js';
import { TUN_DEFAULT } from './keywords.js';
import { lexLine } from './lexer.js';
import type { ConfigLoader } from './load.js';
import { newOptions, type Options } from './options.js';
import { processLine, type LineContext } from './process.js';
import { ConfigError } from './parse.js';
import { ExpandError, connectionHash, expandTokens, tildeExpand } from './tokens.js';
import type { ResolvedClientConfig } from './types.js';

export interface ConfigSource {
  path: string;
  /** The system-wide file (relative Includes go to /etc/ssh, `~` refused). */
  system?: boolean;
  /** Refuse the file if others can write it (OpenSSH does this for ~/.ssh/config). */
  checkPerm?: boolean;
  /** A missing file is an error (-F). */
  required?: boolean;
}

export interface ResolveClientOptions {
  /** The destination as given, without user@ (host_arg). */
  host: string;
  /** "Keyword value" lines from -o and from flags (-p → "Port N", -l → "User x", ...), in order. */
  overrides?: readonly string[];
  /** Files in reading order, e.g. ~/.ssh/config then /etc/ssh/ssh_config, or just the -F file. */
  files?: readonly ConfigSource[];
  loader: ConfigLoader;
  /** Environment for ${VAR} and Include's `~` (HOME). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Local user name and passwd home directory (`~` and %d use the passwd home, not $HOME). */
  localUser: string;
  home: string;
  uid?: number;
  /** This machine's host name (%l, %L, %C); defaults to os.hostname(). */
  thisHost?: string;
  /** Runs `Match exec` commands; returns the exit status (-1 if killed). Without it, Match exec fails. */
  exec?: (command: string) => number;
  /** Home directory of another user, for `~user/` paths. */
  lookupHome?: (user: string) => string | undefined;
  /** Non-fatal diagnostics (e.g. "Unsupported option"), as OpenSSH prints them. */
  warn?: (message: string) => void;
}

const MAX_DEPTH = 16;

interface PassContext {
  host: string;
  finalPass: boolean;
  wantFinalPass: { value: boolean } | null;
}

export function resolveClientConfig(opts: ResolveClientOptions): ResolvedClientConfig {
  const env = opts.env ?? {};
  const thisHost = opts.thisHost ?? osHostname();
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const warn = opts.warn ?? ((): void => undefined);
  const exec = opts.exec ?? ((cmd: string): number => {
    throw new TshError(`Match exec "${cmd}" is not available here`);
  });
  const o = newOptions();
  const hostArg = opts.host;

  const baseCtx = (pass: PassContext, userConf: boolean, neverMatch: boolean, cmdline: boolean, depth: number): LineContext => ({
    host: pass.host,
    originalHost: hostArg,
    localUser: opts.localUser,
    home: opts.home,
    uid,
    thisHost,
    finalPass: pass.finalPass,
    wantFinalPass: pass.wantFinalPass,
    exec,
    userConf,
    neverMatch,
    cmdline,
    env,
    warn,
    include: () => undefined,
  });

  // -o options and flags: like process_config_line with activep == NULL.
  for (const line of opts.overrides ?? []) {
    const ctx = baseCtx({ host: hostArg, finalPass: false, wantFinalPass: null }, true, false, true, 0);
    const errs = processLine(o, lexLine(line), 'command-line', 0, { active: true }, ctx);
    if (errs.length) throw new ConfigError('command-line', 0, errs);
  }

  /** read_config_file_depth(): false if the file does not exist. */
  const readFile = (path: string, pass: PassContext, userConf: boolean, checkPerm: boolean, neverMatch: boolean, state: { active: boolean }, depth: number): boolean => {
    if (depth > MAX_DEPTH) throw new TshError('Too many recursive configuration includes');
    const text = opts.loader.read(path, checkPerm);
    if (text === null) return false;
    const errors: string[] = [];
    let bad = 0;
    let firstBad = 0;
    const ctx = baseCtx(pass, userConf, neverMatch, false, depth);
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((raw, idx) => {
      const lineNo = idx + 1;
      ctx.include = (pattern, active): void => {
        const home = env.HOME ?? opts.home;
        const expanded = pattern.startsWith('~') ? tildeExpand(pattern, home, opts.lookupHome) : pattern;
        const matches = opts.loader.glob(expanded);
        for (const m of matches) {
          // Include reads with the current section state; a Match inside cannot leak out.
          // A file that vanished after globbing is skipped (ENOENT); other read errors throw.
          readFile(m, pass, userConf, true, neverMatch || !active, state, depth + 1);
          state.active = active;
        }
      };
      const errs = processLine(o, lexLine(raw), path, lineNo, state, ctx);
      if (errs.length) {
        errors.push(...errs);
        bad++;
        firstBad ||= lineNo;
      }
    });
    if (bad > 0) throw new ConfigError(path, firstBad, [...errors, `${path}: terminating, ${bad} bad configuration options`]);
    return true;
  };

  const processFiles = (pass: PassContext): void => {
    for (const f of opts.files ?? []) {
      const ok = readFile(f.path, pass, !f.system, f.checkPerm ?? false, false, { active: true }, 0);
      if (!ok && f.required) throw new TshError(`Can't open user config file ${f.path}: No such file or directory`);
    }
  };

  const want = { value: false };
  processFiles({ host: hostArg, finalPass: false, wantFinalPass: want });

  // fill_default_options_for_canonicalization()
  if (!o.ints.has('canonicalizemaxdots')) o.ints.set('canonicalizemaxdots', 1);
  if (!o.ints.has('canonicalizefallbacklocal')) o.ints.set('canonicalizefallbacklocal', 1);
  if (!o.ints.has('canonicalizehostname')) o.ints.set('canonicalizehostname', 0);

  let host = hostArg;
  const hn = o.strs.get('hostname');
  if (hn !== undefined) {
    host = expandOrThrow(hn, { h: host }, null, 'percent_expand');
    o.strs.set('hostname', host);
  }
  const isAddr = /[%:]/.test(host) || /^[0-9.]*$/.test(host) || isIP(host) !== 0;
  if (!isAddr) host = asciiLower(host);

  if (o.ints.get('canonicalizehostname') !== 0) want.value = true;
  if (want.value) {
    o.strs.set('hostname', host);
    processFiles({ host, finalPass: true, wantFinalPass: null });
  }
  return finalize(o, opts, host, thisHost, uid, env);
}

function expandOrThrow(s: string, tokens: Record<string, string> | null, env: Readonly<Record<string, string | undefined>> | null, fn: string): string {
  try {
    return expandTokens(s, tokens, env);
  } catch (err) {
    if (err instanceof ExpandError) {
      throw new TshError(env ? `${fn}: ${err.message}\ninvalid environment variable expansion` : `${fn}: ${err.message}`);
    }
    throw err;
  }
}

function clearOrNone(v: string | undefined): string | null {
  return v === undefined || v.toLowerCase() === 'none' ? null : v;
}

function fmt<T extends string>(v: number, table: Record<number, T>): T {
  return table[v]!;
}

function finalize(o: Options, opts: ResolveClientOptions, host: string, thisHost: string, uid: number, env: Readonly<Record<string, string | undefined>>): ResolvedClientConfig {
  const int = (k: string, def: number): number => o.ints.get(k) ?? def;
  const bool = (k: string, def: boolean): boolean => (o.ints.has(k) ? o.ints.get(k) !== 0 : def);

  // clear_forwardings() also turns tunnelling off.
  const clearAll = bool('clearallforwardings', false);
  let localForwards: Forward[] = o.localForwards;
  let remoteForwards: Forward[] = o.remoteForwards;
  let tunOpen = int('tunnel', 0);
  if (clearAll) {
    localForwards = [];
    remoteForwards = [];
    tunOpen = 0;
  }

  const identityFiles = o.identityFiles.length
    ? o.identityFiles.map((e) => e.path)
    : ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((n) => `~/.ssh/${n}`);
  const systemHostfiles = o.systemHostfiles.length ? o.systemHostfiles : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  let updateHostKeys: number;
  if (o.ints.has('updatehostkeys')) updateHostKeys = o.ints.get('updatehostkeys')!;
  else {
    const dnsOff = (o.ints.get('verifyhostkeydns') ?? 0) <= 0;
    const uh = o.userHostfiles;
    updateHostKeys = dnsOff && (uh.length === 0 || (uh.length === 1 && uh[0] === '~/.ssh/known_hosts')) ? 1 : 0;
  }
  const userHostfilesRaw = o.userHostfiles.length ? o.userHostfiles : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];

  const assemble = (what: string, def: string, all: string): string => {
    const r = assembleNames(o.strs.get(what), def, all);
    if (r === null) throw new TshError(`fill_default_options: ${what}: Invalid argument`);
    return r;
  };
  const ciphers = assemble('ciphers', DEFAULT_CIPHERS, ALL_CIPHERS);
  const macs = assemble('macs', DEFAULT_MACS, ALL_MACS);
  const kex = assemble('kexalgorithms', DEFAULT_KEX, ALL_KEX);
  const hostbased = assemble('hostbasedacceptedalgorithms', DEFAULT_PK_ALGS, ALL_KEY_ALGS);
  const pubkey = assemble('pubkeyacceptedalgorithms', DEFAULT_PK_ALGS, ALL_KEY_ALGS);
  const caSigs = assemble('casignaturealgorithms', DEFAULT_CA_SIGS, ALL_SIG_ALGS);
  const hostKeyAlgs = assemble('hostkeyalgorithms', DEFAULT_PK_ALGS, ALL_KEY_ALGS);

  let jump = o.jumpHost === undefined ? null : { user: o.jumpUser ?? null, host: o.jumpHost, port: o.jumpPort ?? -1, extra: o.jumpExtra ?? null };
  if (jump && jump.host === 'none' && jump.port === 0 && jump.user === null) jump = null;
  const permittedCnames =
    o.permittedCnames.length === 1 && o.permittedCnames[0]!.source.toLowerCase() === 'none' && o.permittedCnames[0]!.target === ''
      ? []
      : o.permittedCnames;

  const user = o.strs.get('user') ?? opts.localUser;
  const port = o.ints.get('port') ?? 22;
  if (int('connectionattempts', 1) <= 0) throw new TshError('Invalid number of ConnectionAttempts');
  const hostKeyAlias = o.strs.has('hostkeyalias') ? asciiLower(o.strs.get('hostkeyalias')!) : null;
  const logLevel = (o.logLevel ?? 'INFO') as ResolvedClientConfig['logLevel'];
  const requestTty = int('requesttty', 2);
  const controlPersist = o.controlPersist ?? 0;
  let remoteCommand = clearOrNone(o.strs.get('remotecommand'));
  let controlPath = clearOrNone(o.strs.get('controlpath'));

  if (updateHostKeys === 2) {
    const levels = ['QUIET', 'FATAL', 'ERROR', 'INFO'];
    if (controlPersist && controlPath !== null) updateHostKeys = 0;
    else if (remoteCommand !== null || requestTty === 0) updateHostKeys = 0;
    else if (levels.indexOf(logLevel) >= 0 && levels.indexOf(logLevel) < 3) updateHostKeys = 0;
  }

  // Token expansion (ssh.c after fill_default_options).
  const portStr = String(port);
  const tokens: Record<string, string> = {
    C: connectionHash(thisHost, host, portStr, user),
    L: thisHost.split('.')[0]!,
    i: String(uid),
    k: hostKeyAlias ?? opts.host,
    l: thisHost,
    n: opts.host,
    p: portStr,
    d: opts.home,
    h: host,
    r: user,
    u: opts.localUser,
  };
  const tilde = (p: string): string => tildeExpand(p, opts.home, opts.lookupHome);
  const pathExpand = (p: string): string => expandOrThrow(tilde(p), tokens, env, 'percent_dollar_expand');
  if (remoteCommand !== null) remoteCommand = expandOrThrow(remoteCommand, tokens, null, 'percent_expand');
  if (controlPath !== null) controlPath = pathExpand(controlPath);
  const identityAgentRaw = o.strs.get('identityagent');
  const identityAgent = identityAgentRaw === undefined ? null : pathExpand(identityAgentRaw);
  const forwardAgentSocket = o.forwardAgentSockPath === undefined ? null : pathExpand(o.forwardAgentSockPath);

  const noneList = (list: string[], what: string): string[] => {
    if (list.length > 0 && list[0]!.toLowerCase() === 'none') {
      if (list.length > 1) throw new TshError(`Invalid ${what}: "none" appears with other entries`);
      return [];
    }
    return list;
  };
  const globalKnownHostsFiles = noneList(systemHostfiles, 'GlobalKnownHostsFiles');
  const userKnownHostsFiles = noneList(userHostfilesRaw, 'UserKnownHostsFiles').map(pathExpand);
  const expandFwdPaths = (f: Forward): Forward => ({
    ...f,
    listenPath: f.listenPath === null ? null : expandOrThrow(f.listenPath, tokens, null, 'percent_expand'),
    connectPath: f.connectPath === null ? null : expandOrThrow(f.connectPath, tokens, null, 'percent_expand'),
  });
  // OpenSSH expands identity and certificate paths only when loading them; keep the raw
  // value when that would fail, so resolution (and -G) still works.
  const tryExpand = (p: string): string => {
    try {
      return pathExpand(p);
    } catch {
      return p;
    }
  };

  const tun = (v: number | undefined): number | 'any' => (v === undefined || v === TUN_DEFAULT ? 'any' : v);
  const escape = o.escapeChar ?? 126;

  const cfg: ResolvedClientConfig = {
    host: opts.host,
    user,
    hostname: host,
    port,
    addressFamily: fmt(int('addressfamily', 0), { 0: 'any', 2: 'inet', 10: 'inet6' } as const),
    batchMode: bool('batchmode', false),
    canonicalizeFallbackLocal: bool('canonicalizefallbacklocal', true),
    canonicalizeHostname: fmt(int('canonicalizehostname', 0), { 0: 'false', 1: 'true', 2: 'always' } as const),
    checkHostIp: bool('checkhostip', false),
    compression: bool('compression', false),
    controlMaster: fmt(int('controlmaster', 0), { 0: 'false', 1: 'true', 2: 'auto', 3: 'ask', 4: 'autoask' } as const),
    enableSshKeysign: bool('enablesshkeysign', false),
    clearAllForwardings: clearAll,
    exitOnForwardFailure: bool('exitonforwardfailure', false),
    fingerprintHash: (o.fingerprintHash ?? 'SHA256') as ResolvedClientConfig['fingerprintHash'],
    forwardX11: bool('forwardx11', false),
    forwardX11Trusted: bool('forwardx11trusted', true),
    gatewayPorts: bool('gatewayports', false),
    gssapiAuthentication: bool('gssapiauthentication', false),
    gssapiKeyExchange: bool('gssapikeyexchange', false),
    gssapiDelegateCredentials: bool('gssapidelegatecredentials', false),
    gssapiTrustDns: bool('gssapitrustdns', false),
    gssapiRenewalForcesRekey: bool('gssapirenewalforcesrekey', false),
    gssapiClientIdentity: o.strs.get('gssapiclientidentity') ?? null,
    gssapiServerIdentity: o.strs.get('gssapiserveridentity') ?? null,
    gssapiKexAlgorithms: o.strs.get('gssapikexalgorithms') ?? DEFAULT_GSS_KEX,
    hashKnownHosts: bool('hashknownhosts', false),
    hostbasedAuthentication: bool('hostbasedauthentication', false),
    identitiesOnly: bool('identitiesonly', false),
    kbdInteractiveAuthentication: bool('kbdinteractiveauthentication', true),
    noHostAuthenticationForLocalhost: bool('nohostauthenticationforlocalhost', false),
    passwordAuthentication: bool('passwordauthentication', true),
    permitLocalCommand: bool('permitlocalcommand', false),
    proxyUseFdpass: jump ? false : bool('proxyusefdpass', false),
    pubkeyAuthentication: fmt(int('pubkeyauthentication', 3), { 0: 'false', 1: 'unbound', 2: 'host-bound', 3: 'true' } as const),
    requestTty: fmt(requestTty, { 0: 'false', 1: 'true', 2: 'auto', 3: 'force' } as const),
    sessionType: fmt(int('sessiontype', 2), { 0: 'none', 1: 'subsystem', 2: 'default' } as const),
    stdinNull: bool('stdinnull', false),
    forkAfterAuthentication: bool('forkafterauthentication', false),
    streamLocalBindUnlink: bool('streamlocalbindunlink', false),
    strictHostKeyChecking: fmt(int('stricthostkeychecking', 3), { 0: 'false', 1: 'accept-new', 2: 'true', 3: 'ask' } as const),
    tcpKeepAlive: bool('tcpkeepalive', true),
    tunnel: fmt(tunOpen, { 0: 'false', 1: 'point-to-point', 2: 'ethernet' } as const),
    verifyHostKeyDns: fmt(int('verifyhostkeydns', 0), { 0: 'false', 1: 'true', 2: 'ask' } as const),
    visualHostKey: bool('visualhostkey', false),
    updateHostKeys: fmt(updateHostKeys, { 0: 'false', 1: 'true', 2: 'ask' } as const),
    enableEscapeCommandline: bool('enableescapecommandline', false),
    canonicalizeMaxDots: int('canonicalizemaxdots', 1),
    connectionAttempts: int('connectionattempts', 1),
    forwardX11Timeout: int('forwardx11timeout', -1) === -1 ? 1200 : int('forwardx11timeout', 1200),
    numberOfPasswordPrompts: int('numberofpasswordprompts', 3),
    serverAliveCountMax: int('serveralivecountmax', 3),
    serverAliveInterval: Math.max(int('serveraliveinterval', 0), 0),
    requiredRsaSize: int('requiredrsasize', 1024),
    bindAddress: o.strs.get('bindaddress') ?? null,
    bindInterface: o.strs.get('bindinterface') ?? null,
    ciphers,
    controlPath,
    hostKeyAlgorithms: hostKeyAlgs,
    hostKeyAlgorithmsOrderFromKnownHosts: !/^[^-+]/.test(o.strs.get('hostkeyalgorithms') ?? ''),
    hostKeyAlias,
    hostbasedAcceptedAlgorithms: hostbased,
    identityAgent,
    ignoreUnknown: o.strs.get('ignoreunknown') ?? null,
    kbdInteractiveDevices: o.strs.get('kbdinteractivedevices') ?? null,
    kexAlgorithms: kex,
    caSignatureAlgorithms: caSigs,
    localCommand: clearOrNone(o.strs.get('localcommand')),
    remoteCommand,
    logLevel,
    macs,
    pkcs11Provider: clearOrNone(o.strs.get('pkcs11provider')),
    securityKeyProvider: clearOrNone(o.strs.get('securitykeyprovider') ?? 'internal'),
    preferredAuthentications: o.strs.get('preferredauthentications') ?? null,
    pubkeyAcceptedAlgorithms: pubkey,
    revokedHostKeys: clearOrNone(o.strs.get('revokedhostkeys')),
    xauthLocation: o.strs.get('xauthlocation') ?? '/usr/bin/xauth',
    knownHostsCommand: clearOrNone(o.strs.get('knownhostscommand')),
    localForwards: localForwards.map(expandFwdPaths),
    remoteForwards: remoteForwards.map(expandFwdPaths),
    identityFiles,
    identityFilesExpanded: identityFiles.map(tryExpand),
    certificateFiles: o.certificateFiles.map((e) => e.path),
    certificateFilesExpanded: o.certificateFiles.map((e) => tryExpand(e.path)),
    canonicalDomains: o.canonicalDomains,
    globalKnownHostsFiles,
    userKnownHostsFiles,
    sendEnv: o.sendEnv,
    setEnv: o.setEnv,
    logVerbose: o.logVerbose,
    permitRemoteOpen: o.permittedRemoteOpens,
    addKeysToAgent: fmt(o.addKeysToAgent ?? 0, { 0: 'false', 1: 'true', 2: 'ask', 3: 'confirm' } as const),
    addKeysToAgentLifespan: o.addKeysToAgentLifespan ?? 0,
    forwardAgent: bool('forwardagent', false),
    forwardAgentSocket,
    connectTimeout: (o.ints.get('connecttimeout') ?? -1) === -1 ? null : o.ints.get('connecttimeout')!,
    tunnelDevice: { local: tun(o.tunLocal), remote: tun(o.tunRemote) },
    canonicalizePermittedCnames: permittedCnames,
    controlPersist: controlPersist !== 0,
    controlPersistTimeout: o.controlPersistTimeout ?? 0,
    escapeChar: escape === -2 ? null : String.fromCharCode(escape),
    // Debian's defaults (upstream: af21 cs1).
    ipQos: [o.ipQosInteractive ?? 'lowdelay', o.ipQosBulk ?? 'throughput'],
    rekeyLimit: o.rekeyLimit ?? 0,
    rekeyInterval: o.rekeyInterval ?? 0,
    streamLocalBindMask: o.streamLocalBindMask ?? 0o177,
    syslogFacility: o.logFacility ?? 'USER',
    proxyCommand: jump ? null : clearOrNone(o.strs.get('proxycommand')),
    proxyJump: jump,
  };
  return deepFreeze(cfg);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}


