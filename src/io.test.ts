import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineReader } from './io.js';

describe('LineReader', () => {
  it('hands out lines across chunks, then the unterminated tail, then null', async () => {
    const input = new PassThrough();
    const lines = new LineReader(input);
    input.write('fir');
    const first = lines.readLine();
    input.write('st\r\nsecond\nthi');
    expect(await first).toBe('first');
    expect(await lines.readLine()).toBe('second');
    input.end('rd');
    expect(await lines.readLine()).toBe('third');
    expect(await lines.readLine()).toBeNull();
  });

  it('readAll returns the remaining bytes exactly, after lines were taken', async () => {
    const input = new PassThrough();
    const lines = new LineReader(input);
    input.write('first\nab\r\n');
    expect(await lines.readLine()).toBe('first');
    input.end(Buffer.from([0xff, 0x0a]));
    expect(await lines.readAll()).toEqual(Buffer.from([0x61, 0x62, 0x0d, 0x0a, 0xff, 0x0a]));
    expect(await lines.readAll()).toEqual(Buffer.alloc(0));
  });
});
