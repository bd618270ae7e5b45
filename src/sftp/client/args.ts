/**
 * tsh-sftp's command line, parsed as sftp.c main() does (OpenSSH 9.2): sftp's own flags, and
 * the ssh command line sftp would run (`ssh -oForwardX11 no ... -s -- host sftp`), which tsh's
 * own parser (cli/tsh-args.ts) then turns into configuration overrides, so the connection is
 * configured exactly as ssh would be for sftp.
 */
import { getopt, GetoptError } from '../../cli/getopt.js';
import { a2port } from '../../config/tokens.js';
import { parseSshUri } from '../../cli/tsh-args.js';

export const SFTP_USAGE = `usage: tsh-sftp [-46AaCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher]
          [-D sftp_server_command] [-F ssh_config] [-i identity_file]
          [-J destination] [-l limit] [-o ssh_option] [-P port]
          [-R num_requests] [-S program] [-s subsystem | sftp_server]
          [-X sftp_option] destination`;

export interface SftpArgs {
  /** ssh's argv (without the program name) for the connection. */
  readonly sshArgv: readonly string[];
  /** -b: a file, "-" for stdin, null for interactive. */
  readonly batchFile: string | null;
  readonly quiet: boolean;
  readonly showProgress: boolean;
  readonly global: { readonly a: boolean; readonly f: boolean; readonly p: boolean; readonly r: boolean };
  /** 0: default. */
  readonly bufferLen: number;
  readonly numRequests: number;
  /** Bytes per second, 0 for none. */
  readonly limitBps: number;
  /** Log level: 'INFO', 'ERROR' (-q), 'DEBUG1'.. (-v). */
  readonly logLevel: 'INFO' | 'ERROR' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';
  readonly host: string;
  readonly user: string | null;
  readonly file1: string | null;
  readonly file2: string | null;
  /** -s: the subsystem name ("sftp"), or a server program's path (run as a command). */
  readonly subsystem: string;
}

export type SftpInvocation = { kind: 'run'; args: SftpArgs } | { kind: 'version' } | { kind: 'help' };

/** A command line sftp refuses: `output` for stderr, then the exit code. */
export class SftpArgError extends Error {
  constructor(readonly output: string, readonly exitCode: number) {
    super(output);
    this.name = 'SftpArgError';
  }
}

const usage = (before = ''): SftpArgError => new SftpArgError(`${before}${SFTP_USAGE}\n`, 1);
const fatal = (msg: string): SftpArgError => new SftpArgError(`${msg}\r\n`, 255);

/**
 * parse_uri("sftp", ...): 1 = not a URI, -1 = bad, else the parts. The authority is checked by
 * tsh's ssh:// parser (the same parse_uri); sftp also allows a path after it.
 */
export function parseSftpUri(uri: string): 1 | -1 | { user: string | null; host: string; port: number; path: string | null } {
  if (!uri.startsWith('sftp://')) return 1;
  const rest = uri.slice(7);
  // The path starts at the first '/' after the host (outside [brackets]).
  let depth = 0;
  let cut = rest.length;
  for (let i = rest.indexOf('@') + 1; i < rest.length; i++) {
    const c = rest[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '/' && depth === 0) {
      cut = i;
      break;
    }
  }
  const auth = parseSshUri(`ssh://${rest.slice(0, cut)}`);
  if (auth === 1 || auth === -1) return -1;
  let path: string | null = null;
  if (cut + 1 < rest.length) {
    try {
      path = decodeURIComponent(rest.slice(cut + 1).replace(/\+/g, ' '));
    } catch {
      return -1;
    }
  }
  return { ...auth, path };
}

/** cleanhostname(): strips the brackets of "[addr]". */
function cleanHost(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** parse_user_host_path(): "[user@]host:path" (a colon outside brackets). */
function parseUserHostPath(s: string): { user: string | null; host: string; path: string } | null {
  // colon(): the first ':' not inside [], not after a '/'.
  let i = 0;
  if (s.startsWith(':')) return null;
  let flag = false;
  if (s.startsWith('[')) flag = true;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '@' && s[i + 1] === '[') flag = true;
    if (c === ']' && s[i + 1] === ':' && flag) {
      i++;
      break;
    }
    if (c === ':' && !flag) break;
    if (c === '/') return null;
  }
  if (i >= s.length || s[i] !== ':') return null;
  let left = s.slice(0, i);
  let path = s.slice(i + 1);
  if (path === '') path = '.';
  let user: string | null = null;
  const at = left.lastIndexOf('@');
  if (at >= 0) {
    user = left.slice(0, at);
    left = left.slice(at + 1);
  }
  return { user, host: cleanHost(left), path };
}

export function parseSftpArgs(argv: readonly string[]): SftpInvocation {
  if (argv[0] === '--help') return { kind: 'help' };
  if (argv[0] === '--version' || argv[0] === '-V') return { kind: 'version' };
  const ssh: string[] = ['-oForwardX11 no', '-oPermitLocalCommand no', '-oClearAllForwardings yes'];
  let quiet = false;
  let showProgress = true;
  let batchFile: string | null = null;
  let noisy = false;
  let port = -1;
  let debug = 0;
  let logLevel: SftpArgs['logLevel'] = 'INFO';
  const global = { a: false, f: false, p: false, r: false };
  let bufferLen = 0;
  let numRequests = 0;
  let limitBps = 0;
  let subsystem: string | null = null;
  let res;
  try {
    res = getopt(argv, '1246AafhNpqrvCc:D:i:l:o:s:S:b:B:F:J:P:R:X:', 0, 1);
  } catch (err) {
    if (err instanceof GetoptError) throw usage(`${err.message}\r\n`);
    throw err;
  }
  for (const { opt, arg } of res.options) {
    const a = arg ?? '';
    switch (opt) {
      case 'A':
      case '4':
      case '6':
      case 'C':
        ssh.push(`-${opt}`);
        break;
      case 'F':
      case 'J':
      case 'c':
      case 'i':
      case 'o':
        ssh.push(`-${opt}`, a);
        break;
      case 'q':
        logLevel = 'ERROR';
        quiet = true;
        showProgress = false;
        ssh.push('-q');
        break;
      case 'P':
        port = a2port(a);
        if (port <= 0) throw fatal(`Bad port "${a}"\n`);
        break;
      case 'v':
        if (debug < 3) {
          ssh.push('-v');
          logLevel = (['DEBUG1', 'DEBUG2', 'DEBUG3'] as const)[debug]!;
        }
        debug++;
        break;
      case '1':
        throw fatal('SSH protocol v.1 is no longer supported');
      case '2':
        break;
      case 'a':
        global.a = true;
        break;
      case 'B': {
        if (!/^[0-9]+$/.test(a) || Number(a) === 0) throw fatal(`Invalid buffer size "${a}"`);
        bufferLen = Number(a);
        break;
      }
      case 'b':
        if (batchFile !== null) throw fatal('Batch file already specified.');
        batchFile = a;
        showProgress = false;
        quiet = true;
        ssh.push('-obatchmode yes');
        break;
      case 'f':
        global.f = true;
        break;
      case 'N':
        noisy = true;
        break;
      case 'p':
        global.p = true;
        break;
      case 'D':
        throw fatal('-D (a local sftp server) is not available in tsh-sftp');
      case 'l': {
        const n = /^[0-9]+$/.test(a) ? Number(a) : NaN;
        if (!(n >= 1 && n <= 100 * 1024 * 1024)) throw usage();
        limitBps = (n * 1024) / 8;
        break;
      }
      case 'r':
        global.r = true;
        break;
      case 'R':
        if (!/^[0-9]+$/.test(a) || Number(a) === 0) throw fatal(`Invalid number of requests "${a}"`);
        numRequests = Number(a);
        break;
      case 's':
        subsystem = a;
        break;
      case 'S':
        throw fatal('-S (another ssh program) is not available in tsh-sftp');
      case 'X':
        if (a.startsWith('buffer=')) {
          const v = a.slice(7);
          const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
          if (!(n > 0 && n <= 256 * 1024)) throw fatal(`Invalid buffer size "${v}": Invalid argument`);
          bufferLen = n;
        } else if (a.startsWith('nrequests=')) {
          const v = a.slice(10);
          const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
          if (!(n >= 1 && n <= 256 * 1024)) throw fatal(`Invalid number of requests "${v}": ${Number.isNaN(n) ? 'invalid' : n < 1 ? 'too small' : 'too large'}`);
          numRequests = n;
        } else throw fatal('Invalid -X option');
        break;
      default:
        throw usage();
    }
  }
  ssh.push('-oForwardAgent no');
  if (noisy) quiet = false;
  const operands = argv.slice(res.optind);
  if (operands.length === 0 || operands.length > 2) throw usage();
  const dest = operands[0]!;
  let user: string | null = null;
  let host: string;
  let file1: string | null = null;
  const uri = parseSftpUri(dest);
  if (uri === -1) throw usage();
  if (uri !== 1) {
    user = uri.user;
    host = uri.host;
    file1 = uri.path;
    if (uri.port !== -1) port = uri.port;
  } else {
    const uhp = parseUserHostPath(dest);
    if (uhp) {
      user = uhp.user;
      host = uhp.host;
      file1 = uhp.path;
    } else {
      const at = dest.lastIndexOf('@');
      if (at >= 0) {
        user = dest.slice(0, at);
        host = cleanHost(dest.slice(at + 1));
      } else host = cleanHost(dest);
    }
  }
  if (host === '') throw usage('Missing hostname\n');
  if (port !== -1) ssh.push(`-oPort ${port}`);
  if (user !== null) ssh.push('-l', user);
  if (subsystem === null || !subsystem.includes('/')) ssh.push('-s');
  ssh.push('--', host, subsystem ?? 'sftp');
  return {
    kind: 'run',
    args: {
      sshArgv: ssh,
      batchFile,
      quiet,
      showProgress,
      global,
      bufferLen,
      numRequests,
      limitBps,
      logLevel,
      host,
      user,
      file1,
      file2: operands[1] ?? null,
      subsystem: subsystem ?? 'sftp',
    },
  };
}
