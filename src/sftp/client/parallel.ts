/**
 * Overlapping file transfers (get -r, put -r, mget, mput) with OpenSSH's output: a walk hands
 * each file to a Runner, which either runs it at once (one at a time, as sftp does) or starts it
 * next to others (up to a pool's width) while the walk goes on. Every message, the walk's and each
 * file's, goes into a segment of an OrderedOutput, written out only once every earlier segment is
 * complete: stdout and stderr read exactly as a one-at-a-time run would print them.
 *
 * Small files share the pool; a large one takes all of it (it runs alone with its own
 * -R requests in flight), so the requests in flight stay near -R either way.
 */
import type { Logger } from '../../session/log.js';
import type { XferContext } from './transfer.js';

class Segment {
  private readonly parts: (() => void)[] = [];
  closed = false;
  constructor(private readonly owner: OrderedOutput) {}

  emit(f: () => void): void {
    if (this.owner.isHead(this)) f();
    else this.parts.push(f);
  }
  drain(): void {
    for (let f = this.parts.shift(); f !== undefined; f = this.parts.shift()) f();
  }
  close(): void {
    this.closed = true;
    this.owner.flush();
  }
}

/** Messages kept in the order their segments were opened. */
export class OrderedOutput {
  private readonly queue: Segment[] = [];
  constructor(private readonly base: XferContext) {}

  isHead(s: Segment): boolean {
    return this.queue[0] === s;
  }

  /** A segment after every one opened so far, and a context whose messages go into it. */
  open(): { seg: Segment; ctx: XferContext } {
    const seg = new Segment(this);
    this.queue.push(seg);
    const b = this.base;
    const put = (f: (m: string) => void) => (m: string) => seg.emit(() => f(m));
    const log: Logger = {
      level: b.log.level,
      fatal: put((m) => b.log.fatal(m)),
      error: put((m) => b.log.error(m)),
      info: put((m) => b.log.info(m)),
      verbose: put((m) => b.log.verbose(m)),
      debug1: put((m) => b.log.debug1(m)),
      debug2: put((m) => b.log.debug2(m)),
      debug3: put((m) => b.log.debug3(m)),
    };
    return { seg, ctx: { ...b, log, out: put((t) => b.out(t)), meter: () => null } };
  }

  flush(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      head.drain();
      if (!head.closed) return;
      this.queue.shift();
    }
  }
}

/** Slots for small transfers; a large one waits for all of them and holds them all. FIFO. */
export class Pool {
  private used = 0;
  private readonly waiting: { need: number; go: () => void }[] = [];
  constructor(readonly width: number) {}

  acquire(big: boolean): Promise<() => void> {
    const need = big ? this.width : 1;
    return new Promise((resolve) => {
      this.waiting.push({
        need,
        go: () =>
          resolve(() => {
            this.used -= need;
            this.pump();
          }),
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.need <= this.width) {
      const w = this.waiting.shift()!;
      this.used += w.need;
      w.go();
    }
  }
}

export type Job = (ctx: XferContext) => Promise<boolean>;

/** A transfer under way (a promise of a promise would flatten: it is wrapped). */
export interface Pending {
  readonly done: Promise<boolean>;
}

export const FAILED: Pending = { done: Promise.resolve(false) };

/** How a walk runs its transfers. */
export interface Runner {
  /** The context for the walk's own messages at this point. */
  readonly ctx: XferContext;
  /** A file transfer. Resolves once it has started (or, one at a time, finished) with its result's promise. */
  file(big: boolean, job: Job): Promise<Pending>;
  /** Work once `before` have settled (a directory's mode and times), its messages at this point. */
  after(before: readonly Promise<boolean>[], job: Job): Promise<Pending>;
}

/** One transfer at a time, as sftp does. */
export function serialRunner(ctx: XferContext): Runner {
  return {
    ctx,
    file: async (_big, job) => ({ done: Promise.resolve(await job(ctx)) }),
    after: async (before, job) => {
      await Promise.all(before);
      return { done: Promise.resolve(await job(ctx)) };
    },
  };
}

/** Up to `width` small transfers at once, their messages in the order sftp prints them. */
export function parallelRunner(base: XferContext, width: number): Runner {
  const ordered = new OrderedOutput(base);
  const pool = new Pool(width);
  let walker = ordered.open();
  /** Closes the walk's segment and opens the one for `job`, then a new one for the walk. */
  const next = (): { seg: Segment; ctx: XferContext } => {
    const mine = ordered.open();
    const prev = walker;
    walker = ordered.open();
    prev.seg.close();
    return mine;
  };
  return {
    get ctx() {
      return walker.ctx;
    },
    file: async (big, job) => {
      const { seg, ctx } = next();
      const release = await pool.acquire(big);
      const done = job(ctx)
        .catch(() => false)
        .finally(() => {
          release();
          seg.close();
        });
      return { done };
    },
    after: async (before, job) => {
      const { seg, ctx } = next();
      const done = Promise.all(before)
        .then(() => job(ctx))
        .catch(() => false)
        .finally(() => seg.close());
      return { done };
    },
  };
}

/**
 * Waits for a walk's transfers. Once all are done every segment but the walk's last is closed, so
 * that one is the head and writes straight through: later output needs no runner.
 */
export async function settle(results: readonly Promise<boolean>[]): Promise<boolean> {
  return (await Promise.all(results)).every(Boolean);
}
