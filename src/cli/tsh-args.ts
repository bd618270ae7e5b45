/**
 * tsh's command line, parsed as ssh.c main() does (OpenSSH 9.2): BSD getopt, the destination
 * taken from the first operand, then getopt again on the words after it (so `tsh host -p 2 ls`
 * means port 2), the rest is the remote command. Flags become ssh_config lines ("overrides") so
 * the evaluator in src/config resolves them exactly as OpenSSH does.
 */
import { TshError } from '../errors.js';
import { ciphersValid, macsValid } from '../config/algorithms.js';
import { parseForward } from '../config/forward.js';
import { KEYWORDS } from '../config/keywords.js';
import { lexLine } from '../config/lexer.js';
import { memoryLoader } from '../config/load.js';
import { ConfigError } from '../config/parse.js';
import { resolveClientConfig } from '../config/resolve.js';
import { a2port, tildeExpand } from '../config/tokens.js';
import { GetoptError, getopt } from './getopt.js';
import { TSH_USAGE } from './help/tsh.js';

export const SSH_OPTSTRING = '1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:PQ:R:S:TVw:W:XYy';

export { TSH_USAGE } from './help/tsh.js';

export type MuxCommand = 'check' | 'forward' | 'exit' | 'stop' | 'cancel' | 'proxy';

export interface TshArgs {
  /** host_arg: the destination without user@ (or the host of an ssh:// URL). */
  readonly host: string;
  /** The remote command: the words after the destination joined by spaces; null when none. */
  readonly command: string | null;
  /** -F (null: the default files; "none": no files). */
  readonly configFile: string | null;
  /** ssh_config lines from -o and from the flags, in the order the evaluator must see them. */
  readonly overrides: readonly string[];
  readonly configTest: boolean;
  /** --json (tsh's own, with -G): the resolved configuration as a JSON object. */
  readonly json: boolean;
  readonly logFile: string | null;
  readonly useSyslog: boolean;
  readonly muxCommand: MuxCommand | null;
  /** -W host:port. */
  readonly stdioForward: { readonly host: string; readonly port: number } | null;
  /** -v count (debug_flag). */
  readonly verbose: number;
  /** Every option in order, as given (for the features a later release implements). */
  readonly options: readonly { readonly opt: string; readonly arg?: string }[];
}

/** What the command line asks for. -V and -Q act while parsing, as in ssh. */
export type TshInvocation =
  | { readonly kind: 'connect'; readonly args: TshArgs }
  | { readonly kind: 'version' }
  | { readonly kind: 'query'; readonly query: string }
  | { readonly kind: 'help' };

/**
 * A bad command line. `output` is exactly what ssh writes to stderr (fatal() lines end in
 * "\r\n", fprintf ones in "\n"); the exit code is 255.
 */
export class TshArgError extends TshError {
  readonly output: string;
  constructor(output: string) {
    super(output.replace(/\r?\n$/, ''), 255);
    this.name = 'TshArgError';
    this.output = output;
  }
}

export interface ParseEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The passwd home directory (ssh's tilde_expand_filename uses it, not $HOME). */
  readonly home: string;
  /** stat(2) of an -i file: null when accessible, else the strerror text. */
  readonly statError: (path: string) => string | null;
  /** Non-fatal messages printed while parsing (the -i warning), with their newline. */
  readonly warn: (text: string) => void;
}

const fatal = (msg: string): TshArgError => new TshArgError(`${msg}\r\n`);
const printed = (msg: string): TshArgError => new TshArgError(`${msg}\n`);
const usage = (before = ''): TshArgError => new TshArgError(`${before}${TSH_USAGE}\n`);

/** A value as one ssh_config argument (argv_split undoes the escapes). */
export function quoteArg(s: string): string {
  return `"${s.replace(/[\\"']/g, '\\$&')}"`;
}

const LOG_NAMES = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG1', 'DEBUG2', 'DEBUG3'];
const MUX: readonly MuxCommand[] = ['check', 'forward', 'exit', 'stop', 'cancel', 'proxy'];

/** a2tun(): "any", a number, or local:remote. */
function validTun(s: string): boolean {
  const one = (x: string): boolean => x.toLowerCase() === 'any' || (/^[0-9]+$/.test(x) && Number(x) <= 0x7ffffffd);
  const i = s.indexOf(':');
  return i < 0 ? one(s) : one(s.slice(0, i)) && one(s.slice(i + 1));
}

/** valid_domain(name, 0): what an ssh:// URL host must look like. */
function validDomain(name: string): boolean {
  if (name === '' || !/^[A-Za-z0-9]/.test(name)) return false;
  if (name.includes('..') || name.endsWith('.')) return false;
  return /^[A-Za-z0-9._-]+$/.test(name);
}

function urldecode(s: string): string | null {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') out += ' ';
    else if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else out += c;
  }
  return out;
}

/** parse_ssh_uri(): 1 = not a URI, -1 = bad URI, else the parts. */
export function parseSshUri(uri: string): 1 | -1 | { user: string | null; host: string; port: number } {
  if (!uri.startsWith('ssh://')) return 1;
  let tmp = uri.slice(6);
  let user: string | null = null;
  const at = tmp.indexOf('@');
  if (at >= 0) {
    let u = tmp.slice(0, at);
    const semi = u.indexOf(';');
    if (semi >= 0) u = u.slice(0, semi);
    if (u === '') return -1;
    user = urldecode(u);
    if (user === null) return -1;
    tmp = tmp.slice(at + 1);
  }
  // hpdelim2()
  let end: number;
  if (tmp.startsWith('[')) {
    const close = tmp.indexOf(']');
    if (close < 0) return -1;
    end = close + 1;
  } else {
    const m = /[:/]/.exec(tmp);
    end = m ? m.index : tmp.length;
  }
  let rest: string | null = null;
  let delim = '';
  if (end < tmp.length) {
    delim = tmp[end]!;
    if (delim !== ':' && delim !== '/') return -1;
    rest = tmp.slice(end + 1);
  }
  let host = tmp.slice(0, end);
  if (host === '') return -1;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!validDomain(host)) return -1;
  let port = -1;
  if (rest !== null && rest !== '') {
    if (delim === ':') {
      const slash = rest.indexOf('/');
      port = a2port(slash < 0 ? rest : rest.slice(0, slash));
      if (port <= 0) return -1;
      rest = slash < 0 ? null : rest.slice(slash + 1);
    }
    // A path is not allowed in an ssh:// destination.
    if (rest !== null && rest !== '') return -1;
  }
  return { user, host, port };
}

/** Option state ssh.c consults while parsing (set by earlier flags or -o lines). */
interface State {
  port?: number;
  jumpHost?: boolean;
  proxyCommand?: boolean;
  requestTty?: string;
  sessionType?: string;
  controlMaster?: string;
  logLevel?: number;
  tunOpen?: boolean;
}

/** Validates one -o line as process_config_line does and notes what it sets. */
function applyOptionLine(line: string, host: string, st: State, pe: ParseEnv): void {
  let cfg;
  try {
    cfg = resolveClientConfig({
      host,
      overrides: [line],
      files: [],
      loader: memoryLoader({}),
      env: pe.env,
      localUser: 'nobody',
      home: pe.home,
      thisHost: 'localhost',
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new TshArgError(err.lines.map((l) => `${l}\r\n`).join(''));
    // Errors that only arise when the configuration is complete are reported then.
    return;
  }
  const lx = lexLine(line);
  if (lx.kind !== 'line') return;
  const op = KEYWORDS.get(lx.keyword);
  switch (op) {
    case 'port':
      st.port ??= cfg.port;
      break;
    case 'proxyjump':
      st.jumpHost = true;
      st.proxyCommand = true;
      break;
    case 'proxycommand':
      st.proxyCommand = true;
      break;
    case 'requesttty':
      st.requestTty ??= cfg.requestTty === 'true' ? 'yes' : cfg.requestTty;
      break;
    case 'sessiontype':
      st.sessionType ??= cfg.sessionType;
      break;
    case 'controlmaster':
      st.controlMaster ??= cfg.controlMaster === 'true' ? 'yes' : cfg.controlMaster;
      break;
    case 'loglevel':
      st.logLevel ??= LOG_NAMES.indexOf(cfg.logLevel === 'DEBUG' ? 'DEBUG1' : cfg.logLevel);
      break;
    case 'tunnel':
      st.tunOpen = true;
      break;
    default:
      break;
  }
}

/** Parses tsh's argv (without the program name). Throws TshArgError with ssh's exact output. */
/** Flags that only set fixed configuration values (ssh.c sets these options unconditionally). */
const FIXED_SETTINGS: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  '4': [['AddressFamily', 'inet']],
  '6': [['AddressFamily', 'inet6']],
  'n': [['StdinNull', 'yes']],
  'f': [['ForkAfterAuthentication', 'yes'], ['StdinNull', 'yes']],
  'x': [['ForwardX11', 'no']],
  'X': [['ForwardX11', 'yes']],
  'Y': [['ForwardX11', 'yes'], ['ForwardX11Trusted', 'yes']],
  'g': [['GatewayPorts', 'yes']],
  'a': [['ForwardAgent', 'no']],
  'A': [['ForwardAgent', 'yes']],
  'k': [['GSSAPIDelegateCredentials', 'no']],
  'K': [['GSSAPIAuthentication', 'yes'], ['GSSAPIDelegateCredentials', 'yes']],
  'C': [['Compression', 'yes']],
};

export function parseTshArgs(argv: readonly string[], pe: ParseEnv): TshInvocation {
  if (argv[0] === '--help') return { kind: 'help' };
  if (argv[0] === '--version') return { kind: 'version' };
  const st: State = {};
  /** Values set unconditionally by flags: they beat any -o line, so they go first. */
  const flagSet = new Map<string, string>();
  const ordered: string[] = [];
  const options: { opt: string; arg?: string }[] = [];
  let host: string | null = null;
  let configFile: string | null = null;
  let configTest = false;
  let json = false;
  let logFile: string | null = null;
  let useSyslog = false;
  let mux: MuxCommand | null = null;
  let stdio: { host: string; port: number } | null = null;
  let debug = 0;
  let optTerminated = false;

  let start = 0;
  let rest: readonly string[] = [];
  for (;;) {
    let res;
    try {
      res = getopt(argv, SSH_OPTSTRING, start, 255, ['json']);
    } catch (err) {
      if (err instanceof GetoptError) throw usage(`${err.message}\r\n`);
      throw err;
    }
    for (const { opt, arg } of res.options) {
      options.push(arg === undefined ? { opt } : { opt, arg });
      const a = arg ?? '';
      if (opt === '--json') {
        json = true;
        continue;
      }
      const fixed = FIXED_SETTINGS[opt];
      if (fixed) {
        for (const [keyword, value] of fixed) flagSet.set(keyword, value);
        continue;
      }
      switch (opt) {
        case '1':
          throw fatal('SSH protocol v.1 is no longer supported');
        case '2':
        case 'P':
          break;
        case 'y':
          useSyslog = true;
          break;
        case 'E':
          logFile = a;
          break;
        case 'G':
          configTest = true;
          break;
        case 'O':
          if (stdio) throw fatal('Cannot specify multiplexing command with -W');
          if (mux) throw fatal('Multiplexing command already specified');
          if (!(MUX as readonly string[]).includes(a)) throw fatal('Invalid multiplex command.');
          mux = a as MuxCommand;
          break;
        case 'Q':
          return { kind: 'query', query: a };
        case 'i': {
          const p = a.startsWith('~') ? tildeExpand(a, pe.home) : a;
          const e = pe.statError(p);
          if (e !== null) pe.warn(`Warning: Identity file ${p} not accessible: ${e}.\n`);
          else ordered.push(`IdentityFile ${quoteArg(p)}`);
          break;
        }
        case 'I':
          flagSet.set('PKCS11Provider', quoteArg(a));
          break;
        case 'J':
          if (st.jumpHost) throw fatal('Only a single -J option is permitted (use commas to separate multiple jump hops)');
          if (st.proxyCommand) throw fatal('Cannot specify -J with ProxyCommand');
          try {
            applyOptionLine(`ProxyJump ${a}`, host ?? '', st, pe);
          } catch {
            throw fatal('Invalid -J argument');
          }
          ordered.push(`ProxyJump ${a}`);
          break;
        case 't':
          st.requestTty = st.requestTty === 'yes' ? 'force' : 'yes';
          flagSet.set('RequestTTY', st.requestTty);
          break;
        case 'v':
          if (debug === 0) {
            debug = 1;
            st.logLevel = 5;
          } else if ((st.logLevel ?? -1) < 7) {
            debug++;
            st.logLevel = (st.logLevel ?? -1) + 1;
          }
          if (st.logLevel! >= 0) flagSet.set('LogLevel', LOG_NAMES[st.logLevel!]!);
          break;
        case 'V':
          return { kind: 'version' };
        case 'w':
          if (!st.tunOpen) {
            st.tunOpen = true;
            // SSH_TUNMODE_DEFAULT is point-to-point.
            ordered.push('Tunnel point-to-point');
          }
          if (!validTun(a)) throw printed(`Bad tun device '${a}'`);
          flagSet.set('TunnelDevice', quoteArg(a));
          break;
        case 'W': {
          if (stdio) throw fatal('stdio forward already specified');
          if (mux) throw fatal('Cannot specify stdio forward with -O');
          const f = parseForward(a, true, false, pe.env);
          if (!f || f.listenHost === null) throw printed(`Bad stdio forwarding specification '${a}'`);
          stdio = { host: f.listenHost, port: f.listenPort };
          st.requestTty = 'no';
          st.sessionType = 'none';
          flagSet.set('RequestTTY', 'no');
          flagSet.set('SessionType', 'none');
          // ssh clears forwardings for -W and (unless set) exits on forward failure.
          flagSet.set('ClearAllForwardings', 'yes');
          break;
        }
        case 'q':
          st.logLevel = 0;
          flagSet.set('LogLevel', 'QUIET');
          break;
        case 'e':
          if (!(/^\^[\x40-\x7f]$/.test(a) || a.length === 1 || a === 'none')) throw printed(`Bad escape character '${a}'.`);
          flagSet.set('EscapeChar', quoteArg(a));
          break;
        case 'c':
          if (!ciphersValid(a.startsWith('+') || a.startsWith('^') ? a.slice(1) : a)) throw printed(`Unknown cipher type '${a}'`);
          flagSet.set('Ciphers', quoteArg(a));
          break;
        case 'm':
          if (!macsValid(a)) throw printed(`Unknown mac type '${a}'`);
          flagSet.set('MACs', quoteArg(a));
          break;
        case 'M':
          st.controlMaster = st.controlMaster === 'yes' ? 'ask' : 'yes';
          flagSet.set('ControlMaster', st.controlMaster);
          break;
        case 'p':
          if (st.port === undefined) {
            const port = a2port(a);
            if (port <= 0) throw printed(`Bad port '${a}'`);
            st.port = port;
            ordered.push(`Port ${port}`);
          }
          break;
        case 'l':
          ordered.push(`User ${quoteArg(a)}`);
          break;
        case 'L': {
          const f = parseForward(a, false, false, pe.env);
          if (!f) throw printed(`Bad local forwarding specification '${a}'`);
          ordered.push(forwardLine('LocalForward', a, false));
          break;
        }
        case 'R': {
          if (parseForward(a, false, true, pe.env)) ordered.push(forwardLine('RemoteForward', a, false));
          else if (parseForward(a, true, true, pe.env)) ordered.push(forwardLine('RemoteForward', a, true));
          else throw printed(`Bad remote forwarding specification '${a}'`);
          break;
        }
        case 'D':
          if (!parseForward(a, true, false, pe.env)) throw printed(`Bad dynamic forwarding specification '${a}'`);
          ordered.push(forwardLine('DynamicForward', a, true));
          break;
        case 'N':
          if (st.sessionType !== undefined && st.sessionType !== 'none') throw fatal('Cannot specify -N with -s/SessionType');
          st.sessionType = 'none';
          st.requestTty = 'no';
          flagSet.set('SessionType', 'none');
          flagSet.set('RequestTTY', 'no');
          break;
        case 'T':
          st.requestTty = 'no';
          flagSet.set('RequestTTY', 'no');
          break;
        case 'o':
          applyOptionLine(a, host ?? '', st, pe);
          ordered.push(a);
          break;
        case 's':
          if (st.sessionType !== undefined && st.sessionType !== 'subsystem') throw fatal('Cannot specify -s with -N/SessionType');
          st.sessionType = 'subsystem';
          flagSet.set('SessionType', 'subsystem');
          break;
        case 'S':
          flagSet.set('ControlPath', quoteArg(a));
          break;
        case 'b':
          flagSet.set('BindAddress', quoteArg(a));
          break;
        case 'B':
          flagSet.set('BindInterface', quoteArg(a));
          break;
        case 'F':
          configFile = a;
          break;
        default:
          throw usage();
      }
    }
    // ssh.c: "--" just before the first operand of the first pass stops the re-parse.
    if (host === null && res.optind > start && argv[res.optind - 1] === '--') optTerminated = true;
    rest = argv.slice(res.optind);
    if (rest.length > 0 && host === null) {
      const word = rest[0]!;
      const uri = parseSshUri(word);
      if (uri === -1) throw usage();
      if (uri !== 1) {
        if (uri.user !== null) ordered.push(`User ${quoteArg(uri.user)}`);
        if (st.port === undefined && uri.port !== -1) {
          st.port = uri.port;
          ordered.push(`Port ${uri.port}`);
        }
        host = uri.host;
      } else {
        const at = word.lastIndexOf('@');
        if (at === 0) throw usage();
        if (at > 0) ordered.push(`User ${quoteArg(word.slice(0, at))}`);
        host = at > 0 ? word.slice(at + 1) : word;
      }
      if (rest.length > 1 && !optTerminated) {
        start = res.optind + 1;
        continue;
      }
      rest = rest.slice(1);
    }
    break;
  }
  if (host === null) throw usage();
  if (rest.length === 0 && st.sessionType === 'subsystem') throw usage('You must specify a subsystem to invoke.\n');
  if (useSyslog && logFile !== null) throw fatal("Can't specify both -y and -E");
  if (json && !configTest) throw fatal('--json is only available with -G');
  const overrides = [...[...flagSet].map(([k, v]) => `${k} ${v}`), ...ordered];
  if (stdio) overrides.push('ExitOnForwardFailure yes');
  return {
    kind: 'connect',
    args: {
      host,
      command: rest.length ? rest.join(' ') : null,
      configFile,
      overrides,
      configTest,
      json,
      logFile,
      useSyslog,
      muxCommand: mux,
      stdioForward: stdio,
      verbose: debug,
      options,
    },
  };
}

/** A forwarding flag as a config line: "A:B" becomes the two arguments the keyword joins again. */
function forwardLine(keyword: string, spec: string, single: boolean): string {
  if (single) return `${keyword} ${quoteArg(spec)}`;
  // readconf joins the two arguments with ':'; any split at a ':' gives back the same text.
  let depth = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ':' && depth === 0) return `${keyword} ${quoteArg(spec.slice(0, i))} ${quoteArg(spec.slice(i + 1))}`;
  }
  return `${keyword} ${quoteArg(spec)}`;
}
