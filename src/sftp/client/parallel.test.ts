import { describe, expect, it } from 'vitest';
import { createLogger, LOG_LEVELS } from '../../session/log.js';
import { parallelRunner, Pool, serialRunner, settle } from './parallel.js';
import type { XferContext } from './transfer.js';

function base(lines: string[]): XferContext {
  const log = createLogger({ write: (t: string) => lines.push(`E:${t.trimEnd()}`) } as never, LOG_LEVELS.INFO);
  return { remote: null as never, log, out: (t) => lines.push(`O:${t.trimEnd()}`), meter: () => null, interrupted: () => false, readLen: 1, writeLen: 1, numRequests: 64, limitBps: 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('parallelRunner', () => {
  it('prints what a one-at-a-time run prints, in its order, while later files finish first', async () => {
    let running = 0;
    let most = 0;
    const walk = async (r: ReturnType<typeof serialRunner>): Promise<boolean> => {
      const results: Promise<boolean>[] = [];
      most = 0;
      r.ctx.out('Retrieving d\n');
      for (let i = 0; i < 6; i++) {
        results.push(
          (
            await r.file(false, async (c) => {
              most = Math.max(most, ++running);
              await sleep((6 - i) * 15);
              running--;
              c.out(`file ${i}\n`);
              if (i === 2) c.log.error(`failed ${i}`);
              return i !== 2;
            })
          ).done,
        );
        if (i === 3) r.ctx.out('Retrieving d/sub\n');
      }
      results.push((await r.after(results.slice(), async (c) => (c.log.info('after'), true))).done);
      return settle(results);
    };
    const serial: string[] = [];
    const parallel: string[] = [];
    expect(await walk(serialRunner(base(serial)))).toBe(false);
    expect(most).toBe(1);
    expect(await walk(parallelRunner(base(parallel), 8))).toBe(false);
    expect(most).toBe(6);
    expect(parallel).toEqual(serial);
    expect(serial).toEqual(['O:Retrieving d', 'O:file 0', 'O:file 1', 'O:file 2', 'E:failed 2', 'O:file 3', 'O:Retrieving d/sub', 'O:file 4', 'O:file 5', 'E:after']);
  });
});

describe('Pool', () => {
  it('runs small jobs side by side up to its width, a large one alone, first come first served', async () => {
    const pool = new Pool(3);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const job = async (name: string, big: boolean): Promise<void> => {
      const release = await pool.acquire(big);
      running++;
      most = Math.max(most, running);
      log.push(`start ${name} ${running}`);
      await sleep(10);
      running--;
      release();
    };
    await Promise.all([job('a', false), job('b', false), job('c', false), job('d', false), job('BIG', true), job('e', false)]);
    expect(most).toBe(3);
    // d waits for a slot, BIG for all three (alone), e behind BIG.
    expect(log.slice(0, 3)).toEqual(['start a 1', 'start b 2', 'start c 3']);
    expect(log.slice(3).map((l) => l.replace(/ \d$/, ''))).toEqual(['start d', 'start BIG', 'start e']);
    expect(log.slice(4)).toEqual(['start BIG 1', 'start e 1']);
  });
});
