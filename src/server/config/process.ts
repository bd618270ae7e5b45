/**
 * One sshd_config line applied to the option state: servconf.c
 * process_server_config_line_depth() of OpenSSH 9.2p1 (Debian), message for message.
 * sshd's error() lines go to `diag.log` and make the line count as bad (the function returns
 * false); its fatal() cases throw ServerConfigFatal.
 */
import { ciphersValid, kexNamesValid, keyNamesValid, macsValid } from '../../config/algorithms.js';
import { lexLine, strdelim } from '../../config/lexer.js';
import { a2port, convtime, tildeExpand } from '../../config/tokens.js';
import { addrMatchList } from '../../pattern.js';
import {
  MS_ADDRESS_FAMILY, MS_COMPRESSION, MS_GATEWAY_PORTS, MS_IGNORE_RHOSTS, MS_PERMIT_ROOT_LOGIN, MS_TCP_FWD, MS_YESNO,
  SERVER_KEYWORDS, type ServerMultistate,
} from './keywords.js';
import { type ConnectionSpec, type GroupLookup, MatchFatal, matchServerCfgLine } from './match.js';
import {
  ALGO_FIELDS, APPEND_FIELDS, FIRST_LIST_FIELDS, FLAG_FIELDS, INT_FIELDS, MULTI_FIELDS, PATH_FIELDS, STRING_FIELDS,
  TIME_FIELDS, type PenaltyOptions, type ServerOptions,
} from './options.js';
import {
  atoiErr, authMethodsError, channelTimeoutValid, cleanHostname, firstInvalidName, hpdelim, parseDigest, parseIpqos, parseLogFacility,
  parseLogLevel, permitOpenPort, scanColonInts, scanScaled, strtolOctal, userPatternInvalid,
} from './values.js';

/** A fatal configuration error: the message is sshd's line; the exit code is sshd's. */
export class ServerConfigFatal extends Error {
  readonly exitCode: number;
  /** Printed with perror()/fprintf() rather than through sshd's log (no CR before the newline). */
  readonly plain: boolean;
  constructor(message: string, exitCode = 255, plain = false) {
    super(message);
    this.name = 'ServerConfigFatal';
    this.exitCode = exitCode;
    this.plain = plain;
  }
}

/** The Match state of the file being read (activep and the include flags). */
export interface PassState {
  active: boolean;
  /** SSHCFG_NEVERMATCH: an Include reached from an inactive block; Match never matches. */
  neverMatch: boolean;
  /** SSHCFG_MATCH_ONLY: the second pass, until the file's first Match line. */
  matchOnly: boolean;
}

export interface LineEnv {
  /** The connection being evaluated (second pass), or null (first pass: syntax and globals). */
  readonly ci: ConnectionSpec | null;
  readonly groups: GroupLookup;
  /** Directory relative paths are made absolute against (sshd: its working directory). */
  readonly cwd: string;
  /** The passwd home directory of the user tshd runs as (`~` in paths). */
  readonly home: string;
  readonly lookupHome?: (user: string) => string | undefined;
  /** Every line sshd would print (error() and INFO lines), in order. */
  readonly log: (line: string) => void;
  /** Processes an Include line's (non-empty) patterns with the current state. */
  readonly include: (patterns: readonly string[], file: string, line: number, state: PassState) => void;
}

const MULTI_TABLES: Record<keyof typeof MULTI_FIELDS, ServerMultistate> = {
  addressfamily: MS_ADDRESS_FAMILY,
  permitrootlogin: MS_PERMIT_ROOT_LOGIN,
  ignorerhosts: MS_IGNORE_RHOSTS,
  compression: MS_COMPRESSION,
  gatewayports: MS_GATEWAY_PORTS,
  allowtcpforwarding: MS_TCP_FWD,
  allowstreamlocalforwarding: MS_TCP_FWD,
};

const TUNNEL_MODES = ['no', 'point-to-point', 'ethernet', 'yes'];
const GSS_KEX_NAMES = [
  'gss-gex-sha1-', 'gss-group1-sha1-', 'gss-group14-sha1-', 'gss-group14-sha256-', 'gss-group16-sha512-',
  'gss-nistp256-sha256-', 'gss-curve25519-sha256-',
];
const MAX_PORTS = 256;
const MAX_SUBSYSTEMS = 256;

/** The keyword as written on the line (lexLine lowercases it). */
function writtenKeyword(raw: string): string {
  const trimmed = raw.replace(/^[ \t\r]+/, '');
  const d = strdelim(trimmed);
  if (d === null) return '';
  if (d[0] === '' && d[1] !== null) return strdelim(d[1])?.[0] ?? '';
  return d[0];
}

/** The text after the keyword (str in servconf.c), or null. */
function afterKeyword(raw: string): string | null {
  let d = strdelim(raw.replace(/^[ \t\r]+/, '').replace(/[ \t\r\n\f]+$/, ''));
  if (d !== null && d[0] === '' && d[1] !== null) d = strdelim(d[1]);
  return d?.[1] ?? null;
}

/** derelativise_path(): "none" stays, `~` expands, a relative path is made absolute. */
export function derelativisePath(path: string, env: Pick<LineEnv, 'cwd' | 'home' | 'lookupHome'>): string {
  if (path.toLowerCase() === 'none') return 'none';
  const expanded = tildeExpand(path, env.home, env.lookupHome);
  if (expanded.startsWith('/')) return expanded;
  return `${env.cwd}/${expanded}`;
}

/**
 * Applies one line. `state` null means a command-line option (-o): always active, no Match or
 * Include. Returns false for a bad line (sshd counts it and stops at the end of the file).
 */
export function processServerLine(o: ServerOptions, raw: string, file: string, lineNo: number, state: PassState | null, env: LineEnv): boolean {
  const lexed = lexLine(raw);
  if (lexed.kind === 'empty') return true;
  const keyword = writtenKeyword(raw);
  const at = `${file} line ${lineNo}`;
  const fatal = (msg: string): never => {
    throw new ServerConfigFatal(`${at}: ${msg}`);
  };
  const error = (msg: string): false => {
    env.log(`${at}: ${msg}`);
    return false;
  };
  if (lexed.kind === 'noarg') return error(`no argument after keyword "${keyword}"`);
  const info = SERVER_KEYWORDS.get(lexed.keyword);
  if (!info) env.log(`${file}: line ${lineNo}: Bad configuration option: ${keyword}`);
  if (lexed.kind === 'badquotes') return error('invalid quotes');

  const cmdline = state === null;
  const st: PassState = state ?? { active: true, neverMatch: false, matchOnly: false };
  if (!st.active && !info?.match) {
    if (env.ci === null) fatal(`Directive '${keyword}' is not allowed within a Match block`);
    return true;
  }
  if (!info) return false;

  const args = [...lexed.args];
  const next = (): string | undefined => args.shift();
  const active = st.active;
  const op = info.op;
  const str = afterKeyword(raw) ?? '';

  const required = (msg: string): string => {
    const a = next();
    if (a === undefined || a === '') return fatal(msg);
    return a;
  };
  const missingArg = `${keyword} missing argument.`;

  if (info.tshd === 'refused') {
    const first = (args[0] ?? '').toLowerCase();
    if (op === 'rdomain') fatal('setting RDomain not supported on this platform.');
    if (!info.allowed?.includes(first)) {
      // Value checks first, so a malformed value reads as sshd's message.
      checkRefusedValue(op, args, keyword, str, fatal);
      fatal(`${keyword} ${args.join(' ')} is not supported by tshd`);
    }
  }

  switch (op) {
    case 'deprecated':
    case 'ignore':
    case 'unsupported':
      if (op !== 'ignore') env.log(`${at}: ${op === 'unsupported' ? 'Unsupported' : 'Deprecated'} option ${keyword}`);
      args.length = 0;
      break;

    case 'port': {
      if (o.portsFromCmdline) {
        args.length = 0;
        break;
      }
      if (o.ports.length >= MAX_PORTS) fatal('too many ports.');
      const p = a2port(required('missing port number.'));
      if (p <= 0) fatal('Badly formatted port number.');
      o.ports.push(p);
      break;
    }

    case 'listenaddress': {
      const arg = required('missing address');
      let host: string;
      let port = 0;
      const colon = arg.indexOf(':');
      if (!arg.includes('[') && colon >= 0 && arg.indexOf(':', colon + 1) >= 0) {
        host = arg;
      } else {
        const hp = hpdelim(arg);
        if (hp === null) return fatal('bad address:port usage');
        host = cleanHostname(hp[0]);
        if (hp[1] !== null && (port = a2port(hp[1])) <= 0) fatal('bad port number');
      }
      let rdomain: string | null = null;
      const kw = next();
      if (kw !== undefined) {
        const rd = next();
        if (kw !== 'rdomain' || rd === undefined) fatal('bad ListenAddress syntax');
        // Debian's sshd has no routing domain support (valid_rdomain() fails).
        fatal('bad routing domain');
      }
      o.listen.push({ host, port, rdomain });
      break;
    }

    case 'hostkey':
    case 'hostcertificate': {
      const arg = required('missing file name.');
      if (active) (op === 'hostkey' ? o.hostKeys : o.hostCertificates).push(derelativisePath(arg, env));
      break;
    }

    case 'hostkeyagent': {
      const arg = required('missing socket name.');
      if (active && o.hostKeyAgent === undefined) o.hostKeyAgent = arg === 'SSH_AUTH_SOCK' ? arg : derelativisePath(arg, env);
      break;
    }

    case 'securitykeyprovider': {
      const arg = required(missingArg);
      if (active && o.securityKeyProvider === undefined) {
        o.securityKeyProvider = arg.toLowerCase() === 'internal' ? arg : derelativisePath(arg, env);
      }
      break;
    }

    case 'authorizedprincipalsfile': {
      const arg = required(missingArg);
      if (active && o.authorizedPrincipalsFile === undefined) o.authorizedPrincipalsFile = tildeExpand(arg, env.home, env.lookupHome);
      break;
    }

    case 'pubkeyauthoptions': {
      const v = { touchRequired: false, verifyRequired: false };
      for (let arg = next(); arg !== undefined; arg = next()) {
        const a = arg.toLowerCase();
        if (a === 'none') continue;
        if (a === 'touch-required') v.touchRequired = true;
        else if (a === 'verify-required') v.verifyRequired = true;
        else return error(`unsupported ${keyword} option ${arg}`);
      }
      if (active && o.pubkeyAuthOptions === undefined) o.pubkeyAuthOptions = v;
      break;
    }

    case 'permituserenvironment': {
      const arg = required(`${keyword} missing argument.`);
      if (active && o.permitUserEnvironment === undefined) {
        o.permitUserEnvironment = arg !== 'no';
        if (arg !== 'yes' && arg !== 'no') o.permitUserEnvironmentAllowlist = arg;
      }
      break;
    }

    case 'rekeylimit': {
      const arg = required(missingArg);
      let v = 0n;
      if (arg !== 'default') {
        const r = scanScaled(arg);
        if ('error' in r) return fatal(`Bad ${keyword} number '${arg}': ${r.error}`);
        if (r.value !== 0n && r.value < 16n) fatal(`${keyword} too small`);
        v = r.value;
      }
      if (active && o.rekeyLimit === undefined) o.rekeyLimit = v;
      if (args.length > 0) {
        if (args[0] === 'none') {
          next();
          break;
        }
        const t = parseTime(required('missing time value.'), fatal);
        if (active && o.rekeyInterval === undefined) o.rekeyInterval = t;
      }
      break;
    }

    case 'syslogfacility': {
      const arg = next();
      const v = parseLogFacility(arg);
      if (v === null) fatal(`unsupported log facility '${arg ?? '<NONE>'}'`);
      o.syslogFacility ??= v!;
      break;
    }

    case 'loglevel': {
      const arg = next();
      const v = parseLogLevel(arg);
      if (v === null) fatal(`unsupported log level '${arg ?? '<NONE>'}'`);
      if (active && o.logLevel === undefined) o.logLevel = v!;
      break;
    }

    case 'logverbose': {
      const first = o.logVerbose.length === 0;
      let i = 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return error(`keyword ${keyword} empty argument`);
        if (arg.toLowerCase() === 'none' && (i > 0 || args.length > 0)) {
          return error(`keyword ${keyword} "none" argument must appear alone.`);
        }
        i++;
        if (first && active) o.logVerbose.push(arg);
      }
      break;
    }

    case 'allowusers':
    case 'denyusers':
    case 'allowgroups':
    case 'denygroups': {
      const list = o[APPEND_FIELDS[op]];
      const users = op.endsWith('users');
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (users && (arg === '' || userPatternInvalid(arg))) fatal(`invalid ${keyword} pattern: "${arg}"`);
        if (!users && arg === '') fatal(`empty ${keyword} pattern`);
        if (active) list.push(arg);
      }
      break;
    }

    case 'ciphers':
    case 'macs':
    case 'kexalgorithms': {
      const arg = required(missingArg);
      const body = arg.startsWith('+') || arg.startsWith('^') ? arg.slice(1) : arg;
      const [valid, what] =
        op === 'ciphers' ? [ciphersValid, 'cipher spec'] : op === 'macs' ? [macsValid, 'mac spec'] : [kexNamesValid, 'KexAlgorithms'];
      const bad = arg.startsWith('-') ? null : firstInvalidName(body, valid);
      if (bad !== null) {
        if (op === 'kexalgorithms' && bad !== '') env.log(`Unsupported KEX algorithm "${bad.slice(0, 100)}"`);
        fatal(`Bad SSH2 ${what} '${arg}'.`);
      }
      o[ALGO_FIELDS[op]] ??= arg;
      break;
    }

    case 'hostkeyalgorithms':
    case 'hostbasedacceptedalgorithms':
    case 'pubkeyacceptedalgorithms':
    case 'casignaturealgorithms': {
      const arg = required('Missing argument.');
      const body = arg.startsWith('+') || arg.startsWith('^') ? arg.slice(1) : arg;
      if (!arg.startsWith('-') && firstInvalidName(body, keyNamesValid) !== null) fatal(`Bad key types '${arg}'.`);
      if (active && o[ALGO_FIELDS[op]] === undefined) o[ALGO_FIELDS[op]] = arg;
      break;
    }

    case 'gssapikexalgorithms': {
      const arg = required('Missing argument.');
      // kex_gss_names_valid(): each name starts with a known GSS kex name; an empty item ends the list.
      const bad = firstInvalidName(arg, (n) => GSS_KEX_NAMES.some((g) => n.startsWith(g)));
      if (bad !== null) {
        env.log(`Unsupported KEX algorithm "${bad.slice(0, 100)}"`);
        fatal(`Bad GSSAPI KexAlgorithms '${arg}'.`);
      }
      if (active && o.gssapiKexAlgorithms === undefined) o.gssapiKexAlgorithms = arg;
      break;
    }

    case 'subsystem': {
      if (o.subsystems.length >= MAX_SUBSYSTEMS) fatal('too many subsystems defined.');
      const name = required(missingArg);
      if (!active) {
        next();
        break;
      }
      if (o.subsystems.some((s) => s.name === name)) fatal(`Subsystem '${name}' already defined.`);
      const command = required('Missing subsystem command.');
      const rest = args.splice(0);
      o.subsystems.push({ name, command, args: [command, ...rest].join(' ') });
      break;
    }

    case 'maxstartups': {
      const arg = required(missingArg);
      const ms = (o.maxStartups ??= {});
      const n = scanColonInts(arg, 3);
      if (n[0] !== undefined) ms.begin = n[0];
      if (n[1] !== undefined) ms.rate = n[1];
      if (n[2] !== undefined) ms.full = n[2];
      if (n.length === 3) {
        if (n[0]! > n[2]! || n[1]! > 100 || n[1]! < 1) fatal(`Invalid ${keyword} spec.`);
      } else if (n.length !== 1) fatal(`Invalid ${keyword} spec.`);
      else ms.full = ms.begin;
      break;
    }

    case 'persourcenetblocksize': {
      const arg = required(missingArg);
      const n = scanColonInts(arg, 2);
      const [v4, v6 = 0] = n;
      let ok = n.length === 1 || n.length === 2;
      if (n.length === 2 && (v6 < 0 || v6 > 128)) ok = false;
      if (v4 !== undefined && (v4 < 0 || v4 > 32)) ok = false;
      if (!ok) fatal(`Invalid ${keyword} spec.`);
      if (active) o.perSourceNetBlockSize = { ipv4: v4!, ipv6: v6 };
      break;
    }

    case 'persourcemaxstartups': {
      const arg = required(missingArg);
      let v = 0x7fffffff;
      if (arg !== 'none') {
        const [err, n] = atoiErr(arg);
        if (err) fatal(`${keyword} integer value ${err}.`);
        v = n;
      }
      if (active) o.perSourceMaxStartups = v;
      break;
    }

    case 'authorizedkeysfile': {
      const first = o.authorizedKeysFiles.length === 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return error(`keyword ${keyword} empty argument`);
        const expanded = tildeExpand(arg, env.home, env.lookupHome);
        if (active && first) o.authorizedKeysFiles.push(expanded);
      }
      break;
    }

    case 'acceptenv':
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '' || arg.includes('=')) fatal('Invalid environment name.');
        if (active) o.acceptEnv.push(arg);
      }
      break;

    case 'setenv': {
      const first = o.setEnv.length === 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '' || !arg.includes('=')) fatal('Invalid environment.');
        if (!active || !first) continue;
        const name = arg.slice(0, arg.indexOf('='));
        if (!o.setEnv.some((e) => e.slice(0, e.indexOf('=')) === name)) o.setEnv.push(arg);
      }
      break;
    }

    case 'permittunnel': {
      const arg = required(missingArg);
      if (!TUNNEL_MODES.includes(arg)) fatal(`bad ${keyword} argument ${arg}`);
      if (active && o.permitTunnel === undefined) o.permitTunnel = arg;
      break;
    }

    case 'include':
      if (cmdline) throw new ServerConfigFatal('Include directive not supported as a command-line option');
      for (const a of args) if (a === '') return error(`keyword ${keyword} empty argument`);
      if (args.length === 0) fatal(`${keyword} missing filename argument`);
      env.include(args.splice(0), file, lineNo, st);
      break;

    case 'match': {
      if (cmdline) throw new ServerConfigFatal('Match directive not supported as a command-line option');
      const errors: string[] = [];
      let outcome;
      try {
        outcome = matchServerCfgLine(str, lineNo, st.neverMatch ? null : env.ci, env.groups, { error: (l) => errors.push(l) });
      } catch (err) {
        errors.forEach(env.log);
        if (err instanceof MatchFatal) throw new ServerConfigFatal(err.message);
        throw err;
      }
      errors.forEach(env.log);
      if (outcome.result < 0) fatal('Bad Match condition');
      st.active = st.neverMatch ? false : outcome.result === 1;
      st.matchOnly = false;
      if (outcome.rest === null || outcome.rest === '') args.length = 0;
      break;
    }

    case 'permitopen':
    case 'permitlisten': {
      const list = o[FIRST_LIST_FIELDS[op]];
      const first = list.length === 0;
      const arg = required(missingArg);
      if (arg === 'any' || arg === 'none') {
        if (active && first) list.push(arg);
        break;
      }
      for (let a: string | undefined = arg; a !== undefined && a !== ''; a = next()) {
        let entry = a;
        let portPart: string | null;
        if (op === 'permitlisten' && !a.includes(':')) {
          // A bare port number means any listen host.
          entry = `*:${a}`;
          portPart = a;
        } else {
          const hp = hpdelim(a);
          if (hp === null) return fatal(`${keyword} missing host`);
          portPart = hp[1];
        }
        if (portPart === null || permitOpenPort(portPart) < 0) fatal(`${keyword} bad port number`);
        if (active && first) list.push(entry);
      }
      break;
    }

    case 'forcecommand':
      if (active && o.forceCommand === undefined) o.forceCommand = str;
      args.length = 0;
      break;

    case 'ipqos': {
      const arg = required(missingArg);
      const v1 = parseIpqos(arg);
      if (v1 === null) fatal(`Bad ${keyword} value: ${arg}`);
      const arg2 = next();
      const v2 = arg2 === undefined ? v1 : parseIpqos(arg2);
      if (v2 === null) fatal(`Bad ${keyword} value: ${arg2}`);
      if (active) o.ipQos = { interactive: v1!, bulk: v2! };
      break;
    }

    case 'versionaddendum': {
      if (str.includes('\r')) fatal(`Invalid ${keyword} argument`);
      // The rest of the line as written: sshd 9.2 keeps quotes and '#' here.
      const v = str;
      if (active && o.versionAddendum === undefined) o.versionAddendum = v.toLowerCase() === 'none' ? '' : v;
      args.length = 0;
      break;
    }

    case 'authorizedkeyscommand':
    case 'authorizedprincipalscommand': {
      if (!str.startsWith('/') && str.toLowerCase() !== 'none') fatal(`${keyword} must be an absolute path`);
      // sshd 9.2 tests AuthorizedKeysCommand for both keywords (so the principals command is
      // set, and reset, only while no AuthorizedKeysCommand is).
      if (active && o.authorizedKeysCommand === undefined) {
        if (op === 'authorizedkeyscommand') o.authorizedKeysCommand = str;
        else o.authorizedPrincipalsCommand = str;
      }
      args.length = 0;
      break;
    }

    case 'authenticationmethods': {
      const first = o.authenticationMethods.length === 0;
      let sawAny = false;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === 'any') {
          if (o.authenticationMethods.length > 0) fatal(`"any" must appear alone in ${keyword}`);
          sawAny = true;
        } else if (sawAny) {
          fatal(`"any" must appear alone in ${keyword}`);
        } else {
          const e = authMethodsError(arg);
          if (e) {
            env.log(e);
            fatal(`invalid ${keyword} method list.`);
          }
        }
        if (first && active) o.authenticationMethods.push(arg);
      }
      break;
    }

    case 'streamlocalbindmask': {
      const arg = required(missingArg);
      const v = strtolOctal(arg);
      if (v === null || v < 0 || v > 0o777) fatal(`Invalid ${keyword}.`);
      if (active) o.streamLocalBindMask = v!;
      break;
    }

    case 'fingerprinthash': {
      const arg = required(missingArg);
      const v = parseDigest(arg);
      if (v === null) fatal(`Invalid ${keyword} algorithm "${arg}".`);
      if (active) o.fingerprintHash = v!;
      break;
    }

    case 'channeltimeout': {
      const first = o.channelTimeouts.length === 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg.toLowerCase() === 'none') {
          // sshd 9.2 only refuses "none" when more arguments follow it.
          if (args.length > 0) return error(`keyword ${keyword} "none" argument must appear alone.`);
        } else if (!channelTimeoutValid(arg)) {
          fatal(`invalid channel timeout ${arg}`);
        }
        if (active && first) o.channelTimeouts.push(arg);
      }
      break;
    }

    case 'unusedconnectiontimeout':
      if (args[0]?.toLowerCase() === 'none') {
        next();
        if (active) o.unusedConnectionTimeout = 0;
        break;
      }
      setTime('unusedConnectionTimeout');
      break;

    case 'persourcepenalties':
      processPenalties(o.perSourcePenalties, args, keyword, active, fatal);
      args.length = 0;
      break;

    case 'persourcepenaltyexemptlist': {
      const arg = required(missingArg);
      if (addrMatchList(null, arg) !== 0) fatal(`keyword ${keyword} invalid address argument.`);
      if (active && o.perSourcePenaltyExemptList === undefined) o.perSourcePenaltyExemptList = arg;
      break;
    }

    default:
      if (op in FLAG_FIELDS || op in MULTI_FIELDS) {
        const arg = required('missing argument.');
        const table = op in MULTI_FIELDS ? MULTI_TABLES[op as keyof typeof MULTI_FIELDS] : MS_YESNO;
        const v = table.find(([k]) => k === arg.toLowerCase())?.[1];
        if (v === undefined) return fatal(`unsupported option "${arg}".`);
        if (op in FLAG_FIELDS) {
          const f = FLAG_FIELDS[op as keyof typeof FLAG_FIELDS];
          if (active && o[f] === undefined) o[f] = v === 'yes';
        } else {
          const f = MULTI_FIELDS[op as keyof typeof MULTI_FIELDS];
          if (active && o[f] === undefined) o[f] = v;
        }
      } else if (op in INT_FIELDS) {
        const [err, v] = atoiErr(next());
        if (err) fatal(`${keyword} integer value ${err}.`);
        const f = INT_FIELDS[op as keyof typeof INT_FIELDS];
        if (active && o[f] === undefined) o[f] = v;
      } else if (op in TIME_FIELDS) {
        setTime(TIME_FIELDS[op as keyof typeof TIME_FIELDS]);
      } else if (op in PATH_FIELDS) {
        const arg = required('missing file name.');
        const f = PATH_FIELDS[op as keyof typeof PATH_FIELDS];
        if (active && o[f] === undefined) o[f] = derelativisePath(arg, env);
      } else if (op in STRING_FIELDS) {
        const f = STRING_FIELDS[op as keyof typeof STRING_FIELDS];
        const arg = required(op.endsWith('commanduser') ? `missing ${keyword} argument.` : missingArg);
        if (active && o[f] === undefined) o[f] = arg;
      } else {
        fatal(`Missing handler for opcode ${keyword}`);
      }
  }
  if (args.length > 0) return error(`keyword ${keyword} extra arguments at end of line`);
  return true;

  function setTime(f: 'loginGraceTime' | 'clientAliveInterval' | 'unusedConnectionTimeout'): void {
    const v = parseTime(required('missing time value.'), fatal);
    if (active && o[f] === undefined) o[f] = v;
  }
}

function parseTime(arg: string, fatal: (msg: string) => never): number {
  const v = convtime(arg);
  if (v === -1) fatal('invalid time value.');
  return v;
}

/** Refused keywords: sshd's own value checks, so a bad value gets sshd's message. */
function checkRefusedValue(op: string, args: readonly string[], keyword: string, str: string, fatal: (msg: string) => never): void {
  if ((op === 'authorizedkeyscommand' || op === 'authorizedprincipalscommand') && !str.startsWith('/') && str.toLowerCase() !== 'none') {
    fatal(`${keyword} must be an absolute path`);
  }
  if (op === 'kerberosauthentication' && !MS_YESNO.some(([k]) => k === args[0]?.toLowerCase())) {
    fatal(`unsupported option "${args[0]}".`);
  }
}

/** PerSourcePenalties (OpenSSH 9.8's parser). */
function processPenalties(p: PenaltyOptions, args: readonly string[], keyword: string, active: boolean, fatal: (msg: string) => never): void {
  const timeKeys: Record<string, keyof PenaltyOptions> = {
    'crash:': 'crash', 'authfail:': 'authfail', 'noauth:': 'noauth', 'grace-exceeded:': 'grace', 'max:': 'max', 'min:': 'min',
  };
  args.forEach((arg, i) => {
    const lower = arg.toLowerCase();
    if (lower === 'no' || lower === 'yes') {
      if (i < args.length - 1) fatal(`keyword ${keyword} "${arg}" argument must appear alone.`);
      if (active && p.enabled === undefined) p.enabled = lower === 'yes';
      return;
    }
    let field: keyof PenaltyOptions;
    let value: number | string;
    const timeKey = Object.keys(timeKeys).find((k) => arg.startsWith(k));
    if (timeKey !== undefined) {
      field = timeKeys[timeKey]!;
      value = convtime(arg.slice(timeKey.length));
      if (value === -1) fatal(`invalid ${keyword} time value.`);
    } else if (arg.startsWith('max-sources4:') || arg.startsWith('max-sources6:')) {
      field = arg[11] === '4' ? 'maxSources4' : 'maxSources6';
      const [err, n] = atoiErr(arg.slice(13));
      if (err) fatal(`${keyword} value ${err}.`);
      value = n;
    } else {
      const m = /^(overflow6?):(deny-all|permissive)$/.exec(arg);
      if (!m) return fatal(`unsupported ${keyword} keyword ${arg}`);
      field = m[1] === 'overflow' ? 'overflow' : 'overflow6';
      value = m[2]!;
    }
    if (active && p[field] === undefined) {
      (p as Record<string, unknown>)[field] = value;
      // Any setting implicitly enables penalties.
      p.enabled = true;
    }
  });
}
