/**
 * The local terminal during an interactive session, as OpenSSH's enter_raw_mode()/leave_raw_mode():
 * raw input, no echo, no signals from keys, and no output post-processing (`stty -opost`, which
 * Node's setRawMode leaves on, so the remote's "\r\n" would print as "\r\r\n").
 *
 * Restoring: setRawMode(false) puts back the whole termios libuv saved before raw mode (opost
 * included), and Node itself resets the terminal when the process exits, crashes included.
 */
import { spawnSync } from 'node:child_process';
import type { ReadStream, WriteStream } from 'node:tty';

export interface WindowSize {
  readonly cols: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
}

/** The terminal's size from the first stream that is a terminal; 80x24 when none is. */
export function windowSize(...streams: readonly (NodeJS.WritableStream & Partial<WriteStream>)[]): WindowSize {
  for (const s of streams) {
    if (s.isTTY && typeof s.getWindowSize === 'function') {
      const [cols, rows] = s.getWindowSize();
      return { cols, rows, width: 0, height: 0 };
    }
  }
  return { cols: 80, rows: 24, width: 0, height: 0 };
}

export class RawTerminal {
  private active = false;
  constructor(private readonly input: ReadStream) {}

  enter(): void {
    if (this.active || !this.input.isTTY) return;
    this.input.setRawMode(true);
    // stty acts on its standard input, which is ours: the terminal just put in raw mode.
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 5000 });
    this.active = true;
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    try {
      this.input.setRawMode(false);
    } catch {
      // the terminal is gone
    }
  }

  get isRaw(): boolean {
    return this.active;
  }
}
