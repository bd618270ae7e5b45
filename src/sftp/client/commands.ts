/**
 * sftp.c's command table, help text and parse_args(): a line becomes a command with its flags
 * and paths, or an error printed with OpenSSH's text.
 */
import { getopt, GetoptError } from '../../cli/getopt.js';
import type { Logger } from '../../session/log.js';
import { makeArgv, TokenizeError, undoGlobEscape } from './tokenize.js';

export const HELP_TEXT = `Available commands:
bye                                Quit sftp
cd path                            Change remote directory to 'path'
chgrp [-h] grp path                Change group of file 'path' to 'grp'
chmod [-h] mode path               Change permissions of file 'path' to 'mode'
chown [-h] own path                Change owner of file 'path' to 'own'
copy oldpath newpath               Copy remote file
cp oldpath newpath                 Copy remote file
df [-hi] [path]                    Display statistics for current directory or
                                   filesystem containing 'path'
exit                               Quit sftp
get [-afpR] remote [local]         Download file
help                               Display this help text
lcd path                           Change local directory to 'path'
lls [ls-options [path]]            Display local directory listing
lmkdir path                        Create local directory
ln [-s] oldpath newpath            Link remote file (-s for symlink)
lpwd                               Print local working directory
ls [-1afhlnrSt] [path]             Display remote directory listing
ls --json [-afrSt] [path]          List as one JSON array (tsh-sftp only)
lumask umask                       Set local umask to 'umask'
mkdir path                         Create remote directory
progress                           Toggle display of progress meter
put [-afpR] local [remote]         Upload file
pwd                                Display remote working directory
quit                               Quit sftp
reget [-fpR] remote [local]        Resume download file
rename oldpath newpath             Rename remote file
reput [-fpR] local [remote]        Resume upload file
rm path                            Delete remote file
rmdir path                         Remove remote directory
symlink oldpath newpath            Symlink remote file
version                            Show SFTP version
!command                           Execute 'command' in local shell
!                                  Escape to local shell
?                                  Synonym for help
`;

export type Cmd =
  | 'chdir' | 'chgrp' | 'chmod' | 'chown' | 'copy' | 'df' | 'get' | 'help' | 'lchdir' | 'link' | 'lls' | 'lmkdir' | 'lpwd' | 'ls'
  | 'lumask' | 'mkdir' | 'put' | 'pwd' | 'quit' | 'reget' | 'rename' | 'reput' | 'rm' | 'rmdir' | 'shell' | 'symlink' | 'version' | 'progress';

/** sftp.c cmds[]: name, command, completion type of the first and second argument. */
export const COMMANDS: readonly (readonly [string, Cmd, 'remote' | 'local' | null, 'remote' | 'local' | null])[] = [
  ['bye', 'quit', null, null],
  ['cd', 'chdir', 'remote', null],
  ['chdir', 'chdir', 'remote', null],
  ['chgrp', 'chgrp', 'remote', null],
  ['chmod', 'chmod', 'remote', null],
  ['chown', 'chown', 'remote', null],
  ['copy', 'copy', 'remote', 'local'],
  ['cp', 'copy', 'remote', 'local'],
  ['df', 'df', 'remote', null],
  ['dir', 'ls', 'remote', null],
  ['exit', 'quit', null, null],
  ['get', 'get', 'remote', 'local'],
  ['help', 'help', null, null],
  ['lcd', 'lchdir', 'local', null],
  ['lchdir', 'lchdir', 'local', null],
  ['lls', 'lls', 'local', null],
  ['lmkdir', 'lmkdir', 'local', null],
  ['ln', 'link', 'remote', 'remote'],
  ['lpwd', 'lpwd', 'local', null],
  ['ls', 'ls', 'remote', null],
  ['lumask', 'lumask', null, null],
  ['mkdir', 'mkdir', 'remote', null],
  ['mget', 'get', 'remote', 'local'],
  ['mput', 'put', 'local', 'remote'],
  ['progress', 'progress', null, null],
  ['put', 'put', 'local', 'remote'],
  ['pwd', 'pwd', 'remote', null],
  ['quit', 'quit', null, null],
  ['reget', 'reget', 'remote', 'local'],
  ['rename', 'rename', 'remote', 'remote'],
  ['reput', 'reput', 'local', 'remote'],
  ['rm', 'rm', 'remote', null],
  ['rmdir', 'rmdir', 'remote', null],
  ['symlink', 'symlink', 'remote', 'remote'],
  ['version', 'version', null, null],
  ['!', 'shell', null, null],
  ['?', 'help', null, null],
];

export const LS_LONG_VIEW = 0x1;
export const LS_SHORT_VIEW = 0x2;
export const LS_NUMERIC_VIEW = 0x4;
export const LS_NAME_SORT = 0x8;
export const LS_TIME_SORT = 0x10;
export const LS_SIZE_SORT = 0x20;
export const LS_REVERSE_SORT = 0x40;
export const LS_SHOW_ALL = 0x80;
export const LS_SI_UNITS = 0x100;
/** ls --json (tsh-sftp's own): one JSON array of entries. */
export const LS_JSON = 0x200;
export const VIEW_FLAGS = LS_LONG_VIEW | LS_SHORT_VIEW | LS_NUMERIC_VIEW | LS_SI_UNITS;
export const SORT_FLAGS = LS_NAME_SORT | LS_TIME_SORT | LS_SIZE_SORT;

export interface Parsed {
  cmd: Cmd | null;
  /** The command word as typed (for messages) and the rest of the line (lls, !). */
  name: string;
  rest: string;
  ignoreErrors: boolean;
  disableEcho: boolean;
  a: boolean;
  f: boolean;
  h: boolean;
  i: boolean;
  l: number;
  p: boolean;
  r: boolean;
  s: boolean;
  n: number;
  path1: string | null;
  path2: string | null;
}
/** A line sftp refuses; the error is printed, `parsed` holds the prefixes seen. */
export class ParseFail extends Error {
  parsed?: Parsed;
}

/** BSD getopt over a command's words, with sftp's "cmd: Invalid flag -x" message. */
function cmdGetopt(words: string[], optstring: string, cmd: string, log: Logger): { opts: string[]; optind: number } {
  try {
    const r = getopt(words, optstring, 1);
    return { opts: r.options.map((o) => o.opt), optind: r.optind };
  } catch (err) {
    if (err instanceof GetoptError) {
      const m = /-- (.)$/.exec(err.message);
      log.error(`${cmd}: Invalid flag -${m?.[1] ?? '?'}`);
      throw new ParseFail();
    }
    throw err;
  }
}
/** parse_args(). Returns null for a blank line; throws ParseFail (with what was parsed) after printing the error. */
export function parseArgs(line: string, log: Logger): Parsed | null {
  let cp = line.replace(/^[ \t\r\n]+/, '');
  let ignoreErrors = false;
  let disableEcho = false;
  let k = 0;
  for (; k < cp.length; k++) {
    if (cp[k] === '-') ignoreErrors = true;
    else if (cp[k] === '@') disableEcho = true;
    else break;
  }
  cp = cp.slice(k).replace(/^[ \t\r\n]+/, '');
  const base: Parsed = { cmd: null, name: '', rest: '', ignoreErrors, disableEcho, a: false, f: false, h: false, i: false, l: 0, p: false, r: false, s: false, n: 0, path1: null, path2: null };
  if (cp === '' || cp[0] === '#') return base;
  let argv: string[];
  try {
    argv = makeArgv(cp);
  } catch (err) {
    if (err instanceof TokenizeError) {
      log.error(err.message);
      throw Object.assign(new ParseFail(), { parsed: base });
    }
    throw err;
  }
  const entry = COMMANDS.find(([n]) => argv[0] !== undefined && n.toLowerCase() === argv[0].toLowerCase());
  let cmd: Cmd | null = entry?.[1] ?? null;
  const name = entry?.[0] ?? '';
  const p: Parsed = { ...base, cmd, name };
  const fail = (msg: string): never => {
    log.error(msg);
    throw Object.assign(new ParseFail(), { parsed: p });
  };
  const flags = (optstring: string): { opts: string[]; optind: number } => {
    try {
      return cmdGetopt(argv, optstring, name, log);
    } catch (err) {
      if (err instanceof ParseFail) throw Object.assign(err, { parsed: p });
      throw err;
    }
  };
  if (cp[0] === '!') {
    p.cmd = cmd = 'shell';
    p.rest = cp.slice(1);
    return p;
  }
  if (cmd === null) fail('Invalid command.');
  const argc = argv.length;
  switch (cmd) {
    case 'get':
    case 'reget':
    case 'reput':
    case 'put': {
      const { opts, optind } = flags('afPpRr');
      for (const o of opts) {
        if (o === 'a') p.a = true;
        else if (o === 'f') p.f = true;
        else if (o === 'p' || o === 'P') p.p = true;
        else p.r = true;
      }
      if (argc - optind < 1) fail(`You must specify at least one path after a ${name} command.`);
      p.path1 = argv[optind]!;
      if (argc - optind > 1) p.path2 = undoGlobEscape(argv[optind + 1]!);
      break;
    }
    case 'link':
    case 'copy':
    case 'rename':
    case 'symlink': {
      const { opts, optind } = flags(cmd === 'link' ? 's' : cmd === 'rename' ? 'l' : '');
      if (opts.includes('s')) p.s = true;
      if (opts.includes('l')) p.l = 1;
      if (argc - optind < 2) fail(`You must specify two paths after a ${name} command.`);
      p.path1 = undoGlobEscape(argv[optind]!);
      p.path2 = undoGlobEscape(argv[optind + 1]!);
      break;
    }
    case 'rm':
    case 'mkdir':
    case 'rmdir':
    case 'lmkdir':
    case 'chdir':
    case 'lchdir': {
      const mandatory = cmd !== 'chdir' && cmd !== 'lchdir';
      const { optind } = flags('');
      if (argc - optind < 1) {
        if (!mandatory) break;
        fail(`You must specify a path after a ${name} command.`);
      }
      p.path1 = argv[optind]!;
      if (cmd !== 'rm') p.path1 = undoGlobEscape(p.path1);
      break;
    }
    case 'df': {
      const { opts, optind } = flags('hi');
      p.h = opts.includes('h');
      p.i = opts.includes('i');
      if (argc - optind >= 1) p.path1 = undoGlobEscape(argv[optind]!);
      break;
    }
    case 'ls': {
      let lflag = LS_NAME_SORT;
      // --json among the flags (before the path); sftp has no long options.
      for (let i = 1; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--'; ) {
        if (argv[i] === '--json') {
          argv.splice(i, 1);
          lflag |= LS_JSON;
        } else i++;
      }
      let res;
      try {
        res = cmdGetopt(argv, '1Safhlnrt', 'ls', log);
      } catch (err) {
        if (err instanceof ParseFail) throw Object.assign(err, { parsed: p });
        throw err;
      }
      for (const o of res.opts) {
        switch (o) {
          case '1':
            lflag = (lflag & ~VIEW_FLAGS) | LS_SHORT_VIEW;
            break;
          case 'S':
            lflag = (lflag & ~SORT_FLAGS) | LS_SIZE_SORT;
            break;
          case 'a':
            lflag |= LS_SHOW_ALL;
            break;
          case 'f':
            lflag &= ~SORT_FLAGS;
            break;
          case 'h':
            lflag |= LS_SI_UNITS;
            break;
          case 'l':
            lflag = (lflag & ~LS_SHORT_VIEW) | LS_LONG_VIEW;
            break;
          case 'n':
            lflag = (lflag & ~LS_SHORT_VIEW) | LS_NUMERIC_VIEW | LS_LONG_VIEW;
            break;
          case 'r':
            lflag |= LS_REVERSE_SORT;
            break;
          case 't':
            lflag = (lflag & ~SORT_FLAGS) | LS_TIME_SORT;
            break;
        }
      }
      p.l = lflag;
      if (argv.length - res.optind > 0) p.path1 = argv[res.optind]!;
      break;
    }
    case 'lls':
      // The rest of the line after the command word.
      p.rest = cp.slice(name.length).replace(/^[ \t\r\n]+/, '');
      break;
    case 'shell':
      break;
    case 'lumask':
    case 'chmod':
    case 'chown':
    case 'chgrp': {
      const base8 = cmd === 'lumask' || cmd === 'chmod';
      const { opts, optind } = flags('h');
      p.h = opts.includes('h');
      const need = (): never => fail(`You must supply a numeric argument to the ${name} command.`);
      if (argc - optind < 1) need();
      const s = argv[optind]!;
      const m = base8 ? /^\s*[+]?([0-7]+)$/.exec(s) : /^\s*[+]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
      if (!m) need();
      const v = base8 ? parseInt(m![1]!, 8) : Number(m![1]!.startsWith('0') && !/^0[xX]/.test(m![1]!) && m![1]!.length > 1 ? parseInt(m![1]!, 8) : Number(m![1]!));
      if (!(v >= 0 && v <= 0xffffffff)) need();
      p.n = v;
      if (cmd === 'lumask') break;
      if (argc - optind < 2) fail(`You must specify a path after a ${name} command.`);
      p.path1 = argv[optind + 1]!;
      break;
    }
    case 'quit':
    case 'pwd':
    case 'lpwd':
    case 'help':
    case 'version':
    case 'progress':
      flags('');
      break;
  }
  return p;
}

/** The "-" (ignore errors) and "@" (no echo) prefixes of a line. */
export function prefixes(line: string): { ignoreErrors: boolean; disableEcho: boolean } {
  const cp = line.replace(/^[ \t\r\n]+/, '');
  let ignoreErrors = false;
  let disableEcho = false;
  for (const c of cp) {
    if (c === '-') ignoreErrors = true;
    else if (c === '@') disableEcho = true;
    else break;
  }
  return { ignoreErrors, disableEcho };
}
