/**
 * The Io interface: what a command may touch of the outside world. cli/ builds the real one from
 * the process; tests build fakes. Commands never read process.* themselves.
 */
import { openSync, closeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { InterruptedError } from './errors.js';

export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** One line from standard input, without its newline; null at end of input. */
  readLine(): Promise<string | null>;
  /**
   * Ask for a secret on the controlling terminal with echo off (like readpassphrase(3)): the
   * prompt goes to the terminal, so it works while stdin is redirected. With no terminal, the
   * prompt goes to stderr and a line is read from stdin. null at end of input.
   */
  readSecret(prompt: string): Promise<string | null>;
}

/** Splits a readable into lines on demand, so several prompts can share standard input. */
export class LineReader {
  private buf = '';
  private ended = false;
  private waiting: (() => void) | null = null;
  private started = false;

  constructor(private readonly input: Readable | NodeJS.ReadableStream) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.setEncoding?.('utf8');
    this.input.on('data', (chunk: string | Buffer) => {
      this.buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
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

  async readLine(): Promise<string | null> {
    this.start();
    this.input.resume();
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl >= 0) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        if (!this.buf) this.input.pause();
        return line;
      }
      if (this.ended) {
        if (this.buf.length === 0) return null;
        const line = this.buf;
        this.buf = '';
        return line;
      }
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}

/**
 * Reads a line from the terminal at /dev/tty with echo off. Returns undefined when there is no
 * controlling terminal. Handles backspace, ^U, ^C (throws InterruptedError) and ^D.
 */
export async function readSecretFromTty(prompt: string): Promise<string | null | undefined> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  try {
    input.setRawMode(true); // echo off before the prompt shows, so nothing typed is echoed
    output.write(prompt);
    return await new Promise<string | null>((resolve, reject) => {
      let line = '';
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return finish(line);
          if (ch === '\x03') return fail(new InterruptedError());
          if (ch === '\x04') {
            if (line.length === 0) return finish(null);
            continue;
          }
          if (ch === '\x7f' || ch === '\b') {
            line = Array.from(line).slice(0, -1).join('');
            continue;
          }
          if (ch === '\x15') {
            line = '';
            continue;
          }
          line += ch;
        }
      };
      const cleanup = (): void => {
        input.off('data', onData);
        try {
          input.setRawMode(false);
        } catch {
          // terminal gone
        }
        output.write('\n');
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

/** The Io of this process. Only cli/ calls this. */
export function processIo(): Io {
  const lines = new LineReader(process.stdin);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    readLine: () => lines.readLine(),
    async readSecret(prompt: string) {
      const fromTty = await readSecretFromTty(prompt);
      if (fromTty !== undefined) return fromTty;
      process.stderr.write(prompt);
      return lines.readLine();
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
  return {
    stdout,
    stderr,
    env: init.env ?? {},
    cwd: init.cwd ?? '/',
    stdoutIsTTY: false,
    stderrIsTTY: false,
    readLine: async () => stdin.shift() ?? null,
    readSecret: async (prompt: string) => {
      err += prompt;
      return secrets.shift() ?? null;
    },
    out: () => out,
    err: () => err,
  };
}
