import { describe, expect, it } from 'vitest';
import { glob, hasMagic, matchComponent, type GlobFs } from './glob.js';
import type { Attrs } from './remote.js';

describe('matchComponent', () => {
  const cases: [string, string, boolean][] = [
    ['a.txt', '*.txt', true],
    ['a.txt', '*.bin', false],
    ['abc', 'a?c', true],
    ['abc', 'a[bx]c', true],
    ['abc', 'a[!b]c', false],
    ['a-c', 'a[a-z-]c', true],
    ['a5c', 'a[0-9]c', true],
    ['a*c', 'a\\*c', true],
    ['abc', 'a\\*c', false],
    ['', '*', true],
    ['x[', 'x[', true],
  ];
  for (const [name, pat, want] of cases) it(`${name} ~ ${pat}`, () => expect(matchComponent(name, pat)).toBe(want));
  it('hasMagic ignores escaped characters', () => {
    expect(hasMagic('a\\*')).toBe(false);
    expect(hasMagic('a*')).toBe(true);
  });
});

/** An in-memory tree: paths to attrs (directories have mode 040755). */
function memFs(tree: Record<string, 'd' | 'f' | string>): GlobFs {
  const attrs = (p: string): Attrs | null => {
    const t = tree[p];
    if (t === undefined) return null;
    return { mode: t === 'd' ? 0o040755 : t === 'f' ? 0o100644 : 0o120777 };
  };
  return {
    readdir: async (d) => {
      if (tree[d] !== 'd') return null;
      const prefix = d === '/' ? '/' : `${d}/`;
      return ['.', '..', ...Object.keys(tree).filter((k) => k.startsWith(prefix) && k !== d && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length))];
    },
    lstat: async (p) => attrs(p.replace(/\/$/, '') || '/'),
    stat: async (p) => {
      const key = p.replace(/\/$/, '') || '/';
      const t = tree[key];
      if (t !== undefined && t !== 'd' && t !== 'f') return attrs(t);
      return attrs(key);
    },
  };
}

describe('glob', () => {
  const fs = memFs({ '/': 'd', '/r': 'd', '/r/a.txt': 'f', '/r/b.txt': 'f', '/r/.hid.txt': 'f', '/r/sub': 'd', '/r/sub/c.txt': 'f', '/r/ln': '/r/sub' });
  it('matches, sorts and skips hidden names', async () => {
    expect((await glob(fs, '/r/*.txt')).paths).toEqual(['/r/a.txt', '/r/b.txt']);
    expect((await glob(fs, '/r/.*.txt')).paths).toEqual(['/r/.hid.txt']);
  });
  it('marks directories (also through symlinks)', async () => {
    expect((await glob(fs, '/r/*', { mark: true })).paths).toEqual(['/r/a.txt', '/r/b.txt', '/r/ln/', '/r/sub/']);
  });
  it('descends through several magic components', async () => {
    const r = await glob(fs, '/r/s*/*.txt');
    expect(r.paths).toEqual(['/r/sub/c.txt']);
    expect(r.matchc).toBe(1);
  });
  it('checks literal paths for existence', async () => {
    expect((await glob(fs, '/r/a.txt')).paths).toEqual(['/r/a.txt']);
    expect((await glob(fs, '/r/none')).paths).toEqual([]);
  });
  it('returns the unescaped pattern with nocheck', async () => {
    const r = await glob(fs, '/r/no\\*', { nocheck: true });
    expect(r).toEqual({ paths: ['/r/no*'], stats: [null], matchc: 0 });
  });
});
