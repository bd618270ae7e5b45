/**
 * tsh-sftp's session: resolve the configuration from the ssh command line sftp would run,
 * connect with tsh's connection code, open the "sftp" subsystem, then run the interpreter over
 * the batch file, standard input, or an interactive prompt (node:readline: line editing,
 * history, tab completion of commands and paths). Exit codes as sftp: 0, 1 when a command
 * failed (batch) or the session ended badly, 255 when the connection failed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { userInfo } from 'node:os';
import type { SFTPWrapper } from 'ssh2';
import { ExitError, strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { ConfigError, resolveClientConfig, type ResolvedClientConfig } from '../../config/index.js';
import { parseTshArgs, TshArgError } from '../../cli/tsh-args.js';
import { resolveOptions, resolveOrExit } from '../../commands/print-config.js';
import { ConnectError, connect, type Connection, type HopSpec } from '../../session/connect.js';
import { LOG_LEVELS, createLogger, type Logger } from '../../session/log.js';
import { TransportError } from '../../session/transport.js';
import { windowSize } from '../../session/terminal.js';
import type { SftpArgs } from './args.js';
import { ProgressMeter } from './progress.js';
import { visLogger } from './vislog.js';
import { Remote } from './remote.js';
import { COMMANDS } from './commands.js';
import { SftpShell, makeAbsolute } from './shell.js';

const DEFAULT_NUM_REQUESTS = 64;
const DEFAULT_COPY_BUFLEN = 32768;

export async function runSftp(a: SftpArgs, io: Io): Promise<number> {
  const log = visLogger(createLogger(io.stderr, LOG_LEVELS[a.logLevel]));
  let batchLines: string[] | null = null;
  if (a.batchFile !== null && a.batchFile !== '-') {
    try {
      batchLines = readFileSync(a.batchFile, 'utf8').split('\n');
      if (batchLines[batchLines.length - 1] === '') batchLines.pop();
    } catch (err) {
      log.fatal(`${strerror(err)} (${a.batchFile}).`);
      return 255;
    }
  }
  const home = userInfo().homedir;
  let tshArgs;
  try {
    const inv = parseTshArgs(a.sshArgv, { env: io.env, home, statError: () => null, warn: (t) => io.stderr.write(t) });
    if (inv.kind !== 'connect') return 255;
    tshArgs = inv.args;
  } catch (err) {
    if (err instanceof TshArgError) {
      io.stderr.write(err.output);
      log.fatal('Connection closed');
      return 255;
    }
    throw err;
  }
  const warnings: string[] = [];
  let cfg: ResolvedClientConfig;
  try {
    cfg = resolveOrExit(tshArgs, io, warnings);
  } catch (err) {
    if (err instanceof ExitError) {
      log.fatal('Connection closed');
      return 255;
    }
    throw err;
  }
  const sshLog = createLogger(io.stderr, LOG_LEVELS[cfg.logLevel]);
  if (sshLog.level >= LOG_LEVELS.INFO) for (const w of warnings) sshLog.info(w);
  const resolveHop = (hop: HopSpec): ResolvedClientConfig => {
    const overrides: string[] = [];
    if (hop.user !== null) overrides.push(`User ${hop.user}`);
    if (hop.port > 0) overrides.push(`Port ${hop.port}`);
    overrides.push(`ProxyJump ${hop.extra ?? 'none'}`);
    return resolveClientConfig({ ...resolveOptions(tshArgs, io), host: hop.host, overrides });
  };
  let conn: Connection;
  try {
    conn = await connect({
      cfg,
      log: sshLog,
      ask: (prompt, echo) => io.readTty(prompt, echo),
      env: io.env,
      home: io.env.HOME,
      resolveHop,
      banner: (text) => {
        if (sshLog.level >= LOG_LEVELS.INFO) io.stderr.write(text);
      },
    });
  } catch (err) {
    if (err instanceof ConnectError || err instanceof ConfigError) for (const l of err.lines) sshLog.fatal(l);
    else if (err instanceof TransportError) sshLog.fatal(err.message);
    else throw err;
    log.fatal('Connection closed');
    return 255;
  }
  try {
    return await session(a, io, conn, log, batchLines);
  } finally {
    conn.close();
  }
}

async function session(a: SftpArgs, io: Io, conn: Connection, log: Logger, batchLines: string[] | null): Promise<number> {
  let sftp: SFTPWrapper;
  try {
    sftp = await openSftp(conn, a.subsystem);
  } catch {
    createLogger(io.stderr, LOG_LEVELS[conn.cfg.logLevel]).error('subsystem request failed on channel 0');
    log.fatal('Connection closed');
    return 255;
  }
  let lost = false;
  conn.client.on('error', () => undefined);
  let onClose = (): void => {
    lost = true;
  };
  const lostP = new Promise<'lost'>((resolve) => {
    onClose = (): void => {
      lost = true;
      resolve('lost');
    };
  });
  sftp.on('close', onClose);
  conn.client.on('close', onClose);
  const remote = new Remote(sftp);
  const readLen = a.bufferLen > 0 ? a.bufferLen : Math.max(DEFAULT_COPY_BUFLEN, remote.maxRead);
  const writeLen = a.bufferLen > 0 ? a.bufferLen : Math.max(DEFAULT_COPY_BUFLEN, remote.maxWrite);
  log.debug2(`Remote version: ${remote.version}`);
  if (!a.quiet) io.stderr.write(`Connected to ${a.host}.\n`);
  const stdoutTty = io.stdoutIsTTY && io.stderrIsTTY;
  const out = (t: string): void => {
    io.stdout.write(t);
  };
  const shell = new SftpShell({
    remote,
    log,
    out,
    columns: () => (io.stdinIsTTY ? windowSize(true).cols || 80 : 80),
    meter: stdoutTty
      ? (name, size, counter) =>
          new ProgressMeter({ out: io.stdout, columns: () => (io.stdout as NodeJS.WriteStream).columns ?? 80 }, name, size, counter)
      : null,
    quiet: a.quiet,
    showProgress: a.showProgress && stdoutTty,
    global: a.global,
    readLen,
    writeLen,
    numRequests: a.numRequests > 0 ? a.numRequests : DEFAULT_NUM_REQUESTS,
    limitBps: a.limitBps,
    local: {
      cwd: () => process.cwd(),
      chdir: (p) => process.chdir(p),
      umask: (m) => {
        process.umask(m);
      },
      home: () => userInfo().homedir,
      shell: async (command) => {
        const sh = io.env.SHELL || '/bin/sh';
        const r = spawnSync(sh, command === null ? [] : ['-c', command], { stdio: 'inherit', env: io.env as NodeJS.ProcessEnv });
        if (r.error) io.stderr.write(`Couldn't execute "${sh}": ${strerror(r.error)}\n`);
        else if (r.status === null) log.error('Shell exited abnormally');
        else if (r.status !== 0) log.error(`Shell exited with status ${r.status}`);
      },
    },
  });
  // SIGINT stops the command in progress ("Interrupt"); SIGTERM/SIGHUP end the session, after
  // the transfer in progress has stopped cleanly (a partial file is cut at its last good byte).
  let killed = false;
  const offs = [
    io.onSignal('SIGINT', () => {
      io.stderr.write('\rInterrupt  \n');
      shell.interrupt();
    }),
    ...(['SIGTERM', 'SIGHUP'] as const).map((sig) =>
      io.onSignal(sig, () => {
        killed = true;
        shell.interrupt();
      }),
    ),
  ];
  try {
    const r = await Promise.race([shell.init(), lostP]);
    if (r === 'lost') throw new Error('lost');
  } catch {
    for (const off of offs) off();
    return 255;
  }
  try {
    const err = await Promise.race([loop(a, io, shell, () => killed || lost, batchLines), lostP]);
    if (err === 'lost') {
      // sftp's get_msg(): the server or the connection went away mid-command.
      log.fatal('Connection closed');
      return 255;
    }
    if (killed) return 1;
    return err === 0 ? 0 : 1;
  } finally {
    for (const off of offs) off();
    sftp.off('close', onClose);
    sftp.end();
  }
}

/**
 * The SFTP channel. ssh2's sftp() always asks for the "sftp" subsystem; for `-s name` (or `-s
 * /path/to/sftp-server`, run as a command, as ssh does for a name with a slash) its request is
 * swapped for the one sftp would send while the channel opens.
 */
function openSftp(conn: Connection, subsystem: string): Promise<SFTPWrapper> {
  const proto = (conn.client as unknown as { _protocol: { subsystem(id: number, name: string, wantReply: boolean): void; exec(id: number, cmd: string, wantReply: boolean): void } })._protocol;
  const original = Object.getOwnPropertyDescriptor(proto, 'subsystem');
  if (subsystem !== 'sftp') {
    const subsystemOf = proto.subsystem.bind(proto);
    proto.subsystem = (id, name, wantReply) => {
      if (name === 'sftp' && subsystem.includes('/')) proto.exec(id, subsystem, wantReply);
      else subsystemOf(id, name === 'sftp' ? subsystem : name, wantReply);
    };
  }
  const restore = (): void => {
    if (original) Object.defineProperty(proto, 'subsystem', original);
    else delete (proto as { subsystem?: unknown }).subsystem;
  };
  return new Promise<SFTPWrapper>((resolve, reject) =>
    conn.client.sftp((err, s) => {
      restore();
      if (err) reject(err);
      else resolve(s);
    }),
  );
}

async function loop(a: SftpArgs, io: Io, shell: SftpShell, stop: () => boolean, batchLines: string[] | null): Promise<number> {
  const batchmode = a.batchFile !== null;
  if (a.file1 !== null) {
    const dir = makeAbsolute(a.file1, shell.pwd);
    const isDir = await shell.remoteIsDir(dir);
    if (isDir && a.file2 === null) {
      if (!a.quiet) io.stdout.write(`Changing to: ${dir}\n`);
      if ((await shell.dispatch(`cd "${dir}"`, true, false)) !== 0) return -1;
    } else {
      const cmd = `get${a.global.a ? ' -a' : ''} ${dir}${a.file2 === null ? '' : ` ${a.file2}`}`;
      const r = await shell.dispatch(cmd, true, false);
      return r >= 0 && !stop() ? 0 : -1;
    }
  }
  const interactive = !batchmode && io.stdinIsTTY;
  let busy = false;
  let lines: AsyncIterator<string | null>;
  let rl: Interface | null = null;
  if (batchLines !== null) {
    const all = batchLines;
    let i = 0;
    lines = { next: async () => ({ value: i < all.length ? all[i++]! : null, done: false }) };
  } else if (interactive) {
    rl = createInterface({
      input: io.stdin,
      output: io.stdout,
      prompt: 'sftp> ',
      historySize: 100,
      terminal: true,
      completer: (line: string, cb: (err: null, r: [string[], string]) => void) => {
        complete(shell, line).then((r) => cb(null, r), () => cb(null, [[], line]));
      },
    });
    const r = rl;
    // Lines typed while a command runs are kept for the prompts that follow.
    const queue: (string | null)[] = [];
    let waiting: ((v: string | null) => void) | null = null;
    const push = (v: string | null): void => {
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(v);
      } else queue.push(v);
    };
    r.on('line', (l) => push(l));
    r.on('close', () => {
      io.stdout.write('\n');
      push(null);
    });
    r.on('SIGINT', () => {
      // The terminal stays raw while readline is open, so ^C arrives here: during a command it
      // interrupts it (sftp's cmd_interrupt), at the prompt it drops the line, as libedit does.
      if (busy) {
        io.stderr.write('\rInterrupt  \n');
        shell.interrupt();
        return;
      }
      io.stdout.write('\n');
      (r as unknown as { line: string }).line = '';
      r.prompt();
    });
    lines = {
      next: () =>
        new Promise((resolve) => {
          if (queue.length > 0) return resolve({ value: queue.shift() ?? null, done: false });
          r.prompt();
          waiting = (v) => resolve({ value: v, done: false });
        }),
    };
  } else {
    lines = { next: async () => ({ value: await io.readLine(), done: false }) };
  }
  let err = 0;
  try {
    for (;;) {
      shell.clearInterrupt();
      if (stop()) break;
      const { value } = await lines.next();
      if (value === null || value === undefined) break;
      const line = value.replace(/\n.*$/s, '');
      busy = true;
      try {
        err = await shell.dispatch(line, batchmode, !interactive);
      } finally {
        busy = false;
      }
      if (err !== 0) break;
      if (stop()) {
        err = -1;
        break;
      }
    }
  } finally {
    rl?.close();
  }
  return err >= 0 ? 0 : -1;
}

/** Tab completion: command names first, then remote or local paths as the command's table says. */
async function complete(shell: SftpShell, line: string): Promise<[string[], string]> {
  const words = line.split(/\s+/).filter((w, i) => w !== '' || i > 0);
  if (words.length <= 1) {
    const w = words[0] ?? '';
    const hits = COMMANDS.map(([n]) => n).filter((n) => n.startsWith(w) && n !== '!' && n !== '?');
    return [hits.map((h) => `${h} `), w];
  }
  const entry = COMMANDS.find(([n]) => n === words[0]);
  if (!entry) return [[], line];
  const argn = words.filter((w, i) => i > 0 && !w.startsWith('-')).length;
  const kind = argn <= 1 ? entry[2] : entry[3];
  const word = words[words.length - 1] ?? '';
  if (kind === null) return [[], word];
  const slash = word.lastIndexOf('/');
  const dirPart = slash >= 0 ? word.slice(0, slash + 1) : '';
  const base = slash >= 0 ? word.slice(slash + 1) : word;
  let names: { name: string; dir: boolean }[] = [];
  if (kind === 'remote') {
    const dir = makeAbsolute(dirPart === '' ? '.' : dirPart, shell.pwd);
    try {
      const list = await shell.remote.readdir(dir);
      names = list.map((e) => ({ name: e.filename, dir: ((e.attrs.mode ?? 0) & 0o170000) === 0o040000 }));
    } catch {
      names = [];
    }
  } else {
    const { readdirSync } = await import('node:fs');
    try {
      names = readdirSync(dirPart === '' ? '.' : dirPart, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory() }));
    } catch {
      names = [];
    }
  }
  const hits = names
    .filter((n) => n.name !== '.' && n.name !== '..' && n.name.startsWith(base) && (base.startsWith('.') || !n.name.startsWith('.')))
    .map((n) => `${dirPart}${n.name}${n.dir ? '/' : ' '}`);
  return [hits, word];
}
