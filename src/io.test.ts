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
});
