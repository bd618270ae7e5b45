/**
 * tshd's sshd_config evaluator: parse (OpenSSH 9.2 semantics), Match evaluation per connection,
 * and the `sshd -T` dump. `loadServerConfig()` is what the daemon calls.
 *
 * Conventions that differ from sshd (see also TshdDefaults):
 * - the default file is /etc/tsh/tshd_config as root, ~/.tsh/tshd_config otherwise; when it
 *   does not exist, the built-in defaults apply (sshd refuses to start without its file);
 * - a relative Include is taken from the directory of the file that includes it (sshd:
 *   /etc/ssh), and `~` in an Include is the home directory (sshd's glob does not expand it);
 * - `Match` criteria that the connection does not supply never match (sshd's -T semantics; a
 *   running sshd would stop instead), except LocalPort, which must be given, as in sshd.
 */
import { userInfo } from 'node:os';
import type { ConfigLoader } from '../../config/load.js';
import { type HostLookup, type ListenAddress, resolveListenAddresses } from './listen.js';
import type { ConnectionSpec, GroupLookup } from './match.js';
import { ServerConfigFatal } from './process.js';
import {
  type CommandLineSetting, ServerConfigError, type ServerConfigSet, resolveServerConfig, tshdDefaults,
} from './resolve.js';
import { serverFsLoader, systemGroups, systemHome } from './system.js';
import type { ResolvedServerConfig } from './types.js';

export { dumpServerConfig } from './dump.js';
export { formatIpv6, resolveListenAddresses, systemLookup, type HostLookup, type ListenAddress } from './listen.js';
export { matchServerCfgLine, parseConnectionSpec, type ConnectionSpec, type GroupLookup } from './match.js';
export { SERVER_KEYWORDS, TSHD_ONLY_KEYWORDS, type KeywordInfo, type KeywordStatus } from './keywords.js';
export {
  ServerConfigError, resolveServerConfig, tshdDefaults, type CommandLineSetting, type ServerConfigOptions,
  type ServerConfigSet, type TshdDefaults,
} from './resolve.js';
export { expandAuthorizedKeysFiles, serverFsLoader, systemGroups, systemHome, type AccountInfo } from './system.js';
export type * from './types.js';

export interface LoadServerConfigOptions {
  /** -f: the file (required to exist), "none" for no file; undefined: tshd's default file if it exists. */
  readonly file?: string;
  readonly commandLine?: readonly CommandLineSetting[];
  /** Each line sshd would print while reading the configuration (see ServerConfigOptions.log). */
  readonly log?: (line: string, plain?: boolean) => void;
  readonly quiet?: boolean;
  readonly loader?: ConfigLoader;
  readonly groups?: GroupLookup;
  readonly lookupHome?: (user: string) => string | undefined;
  /** Host name resolution for ListenAddress (default: the system resolver). */
  readonly lookup?: HostLookup;
  readonly cwd?: string;
  readonly home?: string;
  readonly uid?: number;
  readonly includeDir?: string;
}

export interface LoadedServerConfig extends ServerConfigSet {
  /** The file that was read, or null (built-in defaults). */
  readonly file: string | null;
  /** Where to listen, in sshd's order. */
  readonly listenAddresses: readonly ListenAddress[];
}

/**
 * Reads and evaluates tshd's configuration. Throws ServerConfigError (with sshd's message and
 * exit code) for a bad configuration; every line sshd would print goes to `log` as it happens.
 */
export async function loadServerConfig(opts: LoadServerConfigOptions = {}): Promise<LoadedServerConfig> {
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const home = opts.home ?? userInfo().homedir;
  const loader = opts.loader ?? serverFsLoader;
  const defaults = tshdDefaults(uid === 0, home);
  let file: string | null;
  if (opts.file === undefined) file = loader.read(defaults.configFile, false) === null ? null : defaults.configFile;
  else file = opts.file.toLowerCase() === 'none' ? null : opts.file;
  const set = resolveServerConfig({
    file,
    loader,
    commandLine: opts.commandLine,
    cwd: opts.cwd ?? process.cwd(),
    home,
    root: uid === 0,
    defaults,
    lookupHome: opts.lookupHome ?? systemHome,
    groups: opts.groups ?? systemGroups,
    includeDir: opts.includeDir,
    log: opts.log,
    quiet: opts.quiet,
  });
  let listenAddresses: ListenAddress[];
  try {
    listenAddresses = await resolveListenAddresses(set.global, opts.lookup);
  } catch (err) {
    if (!(err instanceof ServerConfigFatal)) throw err;
    if (!opts.quiet) opts.log?.(err.message);
    throw new ServerConfigError(file ?? 'command-line', 0, [err.message], err.exitCode);
  }
  return {
    file,
    listenAddresses,
    global: set.global,
    forConnection: (spec: ConnectionSpec, groups?: GroupLookup): ResolvedServerConfig => set.forConnection(spec, groups),
  };
}
