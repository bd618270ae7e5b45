/**
 * tsh-keygen's argv → KeygenOptions, then dispatch in ssh-keygen's order (known_hosts operations
 * first, then -l/-B, -p, -c, -e, -i, -y, -A, else generate). Usage errors exit 1 like ssh-keygen.
 * `--json` (tsh-keygen's own) goes with -l only.
 */
import { hostname, userInfo } from 'node:os';
import { ExitError } from '../errors.js';
import type { Io } from '../io.js';
import { versionLine } from '../version.js';
import { getopt, GetoptError } from './getopt.js';
import { KEYGEN_USAGE } from './help/tsh-keygen.js';
import type { ConvertFormat, FingerprintHash, KeygenOptions } from '../commands/keygen/options.js';

export { KEYGEN_USAGE } from './help/tsh-keygen.js';

export const KEYGEN_OPTSTRING = 'ABHVcehilpqvyC:E:F:N:P:R:Z:a:b:f:m:t:';

function usage(io: Io, message?: string): never {
  if (message) io.stderr.write(`${message}\n`);
  io.stderr.write(`${KEYGEN_USAGE}\n`);
  throw new ExitError(1);
}

export function parseKeygenArgs(argv: readonly string[], io: Io): KeygenOptions | 'help' | 'version' {
  if (argv.length === 1 && argv[0] === '--help') return 'help';
  if (argv.length === 1 && argv[0] === '--version') return 'version';
  let parsed;
  try {
    parsed = getopt(argv, KEYGEN_OPTSTRING, 0, 1, ['json']);
  } catch (err) {
    if (err instanceof GetoptError) usage(io, err.message);
    throw err;
  }
  if (parsed.optind < argv.length) {
    io.stdout.write('Too many arguments.\n');
    usage(io);
  }
  const o: Record<string, unknown> = {
    quiet: false,
    verbose: 0,
    fingerprintHash: 'sha256',
    hashHosts: false,
    printFingerprint: false,
    bubbleBabble: false,
    changePassphrase: false,
    changeComment: false,
    exportKey: false,
    importKey: false,
    printPublic: false,
    generateHostKeys: false,
    json: false,
  };
  for (const { opt, arg } of parsed.options) {
    switch (opt) {
      case 'h':
        return 'help';
      case 'V':
        return 'version';
      case '--json': o.json = true; break;
      case 'A': o.generateHostKeys = true; break;
      case 'B': o.bubbleBabble = true; break;
      case 'H': o.hashHosts = true; break;
      case 'c': o.changeComment = true; break;
      case 'e': o.exportKey = true; break;
      case 'i': o.importKey = true; break;
      case 'l': o.printFingerprint = true; break;
      case 'p': o.changePassphrase = true; break;
      case 'q': o.quiet = true; break;
      case 'v': o.verbose = (o.verbose as number) + 1; break;
      case 'y': o.printPublic = true; break;
      case 'C': o.comment = arg; break;
      case 'E': {
        const h = arg!.toLowerCase();
        if (h !== 'sha256' && h !== 'md5') {
          io.stderr.write('Invalid hash algorithm "' + arg + '"\n');
          throw new ExitError(255);
        }
        o.fingerprintHash = h as FingerprintHash;
        break;
      }
      // ssh-keygen keeps one host name for -F and -R: the last one given.
      case 'F':
        o.findHost = arg;
        if (o.removeHost !== undefined) o.removeHost = arg;
        break;
      case 'R':
        o.removeHost = arg;
        if (o.findHost !== undefined) o.findHost = arg;
        break;
      case 'N': o.newPassphrase = arg; break;
      case 'P': o.oldPassphrase = arg; break;
      case 'Z': o.cipher = arg; break;
      case 'a': o.rounds = arg; break;
      case 'b': o.bits = arg; break;
      case 'f': o.file = arg; break;
      case 'm': o.keyFormat = convertFormat(arg!, io); break;
      case 't': o.type = arg; break;
    }
  }
  if (o.printFingerprint && (o.removeHost !== undefined || o.hashHosts)) {
    io.stderr.write('Cannot use -l with -H or -R.\r\n'); // OpenSSH's error() ends lines with \r\n
    usage(io);
  }
  // --json is tsh's own: the -l listing as JSON (not with -B, nor with -F/-R/-H).
  if (o.json && (!o.printFingerprint || o.bubbleBabble || o.findHost !== undefined || o.removeHost !== undefined || o.hashHosts)) {
    usage(io, '--json needs -l (and not -B, -F, -R or -H).');
  }
  const env = io.env;
  const info = safeUserInfo();
  o.env = {
    home: env.HOME || info.homedir,
    user: info.username,
    hostname: hostname(),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
  };
  return o as unknown as KeygenOptions;
}

/** ssh-keygen checks -m while reading the options, whatever the operation. */
function convertFormat(m: string, io: Io): ConvertFormat {
  const lower = m.toLowerCase();
  if (lower === 'rfc4716' || lower === 'ssh2') return 'RFC4716';
  if (lower === 'pkcs8') return 'PKCS8';
  if (lower === 'pem') return 'PEM';
  io.stderr.write(`Unsupported conversion format "${m}"\r\n`);
  throw new ExitError(255);
}

function safeUserInfo(): { username: string; homedir: string } {
  try {
    const u = userInfo();
    return { username: u.username, homedir: u.homedir };
  } catch {
    return { username: String(process.getuid?.() ?? 'unknown'), homedir: '/' };
  }
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const opts = parseKeygenArgs(argv, io);
  if (opts === 'help') {
    const [{ renderHelp }, { KEYGEN_HELP }] = await Promise.all([import('./help/text.js'), import('./help/tsh-keygen.js')]);
    io.stdout.write(renderHelp(KEYGEN_HELP));
    return 0;
  }
  if (opts === 'version') {
    io.stderr.write(`${versionLine('tsh-keygen')}\n`);
    return 0;
  }
  if (opts.findHost !== undefined || opts.removeHost !== undefined || opts.hashHosts) {
    const { runKnownHosts } = await import('../commands/keygen/known-hosts.js');
    return runKnownHosts(opts, io);
  }
  if (opts.printFingerprint || opts.bubbleBabble) {
    const { runFingerprint } = await import('../commands/keygen/fingerprint.js');
    return runFingerprint(opts, io);
  }
  if (opts.changePassphrase) {
    const { runChangePassphrase } = await import('../commands/keygen/change.js');
    return runChangePassphrase(opts, io);
  }
  if (opts.changeComment) {
    const { runChangeComment } = await import('../commands/keygen/change.js');
    return runChangeComment(opts, io);
  }
  if (opts.exportKey) {
    const { runExport } = await import('../commands/keygen/convert.js');
    return runExport(opts, io);
  }
  if (opts.importKey) {
    const { runImport } = await import('../commands/keygen/convert.js');
    return runImport(opts, io);
  }
  if (opts.printPublic) {
    const { runPrintPublic } = await import('../commands/keygen/print-public.js');
    return runPrintPublic(opts, io);
  }
  if (opts.generateHostKeys) {
    const { runGenerateHostKeys } = await import('../commands/keygen/host-keys.js');
    return runGenerateHostKeys(opts, io);
  }
  const { runGenerate } = await import('../commands/keygen/generate.js');
  return runGenerate(opts, io);
}
