/**
 * tshd's front door. -t checks the configuration (silent on success, sshd's message and exit
 * code on failure); -T prints the effective configuration as `sshd -T` does (honouring -C, -o,
 * -p, -h, -f, ...). Running the daemon arrives in a later release.
 *
 * Deliberate differences from sshd -t/-T: host keys are not loaded (a missing key is not an
 * error here), and without -f the file is /etc/tsh/tshd_config (root) or ~/.tsh/tshd_config,
 * with built-in defaults when it does not exist.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { strerror } from '../errors.js';
import type { Io } from '../io.js';
import { dumpServerConfig, loadServerConfig, ServerConfigError } from '../server/config/index.js';
import { versionLine } from '../version.js';
import { parseTshdArgs, TSHD_USAGE, TshdUsageError } from './tshd-args.js';

export const NOT_AVAILABLE = 'tshd: the ssh daemon is not available in this release yet';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let inv;
  try {
    inv = parseTshdArgs(argv);
  } catch (err) {
    if (!(err instanceof TshdUsageError)) throw err;
    io.stderr.write(err.output);
    return err.exitCode;
  }
  if (inv.kind === 'help') {
    io.stdout.write(`${TSHD_USAGE}\n`);
    return 0;
  }
  if (inv.kind === 'version') {
    io.stderr.write(`${versionLine('tshd')}\n`);
    return 0;
  }
  const args = inv.args;
  if (args.connection !== null && args.mode !== 'dump') {
    io.stderr.write('Config test connection parameter (-C) provided without test mode (-T)\r\n');
    return 255;
  }
  if (args.mode === 'daemon') {
    io.stderr.write(`${NOT_AVAILABLE}\n`);
    return 255;
  }
  // -E: sshd appends its log lines to the file instead of stderr (perror() lines stay on stderr).
  let logFd: number | null = null;
  if (args.logFile !== null) {
    try {
      logFd = openSync(args.logFile, 'a', 0o600);
    } catch (err) {
      io.stderr.write(`Couldn't open logfile ${args.logFile}: ${strerror(err)}\n`);
      return 1;
    }
  }
  // sshd's log lines end in CR LF (perror() and fprintf() ones do not).
  const log = (line: string, plain = false): void => {
    if (logFd !== null && !plain) appendFileSync(logFd, `${line}\r\n`);
    else io.stderr.write(`${line}${plain ? '\n' : '\r\n'}`);
  };
  try {
    const loaded = await loadServerConfig({ file: args.configFile, commandLine: args.commandLine, log, quiet: args.quiet, cwd: io.cwd });
    if (args.extra.length > 0) {
      io.stderr.write(`Extra argument ${args.extra[0]}.\n`);
      return 1;
    }
    if (args.mode === 'dump') {
      const cfg = loaded.forConnection(args.connection ?? {});
      io.stdout.write(dumpServerConfig(cfg, loaded.listenAddresses));
    }
    return 0;
  } catch (err) {
    if (err instanceof ServerConfigError) return err.exitCode;
    throw err;
  } finally {
    if (logFd !== null) closeSync(logFd);
  }
}
