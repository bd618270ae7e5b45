/**
 * The progress meter of progressmeter.c: "\r" + name padded to the terminal width - 36, then
 * percent, bytes, rate and ETA, refreshed every second and once at the end, then "\n".
 */
import type { Writable } from 'node:stream';
import { formatRate, formatSize } from './format.js';

const STALL_TIME = 5;
const MAX_WINSIZE = 512;

export interface ProgressOutput {
  readonly out: Writable;
  /** The terminal width (columns), 0 when unknown. */
  columns(): number;
}

export class ProgressMeter {
  private readonly start = now();
  private lastUpdate = this.start;
  private readonly startPos: number;
  private curPos = 0;
  private stalled = 0;
  private bytesPerSecond = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly o: ProgressOutput,
    private readonly file: string,
    private readonly endPos: number,
    private readonly counter: () => number,
  ) {
    this.startPos = counter();
    this.refresh();
    this.timer = setInterval(() => this.refresh(), 1000);
    this.timer.unref();
  }

  private winSize(): number {
    const c = this.o.columns();
    return (c > 0 ? Math.min(c, MAX_WINSIZE) : 80) + 1;
  }

  refresh(): void {
    const winSize = this.winSize();
    const counter = this.counter();
    let transferred = counter - (this.curPos ? this.curPos : this.startPos);
    this.curPos = counter;
    const t = now();
    const bytesLeft = this.endPos - this.curPos;
    let elapsed: number;
    if (bytesLeft > 0) elapsed = t - this.lastUpdate;
    else {
      elapsed = t - this.start;
      transferred = this.endPos - this.startPos;
      this.bytesPerSecond = 0;
    }
    const curSpeed = elapsed !== 0 ? Math.trunc(transferred / elapsed) : transferred;
    this.bytesPerSecond = this.bytesPerSecond !== 0 ? Math.trunc(this.bytesPerSecond * 0.9 + curSpeed * 0.1) : curSpeed;
    let buf = '';
    const fileLen = winSize - 36;
    if (fileLen > 0) buf = `\r${this.file.slice(0, fileLen).padEnd(fileLen)}`;
    const percent = this.endPos === 0 || this.curPos === this.endPos ? 100 : Math.trunc((this.curPos / this.endPos) * 100);
    buf += ` ${String(percent).padStart(3)}% `;
    buf += formatSize(this.curPos);
    buf += ' ';
    buf += formatRate(this.bytesPerSecond);
    buf += '/s ';
    if (!transferred) this.stalled += elapsed;
    else this.stalled = 0;
    if (this.stalled >= STALL_TIME) buf += '- stalled -';
    else if (this.bytesPerSecond === 0 && bytesLeft) buf += '  --:-- ETA';
    else {
      let seconds = Math.trunc(bytesLeft > 0 ? bytesLeft / this.bytesPerSecond : elapsed);
      const hours = Math.trunc(seconds / 3600);
      seconds -= hours * 3600;
      const minutes = Math.trunc(seconds / 60);
      seconds -= minutes * 60;
      const p2 = (n: number): string => String(n).padStart(2, '0');
      buf += hours !== 0 ? `${hours}:${p2(minutes)}:${p2(seconds)}` : `  ${p2(minutes)}:${p2(seconds)}`;
      buf += bytesLeft > 0 ? ' ETA' : '    ';
    }
    this.o.out.write(buf.slice(0, winSize - 1).padEnd(winSize - 1, '\0').replace(/\0+$/, ''));
    this.lastUpdate = t;
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.curPos !== this.endPos) this.refresh();
    this.o.out.write('\n');
  }
}

function now(): number {
  return performance.now() / 1000;
}
