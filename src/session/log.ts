/**
 * The client's log, as OpenSSH's log.c writes it: one line per message ending in "\r\n", on
 * stderr or the -E file, filtered by LogLevel (QUIET < FATAL < ERROR < INFO < VERBOSE < DEBUG1 <
 * DEBUG2 < DEBUG3). Debug lines carry their "debugN: " prefix; the others are bare.
 */
import type { Writable } from 'node:stream';

export type LogLevelName = 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';

export const LOG_LEVELS: Readonly<Record<LogLevelName, number>> = {
  QUIET: 0,
  FATAL: 1,
  ERROR: 2,
  INFO: 3,
  VERBOSE: 4,
  DEBUG: 5,
  DEBUG1: 5,
  DEBUG2: 6,
  DEBUG3: 7,
};

export interface Logger {
  readonly level: number;
  /** fatal(): shown unless LogLevel is QUIET (-q), like every other level. */
  fatal(message: string): void;
  error(message: string): void;
  info(message: string): void;
  verbose(message: string): void;
  debug1(message: string): void;
  debug2(message: string): void;
  debug3(message: string): void;
}

/** A logger writing to `out` (stderr, or the -E file) at `level`. */
export function createLogger(out: Writable, level: number): Logger {
  const put = (min: number, prefix: string) => (message: string) => {
    if (level >= min) out.write(`${prefix}${message}\r\n`);
  };
  return {
    level,
    fatal: put(LOG_LEVELS.FATAL, ''),
    error: put(LOG_LEVELS.ERROR, ''),
    info: put(LOG_LEVELS.INFO, ''),
    verbose: put(LOG_LEVELS.VERBOSE, ''),
    debug1: put(LOG_LEVELS.DEBUG1, 'debug1: '),
    debug2: put(LOG_LEVELS.DEBUG2, 'debug2: '),
    debug3: put(LOG_LEVELS.DEBUG3, 'debug3: '),
  };
}

/** A logger that drops everything (tests, and -q paths that must stay silent). */
export const NULL_LOGGER: Logger = createLogger(
  { write: () => true } as unknown as Writable,
  LOG_LEVELS.QUIET,
);
