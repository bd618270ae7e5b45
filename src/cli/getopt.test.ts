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
  it('takes the long options it is given, where a short option may stand, and nothing else', () => {
    const r = getopt(['-l', '--json', '-v', 'op', '--json'], 'lv', 0, 1, ['json']);
    expect(r.options).toEqual([{ opt: 'l' }, { opt: '--json' }, { opt: 'v' }]);
    expect(r.optind).toBe(3);
    expect(() => getopt(['--json'], 'lv')).toThrow('unknown option -- -');
    expect(() => getopt(['--jsonx'], 'lv', 0, 1, ['json'])).toThrow('unknown option -- -');
    expect(getopt(['-f', '--json'], 'f:', 0, 1, ['json']).options).toEqual([{ opt: 'f', arg: '--json' }]);
  });
});
