/**
 * Errors that carry an exit code. Commands throw these (or return a number); only bin/ calls
 * process.exit. tsh's own failures exit 255, like OpenSSH's fatal().
 */
export class TshError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 255, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TshError';
    this.exitCode = exitCode;
  }
}

/** A bad command line: the message is printed, then usage if the tool wants it. */
export class UsageError extends TshError {
  constructor(message: string, exitCode = 255) {
    super(message, exitCode);
    this.name = 'UsageError';
  }
}

/** Exit with a code; everything the user needs to see has been printed already. */
export class ExitError extends TshError {
  constructor(exitCode: number) {
    super(`exit ${exitCode}`, exitCode);
    this.name = 'ExitError';
  }
}

/** The user interrupted a prompt (^C). */
export class InterruptedError extends TshError {
  constructor() {
    super('interrupted', 130);
    this.name = 'InterruptedError';
  }
}

/** A file could not be parsed: names the file and the line. */
export class ParseError extends TshError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file} line ${line}: ${message}`, 255);
    this.name = 'ParseError';
    this.file = file;
    this.line = line;
  }
}

/** errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EINVAL: 'Invalid argument',
  ENOTEMPTY: 'Directory not empty',
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENETDOWN: 'Network is down',
  EHOSTDOWN: 'Host is down',
  ECONNABORTED: 'Software caused connection abort',
  ENOBUFS: 'No buffer space available',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  EPROTO: 'Protocol error',
};

/** The C library's strerror() text for a Node system error, as OpenSSH prints it. */
export function strerror(err: unknown): string {
  const code = errnoCode(err);
  if (code && STRERROR[code]) return STRERROR[code];
  if (err instanceof Error) return err.message;
  return String(err);
}
