/**
 * tshd's command line, parsed as sshd.c main() does (OpenSSH 9.2): BSD getopt, options applied
 * in order (-o, -p, -h, -4/-6, -g, -q/-d become settings the configuration evaluator applies
 * before the file), -C connection specs accumulated for -T.
 */
import { convtime, a2port } from '../config/tokens.js';
import { UsageError } from '../errors.js';
import { parseConnectionSpec, type ConnectionSpec } from '../server/config/match.js';
import type { CommandLineSetting } from '../server/config/resolve.js';
import { LOG_LEVEL_ORDER, type LogLevel } from '../server/config/values.js';
import { versionLine } from '../version.js';
import { GetoptError, getopt } from './getopt.js';
import { TSHD_USAGE } from './help/tshd.js';

export const TSHD_OPTSTRING = 'C:E:f:g:h:o:p:46DdeiqTtV';

export { TSHD_USAGE } from './help/tshd.js';

const MAX_PORTS = 256;

export interface TshdArgs {
  /** daemon: run (not in this release); check: -t; dump: -T. */
  readonly mode: 'daemon' | 'check' | 'dump';
  /** -f (undefined: tshd's default file). */
  readonly configFile: string | undefined;
  /** -o, -p, -h, -4/-6, -g, -q/-d in the order given. */
  readonly commandLine: readonly CommandLineSetting[];
  /** -C (null when not given). */
  readonly connection: ConnectionSpec | null;
  readonly logFile: string | null;
  readonly logToStderr: boolean;
  readonly debug: number;
  readonly foreground: boolean;
  readonly inetd: boolean;
  readonly quiet: boolean;
  /** Operands (sshd refuses them: "Extra argument x."). */
  readonly extra: readonly string[];
}

export type TshdInvocation =
  | { readonly kind: 'run'; readonly args: TshdArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** A command-line error: `output` is what sshd writes to stderr; sshd exits 1 for these. */
export class TshdUsageError extends UsageError {
  readonly output: string;
  constructor(output: string, exitCode = 1) {
    super(output.replace(/\n$/, ''), exitCode);
    this.name = 'TshdUsageError';
    this.output = output;
  }
}

/** getopt's complaint (a log line, CR LF as sshd prints it), the version, then the usage. */
const usageError = (message: string): TshdUsageError => new TshdUsageError(`${message}\r\n${versionLine('tshd')}\n${TSHD_USAGE}\n`);

export function parseTshdArgs(argv: readonly string[]): TshdInvocation {
  if (argv.includes('--help')) return { kind: 'help' };
  if (argv.length === 1 && argv[0] === '--version') return { kind: 'version' };
  let parsed;
  try {
    parsed = getopt(argv, TSHD_OPTSTRING, 0, 1);
  } catch (err) {
    if (err instanceof GetoptError) throw usageError(err.message);
    throw err;
  }
  const settings: CommandLineSetting[] = [];
  let mode: TshdArgs['mode'] = 'daemon';
  let configFile: string | undefined;
  let connection: { -readonly [K in keyof ConnectionSpec]: ConnectionSpec[K] } | null = null;
  let logFile: string | null = null;
  let logToStderr = false;
  let debug = 0;
  let foreground = false;
  let inetd = false;
  let quiet = false;
  let level: LogLevel | undefined;
  let ports = 0;
  for (const { opt, arg = '' } of parsed.options) {
    switch (opt) {
      case '4':
      case '6':
        settings.push({ kind: 'addressFamily', family: opt === '4' ? 'inet' : 'inet6' });
        break;
      case 'f':
        configFile = arg;
        break;
      case 'd':
        // The first -d means DEBUG1; each further one raises the level, up to DEBUG3.
        if (debug++ === 0) level = 'DEBUG1';
        else if (level !== undefined && LOG_LEVEL_ORDER.indexOf(level) < LOG_LEVEL_ORDER.indexOf('DEBUG3')) {
          level = LOG_LEVEL_ORDER[LOG_LEVEL_ORDER.indexOf(level) + 1]!;
        }
        settings.push({ kind: 'logLevel', level: level! });
        break;
      case 'D':
        foreground = true;
        break;
      case 'E':
        logFile = arg;
        logToStderr = true;
        break;
      case 'e':
        logToStderr = true;
        break;
      case 'i':
        inetd = true;
        break;
      case 'q':
        quiet = true;
        level = 'QUIET';
        settings.push({ kind: 'logLevel', level });
        break;
      case 'p': {
        if (ports >= MAX_PORTS) throw new TshdUsageError('too many ports.\n');
        const port = a2port(arg);
        if (port <= 0) throw new TshdUsageError('Bad port number.\n');
        ports++;
        settings.push({ kind: 'port', port });
        break;
      }
      case 'g': {
        const seconds = convtime(arg);
        if (seconds === -1) throw new TshdUsageError('Invalid login grace time.\n');
        settings.push({ kind: 'loginGraceTime', seconds });
        break;
      }
      case 'h':
        settings.push({ kind: 'hostKey', path: arg });
        break;
      case 't':
        mode = 'check';
        break;
      case 'T':
        mode = 'dump';
        break;
      case 'C': {
        connection ??= {};
        const err = parseConnectionSpec(arg, connection);
        if (err) throw new TshdUsageError(`${err}\n`);
        break;
      }
      case 'o':
        settings.push({ kind: 'option', line: arg });
        break;
      case 'V':
        return { kind: 'version' };
    }
  }
  // sshd -q leaves the log level QUIET even after -d.
  if (quiet && level !== 'QUIET') quiet = false;
  return {
    kind: 'run',
    args: {
      mode,
      configFile,
      commandLine: settings,
      connection,
      logFile,
      logToStderr,
      debug,
      foreground,
      inetd,
      quiet,
      extra: argv.slice(parsed.optind),
    },
  };
}
