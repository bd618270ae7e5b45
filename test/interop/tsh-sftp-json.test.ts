/**
 * tsh-sftp's own `ls --json` (for scripts), against OpenSSH sshd: one JSON array of
 * {name, type, size, mode, uid, gid, mtime, target}, holding what `ls -1` with the same flags shows
 * (hidden names with -a, sorted as asked), checked against lstat of the real files.
 */
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';
import { JSON_HELP_LINE, setup, type Env, type Side } from './tsh-sftp-helpers.js';

let env: Env;
let s: Side;
beforeAll(async () => {
  env = await setup();
  s = env.sides((x) => {
    writeFileSync(join(x.remote, 'b.txt'), 'hello\n', { mode: 0o640 });
    writeFileSync(join(x.remote, 'a.bin'), Buffer.alloc(5000));
    writeFileSync(join(x.remote, '.hidden'), 'h');
    mkdirSync(join(x.remote, 'dir'), { mode: 0o750 });
    writeFileSync(join(x.remote, 'dir', 'inner'), 'i');
    symlinkSync('b.txt', join(x.remote, 'link'));
    utimesSync(join(x.remote, 'b.txt'), 1_600_000_000, 1_600_000_000);
    utimesSync(join(x.remote, 'a.bin'), 1_700_000_000, 1_700_000_000);
  }).b;
}, 30_000);
afterAll(async () => {
  await env.cleanup();
});

async function tshSftp(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('tsh-sftp', ['-b', '-', ...env.args(), env.dest()], { home: env.home.home, cwd: s.local, input: script });
}

/** What ls --json must say about `name` (a path under the remote dir). */
function expected(name: string, shown = name): Record<string, unknown> {
  const p = join(s.remote, name);
  const st = lstatSync(p);
  const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
  const e: Record<string, unknown> = {
    name: shown,
    type,
    size: st.size,
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid,
    gid: st.gid,
    mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString(),
  };
  if (type === 'symlink') e.target = readlinkSync(p);
  return e;
}

/** The JSON arrays of a batch's output (the lines that are not echoes). */
function arrays(stdout: string): unknown[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
}

describe('ls --json', () => {
  it('lists a directory, with -a, sorted by size or time or reversed, a glob and a file', async () => {
    const r = await tshSftp(`cd ${s.remote}\nls --json\nls --json -a\nls -S --json\nls --json -rt\nls --json dir\nls --json *.txt\nls --json link\nls -1\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [plain, all, bySize, byTimeReversed, dir, glob, link] = arrays(r.stdout);
    expect(plain).toEqual(['a.bin', 'b.txt', 'dir', 'link'].map((n) => expected(n)));
    expect(all).toEqual(['.', '..', '.hidden', 'a.bin', 'b.txt', 'dir', 'link'].map((n) => expected(n)));
    expect(bySize!.map((e) => (e as { name: string }).name)).toEqual(['a.bin', 'dir', 'b.txt', 'link']);
    // Oldest first: b.txt (2020), a.bin (2023), then the ones made now.
    expect(byTimeReversed!.slice(0, 2).map((e) => (e as { name: string }).name)).toEqual(['b.txt', 'a.bin']);
    expect(dir).toEqual([expected('dir/inner')]);
    expect(glob).toEqual([expected('b.txt')]);
    expect(link).toEqual([expected('link')]);
    expect((link![0] as { target: string }).target).toBe('b.txt');
    expect((plain![1] as { mode: string; mtime: string }).mode).toBe('0640');
    expect((plain![1] as { mtime: string }).mtime).toBe('2020-09-13T12:26:40.000Z');
    // Plain ls is unchanged.
    expect(r.stdout).toContain('sftp> ls -1\na.bin\nb.txt\ndir\nlink\n');
  });

  it('fails as ls does for a missing path, and is listed by help', async () => {
    const r = await tshSftp(`ls --json ${s.remote}/nothing\n`);
    expect(r.stderr).toBe(`Can't ls: "${s.remote}/nothing" not found\r\n`);
    expect(r.code).toBe(1);
    const h = await tshSftp('help\n');
    expect(h.stdout).toContain(`Display remote directory listing\n${JSON_HELP_LINE}`);
  });
});
