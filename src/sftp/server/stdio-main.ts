/**
 * The SFTP server on stdin/stdout, as an external Subsystem program, with sftp-server's options:
 *   Subsystem sftp /usr/bin/node /path/to/dist/src/sftp/server/stdio-main.js [-ehR] [-d start_dir]
 *       [-l log_level] [-u umask] [-f facility (ignored)] [-C chroot_dir (tsh only)]
 * Logs go to stderr with -e (sftp-server would use syslog otherwise; here they are dropped).
 */
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Socket } from 'node:net';
import { fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { LOG_LEVELS } from '../../session/log.js';
import { REQUEST_NAMES, serveSftp, type SftpLogLevel } from './server.js';

const RANK: Record<SftpLogLevel, number> = { error: 2, info: 3, verbose: 4, debug: 5 };

export interface StdioOptions {
  readOnly: boolean;
  startDir: string | null;
  umask: number | undefined;
  level: number;
  stderr: boolean;
  /** -C dir (tsh's own option): confine the session to dir; -d and $HOME then name paths inside it. */
  chroot: string | null;
}

function usage(): never {
  process.stderr.write(
    'usage: sftp-server [-ehR] [-d start_directory] [-f log_facility] [-l log_level]\n\t[-P denied_requests] [-p allowed_requests] [-u umask]\n       sftp-server -Q protocol_feature\n',
  );
  process.exit(1);
}

/** Parses sftp-server's argv (getopt "d:f:l:P:p:Q:u:cehR"); exits on usage errors as it does. */
export function parseArgs(argv: readonly string[], home: string, user: string, uid: number): StdioOptions {
  const o: StdioOptions = { readOnly: false, startDir: null, umask: undefined, level: LOG_LEVELS.ERROR, stderr: false, chroot: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if ('CdflPpQu'.includes(c)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (value === undefined) usage();
        if (c === 'C') o.chroot = value;
        else if (c === 'd') {
          const t = value.startsWith('~/') || value === '~' ? home + value.slice(1) : value;
          o.startDir = t.replace(/%([duU%])/g, (_m, k: string) => (k === 'd' ? home : k === 'u' ? user : k === 'U' ? String(uid) : '%'));
        } else if (c === 'l') {
          const lv = (LOG_LEVELS as Record<string, number>)[value.toUpperCase()];
          if (lv === undefined) process.stderr.write(`Invalid log level "${value}"\r\n`);
          else o.level = lv;
        } else if (c === 'u') {
          if (!/^[0-7]+$/.test(value) || parseInt(value, 8) > 0o777) {
            process.stderr.write(`Invalid umask "${value}"\r\n`);
            process.exit(255);
          }
          o.umask = parseInt(value, 8);
        } else if (c === 'Q') {
          if (value.toLowerCase() !== 'requests') {
            process.stderr.write('Invalid query type\n');
            process.exit(1);
          }
          process.stdout.write(REQUEST_NAMES.map((n) => `${n}\n`).join(''));
          process.exit(0);
        } else if (c === 'p' || c === 'P') {
          process.stderr.write(`-${c} is not supported\r\n`);
          process.exit(255);
        }
        break;
      }
      if (c === 'R') o.readOnly = true;
      else if (c === 'e') o.stderr = true;
      else if (c === 'c') return o;
      else usage();
    }
  }
  return o;
}

export async function main(argv: readonly string[]): Promise<number> {
  const me = userInfo();
  const home = process.env.HOME || me.homedir;
  const o = parseArgs(argv, home, me.username, me.uid);
  const conn = process.env.SSH_CONNECTION;
  const clientAddress = conn ? conn.split(' ')[0]! : 'UNKNOWN';
  const log = (line: string, level: SftpLogLevel): void => {
    if (!o.stderr || RANK[level] > o.level) return;
    const prefix = level === 'debug' ? 'debug1: ' : '';
    process.stderr.write(`${prefix}${line}\r\n`);
  };
  let start = o.chroot !== null ? (o.startDir ?? home) : (o.startDir ?? process.cwd());
  if (o.startDir !== null && o.chroot === null) {
    try {
      process.chdir(o.startDir);
      start = process.cwd();
    } catch (e) {
      log(`chdir to "${o.startDir}" failed: ${(e as Error).message}`, 'error');
      start = process.cwd();
    }
  }
  const output = stdoutStream();
  try {
    await serveSftp(process.stdin, output, {
      home: start,
      chroot: o.chroot,
      readOnly: o.readOnly,
      ...(o.umask !== undefined ? { umask: o.umask } : {}),
      log,
      user: me.username,
      clientAddress,
    });
    return 0;
  } catch {
    return 255;
  } finally {
    if (output !== process.stdout) await new Promise<void>((res) => output.end(res));
  }
}

/**
 * Node writes to a stdout pipe synchronously, which stalls every request behind a slow reader: a
 * pipe gets its own non-blocking stream instead.
 */
function stdoutStream(): Writable {
  try {
    if (fstatSync(1).isFIFO() || fstatSync(1).isSocket()) return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    // fall through
  }
  return process.stdout;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // No top-level await: the single executable bundles this module as CommonJS (bin/sea.ts).
  void main(process.argv.slice(2)).then((code) => process.stdout.end(() => process.exit(code)));
}
