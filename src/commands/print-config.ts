/**
 * `tsh -G`: resolve the client configuration for the destination and print it as `ssh -G` does,
 * after the checks ssh.c makes before its dump (so the same command lines fail the same way).
 * `tsh -G --json` prints the same dump as one JSON object (configJson).
 */
import { spawnSync } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { ExitError, TshError } from '../errors.js';
import type { Io } from '../io.js';
import { ConfigError, dumpClientConfig, fsLoader, resolveClientConfig, type ConfigSource, type ResolveClientOptions, type ResolvedClientConfig } from '../config/index.js';
import type { TshArgs } from '../cli/tsh-args.js';

export interface PrintConfigContext {
  /** Whether standard input is a terminal (ssh's "Pseudo-terminal will not be allocated" note). */
  stdinIsTTY: boolean;
}

/** The configuration files ssh reads: -F's file (or none), else ~/.ssh/config then the system file. */
export function configSources(args: TshArgs, home: string): ConfigSource[] {
  if (args.configFile !== null) {
    return args.configFile.toLowerCase() === 'none' ? [] : [{ path: args.configFile, required: true }];
  }
  return [
    { path: `${home}/.ssh/config`, checkPerm: true },
    { path: '/etc/ssh/ssh_config', system: true },
  ];
}

/**
 * Everything resolveClientConfig needs besides the host and the overrides. `~` in config values
 * (IdentityFile, UserKnownHostsFile, ...) means $HOME, like the files read, so a temporary HOME
 * is a whole separate client; ssh uses the passwd entry, which is the same for everyday use.
 */
export function resolveOptions(args: TshArgs, io: Io, warnings: string[] = []): ResolveClientOptions {
  const pw = userInfo();
  const home = io.env.HOME || pw.homedir;
  return {
    host: args.host,
    overrides: args.overrides,
    files: configSources(args, home),
    loader: fsLoader,
    env: io.env,
    localUser: pw.username,
    home,
    uid: process.getuid?.() ?? 0,
    thisHost: hostname(),
    exec: (cmd) => spawnSync('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 }).status ?? -1,
    warn: (m) => warnings.push(m),
  };
}

/** Resolves the configuration as ssh.c main() does up to its -G dump; fatal errors throw. */
export function resolveForArgs(args: TshArgs, io: Io, warnings: string[]): ResolvedClientConfig {
  let cfg = resolveClientConfig(resolveOptions(args, io, warnings));
  const j = cfg.proxyJump;
  if (j !== null && j.host !== 'none') {
    const port = cfg.port <= 0 ? 22 : cfg.port;
    const jport = j.port <= 0 ? 22 : j.port;
    if (j.host === cfg.hostname && port === jport && (j.user ?? cfg.user) === cfg.user) {
      throw new TshError(`jumphost loop via ${j.host}`);
    }
  }
  if (args.command !== null && cfg.remoteCommand !== null) throw new TshError('Cannot execute command-line and remote command.');
  if (cfg.forkAfterAuthentication && args.command === null && cfg.remoteCommand === null && cfg.sessionType !== 'none') {
    throw new TshError('Cannot fork into background without a command to execute.');
  }
  // UpdateHostKeys=ask is turned off when a command runs (the evaluator does not see the command).
  if (args.command !== null && cfg.updateHostKeys === 'ask') cfg = { ...cfg, updateHostKeys: 'false' };
  return cfg;
}

/** ssh.c's tty_flag before the stdin check: whether a pty is wanted at all. */
export function wantTty(args: TshArgs, cfg: ResolvedClientConfig): boolean {
  const rt = cfg.requestTty;
  let tty = rt === 'true' || rt === 'force';
  if (args.command === null && cfg.remoteCommand === null) tty = rt !== 'false';
  if (rt === 'false' || (args.muxCommand !== null && args.muxCommand !== 'proxy') || cfg.sessionType === 'none') tty = false;
  if (args.stdioForward !== null) tty = false;
  return tty;
}

/** ssh's tty decision, for the note it logs when stdin is not a terminal. */
function ttyNote(args: TshArgs, cfg: ResolvedClientConfig, ctx: PrintConfigContext): string | null {
  const rt = cfg.requestTty;
  const tty = wantTty(args, cfg);
  if ((!ctx.stdinIsTTY || cfg.stdinNull) && rt !== 'force' && tty) {
    return 'Pseudo-terminal will not be allocated because stdin is not a terminal.';
  }
  return null;
}

const QUIET_LEVELS = new Set(['QUIET', 'FATAL']);

/**
 * resolveForArgs() for a command: a fatal configuration error is printed as ssh prints it (the
 * warnings so far, then the error) and becomes ExitError(255).
 */
export function resolveOrExit(args: TshArgs, io: Io, warnings: string[]): ResolvedClientConfig {
  try {
    return resolveForArgs(args, io, warnings);
  } catch (err) {
    for (const w of warnings) io.stderr.write(`${w}\r\n`);
    if (err instanceof ConfigError) {
      io.stderr.write(err.lines.map((l) => `${l}\r\n`).join(''));
      throw new ExitError(255);
    }
    if (err instanceof TshError && !(err instanceof ExitError)) {
      io.stderr.write(`${err.message}\r\n`);
      throw new ExitError(255);
    }
    throw err;
  }
}

export async function printConfig(args: TshArgs, io: Io, ctx: PrintConfigContext): Promise<number> {
  const warnings: string[] = [];
  const cfg = resolveOrExit(args, io, warnings);
  const logs = QUIET_LEVELS.has(cfg.logLevel) ? [] : [...warnings];
  const note = ttyNote(args, cfg, ctx);
  if (note !== null && cfg.logLevel !== 'QUIET' && cfg.logLevel !== 'FATAL' && cfg.logLevel !== 'ERROR') logs.push(note);
  for (const l of logs) io.stderr.write(`${l}\r\n`);
  io.stdout.write(args.json ? `${JSON.stringify(configJson(cfg), null, 2)}\n` : dumpClientConfig(cfg));
  return 0;
}

/** Keywords `ssh -G` prints once per value: always arrays in the JSON form (maybe empty). */
const REPEATED = ['identityfile', 'certificatefile', 'dynamicforward', 'localforward', 'remoteforward', 'sendenv', 'setenv'];
/** Keywords `ssh -G` prints as one space-separated list ("none" when empty): arrays of words. */
const WORD_LISTS = new Set(['canonicaldomains', 'globalknownhostsfile', 'userknownhostsfile', 'logverbose', 'permitremoteopen', 'canonicalizepermittedcnames']);
/** Integer keywords: JSON numbers ("none" becomes null). */
const NUMBERS = new Set([
  'port', 'canonicalizemaxdots', 'connectionattempts', 'forwardx11timeout', 'numberofpasswordprompts',
  'serveralivecountmax', 'serveraliveinterval', 'requiredrsasize', 'connecttimeout',
]);

export type ConfigJsonValue = string | number | null | string[];

/**
 * The `tsh -G` dump as a JSON object: keyword (lowercase, as -G prints it) → the value as -G
 * prints it; numbers for integer keywords; arrays for keywords that hold several values.
 */
export function configJson(cfg: ResolvedClientConfig): Record<string, ConfigJsonValue> {
  const out: Record<string, ConfigJsonValue> = {};
  for (const k of REPEATED) out[k] = [];
  for (const line of dumpClientConfig(cfg).split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const raw = sp < 0 ? line : line.slice(0, sp);
    const key = raw.toLowerCase();
    const value = sp < 0 ? '' : line.slice(sp + 1);
    if (REPEATED.includes(key)) (out[key] as string[]).push(value);
    else if (WORD_LISTS.has(key)) out[key] = value === 'none' ? [] : value.split(' ');
    else if (NUMBERS.has(key)) out[key] = /^-?[0-9]+$/.test(value) ? Number(value) : null;
    else out[key] = value;
  }
  return out;
}
