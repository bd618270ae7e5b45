/**
 * tshd's LogLevel filter, shared by the daemon and (under privilege separation) its protocol
 * process, which writes its own lines when the log is a file descriptor it can hold.
 */
import { LOG_LEVEL_ORDER, type LogLevel } from './config/values.js';

/**
 * LogLevel for the daemon's lines: "fatal: ..." lines are FATAL, "error: ..." lines ERROR,
 * "debug1: " to "debug3: " lines DEBUG1 to DEBUG3 (printed with that prefix, as sshd prints them),
 * "verbose: ..." lines VERBOSE (printed without the prefix, as sshd's VERBOSE lines are), the rest
 * INFO (the levels sshd logs these lines at); QUIET shows nothing.
 */
export function levelFilter(level: LogLevel, log: (line: string) => void): (line: string) => void {
  const rank = (l: LogLevel): number => LOG_LEVEL_ORDER.indexOf(l);
  const at = rank(level);
  return (line) => {
    const m = /^(fatal|error|verbose|debug[123]): /.exec(line);
    const tag = m?.[1];
    const lineLevel: LogLevel =
      tag === 'fatal' ? 'FATAL' : tag === 'error' ? 'ERROR' : tag === 'verbose' ? 'VERBOSE' : tag?.startsWith('debug') ? (`DEBUG${tag.slice(5)}` as LogLevel) : 'INFO';
    if (rank(lineLevel) <= at) log(tag === 'verbose' ? line.slice('verbose: '.length) : line);
  };
}
