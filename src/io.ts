/**
 * The Io interface: what a command may touch of the outside world. cli/ builds the real one from
 * the process; tests build fakes. Commands never read process.* themselves.
 */
import { openSync, closeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { InterruptedError } from './errors.js';

export interface Io {
  /**
   * Standard input as a stream, for programs that stream it (tsh sessions). Do not mix with
   * readLine/readAll. On a terminal it is a tty.ReadStream (setRawMode).
   */
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** One line from standard input, without its newline; null at end of input. */
  readLine(): Promise<string | null>;
  /** The rest of standard input, as bytes (shares the buffer readLine uses). */
  readAll(): Promise<Buffer>;
  /**
   * Ask for a secret on the controlling terminal with echo off (like readpassphrase(3)): the
   * prompt goes to the terminal, so it works while stdin is redirected. With no terminal, the
   * prompt goes to stderr and a line is read from stdin. null at end of input.
   */
  readSecret(prompt: string): Promise<string | null>;
  /**
   * Ask on the controlling terminal only (ssh's read_passphrase without RP_ALLOW_STDIN): the
   * prompt and the answer use /dev/tty, echo on or off. undefined when there is no terminal,
   * null at end of input (^D).
   */
  readTty(prompt: string, echo: boolean): Promise<string | null | undefined>;
  /** Handle a signal (SIGINT, SIGTERM, SIGWINCH, ...) until the returned function is called. */
  onSignal(signal: NodeJS.Signals, handler: () => void): () => void;
}

/**
 * Reads standard input on demand, as lines or all at once, so several prompts can share it. Bytes
 * are kept raw until a line is taken, so readAll() returns exactly what was sent.
 */
export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private waiting: (() => void) | null = null;
  private started = false;

  constructor(private readonly input: Readable | NodeJS.ReadableStream) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.on('data', (chunk: string | Buffer) => {
      this.buf = Buffer.concat([this.buf, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
      this.wake();
    });
    this.input.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.input.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  private more(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The next line without its newline (and a CR before it); null at end of input. */
  async readLine(): Promise<string | null> {
    this.start();
    this.input.resume();
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        this.buf = this.buf.subarray(nl + 1);
        if (this.buf.length === 0) this.input.pause();
        return line;
      }
      if (this.ended) {
        if (this.buf.length === 0) return null;
        const line = this.buf.toString('utf8');
        this.buf = Buffer.alloc(0);
        return line;
      }
      await this.more();
    }
  }

  /** Everything left on the input, as bytes. */
  async readAll(): Promise<Buffer> {
    this.start();
    this.input.resume();
    while (!this.ended) await this.more();
    const all = this.buf;
    this.buf = Buffer.alloc(0);
    return all;
  }
}

/**
 * Reads a line from the terminal at /dev/tty, echo off unless `echo`, as readpassphrase(3) does
 * for OpenSSH. Returns undefined when there is no controlling terminal. With `leadingCr` a "\r"
 * goes first (ssh's read_passphrase() does that for tty-only prompts, not for RP_ALLOW_STDIN
 * ones such as ssh-keygen's), the terminal is put in raw mode before the prompt shows (so nothing
 * typed is echoed when echo is off) and the line is edited here: backspace, ^U, ^D (null, no
 * newline) and ^C: the terminal is restored and the process gets SIGINT, as with ssh; if a
 * handler keeps it alive, InterruptedError is thrown.
 */
export async function readLineFromTty(prompt: string, echo = false, leadingCr = false): Promise<string | null | undefined> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  try {
    input.setRawMode(true);
    output.write(leadingCr ? `\r${prompt}` : prompt);
    return await new Promise<string | null>((resolve, reject) => {
      let line = '';
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return finish(line);
          if (ch === '\x03') {
            cleanup(false);
            process.kill(process.pid, 'SIGINT');
            return fail(new InterruptedError());
          }
          if (ch === '\x04') {
            if (line.length === 0) {
              cleanup(false);
              return resolve(null);
            }
            continue;
          }
          if (ch === '\x7f' || ch === '\b') {
            if (echo && line.length > 0) output.write('\b \b');
            line = Array.from(line).slice(0, -1).join('');
            continue;
          }
          if (ch === '\x15') {
            if (echo) output.write('\b \b'.repeat(Array.from(line).length));
            line = '';
            continue;
          }
          if (echo) output.write(ch);
          line += ch;
        }
      };
      let cleaned = false;
      const cleanup = (newline = true): void => {
        if (cleaned) return;
        cleaned = true;
        input.off('data', onData);
        try {
          input.setRawMode(false);
        } catch {
          // terminal gone
        }
        if (newline) output.write('\n');
      };
      const finish = (value: string | null): void => {
        cleanup();
        resolve(value);
      };
      const fail = (err: Error): void => {
        cleanup();
        reject(err);
      };
      input.on('data', onData);
    });
  } finally {
    input.pause();
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      // the streams closed it
    }
  }
}

/** readLineFromTty with echo off. */
export function readSecretFromTty(prompt: string): Promise<string | null | undefined> {
  return readLineFromTty(prompt, false);
}

/** The Io of this process. Only cli/ calls this. */
export function processIo(): Io {
  const lines = new LineReader(process.stdin);
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    readLine: () => lines.readLine(),
    readAll: () => lines.readAll(),
    async readSecret(prompt: string) {
      const fromTty = await readSecretFromTty(prompt);
      if (fromTty !== undefined) return fromTty;
      process.stderr.write(prompt);
      return lines.readLine();
    },
    readTty: (prompt, echo) => readLineFromTty(prompt, echo, true),
    onSignal: (signal, handler) => {
      process.on(signal, handler);
      return () => {
        process.off(signal, handler);
      };
    },
  };
}

/** An Io over strings, for tests: stdin lines and secrets are given up front. */
export function memoryIo(init: { stdin?: string[]; secrets?: string[]; env?: Record<string, string>; cwd?: string } = {}): Io & {
  out(): string;
  err(): string;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const stdin = [...(init.stdin ?? [])];
  const secrets = [...(init.secrets ?? [])];
  const stdinStream = new PassThrough();
  stdinStream.end(Buffer.from((init.stdin ?? []).map((l) => `${l}\n`).join(''), 'utf8'));
  return {
    stdin: stdinStream,
    stdout,
    stderr,
    env: init.env ?? {},
    cwd: init.cwd ?? '/',
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    readLine: async () => stdin.shift() ?? null,
    readAll: async () => {
      const rest = stdin.splice(0).map((l) => `${l}\n`).join('');
      return Buffer.from(rest, 'utf8');
    },
    readSecret: async (prompt: string) => {
      err += prompt;
      return secrets.shift() ?? null;
    },
    readTty: async (prompt: string) => {
      err += prompt;
      return secrets.shift() ?? null;
    },
    onSignal: () => () => undefined,
    out: () => out,
    err: () => err,
  };
}
