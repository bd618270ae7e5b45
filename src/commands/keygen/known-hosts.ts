/**
 * tsh-keygen -F / -R / -H (ssh-keygen.c do_known_hosts): find a host in a known_hosts file
 * (optionally as fingerprints or hashed), remove a host's keys, or hash every plain host name.
 * Output, messages, exit codes and the rewritten file (mode & 0644, FILE.old kept) follow
 * ssh-keygen 9.2. The host argument is used as given: `[host]:port` for other ports.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errnoCode, ExitError, strerror } from '../../errors.js';
import type { Io } from '../../io.js';
import { bubblebabble } from '../../keys/bubblebabble.js';
import { fingerprint } from '../../keys/public-key.js';
import { randomart } from '../../keys/randomart.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { knownHostsForeach, outText } from '../../known-hosts/foreach.js';
import type { ScannedLine } from '../../known-hosts/scan.js';
import type { KeygenOptions } from './options.js';
import { fatal, logLine, sanitize, utf8Locale } from './ssh-log.js';

/** The file's text; a directory reads as empty (fopen succeeds, getline fails), like OpenSSH. */
function readText(io: Io, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'EISDIR') return '';
    return fatal(io, `do_known_hosts: hostkeys_foreach: ${strerror(err)}`);
  }
}

function printFingerprint(opts: KeygenOptions, io: Io, host: string, l: ScannedLine): void {
  const key = l.key!;
  const fp = opts.bubbleBabble ? bubblebabble(key) : fingerprint(key, opts.fingerprintHash);
  const line = `${host} ${key.label} ${fp}${l.comment ? ' ' : ''}${l.comment}\n`;
  io.stdout.write(sanitize(line, utf8Locale(io.env)));
  if (opts.verbose > 0) io.stdout.write(`${randomart(key, opts.fingerprintHash)}\n`);
}

/** FILE.old and the rename, with ssh-keygen's message for whichever step fails. */
function replaceFile(io: Io, path: string, display: string, text: string, mode: number): void {
  try {
    writeFileAtomic(path, text, { mode, keepOld: true });
  } catch (err) {
    const syscall = (err as NodeJS.ErrnoException).syscall;
    const old = `${display}.old`;
    if (syscall === 'link') fatal(io, `link ${display} to ${old}: ${strerror(err)}`);
    if (syscall === 'unlink') fatal(io, `unlink ${old}: ${strerror(err)}`);
    if (syscall === 'rename') {
      logLine(io, `rename"${(err as NodeJS.ErrnoException).path ?? ''}" to "${display}": ${strerror(err)}`);
      throw new ExitError(1);
    }
    fatal(io, `mkstemp: ${strerror(err)}`);
  }
}

export async function runKnownHosts(opts: KeygenOptions, io: Io): Promise<number> {
  const remove = opts.removeHost !== undefined;
  const find = opts.findHost !== undefined;
  const hash = opts.hashHosts;
  // cli/ refused -l with -H/-R, and gives -F and -R the same (last given) host name.
  const host = opts.removeHost ?? opts.findHost;
  const display = opts.file ?? join(opts.env.home, '.ssh', 'known_hosts');
  const path = resolve(io.cwd, display);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    return fatal(io, `Cannot stat ${display}: ${strerror(err)}`);
  }
  const inplace = !find && (hash || remove);
  // ssh-keygen makes its temporary file (mkstemp) before reading, so a directory it cannot write
  // fails first, with that message.
  if (inplace) {
    try {
      accessSync(dirname(path), constants.W_OK);
    } catch (err) {
      return fatal(io, `mkstemp: ${strerror(err)}`);
    }
  }
  const text = readText(io, path);
  const result = knownHostsForeach(text, display, {
    host,
    find,
    remove,
    hash,
    quiet: opts.quiet,
    fingerprint: find && opts.printFingerprint,
  });

  for (const o of result.outputs) {
    switch (o.to) {
      case 'stdout':
        io.stdout.write(`${o.text}\n`);
        break;
      case 'out':
        if (!inplace) io.stdout.write(`${o.text}\n`);
        break;
      case 'log':
        logLine(io, o.text);
        break;
      case 'fingerprint':
        printFingerprint(opts, io, host!, o.line);
        break;
      case 'diagnostic': {
        const d = o.diagnostic;
        if (opts.verbose >= d.level) logLine(io, d.level === 1 ? d.message : `debug${d.level}: ${d.message}`);
        break;
      }
    }
  }

  if (result.invalid) {
    logLine(io, `${display} is not a valid known_hosts file.`);
    if (inplace) logLine(io, 'Not replacing existing known_hosts file because of errors');
    return 1;
  }
  if (remove && !result.found) {
    logLine(io, `Host ${host} not found in ${display}`);
  } else if (inplace) {
    replaceFile(io, path, display, outText(result), mode & 0o644);
    io.stdout.write(`${display} updated.\nOriginal contents retained as ${display}.old\n`);
    if (result.hasUnhashed) {
      logLine(io, `WARNING: ${display}.old contains unhashed entries`);
      logLine(io, 'Delete this file to ensure privacy of hostnames');
    }
  }
  return find && !result.found ? 1 : 0;
}
