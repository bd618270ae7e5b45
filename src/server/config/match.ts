/**
 * sshd_config `Match` criteria (servconf.c match_cfg_line) and the connection specification
 * they are evaluated against (`sshd -C user=u,host=h,addr=a,laddr=l,lport=p,rdomain=r`).
 */
import { strdelim } from '../../config/lexer.js';
import { a2port } from '../../config/tokens.js';
import { addrMatchList, matchHostname, matchPatternList } from '../../pattern.js';

/** Who is connecting: what `Match` criteria test. Absent fields never match (sshd -T semantics). */
export interface ConnectionSpec {
  readonly user?: string | null;
  /** The client's host name (its address unless UseDNS resolved a name). */
  readonly host?: string | null;
  /** The client's address. */
  readonly addr?: string | null;
  /** The local address the connection arrived on. */
  readonly laddr?: string | null;
  /** The local port; `Match LocalPort` with no lport is a fatal error, as in sshd. */
  readonly lport?: number | null;
  readonly rdomain?: string | null;
}

/**
 * The names of the groups `user` belongs to (primary and supplementary), or null if there is no
 * such user. The CLI asks the system (`id -Gn`); tests pass a table.
 */
export type GroupLookup = (user: string) => readonly string[] | null;

/** sshd's fatal(): thrown through the whole parse. */
export class MatchFatal extends Error {}

export interface MatchDiagnostics {
  /** error(): a line on stderr; the caller reports "Bad Match condition". */
  error(line: string): void;
}

export interface MatchOutcome {
  /** 1: the block applies, 0: it does not, -1: bad condition. */
  readonly result: 1 | 0 | -1;
  /** What is left on the line after the criteria (non-empty means extra arguments). */
  readonly rest: string | null;
}

/** strdelim() as match_cfg_line uses it: the next word and the rest (null when exhausted). */
function nextWord(cp: string | null): [string | null, string | null] {
  if (cp === null) return [null, null];
  const d = strdelim(cp);
  if (d === null) return [null, null];
  return d;
}

/**
 * match_cfg_line(): evaluates the criteria after `Match` (`condition` is the rest of the line).
 * `ci` null means "syntax only" (the first pass over the file, or an Include reached from an
 * inactive block). `line` is used in the messages sshd prints without a file name.
 */
export function matchServerCfgLine(
  condition: string | null,
  line: number,
  ci: ConnectionSpec | null,
  groups: GroupLookup,
  diag: MatchDiagnostics,
): MatchOutcome {
  let result: 1 | 0 = 1;
  let attributes = 0;
  let cp: string | null = condition;
  for (;;) {
    const [attrib, afterAttrib] = nextWord(cp);
    cp = afterAttrib;
    if (attrib === null || attrib === '') break;
    if (attrib.startsWith('#')) {
      cp = null;
      break;
    }
    attributes++;
    const lower = attrib.toLowerCase();
    if (lower === 'all') {
      const [arg, afterArg] = nextWord(cp);
      if (attributes > 1 || (arg !== null && arg !== '' && !arg.startsWith('#'))) {
        diag.error("'all' cannot be combined with other Match attributes");
        return { result: -1, rest: cp };
      }
      return { result: 1, rest: arg !== null && arg.startsWith('#') ? null : afterArg };
    }
    const [arg, afterArg] = nextWord(cp);
    cp = afterArg;
    if (arg === null || arg === '' || arg.startsWith('#')) {
      diag.error(`Missing Match criteria for ${attrib}`);
      return { result: -1, rest: cp };
    }
    const missing = (name: string, field: string): never => {
      throw new MatchFatal(`'Match ${name}' in configuration but '${field}' not in connection test specification.`);
    };
    switch (lower) {
      case 'user':
        if (ci?.user == null) result = 0;
        else if (matchPatternList(ci.user, arg, false) !== 1) result = 0;
        break;
      case 'group': {
        if (ci?.user == null) {
          result = 0;
          break;
        }
        const gs = groups(ci.user);
        // ga_match_pattern_list(): a negated match on any group wins.
        const hits = (gs ?? []).map((g) => matchPatternList(g, arg, false));
        if (hits.includes(-1) || !hits.includes(1)) result = 0;
        break;
      }
      case 'host':
        if (ci?.host == null) result = 0;
        else if (matchHostname(ci.host, arg) !== 1) result = 0;
        break;
      case 'address':
      case 'localaddress': {
        const addr = lower === 'address' ? ci?.addr : ci?.laddr;
        if (addr == null) {
          if (addrMatchList(null, arg) !== 0) {
            throw new MatchFatal(`Invalid Match ${lower === 'address' ? 'address' : 'localaddress'} argument '${arg}' at line ${line}`);
          }
          result = 0;
          break;
        }
        const r = addrMatchList(addr, arg);
        if (r === -2) return { result: -1, rest: cp };
        if (r !== 1) result = 0;
        break;
      }
      case 'localport': {
        const port = a2port(arg);
        if (port === -1) {
          diag.error(`Invalid LocalPort '${arg}' on Match line`);
          return { result: -1, rest: cp };
        }
        if (ci === null) {
          result = 0;
          break;
        }
        if (ci.lport === undefined || ci.lport === null || ci.lport === 0) missing('LocalPort', 'lport');
        if (port !== ci.lport) result = 0;
        break;
      }
      case 'rdomain':
        if (ci?.rdomain == null) result = 0;
        else if (matchPatternList(ci.rdomain, arg, false) !== 1) result = 0;
        break;
      default:
        diag.error(`Unsupported Match attribute ${attrib}`);
        return { result: -1, rest: cp };
    }
  }
  if (attributes === 0) {
    diag.error('One or more attributes required for Match');
    return { result: -1, rest: cp };
  }
  return { result, rest: cp };
}

/**
 * parse_server_match_testspec(): "user=u,host=h,addr=a,laddr=l,lport=p,rdomain=r" added to
 * `into`. An empty item ends the list, as strsep() makes it. Returns the error line or null.
 */
export function parseConnectionSpec(spec: string, into: { -readonly [K in keyof ConnectionSpec]: ConnectionSpec[K] }): string | null {
  for (const p of spec.split(',')) {
    if (p === '') break;
    const eq = p.indexOf('=');
    const key = eq < 0 ? '' : p.slice(0, eq);
    const val = p.slice(eq + 1);
    if (key === 'addr') into.addr = val;
    else if (key === 'host') into.host = val;
    else if (key === 'user') into.user = val;
    else if (key === 'laddr') into.laddr = val;
    else if (key === 'rdomain') into.rdomain = val;
    else if (key === 'lport') {
      const port = a2port(val);
      if (port === -1) return `Invalid port '${val}' in test mode specification ${p}`;
      into.lport = port;
    } else return `Invalid test mode specification ${p}`;
  }
  return null;
}
