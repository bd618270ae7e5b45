/**
 * tsh-sftp -b against OpenSSH sshd's sftp-server, next to OpenSSH's sftp -b with the same
 * script and options: stdout, stderr and exit codes match (directory names normalised), and the
 * resulting trees (modes, sizes, sha256) are the same.
 */
import { mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pattern, runBoth, setup, treeOf, type Env, type Side } from './tsh-sftp-helpers.js';

let env: Env;
beforeAll(async () => {
  env = await setup();
}, 30_000);
afterAll(async () => {
  await env.cleanup();
});

/** A remote tree with files of several sizes, a subdirectory, an empty dir and a symlink. */
function fill(s: Side): void {
  const seed = Buffer.from('tsh-sftp');
  const big = Buffer.alloc(3 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + seed[i % seed.length]!) & 0xff;
  writeFileSync(join(s.remote, 'big.bin'), big);
  writeFileSync(join(s.remote, 'small.txt'), 'hello\n', { mode: 0o640 });
  writeFileSync(join(s.remote, 'empty'), '');
  mkdirSync(join(s.remote, 'tree/sub/deeper'), { recursive: true });
  mkdirSync(join(s.remote, 'tree/emptydir'));
  writeFileSync(join(s.remote, 'tree/a.txt'), 'a\n');
  writeFileSync(join(s.remote, 'tree/sub/b.txt'), 'b\n'.repeat(1000));
  writeFileSync(join(s.remote, 'tree/sub/deeper/c.bin'), Buffer.alloc(70_000, 7));
  symlinkSync('a.txt', join(s.remote, 'tree/link'));
  writeFileSync(join(s.local, 'up.txt'), 'upload me\n', { mode: 0o600 });
  writeFileSync(join(s.local, 'up2.bin'), pattern(100_000, 12345));
  mkdirSync(join(s.local, 'ltree/x/y'), { recursive: true });
  mkdirSync(join(s.local, 'ltree/void'));
  writeFileSync(join(s.local, 'ltree/x/one'), '1\n');
  writeFileSync(join(s.local, 'ltree/x/y/two'), '2\n'.repeat(5000));
  symlinkSync('x/one', join(s.local, 'ltree/lnk'));
  utimesSync(join(s.remote, 'small.txt'), 1_600_000_000, 1_600_000_000);
  utimesSync(join(s.local, 'up2.bin'), 1_500_000_000, 1_500_000_000);
}

async function same(script: string, opts: Parameters<typeof runBoth>[3] = {}): Promise<{ a: Side; b: Side; code: number | null; stdout: string; stderr: string }> {
  const sides = env.sides(fill);
  const { a, b } = await runBoth(env, sides, script, opts);
  expect(b.stderr).toBe(a.stderr);
  expect(b.stdout).toBe(a.stdout);
  expect(b.code).toBe(a.code);
  expect(treeOf(sides.b.remote)).toEqual(treeOf(sides.a.remote));
  expect(treeOf(sides.b.local)).toEqual(treeOf(sides.a.local));
  return { ...sides, code: b.code, stdout: b.stdout, stderr: b.stderr };
}

describe('tsh-sftp -b, side by side with sftp -b', () => {
  it('navigates and lists', async () => {
    const r = await same(`pwd
cd $R
pwd
lpwd
ls
ls -1
ls -1a
ls -la tree
ls -n tree/sub
ls -1S
ls -1t
ls -1r
ls -lh big.bin
ls *.txt
ls -1 tree/*
ls -l tree/s*
cd tree
ls ../sm*
cd
version
help
progress
progress
lumask 022
`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sftp> ls -1');
  }, 60_000);

  it('gets and puts files, with and without -p, into directories and under new names', async () => {
    const r = await same(`cd $R
get big.bin
get small.txt copy.txt
get -p small.txt
lmkdir dl
get *.txt dl
put up.txt
put -p up2.bin renamed.bin
mkdir updir
put up* updir
get empty
`);
    expect(r.code).toBe(0);
    // -p keeps modification times, both ways.
    const mtime = (p: string): number => Math.floor(statSync(p).mtimeMs / 1000);
    expect(mtime(join(r.b.local, 'small.txt'))).toBe(mtime(join(r.b.remote, 'small.txt')));
    expect(mtime(join(r.b.remote, 'renamed.bin'))).toBe(mtime(join(r.b.local, 'up2.bin')));
  }, 60_000);

  it('copies trees with get -r and put -r (subdirectories, an empty dir, a symlink)', async () => {
    const r = await same(`cd $R
get -r tree
put -r ltree
get -R tree tree2
put -R ltree ltree2
`);
    expect(r.code).toBe(0);
  }, 60_000);

  it('changes files: mkdir, rename, ln, symlink, chmod, rm, rmdir, copy', async () => {
    const r = await same(`cd $R
mkdir newdir
rename small.txt newdir/moved.txt
ln -s moved.txt newdir/sym
symlink big.bin bigsym
ln newdir/moved.txt hard.txt
chmod 600 newdir/moved.txt
chmod 700 tree/*
chgrp 0 empty
chown 0 empty
rm empty
rmdir tree/emptydir
cp big.bin big.copy
copy big.bin big.copy2
`);
    expect(r.code).toBe(0);
  }, 60_000);

  it('parses quotes, escapes, comments and prefixes as sftp does', async () => {
    const r = await same(`cd "$R"
mkdir "with space"
mkdir 'single quoted'
mkdir back\\ slash
ls -1
# a comment
   
@pwd
-rm nothing-here
ls -1 "with space"
rmdir with\\ space
ls -1 s*
`);
    expect(r.code).toBe(0);
  }, 60_000);

  it('runs local commands: lcd, lpwd, lmkdir, lls, lumask, !command', async () => {
    const r = await same(`lpwd
lmkdir made
lcd made
lpwd
!echo hello from the shell
lcd ..
lls -1
lls -1 made
!
lumask 077
`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello from the shell');
  }, 60_000);

  it('reads the batch from stdin with -b -', async () => {
    await same(`cd $R
ls -1
get small.txt
`, { input: true });
  }, 60_000);

  it('df in its three forms', async () => {
    const sides = env.sides(fill);
    const { a, b } = await runBoth(env, sides, 'df -i\n');
    expect(b.code).toBe(0);
    expect(a.code).toBe(0);
    // Free space changes between runs; the shape must match.
    const shape = (t: string): string => t.replace(/[0-9]+/g, 'N');
    expect(shape(b.stdout)).toBe(shape(a.stdout));
    const h = await runBoth(env, sides, 'df\ndf -h\n');
    expect(shape(h.b.stdout).split('\n')[0]).toBe(shape(h.a.stdout).split('\n')[0]);
    expect(h.b.stdout.split('\n').length).toBe(h.a.stdout.split('\n').length);
  }, 60_000);
});

describe('errors, side by side', () => {
  const cases: [string, string][] = [
    ['missing file', 'cd $R\nget nothing\n'],
    ['missing file, put', 'cd $R\nput nothing\n'],
    ['rm missing', 'cd $R\nrm nothing\n'],
    ['permission denied', 'get /proc/1/mem\n'],
    ['not a directory', 'cd $R/small.txt\n'],
    ['cd missing', 'cd $R/none\n'],
    ['rmdir non-empty', 'cd $R\nrmdir tree\n'],
    ['mkdir existing', 'cd $R\nmkdir tree\n'],
    ['bad command', 'cd $R\nfrobnicate\n'],
    ['bad flag', 'ls -z\n'],
    ['missing argument', 'get\n'],
    ['two paths', 'rename a\n'],
    ['numeric argument', 'chmod rwx x\n'],
    ['unterminated quote', 'ls "abc\n'],
    ['get a directory without -r', 'cd $R\nget tree\n'],
    ['ls missing', 'cd $R\nls nothing\n'],
    ['multiple sources, file destination', 'cd $R\nget *.txt L/up.txt\n'],
    ['stops at the first failure', 'cd $R\nget nothing\nget small.txt\n'],
    ['continues after a - failure', 'cd $R\n-get nothing\nget small.txt\n'],
    ['rename onto missing dir', 'cd $R\nrename small.txt none/x\n'],
    ['chmod missing', 'cd $R\nchmod 644 none\n'],
    ['lcd missing', 'lcd /nonexistent\n'],
  ];
  for (const [name, script] of cases) {
    it(name, async () => {
      const r = await same(script);
      if (!name.startsWith('continues')) expect(r.code).toBe(1);
      else expect(r.code).toBe(0);
    }, 60_000);
  }
});
