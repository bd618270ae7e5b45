/**
 * sshd_config evaluation as sshd 9.2 does it:
 *
 * 1. command-line settings (-o, -p, -h, -4/-6, -g, -q/-d), in order;
 * 2. the first pass over the file: global lines are applied, Match blocks are only checked
 *    (except `Match all`, which matches in this pass too), Includes are read and cached;
 * 3. defaults (fill_default_server_options, with tshd's own defaults where they differ);
 * 4. per connection, a second pass ("reprocess config") that applies only the Match blocks the
 *    connection matches, over a fresh option set whose values then replace the global ones
 *    (copy_set_server_options).
 *
 * The result is frozen. Errors are sshd's lines: each is passed to `log` as sshd would print
 * it, and a fatal one ends the evaluation with a ServerConfigError.
 */
import { dirname } from 'node:path';
import { ConfigError } from '../../config/parse.js';
import {
  ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGS, ALL_MACS, ALL_SIG_ALGS, DEFAULT_CA_SIGS, DEFAULT_CIPHERS, DEFAULT_GSS_KEX, DEFAULT_KEX,
  DEFAULT_MACS, DEFAULT_PK_ALGS, assembleNames,
} from '../../config/algorithms.js';
import type { ConfigLoader } from '../../config/load.js';
import { tildeExpand } from '../../config/tokens.js';
import { TshError } from '../../errors.js';
import { type ConnectionSpec, type GroupLookup } from './match.js';
import {
  ALGO_FIELDS, cloneServerOptions, newServerOptions, type AlgoField, type ListenSpec, type ServerOptions,
} from './options.js';
import { type LineEnv, type PassState, ServerConfigFatal, derelativisePath, processServerLine } from './process.js';
import type { PerSourcePenalties, ResolvedServerConfig } from './types.js';
import { authMethodsError, type LogLevel } from './values.js';

/** A fatal configuration error, with sshd's message and exit code. */
export class ServerConfigError extends ConfigError {
  override readonly exitCode: number;
  /** The last line (what ended the evaluation); the earlier ones went to `log` already. */
  readonly fatalLine: string;
  constructor(file: string, line: number, lines: readonly string[], exitCode: number) {
    super(file, line, lines);
    this.name = 'ServerConfigError';
    this.exitCode = exitCode;
    this.fatalLine = lines[lines.length - 1] ?? '';
  }
}

/** A setting from tshd's command line, applied before the configuration file, in argv order. */
export type CommandLineSetting =
  | { readonly kind: 'option'; readonly line: string }
  | { readonly kind: 'port'; readonly port: number }
  | { readonly kind: 'hostKey'; readonly path: string }
  | { readonly kind: 'hostCertificate'; readonly path: string }
  | { readonly kind: 'addressFamily'; readonly family: 'inet' | 'inet6' }
  | { readonly kind: 'loginGraceTime'; readonly seconds: number }
  | { readonly kind: 'logLevel'; readonly level: LogLevel };

/**
 * tshd's built-in defaults that differ from sshd's (deliberately):
 * - host keys and the pid file live in tshd's own state directory, so tshd never touches
 *   sshd's files: /etc/tsh and /run/tshd.pid as root, ~/.tsh otherwise;
 * - a non-root tshd listens on port 2222 by default (it cannot bind port 22).
 */
export interface TshdDefaults {
  readonly stateDir: string;
  readonly configFile: string;
  readonly hostKeys: readonly string[];
  readonly pidFile: string;
  readonly port: number;
}

export function tshdDefaults(root: boolean, home: string): TshdDefaults {
  const stateDir = root ? '/etc/tsh' : `${home.replace(/\/+$/, '')}/.tsh`;
  return {
    stateDir,
    configFile: `${stateDir}/tshd_config`,
    hostKeys: ['ed25519', 'ecdsa', 'rsa'].map((t) => `${stateDir}/ssh_host_${t}_key`),
    pidFile: root ? '/run/tshd.pid' : `${stateDir}/tshd.pid`,
    port: root ? 22 : 2222,
  };
}

export interface ServerConfigOptions {
  /** The configuration file; null for none (built-in defaults only). */
  readonly file: string | null;
  readonly loader: ConfigLoader;
  readonly commandLine?: readonly CommandLineSetting[];
  /** Working directory (relative HostKey, PidFile, ... paths are made absolute against it). */
  readonly cwd: string;
  /** The passwd home of the user tshd runs as (`~`, and the non-root state directory). */
  readonly home: string;
  /** Running as root (selects tshd's defaults). */
  readonly root: boolean;
  readonly defaults?: TshdDefaults;
  /** Home directory of another user, for `~user/` paths. */
  readonly lookupHome?: (user: string) => string | undefined;
  /** Groups of a user, for `Match Group`; without it no user is in any group. */
  readonly groups?: GroupLookup;
  /**
   * Where relative Include paths point. sshd uses /etc/ssh; tshd's default is the directory of
   * the file that has the Include line.
   */
  readonly includeDir?: string;
  /**
   * Every line sshd would print while reading the configuration (errors, INFO notices).
   * `plain`: sshd prints it with perror()/fprintf(), not through its log (which ends lines in CR LF).
   */
  readonly log?: (line: string, plain?: boolean) => void;
  /** -q: nothing is printed (sshd's QUIET log level applies to configuration errors too). */
  readonly quiet?: boolean;
}

/** The configuration of a server: the global part, and the effective one for a connection. */
export interface ServerConfigSet {
  /** After the first pass and defaults: what the listener uses. */
  readonly global: ResolvedServerConfig;
  /**
   * sshd's Match pass for a connection (`sshd -T -C ...`); absent fields never match. `groups`
   * replaces the lookup given to resolveServerConfig() for this connection.
   */
  forConnection(spec: ConnectionSpec, groups?: GroupLookup): ResolvedServerConfig;
}

interface IncludeItem {
  readonly selector: string;
  readonly filename: string | null;
  readonly lines: readonly string[];
}

const MAX_DEPTH = 16;
const PORT_CMDLINE_ERRORS = 1;

/** load_server_config(): lines with leading blanks removed. */
function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/^[ \t\r]+/, ''));
}

export function resolveServerConfig(opts: ServerConfigOptions): ServerConfigSet {
  const defaults = opts.defaults ?? tshdDefaults(opts.root, opts.home);
  const groups = opts.groups ?? ((): null => null);
  const errors: string[] = [];
  const log = (line: string): void => {
    errors.push(line);
    if (!opts.quiet) opts.log?.(line);
  };
  const includes: IncludeItem[] = [];
  const pathEnv = { cwd: opts.cwd, home: opts.home, lookupHome: opts.lookupHome };

  const fail = (err: unknown, file: string, line: number, exitCode = 255): never => {
    if (err instanceof ServerConfigError) throw err;
    let message: string;
    let plain = false;
    if (err instanceof ServerConfigFatal) {
      message = err.message;
      exitCode = err.exitCode;
      plain = err.plain;
    } else if (err instanceof TshError) message = err.message;
    else throw err;
    // An empty message: the error lines were printed already (a bad -o option).
    if (message === '') throw new ServerConfigError(file, line, errors, exitCode);
    if (!opts.quiet) opts.log?.(message, plain);
    throw new ServerConfigError(file, line, [...errors, message], exitCode);
  };

  const readFile = (path: string): string[] => {
    let text: string | null;
    try {
      text = opts.loader.read(path, false);
    } catch (err) {
      throw new ServerConfigFatal(err instanceof Error ? err.message : String(err), 1, true);
    }
    if (text === null) throw new ServerConfigFatal(`${path}: No such file or directory`, 1, true);
    return splitLines(text);
  };

  /**
   * parse_server_config_depth(): every line, then "terminating" if any was bad. `dir` is where
   * the file is (relative Includes), which the name does not say for "reprocess config".
   */
  const parseLines = (
    o: ServerOptions, file: string, dir: string, lines: readonly string[], ci: ConnectionSpec | null, st: PassState, depth: number,
    lookupGroups: GroupLookup = groups,
  ): void => {
    if (depth > MAX_DEPTH) throw new ServerConfigFatal('Too many recursive configuration includes');
    const env: LineEnv = {
      ci,
      groups: lookupGroups,
      ...pathEnv,
      log,
      include: (patterns, _file, _line, parent) => {
        for (const pattern of patterns) {
          let selector = pattern;
          if (pattern.startsWith('~')) selector = tildeExpand(pattern, opts.home, opts.lookupHome);
          else if (!pattern.startsWith('/')) selector = `${opts.includeDir ?? dir}/${pattern}`;
          const oactive = parent.active;
          const flags = (): PassState => ({ active: parent.active, neverMatch: !parent.matchOnly && !oactive, matchOnly: parent.matchOnly });
          const cached = includes.filter((i) => i.selector === selector);
          if (cached.length === 0) {
            const found = opts.loader.glob(selector);
            if (found.length === 0) includes.push({ selector, filename: null, lines: [] });
            for (const f of found) {
              const item = { selector, filename: f, lines: readFile(f) };
              parseLines(o, f, dirname(f), item.lines, ci, flags(), depth + 1, lookupGroups);
              parent.active = oactive;
              includes.push(item);
            }
            continue;
          }
          for (const item of cached) {
            if (item.filename !== null) parseLines(o, item.filename, dirname(item.filename), item.lines, ci, flags(), depth + 1, lookupGroups);
            parent.active = oactive;
          }
        }
      },
    };
    let bad = 0;
    lines.forEach((raw, i) => {
      try {
        if (!processServerLine(o, raw, file, i + 1, st, env)) bad++;
      } catch (err) {
        fail(err, file, i + 1);
      }
    });
    if (bad > 0) throw new ServerConfigFatal(`${file}: terminating, ${bad} bad configuration options`);
  };

  // 1. The command line.
  const o = newServerOptions();
  for (const s of opts.commandLine ?? []) {
    try {
      applyCommandLine(o, s, pathEnv, log, groups);
    } catch (err) {
      fail(err, 'command-line', 0, PORT_CMDLINE_ERRORS);
    }
  }

  // 2. The first pass.
  let mainLines: string[] = [];
  const mainDir = opts.file === null ? opts.cwd : dirname(opts.file);
  try {
    if (opts.file !== null) {
      mainLines = readFile(opts.file);
      parseLines(o, opts.file, dirname(opts.file), mainLines, null, { active: true, neverMatch: false, matchOnly: false }, 0);
    }
  } catch (err) {
    fail(err, opts.file ?? 'command-line', 0);
  }
  const listen = queuedListen(o, defaults.port);

  // 3. Defaults.
  let filled: ServerOptions;
  try {
    filled = fillDefaults(o, defaults);
    checkFilled(filled, log);
  } catch (err) {
    return fail(err, opts.file ?? 'command-line', 0);
  }
  const global = freeze(filled, listen);

  return {
    global,
    forConnection(spec: ConnectionSpec, lookupGroups?: GroupLookup): ResolvedServerConfig {
      const mo = newServerOptions();
      try {
        parseLines(mo, 'reprocess config', mainDir, mainLines, spec, { active: false, neverMatch: false, matchOnly: true }, 0, lookupGroups);
        return freeze(copySet(filled, mo), listen);
      } catch (err) {
        return fail(err, 'reprocess config', 0);
      }
    },
  };
}

function applyCommandLine(o: ServerOptions, s: CommandLineSetting, pathEnv: { cwd: string; home: string; lookupHome?: (u: string) => string | undefined }, log: (l: string) => void, groups: GroupLookup): void {
  switch (s.kind) {
    case 'option': {
      const env: LineEnv = { ci: null, groups, ...pathEnv, log, include: () => undefined };
      if (!processServerLine(o, s.line, 'command-line', 0, null, env)) throw new ServerConfigFatal('', 1);
      return;
    }
    case 'port':
      o.portsFromCmdline = true;
      o.ports.push(s.port);
      return;
    case 'hostKey':
      o.hostKeys.push(derelativisePath(s.path, pathEnv));
      return;
    case 'hostCertificate':
      o.hostCertificates.push(derelativisePath(s.path, pathEnv));
      return;
    case 'addressFamily':
      o.addressFamily = s.family;
      return;
    case 'loginGraceTime':
      o.loginGraceTime = s.seconds;
      return;
    case 'logLevel':
      o.logLevel = s.level;
      return;
  }
}

/** process_queued_listen_addrs() and the default listener: one entry per address lookup. */
function queuedListen(o: ServerOptions, defaultPort: number): ListenSpec[] {
  if (o.ports.length === 0) o.ports.push(defaultPort);
  const specs = o.listen.length > 0 ? o.listen : [{ host: null, port: 0, rdomain: null }];
  return specs.flatMap((l) => (l.port > 0 ? [l] : o.ports.map((port) => ({ ...l, port }))));
}

const isNone = (v: string | undefined): boolean => v === undefined || v.toLowerCase() === 'none';

const ALGO_DEFAULTS: Record<AlgoField, [string, string]> = {
  ciphers: [DEFAULT_CIPHERS, ALL_CIPHERS],
  macs: [DEFAULT_MACS, ALL_MACS],
  kexAlgorithms: [DEFAULT_KEX, ALL_KEX],
  hostKeyAlgorithms: [DEFAULT_PK_ALGS, ALL_KEY_ALGS],
  hostbasedAcceptedAlgorithms: [DEFAULT_PK_ALGS, ALL_KEY_ALGS],
  pubkeyAcceptedAlgorithms: [DEFAULT_PK_ALGS, ALL_KEY_ALGS],
  caSignatureAlgorithms: [DEFAULT_CA_SIGS, ALL_SIG_ALGS],
};

/** assemble_algorithms(): `+`, `-`, `^` and patterns against sshd 9.2's server defaults. */
function assembleAlgorithms(o: ServerOptions): void {
  for (const [op, field] of Object.entries(ALGO_FIELDS) as [string, AlgoField][]) {
    const [def, all] = ALGO_DEFAULTS[field];
    const r = assembleNames(o[field], def, all);
    if (r === null) throw new ServerConfigFatal(`assemble_algorithms: ${op === 'kexalgorithms' ? 'kex_algorithms' : field}: invalid argument`);
    o[field] = r;
  }
}

/** fill_default_server_options() with tshd's defaults (see TshdDefaults). */
function fillDefaults(src: ServerOptions, d: TshdDefaults): ServerOptions {
  const o = cloneServerOptions(src);
  o.usePam ??= false;
  if (o.hostKeys.length === 0) o.hostKeys.push(...d.hostKeys);
  o.addressFamily ??= 'any';
  o.pidFile ??= d.pidFile;
  o.moduliFile ??= '/etc/ssh/moduli';
  o.loginGraceTime ??= 120;
  o.permitRootLogin ??= 'prohibit-password';
  o.ignoreRhosts ??= 'yes';
  o.ignoreUserKnownHosts ??= false;
  o.printMotd ??= true;
  o.printLastLog ??= true;
  o.x11Forwarding ??= false;
  o.x11DisplayOffset ??= 10;
  o.x11UseLocalhost ??= true;
  o.xauthLocation ??= '/usr/bin/xauth';
  o.permitTty ??= true;
  o.permitUserRc ??= true;
  o.strictModes ??= true;
  o.tcpKeepAlive ??= true;
  o.syslogFacility ??= 'AUTH';
  o.logLevel ??= 'INFO';
  o.hostbasedAuthentication ??= false;
  o.hostbasedUsesNameFromPacketOnly ??= false;
  o.pubkeyAuthentication ??= true;
  o.pubkeyAuthOptions ??= { touchRequired: false, verifyRequired: false };
  o.kerberosAuthentication ??= false;
  o.kerberosOrLocalPasswd ??= true;
  o.kerberosTicketCleanup ??= true;
  o.gssapiAuthentication ??= false;
  o.gssapiKeyExchange ??= false;
  o.gssapiCleanupCredentials ??= true;
  o.gssapiStrictAcceptorCheck ??= true;
  o.gssapiStoreCredentialsOnRekey ??= false;
  o.gssapiKexAlgorithms ??= DEFAULT_GSS_KEX;
  o.passwordAuthentication ??= true;
  o.kbdInteractiveAuthentication ??= true;
  o.permitEmptyPasswords ??= false;
  o.permitUserEnvironment ??= false;
  o.compression ??= 'yes';
  o.rekeyLimit ??= 0n;
  o.rekeyInterval ??= 0;
  o.allowTcpForwarding ??= 'yes';
  o.allowStreamLocalForwarding ??= 'yes';
  o.allowAgentForwarding ??= true;
  o.gatewayPorts ??= 'no';
  const ms = (o.maxStartups ??= {});
  ms.full ??= 100;
  ms.rate ??= 30;
  ms.begin ??= 10;
  o.perSourceMaxStartups ??= 0x7fffffff;
  o.perSourceNetBlockSize ??= { ipv4: 32, ipv6: 128 };
  o.maxAuthTries ??= 6;
  o.maxSessions ??= 10;
  o.useDns ??= false;
  o.clientAliveInterval ??= 0;
  o.clientAliveCountMax ??= 3;
  if (o.authorizedKeysFiles.length === 0) o.authorizedKeysFiles.push('.ssh/authorized_keys', '.ssh/authorized_keys2');
  o.permitTunnel ??= 'no';
  // Debian's defaults (upstream: af21 cs1).
  o.ipQos ??= { interactive: 'lowdelay', bulk: 'throughput' };
  o.versionAddendum ??= '';
  o.streamLocalBindMask ??= 0o177;
  o.streamLocalBindUnlink ??= false;
  o.fingerprintHash ??= 'SHA256';
  o.disableForwarding ??= false;
  o.exposeAuthInfo ??= false;
  o.securityKeyProvider ??= 'internal';
  o.requiredRsaSize ??= 1024;
  o.unusedConnectionTimeout ??= 0;
  o.debianBanner ??= true;
  assembleAlgorithms(o);
  if (o.channelTimeouts.length === 1 && o.channelTimeouts[0]!.toLowerCase() === 'none') o.channelTimeouts = [];
  if (o.authenticationMethods.length === 1 && o.authenticationMethods[0]!.toLowerCase() === 'any') o.authenticationMethods = [];
  return o;
}

/** The checks sshd's main() makes on the filled-in configuration. */
function checkFilled(o: ServerOptions, log: (l: string) => void): void {
  if (o.authorizedKeysCommandUser === undefined && !isNone(o.authorizedKeysCommand)) {
    throw new ServerConfigFatal('AuthorizedKeysCommand set without AuthorizedKeysCommandUser');
  }
  if (o.authorizedPrincipalsCommandUser === undefined && !isNone(o.authorizedPrincipalsCommand)) {
    throw new ServerConfigFatal('AuthorizedPrincipalsCommand set without AuthorizedPrincipalsCommandUser');
  }
  if (o.authenticationMethods.length > 0) {
    const enabled: Record<string, boolean> = {
      none: true,
      publickey: o.pubkeyAuthentication!,
      password: o.passwordAuthentication!,
      'keyboard-interactive': o.kbdInteractiveAuthentication!,
      hostbased: o.hostbasedAuthentication!,
      'gssapi-with-mic': o.gssapiAuthentication!,
      'gssapi-keyex': o.gssapiAuthentication!,
    };
    // sshd stops at the first list that can be satisfied.
    const usable = o.authenticationMethods.some((list) => {
      const e = authMethodsError(list, (m) => enabled[m] === true);
      if (e) log(e);
      return e === null;
    });
    if (!usable) throw new ServerConfigFatal('AuthenticationMethods cannot be satisfied by enabled authentication methods');
  }
}

/** The integer-like options a Match block can change (M_CP_INTOPT). */
const COPY_VALUES = [
  'passwordAuthentication', 'gssapiAuthentication', 'pubkeyAuthentication', 'pubkeyAuthOptions', 'kerberosAuthentication',
  'hostbasedAuthentication', 'hostbasedUsesNameFromPacketOnly', 'kbdInteractiveAuthentication', 'permitRootLogin',
  'permitEmptyPasswords', 'ignoreRhosts', 'allowTcpForwarding', 'allowStreamLocalForwarding', 'allowAgentForwarding',
  'disableForwarding', 'exposeAuthInfo', 'permitTunnel', 'gatewayPorts', 'streamLocalBindUnlink', 'x11DisplayOffset',
  'x11Forwarding', 'x11UseLocalhost', 'permitTty', 'permitUserRc', 'maxSessions', 'maxAuthTries', 'clientAliveCountMax',
  'clientAliveInterval', 'ipQos', 'rekeyLimit', 'rekeyInterval', 'logLevel', 'requiredRsaSize', 'unusedConnectionTimeout',
  'streamLocalBindMask',
  // COPY_MATCH_STRING_OPTS() strings.
  'banner', 'trustedUserCaKeys', 'revokedKeys', 'authorizedKeysCommand', 'authorizedKeysCommandUser',
  'authorizedPrincipalsFile', 'authorizedPrincipalsCommand', 'authorizedPrincipalsCommandUser',
  'hostbasedAcceptedAlgorithms', 'pubkeyAcceptedAlgorithms', 'caSignatureAlgorithms', 'routingDomain',
  'permitUserEnvironmentAllowlist',
] as const satisfies readonly (keyof ServerOptions)[];

/** COPY_MATCH_STRING_OPTS() arrays: a non-empty list from the Match pass replaces the global one. */
const COPY_LISTS = [
  'authorizedKeysFiles', 'allowUsers', 'denyUsers', 'allowGroups', 'denyGroups', 'acceptEnv', 'setEnv',
  'authenticationMethods', 'permitOpen', 'permitListen', 'channelTimeouts', 'logVerbose',
] as const satisfies readonly (keyof ServerOptions)[];

/** copy_set_server_options(dst, src, preauth = 0). */
function copySet(filled: ServerOptions, src: ServerOptions): ServerOptions {
  const dst = cloneServerOptions(filled);
  const d = dst as Record<string, unknown>;
  const s = src as Record<string, unknown>;
  for (const k of COPY_VALUES) if (s[k] !== undefined) d[k] = s[k];
  for (const k of COPY_LISTS) if (src[k].length > 0) dst[k] = [...src[k]];
  assembleAlgorithms(dst);
  if (src.forceCommand !== undefined) dst.forceCommand = src.forceCommand;
  if (src.chrootDirectory !== undefined) dst.chrootDirectory = src.chrootDirectory;
  return dst;
}

const noneToNull = (v: string | undefined): string | null => (isNone(v) ? null : v!);

const PENALTY_DEFAULTS: PerSourcePenalties = {
  crash: 90, authfail: 5, noauth: 1, graceExceeded: 20, max: 600, min: 15, maxSources4: 65536, maxSources6: 65536,
  overflow: 'permissive', overflow6: 'permissive',
};

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

function freeze(o: ServerOptions, listen: readonly ListenSpec[]): ResolvedServerConfig {
  const p = o.perSourcePenalties;
  const cfg: ResolvedServerConfig = {
    ports: [...o.ports],
    addressFamily: o.addressFamily as ResolvedServerConfig['addressFamily'],
    listen: listen.map((l) => ({ ...l })),
    hostKeys: o.hostKeys.map(noneToNull),
    hostCertificates: o.hostCertificates.map(noneToNull),
    hostKeyAgent: noneToNull(o.hostKeyAgent),
    pidFile: noneToNull(o.pidFile),
    usePam: o.usePam!,
    loginGraceTime: o.loginGraceTime!,
    maxStartups: { begin: o.maxStartups!.begin!, rate: o.maxStartups!.rate!, full: o.maxStartups!.full! },
    perSourceMaxStartups: o.perSourceMaxStartups === 0x7fffffff ? null : o.perSourceMaxStartups!,
    perSourceNetBlockSize: { ...o.perSourceNetBlockSize! },
    perSourcePenalties:
      p.enabled === false
        ? null
        : {
            crash: p.crash ?? PENALTY_DEFAULTS.crash,
            authfail: p.authfail ?? PENALTY_DEFAULTS.authfail,
            noauth: p.noauth ?? PENALTY_DEFAULTS.noauth,
            graceExceeded: p.grace ?? PENALTY_DEFAULTS.graceExceeded,
            max: p.max ?? PENALTY_DEFAULTS.max,
            min: p.min ?? PENALTY_DEFAULTS.min,
            maxSources4: p.maxSources4 ?? PENALTY_DEFAULTS.maxSources4,
            maxSources6: p.maxSources6 ?? PENALTY_DEFAULTS.maxSources6,
            overflow: p.overflow ?? PENALTY_DEFAULTS.overflow,
            overflow6: p.overflow6 ?? PENALTY_DEFAULTS.overflow6,
          },
    perSourcePenaltyExemptList: noneToNull(o.perSourcePenaltyExemptList),
    versionAddendum: o.versionAddendum!,
    debianBanner: o.debianBanner!,
    compression: o.compression === 'yes',
    tcpKeepAlive: o.tcpKeepAlive!,
    useDns: o.useDns!,
    ipQos: { ...o.ipQos! },
    rekeyLimit: { bytes: o.rekeyLimit!, seconds: o.rekeyInterval! },
    logLevel: o.logLevel!,
    logVerbose: [...o.logVerbose],
    syslogFacility: o.syslogFacility!,
    fingerprintHash: o.fingerprintHash!,
    moduliFile: noneToNull(o.moduliFile),
    ciphers: o.ciphers!,
    macs: o.macs!,
    kexAlgorithms: o.kexAlgorithms!,
    hostKeyAlgorithms: o.hostKeyAlgorithms!,
    pubkeyAcceptedAlgorithms: o.pubkeyAcceptedAlgorithms!,
    hostbasedAcceptedAlgorithms: o.hostbasedAcceptedAlgorithms!,
    caSignatureAlgorithms: o.caSignatureAlgorithms!,
    gssapiKexAlgorithms: o.gssapiKexAlgorithms!,
    permitRootLogin: o.permitRootLogin as ResolvedServerConfig['permitRootLogin'],
    pubkeyAuthentication: o.pubkeyAuthentication!,
    pubkeyAuthOptions: { ...o.pubkeyAuthOptions! },
    passwordAuthentication: o.passwordAuthentication!,
    kbdInteractiveAuthentication: o.kbdInteractiveAuthentication!,
    permitEmptyPasswords: o.permitEmptyPasswords!,
    authenticationMethods: o.authenticationMethods.length === 1 && o.authenticationMethods[0] === 'any' ? [] : [...o.authenticationMethods],
    authorizedKeysFiles: [...o.authorizedKeysFiles],
    authorizedKeysCommand: noneToNull(o.authorizedKeysCommand),
    authorizedKeysCommandUser: o.authorizedKeysCommandUser ?? null,
    authorizedPrincipalsFile: noneToNull(o.authorizedPrincipalsFile),
    authorizedPrincipalsCommand: noneToNull(o.authorizedPrincipalsCommand),
    authorizedPrincipalsCommandUser: o.authorizedPrincipalsCommandUser ?? null,
    trustedUserCaKeys: noneToNull(o.trustedUserCaKeys),
    revokedKeys: noneToNull(o.revokedKeys),
    securityKeyProvider: noneToNull(o.securityKeyProvider),
    strictModes: o.strictModes!,
    maxAuthTries: o.maxAuthTries!,
    requiredRsaSize: o.requiredRsaSize!,
    allowUsers: [...o.allowUsers],
    denyUsers: [...o.denyUsers],
    allowGroups: [...o.allowGroups],
    denyGroups: [...o.denyGroups],
    hostbasedAuthentication: o.hostbasedAuthentication!,
    hostbasedUsesNameFromPacketOnly: o.hostbasedUsesNameFromPacketOnly!,
    ignoreRhosts: o.ignoreRhosts as ResolvedServerConfig['ignoreRhosts'],
    ignoreUserKnownHosts: o.ignoreUserKnownHosts!,
    kerberosAuthentication: o.kerberosAuthentication!,
    kerberosOrLocalPasswd: o.kerberosOrLocalPasswd!,
    kerberosTicketCleanup: o.kerberosTicketCleanup!,
    gssapiAuthentication: o.gssapiAuthentication!,
    gssapiCleanupCredentials: o.gssapiCleanupCredentials!,
    gssapiKeyExchange: o.gssapiKeyExchange!,
    gssapiStrictAcceptorCheck: o.gssapiStrictAcceptorCheck!,
    gssapiStoreCredentialsOnRekey: o.gssapiStoreCredentialsOnRekey!,
    passwordFile: noneToNull(o.passwordFile),
    maxSessions: o.maxSessions!,
    clientAliveInterval: o.clientAliveInterval!,
    clientAliveCountMax: o.clientAliveCountMax!,
    unusedConnectionTimeout: o.unusedConnectionTimeout!,
    // Kept as configured: a Match block's "none" is printed by sshd -T as such.
    channelTimeouts: [...o.channelTimeouts],
    banner: noneToNull(o.banner),
    printMotd: o.printMotd!,
    printLastLog: o.printLastLog!,
    permitTty: o.permitTty!,
    permitUserRc: o.permitUserRc!,
    acceptEnv: [...o.acceptEnv],
    setEnv: [...o.setEnv],
    permitUserEnvironment: { enabled: o.permitUserEnvironment!, allowlist: o.permitUserEnvironmentAllowlist ?? null },
    forceCommand: noneToNull(o.forceCommand),
    chrootDirectory: noneToNull(o.chrootDirectory),
    subsystems: o.subsystems.map((s) => ({ ...s })),
    exposeAuthInfo: o.exposeAuthInfo!,
    x11Forwarding: o.x11Forwarding!,
    x11DisplayOffset: o.x11DisplayOffset!,
    x11UseLocalhost: o.x11UseLocalhost!,
    xauthLocation: noneToNull(o.xauthLocation),
    permitTunnel: o.permitTunnel as ResolvedServerConfig['permitTunnel'],
    routingDomain: noneToNull(o.routingDomain),
    allowTcpForwarding: o.allowTcpForwarding as ResolvedServerConfig['allowTcpForwarding'],
    allowStreamLocalForwarding: o.allowStreamLocalForwarding as ResolvedServerConfig['allowStreamLocalForwarding'],
    allowAgentForwarding: o.allowAgentForwarding!,
    disableForwarding: o.disableForwarding!,
    gatewayPorts: o.gatewayPorts as ResolvedServerConfig['gatewayPorts'],
    permitOpen: [...o.permitOpen],
    permitListen: [...o.permitListen],
    streamLocalBindMask: o.streamLocalBindMask!,
    streamLocalBindUnlink: o.streamLocalBindUnlink!,
  };
  return deepFreeze(cfg);
}
