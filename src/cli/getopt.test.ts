import { describe, expect, it } from 'vitest';
import { getopt, GetoptError } from './getopt.js';

describe('getopt', () => {
  it('clusters flags and takes attached or separate arguments', () => {
    const r = getopt(['-lvf', 'key', '-Esha256', '-q'], 'lvqf:E:');
    expect(r.options).toEqual([{ opt: 'l' }, { opt: 'v' }, { opt: 'f', arg: 'key' }, { opt: 'E', arg: 'sha256' }, { opt: 'q' }]);
    expect(r.optind).toBe(4);
  });
  it('stops at the first operand and after --', () => {
    expect(getopt(['-l', 'host', '-v'], 'lv').optind).toBe(1);
    const r = getopt(['-l', '--', '-v'], 'lv');
    expect(r.options).toEqual([{ opt: 'l' }]);
    expect(r.optind).toBe(2);
    expect(getopt(['-'], 'l').optind).toBe(0);
  });
  it('reports unknown options and missing arguments like BSD getopt', () => {
    expect(() => getopt(['-x'], 'l')).toThrow(GetoptError);
    expect(() => getopt(['-x'], 'l')).toThrow('unknown option -- x');
    expect(() => getopt(['-f'], 'f:')).toThrow('option requires an argument -- f');
    let caught: unknown;
    try {
      getopt(['-f'], 'f:', 0, 255);
    } catch (e) {
      caught = e;
    }
    expect((caught as GetoptError).exitCode).toBe(255);
  });
});
