/**
 * One configuration line applied to the option state (readconf.c process_config_line_depth).
 * Returns the error lines OpenSSH would print for a bad line (the caller counts them);
 * OpenSSH's fatal() cases throw a TshError.
 */
import { TshError } from '../errors.js';
import { matchPattern, matchPatternList } from '../pattern.js';
import { ciphersValid, kexNamesValid, keyNamesValid, macsValid } from './algorithms.js';
import { forwardEquals, parseForward } from './forward.js';
import {
  COMMAND_KEYWORDS, INT_KEYWORDS, KEYWORDS, MS_YESNOASKCONFIRM, MULTISTATE_KEYWORDS, STRING_KEYWORDS, TIME_KEYWORDS,
  type Multistate,
} from './keywords.js';
import type { LexedLine } from './lexer.js';
import { matchCfgLine, type MatchContext } from './match.js';
import type { Options } from './options.js';
import { a2port, convtime, dollarExpand } from './tokens.js';

export interface LineContext extends MatchContext {
  /** The name Host patterns are matched against. */
  host: string;
  /** The file is a user configuration (relative Includes go to ~/.ssh, `~` allowed). */
  userConf: boolean;
  /** Inside an Include reached from an inactive section: parse only. */
  neverMatch: boolean;
  /** Processing a -o option (no Host/Match/Include). */
  cmdline: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads an included file (after globbing); returns false if it could not be read. */
  include: (pattern: string, active: boolean) => void;
  warn: (msg: string) => void;
}

const LOG_LEVELS = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'];
const LOG_FACILITIES = [
  'DAEMON', 'USER', 'AUTH', 'AUTHPRIV', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7',
];
const DIGESTS = ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512'];
const IPQOS = new Map<string, number>([
  ['af11', 0x28], ['af12', 0x30], ['af13', 0x38], ['af21', 0x48], ['af22', 0x50], ['af23', 0x58],
  ['af31', 0x68], ['af32', 0x70], ['af33', 0x78], ['af41', 0x88], ['af42', 0x90], ['af43', 0x98],
  ['cs0', 0x00], ['cs1', 0x20], ['cs2', 0x40], ['cs3', 0x60], ['cs4', 0x80], ['cs5', 0xa0], ['cs6', 0xc0],
  ['cs7', 0xe0], ['ef', 0xb8], ['le', 0x04], ['lowdelay', 0x10], ['throughput', 0x08], ['reliability', 0x04],
  ['none', 0x7fffffff],
]);

/** parse_ipqos(): a name or a number; returns the printed form (iptos2str), or null. */
function parseIpqos(s: string | undefined): string | null {
  if (s === undefined) return null;
  let n = IPQOS.get(s.toLowerCase());
  if (n === undefined) {
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(s)) return null;
    n = /^0[0-7]+$/.test(s) ? parseInt(s, 8) : Number(s);
    if (n < 0 || n > 255) return null;
  }
  for (const [k, v] of IPQOS) if (v === n) return k;
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** strtonum(s, 0, INT_MAX) error string, as atoi_err() reports it. */
function atoiErr(s: string | undefined): [string | null, number] {
  if (s === undefined || s === '') return ['missing', 0];
  if (!/^[ \t]*[+-]?[0-9]+$/.test(s)) return ['invalid', 0];
  const n = Number(s.trim());
  if (n < 0) return ['too small', 0];
  if (n > 0x7fffffff) return ['too large', 0];
  return [null, n];
}

/** scan_scaled(): "1G" → 1073741824. */
function scanScaled(s: string): number | null {
  const m = /^([0-9]+)([KMGTPE]?)$/i.exec(s);
  if (!m) return null;
  const pow = 'KMGTPE'.indexOf(m[2]!.toUpperCase()) + 1;
  return Number(m[1]) * 1024 ** pow;
}

function msValue(arg: string | undefined, table: Multistate): number {
  if (arg === undefined) return -1;
  const a = arg.toLowerCase();
  for (const [k, v] of table) if (k === a) return v;
  return -1;
}

function validEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Keyword lookup (parse_token): the opcode, "ignored" for IgnoreUnknown matches, or null. */
export function lookupKeyword(keyword: string, ignoredUnknown: string | undefined): string | null {
  const op = KEYWORDS.get(keyword);
  if (op !== undefined) return op;
  if (ignoredUnknown !== undefined && matchPatternList(keyword, ignoredUnknown, true) === 1) return 'ignored';
  return null;
}

export interface ActiveState {
  active: boolean;
}

/** Applies one lexed line. `file`/`line` are for messages; returns error lines (empty if fine). */
export function processLine(o: Options, lexed: LexedLine, file: string, line: number, state: ActiveState, ctx: LineContext): string[] {
  if (lexed.kind === 'empty') return [];
  const keyword = lexed.keyword;
  if (lexed.kind === 'noarg') return [`${file} line ${line}: no argument after keyword "${keyword}"`];
  const opcode = lookupKeyword(keyword, o.strs.get('ignoreunknown'));
  const errs: string[] = [];
  if (opcode === null) errs.push(`${file}: line ${line}: Bad configuration option: ${keyword}`);
  if (lexed.kind === 'badquotes') return [...errs, `${file} line ${line}: invalid quotes`];
  if (opcode === null) return errs;

  const args = [...lexed.args];
  const next = (): string | undefined => args.shift();
  const bad = (msg: string): string[] => [`${file} line ${line}: ${msg}`];
  const active = state.active;

  const setInt = (op: string, v: number): void => {
    if (active && !o.ints.has(op)) o.ints.set(op, v);
  };
  const setStr = (op: string, v: string): void => {
    if (active && !o.strs.has(op)) o.strs.set(op, v);
  };

  switch (opcode) {
    case 'ignore':
    case 'deprecated':
    case 'ignored':
      args.length = 0;
      break;
    case 'unsupported':
      ctx.warn(`${file} line ${line}: Unsupported option "${keyword}"`);
      args.length = 0;
      break;
    case 'forwardagent': {
      const arg = next();
      const v = msValue(arg, MULTISTATE_KEYWORDS.get('forwardx11')!);
      if (v !== -1) {
        setInt(opcode, v);
        break;
      }
      // Not yes/no: a socket path (possibly an environment variable).
      const wasUnset = !o.ints.has(opcode);
      setInt(opcode, 1);
      const err = checkAgentPath(arg!);
      if (err) return bad(err);
      if (active && wasUnset && o.forwardAgentSockPath === undefined) o.forwardAgentSockPath = arg!;
      break;
    }
    case 'identityagent': {
      const arg = next()!;
      const err = checkAgentPath(arg);
      if (err) return bad(err);
      setStr(opcode, arg);
      break;
    }
    case 'identityfile':
    case 'certificatefile': {
      const arg = next()!;
      if (active) {
        const list = opcode === 'identityfile' ? o.identityFiles : o.certificateFiles;
        const max = 100;
        if (list.length >= max) {
          const what = opcode === 'identityfile' ? 'identity' : 'certificate';
          return bad(`Too many ${what} files specified (max ${max}).`);
        }
        if (!list.some((e) => e.userProvided === ctx.userConf && e.path === arg)) {
          list.push({ path: arg, userProvided: ctx.userConf });
        }
      }
      break;
    }
    case 'globalknownhostsfile':
    case 'userknownhostsfile': {
      const list = opcode === 'globalknownhostsfile' ? o.systemHostfiles : o.userHostfiles;
      const wasEmpty = list.length === 0;
      let i = 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return bad(`keyword ${keyword} empty argument`);
        if (arg.toLowerCase() === 'none' && (i > 0 || args.length > 0)) {
          return bad(`keyword ${keyword} "none" argument must appear alone.`);
        }
        i++;
        if (active && wasEmpty) {
          if (list.length >= 16) return bad(`too many ${keyword} entries.`);
          list.push(arg);
        }
      }
      break;
    }
    case 'proxycommand':
      // ProxyJump already set: ProxyCommand is ignored.
      if (o.jumpHost === undefined) setStr(opcode, lexed.rest);
      args.length = 0;
      break;
    case 'proxyjump': {
      if (!parseJump(lexed.rest, o, active)) return bad(`Invalid ProxyJump "${lexed.rest}"`);
      args.length = 0;
      break;
    }
    case 'port': {
      const arg = next()!;
      const v = a2port(arg);
      if (v <= 0) return bad(`Bad port '${arg}'.`);
      setInt(opcode, v);
      break;
    }
    case 'ciphers':
    case 'macs':
    case 'kexalgorithms':
    case 'hostkeyalgorithms':
    case 'casignaturealgorithms':
    case 'hostbasedacceptedalgorithms':
    case 'pubkeyacceptedalgorithms': {
      const arg = next()!;
      const body = arg.startsWith('+') || arg.startsWith('^') ? arg.slice(1) : arg;
      if (!arg.startsWith('-')) {
        if (opcode === 'ciphers' && !ciphersValid(body)) return bad(`Bad SSH2 cipher spec '${arg}'.`);
        if (opcode === 'macs' && !macsValid(body)) return bad(`Bad SSH2 MAC spec '${arg}'.`);
        if (opcode === 'kexalgorithms' && !kexNamesValid(body)) return bad(`Bad SSH2 KexAlgorithms '${arg}'.`);
        if (!['ciphers', 'macs', 'kexalgorithms'].includes(opcode) && !keyNamesValid(body)) {
          return bad(`Bad key types '${arg}'.`);
        }
      }
      setStr(opcode, arg);
      break;
    }
    case 'loglevel': {
      const arg = next()!;
      // OpenSSH accepts SILENT as another name for QUIET (and dumps QUIET as SILENT).
      const upper = arg.toUpperCase() === 'SILENT' ? 'QUIET' : arg.toUpperCase();
      const v = LOG_LEVELS.find((l) => l === upper);
      if (!v) return bad(`unsupported log level '${arg}'`);
      if (active && o.logLevel === undefined) o.logLevel = v === 'DEBUG1' ? 'DEBUG' : v;
      break;
    }
    case 'syslogfacility': {
      const arg = next()!;
      const v = LOG_FACILITIES.find((l) => l === arg.toUpperCase());
      if (!v) return bad(`unsupported log facility '${arg}'`);
      // OpenSSH sets the facility even in inactive sections (no activep check).
      if (o.logFacility === undefined) o.logFacility = v;
      break;
    }
    case 'logverbose':
    case 'canonicaldomains': {
      const list = opcode === 'logverbose' ? o.logVerbose : o.canonicalDomains;
      const wasEmpty = list.length === 0;
      let i = 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return bad(`keyword ${keyword} empty argument`);
        if (arg.toLowerCase() === 'none' && (i > 0 || args.length > 0)) {
          return bad(`keyword ${keyword} "none" argument must appear alone.`);
        }
        i++;
        if (opcode === 'canonicaldomains' && !/^[A-Za-z0-9.-]+$/.test(arg)) {
          return bad(`domain name "${arg}" contains invalid characters`);
        }
        if (active && wasEmpty) list.push(arg);
      }
      break;
    }
    case 'localforward':
    case 'remoteforward':
    case 'dynamicforward': {
      const arg = next()!;
      const remote = opcode === 'remoteforward';
      let dynamic = opcode === 'dynamicforward';
      let spec = arg;
      if (!dynamic) {
        const arg2 = next();
        if (arg2 === undefined || arg2 === '') {
          if (remote) dynamic = true;
          else return bad('Missing target argument.');
        } else {
          spec = `${arg}:${arg2}`;
        }
      }
      const fwd = parseForward(spec, dynamic, remote, ctx.env);
      if (!fwd) return bad('Bad forwarding specification.');
      if (active) {
        const list = remote ? o.remoteForwards : o.localForwards;
        if (!list.some((f) => forwardEquals(f, fwd))) list.push(fwd);
      }
      break;
    }
    case 'permitremoteopen': {
      const arg = next()!;
      const wasEmpty = o.permittedRemoteOpens.length === 0;
      if (arg === 'any' || arg === 'none') {
        if (active && wasEmpty) o.permittedRemoteOpens.push(arg);
        break;
      }
      for (let a: string | undefined = arg; a !== undefined; a = next()) {
        const m = /^(\[[^\]]*\]|[^:]*):(.*)$/.exec(a);
        if (!m || m[1] === '') throw new TshError(`${file} line ${line}: missing host in permitremoteopen`);
        if (m[2] !== '*' && a2port(m[2]!) <= 0) throw new TshError(`${file} line ${line}: bad port number in permitremoteopen`);
        if (active && wasEmpty) o.permittedRemoteOpens.push(a);
      }
      break;
    }
    case 'host': {
      if (ctx.cmdline) return ['Host directive not supported as a command-line option'];
      state.active = false;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return bad(`keyword ${keyword} empty argument`);
        if (ctx.neverMatch) {
          args.length = 0;
          break;
        }
        const negated = arg.startsWith('!');
        const pat = negated ? arg.slice(1) : arg;
        if (matchPattern(ctx.host, pat)) {
          if (negated) {
            state.active = false;
            args.length = 0;
            break;
          }
          state.active = true;
        }
      }
      break;
    }
    case 'match': {
      if (ctx.cmdline) return ['Host directive not supported as a command-line option'];
      const r = matchCfgLine(o, args, ctx, file, line);
      if (r.result < 0) return [...r.errors, `${file} line ${line}: Bad Match condition`];
      state.active = ctx.neverMatch ? false : r.result === 1;
      args.length = 0;
      break;
    }
    case 'escapechar': {
      const arg = next()!;
      let v: number;
      if (arg === 'none') v = -2;
      else if (arg.length === 1) v = arg.charCodeAt(0);
      else if (arg.length === 2 && arg[0] === '^' && arg.charCodeAt(1) >= 64 && arg.charCodeAt(1) < 128) {
        v = arg.charCodeAt(1) & 31;
      } else return bad('Bad escape character.');
      if (active && o.escapeChar === undefined) o.escapeChar = v;
      break;
    }
    case 'sendenv': {
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '' || arg.includes('=')) return [`${file} line ${line}: Invalid environment name.`];
        if (!active) continue;
        if (arg.startsWith('-')) {
          const pat = arg.slice(1);
          o.sendEnv = o.sendEnv.filter((e) => !matchPattern(e, pat));
        } else {
          o.sendEnv.push(arg);
        }
      }
      break;
    }
    case 'setenv': {
      const wasEmpty = o.setEnv.length === 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (!arg.includes('=')) return [`${file} line ${line}: Invalid SetEnv.`];
        if (active && wasEmpty) o.setEnv.push(arg);
      }
      break;
    }
    case 'controlpersist': {
      const arg = next()!;
      let v = 0;
      let t = 0;
      if (arg === 'no' || arg === 'false') v = 0;
      else if (arg === 'yes' || arg === 'true') v = 1;
      else if ((t = convtime(arg)) >= 0) v = 1;
      else return bad('Bad ControlPersist argument.');
      if (active && o.controlPersist === undefined) {
        o.controlPersist = v;
        o.controlPersistTimeout = t;
      }
      break;
    }
    case 'tunneldevice': {
      const arg = next()!;
      const tun = a2tun(arg);
      if (!tun) return bad('Bad tun device.');
      if (active && o.tunLocal === undefined) {
        o.tunLocal = tun[0];
        o.tunRemote = tun[1];
      }
      break;
    }
    case 'include': {
      if (ctx.cmdline) return ['Include directive not supported as a command-line option'];
      for (let arg = next(); arg !== undefined; arg = next()) {
        if (arg === '') return bad(`keyword ${keyword} empty argument`);
        if (arg.startsWith('~') && !ctx.userConf) return bad(`bad include path ${arg}.`);
        let path = arg;
        if (!arg.startsWith('/') && !arg.startsWith('~')) path = `${ctx.userConf ? '~/.ssh' : '/etc/ssh'}/${arg}`;
        ctx.include(path, state.active);
      }
      break;
    }
    case 'ipqos': {
      const a = next();
      const v1 = parseIpqos(a);
      if (v1 === null) return [`${file} line ${line}: Bad IPQoS value: ${a}`];
      const b = next();
      const v2 = b === undefined ? v1 : parseIpqos(b);
      if (v2 === null) return [`${file} line ${line}: Bad IPQoS value: ${b}`];
      if (active && o.ipQosInteractive === undefined) {
        o.ipQosInteractive = v1;
        o.ipQosBulk = v2;
      }
      break;
    }
    case 'rekeylimit': {
      const arg = next()!;
      let v = 0;
      if (arg !== 'default') {
        const n = scanScaled(arg);
        if (n === null) return bad(`Bad number '${arg}': Invalid argument`);
        if (n !== 0 && n < 16) return bad('RekeyLimit too small');
        v = n;
      }
      if (active && o.rekeyLimit === undefined) o.rekeyLimit = v;
      if (args.length > 0) {
        const t = next()!;
        if (t === 'none') break;
        const sec = convtime(t);
        if (sec === -1) return [`${file} line ${line}: invalid time value.`];
        if (active && o.rekeyInterval === undefined) o.rekeyInterval = sec;
      }
      break;
    }
    case 'canonicalizepermittedcnames': {
      const wasEmpty = o.permittedCnames.length === 0;
      let i = 0;
      for (let arg = next(); arg !== undefined; arg = next()) {
        let source = arg;
        let target: string;
        if (arg.toLowerCase() === 'none') {
          if (i > 0 || args.length > 0) return bad(`keyword ${keyword} "none" argument must appear alone.`);
          target = '';
        } else if (arg === '*') {
          target = arg;
        } else {
          const lower = arg.toLowerCase();
          const c = lower.indexOf(':');
          if (c < 0 || c === lower.length - 1) return bad(`Invalid permitted CNAME "${lower}"`);
          source = lower.slice(0, c);
          target = lower.slice(c + 1);
        }
        i++;
        if (active && wasEmpty) o.permittedCnames.push({ source, target });
      }
      break;
    }
    case 'streamlocalbindmask': {
      const arg = next()!;
      const m = /^[0-7]+/.exec(arg);
      const v = m ? parseInt(m[0], 8) : NaN;
      if (!m || v > 0o777) return bad('Bad mask.');
      // OpenSSH assigns unconditionally here (no first-wins, no activep check).
      o.streamLocalBindMask = v;
      break;
    }
    case 'fingerprinthash': {
      const arg = next()!;
      const v = DIGESTS.find((d) => d === arg.toUpperCase());
      if (!v) return bad(`Invalid hash algorithm "${arg}".`);
      if (active && o.fingerprintHash === undefined) o.fingerprintHash = v;
      break;
    }
    case 'addkeystoagent': {
      const arg = next();
      const arg2 = next();
      let v = msValue(arg, MS_YESNOASKCONFIRM);
      let life = 0;
      if (v === 3 && arg2 !== undefined) {
        life = convtime(arg2);
        if (life === -1) return [`${file} line ${line}: invalid time value.`];
      } else if (v === -1 && arg2 === undefined) {
        life = convtime(arg ?? '');
        if (life === -1) return [`${file} line ${line}: unsupported option`];
        v = 1;
      } else if (v === -1 || arg2 !== undefined) {
        return [`${file} line ${line}: unsupported option`];
      }
      if (active && o.addKeysToAgent === undefined) {
        o.addKeysToAgent = v;
        o.addKeysToAgentLifespan = life;
      }
      break;
    }
    default: {
      if (MULTISTATE_KEYWORDS.has(opcode)) {
        const arg = next();
        const v = msValue(arg, MULTISTATE_KEYWORDS.get(opcode)!);
        if (v === -1) return [`${file} line ${line}: unsupported option "${arg}".`];
        setInt(opcode, v);
      } else if (INT_KEYWORDS.has(opcode)) {
        const [err, v] = atoiErr(next());
        if (err) return [`${file} line ${line}: integer value ${err}.`];
        setInt(opcode, v);
      } else if (TIME_KEYWORDS.has(opcode)) {
        const arg = next()!;
        let v: number;
        if (arg === 'none') v = -1;
        else if ((v = convtime(arg)) === -1) return [`${file} line ${line}: invalid time value.`];
        setInt(opcode, v);
      } else if (STRING_KEYWORDS.has(opcode)) {
        setStr(opcode, next()!);
      } else if (COMMAND_KEYWORDS.has(opcode)) {
        setStr(opcode, lexed.rest);
        args.length = 0;
      } else {
        return [`${file} line ${line}: Unimplemented opcode ${opcode}`];
      }
    }
  }
  if (args.length > 0) return [`${file} line ${line}: keyword ${keyword} extra arguments at end of line`];
  return [];

  function checkAgentPath(arg: string): string | null {
    try {
      dollarExpand(arg, ctx.env);
    } catch {
      return `Invalid environment expansion ${arg}.`;
    }
    if (arg.startsWith('$') && arg[1] !== '{' && !validEnvName(arg.slice(1))) return `Invalid environment name ${arg}.`;
    return null;
  }
}

/** a2tun(): "any", "N", "N:M", "any:any" → [local, remote]; 0x7fffffff means any. */
function a2tun(s: string): [number, number] | null {
  const ANY = 0x7fffffff;
  const one = (p: string): number | null => {
    if (p === 'any') return ANY;
    if (!/^[0-9]+$/.test(p)) return null;
    const n = Number(p);
    return n > 0x7ffffffe ? null : n;
  };
  const c = s.indexOf(':');
  if (c < 0) {
    const v = one(s);
    return v === null ? null : [v, ANY];
  }
  const a = one(s.slice(0, c));
  const b = one(s.slice(c + 1));
  return a === null || b === null ? null : [a, b];
}

/** parse_ssh_uri / parse_user_host_port for one ProxyJump hop: [user, host, port] or null. */
function parseHop(hop: string): [string | null, string, number] | null {
  let s = hop;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice(6);
    if (s.endsWith('/')) s = s.slice(0, -1);
    if (s.includes('/')) return null;
  }
  let user: string | null = null;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let host: string;
  let port = -1;
  const m = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
  if (m) {
    host = m[1]!;
    if (m[2] !== undefined) port = a2port(m[2]);
  } else {
    const c = s.indexOf(':');
    if (c >= 0) {
      if (s.indexOf(':', c + 1) >= 0) return null;
      host = s.slice(0, c);
      port = a2port(s.slice(c + 1));
    } else host = s;
    if (c >= 0 && port <= 0) return null;
  }
  if (host === '' || (m && m[2] !== undefined && port <= 0)) return null;
  return [user, host, port];
}

/** parse_jump(): only the first ProxyJump/ProxyCommand wins; later hops are only checked. */
function parseJump(spec: string, o: Options, activeIn: boolean): boolean {
  const active = activeIn && !o.strs.has('proxycommand') && o.jumpHost === undefined;
  let s = spec;
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  s = s.replace(/[ \t\r\n]+$/, '');
  if (spec.toLowerCase() === 'none') {
    if (active) {
      o.jumpHost = 'none';
      o.jumpPort = 0;
      o.jumpUser = null;
      o.jumpExtra = null;
    }
    return true;
  }
  const hops = s.split(',');
  let first: [string | null, string, number] | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = parseHop(hops[i]!);
    if (!h) return false;
    if (i === hops.length - 1) first = h;
  }
  if (active && first) {
    o.jumpUser = first[0];
    o.jumpHost = first[1];
    o.jumpPort = first[2];
    o.strs.set('proxycommand', 'none');
    const lastComma = spec.lastIndexOf(',');
    o.jumpExtra = lastComma > 0 ? spec.slice(0, lastComma) : null;
  }
  return true;
}
