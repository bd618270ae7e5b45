/**
 * tshd's front door. -t checks the configuration (silent on success, sshd's message and exit
 * code on failure); -T prints the effective configuration as `sshd -T` does (honouring -C, -o,
 * -p, -h, -f, ...); otherwise it runs the daemon (commands/serve.ts).
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
import { parseTshdArgs, TshdUsageError, type TshdArgs } from './tshd-args.js';
import { spawn } from 'node:child_process';
import { serve } from '../commands/serve.js';
import { runPasswd } from '../server/password/index.js';
import { inSea, selfEntry } from '../self.js';
import { basename } from 'node:path';

/**
 * The daemon: in the foreground with -D or -d (-d also serves one connection only, as sshd's
 * debug mode, and logs at DEBUG1, or DEBUG2/DEBUG3 with -dd/-ddd); otherwise tshd starts itself again detached (with
 * -D, in a new session, stdin/stdout on /dev/null) and exits 0 once the child is listening, as
 * sshd's daemon() does. Without -e, -d or -E, a detached tshd logs through logger(1) (syslog).
 */
async function runDaemon(args: TshdArgs, io: Io, log: (line: string) => void, logFd: number | null): Promise<number> {
  const logToFile = logFd !== null;
  const detached = Boolean(io.env.TSHD_DETACHED);
  if (!args.foreground && args.debug === 0 && !detached) return detach(io);
  let daemonLog = log;
  let parentGone = false;
  // The parent reads stderr until READY, then goes away: later writes to it must not fail tshd.
  if (detached) io.stderr.on('error', () => undefined);
  if (detached && !logToFile && !args.logToStderr) {
    const syslog = spawn('logger', ['-t', `tshd[${process.pid}]`, '-p', 'auth.info'], { stdio: ['pipe', 'ignore', 'ignore'] });
    syslog.on('error', () => undefined);
    syslog.stdin!.on('error', () => undefined);
    daemonLog = (line) => {
      syslog.stdin!.write(`${line}\n`);
      if (!parentGone) io.stderr.write(`${line}\r\n`);
    };
  }
  return serve(
    {
      configFile: args.configFile,
      commandLine: args.commandLine,
      acceptOwnPubKeys: false,
      printConnect: false,
      log: daemonLog,
      // The descriptor the log is written to, for the protocol process to write its own lines:
      // the -E file, or stderr in the foreground (a detached tshd's stderr is its parent's pipe
      // until it is up, and syslog goes through logger(1)).
      ...(logFd !== null ? { logFd } : !detached ? { logFd: 2 } : {}),
      // sshd -d: debug mode serves one connection in the foreground, then exits.
      single: args.debug > 0,
      pamService: programName(),
      // A detached tshd tells its parent it is up (whatever its log settings), then stops
      // writing to the parent's pipe.
      onListening: detached
        ? () => {
            io.stderr.write(`${READY}\n`);
            parentGone = true;
          }
        : undefined,
    },
    io,
  );
}

/**
 * The program's name, which is also its PAM service (as sshd's is __progname): "tshd", or the
 * name of a link it was started through that begins with "tshd" (a link "tshd-test" uses
 * /etc/pam.d/tshd-test).
 */
function programName(): string {
  // Inside the single executable a copy may run under another tool's name (a role flag).
  const name = inSea() ? basename(process.argv0) : basename(process.argv[1] ?? '').replace(/\.[cm]?js$/, '');
  return /^tshd[A-Za-z0-9._-]*$/.test(name) ? name : 'tshd';
}

/** What a detached tshd writes to its parent once it is listening (the parent then exits 0). */
const READY = 'tshd: listening';

function detach(io: Io): Promise<number> {
  const argv = [...process.execArgv, selfEntry('tshd', process.argv[1]!), ...process.argv.slice(2)];
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...io.env, TSHD_DETACHED: '1' },
  });
  return new Promise((resolve) => {
    let err = '';
    const done = (code: number): void => {
      child.stderr!.removeAllListeners('data');
      child.stderr!.destroy();
      child.unref();
      resolve(code);
    };
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (err.includes(READY)) done(0);
    });
    child.on('exit', (code) => {
      io.stderr.write(err.replace(`${READY}\n`, ''));
      done(code ?? 255);
    });
  });
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  // `tshd passwd [-f file] user`: the PasswordFile's entries (default: the configured PasswordFile).
  if (argv[0] === 'passwd') {
    let passwordFile: string | undefined;
    try {
      passwordFile = (await loadServerConfig({ quiet: true, cwd: io.cwd })).global.passwordFile ?? undefined;
    } catch {
      passwordFile = undefined;
    }
    return runPasswd(argv.slice(1), io, { passwordFile });
  }
  let inv;
  try {
    inv = parseTshdArgs(argv);
  } catch (err) {
    if (!(err instanceof TshdUsageError)) throw err;
    io.stderr.write(err.output);
    return err.exitCode;
  }
  if (inv.kind === 'help') {
    const [{ renderHelp }, { TSHD_HELP }] = await Promise.all([import('./help/text.js'), import('./help/tshd.js')]);
    io.stdout.write(renderHelp(TSHD_HELP));
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
  if (args.mode === 'daemon' && args.extra.length > 0) {
    io.stderr.write(`Extra argument ${args.extra[0]}.\n`);
    return 1;
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
  if (args.mode === 'daemon') {
    try {
      return await runDaemon(args, io, log, logFd);
    } finally {
      if (logFd !== null) closeSync(logFd);
    }
  }
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
