/**
 * tsh-sftp overlaps the files of get -r, put -r, mget and mput, and still prints what OpenSSH's
 * sftp prints, in the same order, with the same result. The peer is OpenSSH sshd's sftp-server
 * logging its opens and closes (-l INFO, one log per client): tsh-sftp has several files open
 * at once where sftp has one, and none beyond one with a small -R or a -l limit.
 */
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, LOGIN, sshHomeArgs, trustSshd, type ClientHome } from '../helpers/client.js';
import { run, tempDir, type RunResult } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { norm, pattern, SFTP, treeOf, type Side } from './tsh-sftp-helpers.js';

let home: ClientHome;
let sshd: Sshd;
let work: { path: string; cleanup: () => void };
let n = 0;

const logOf = (sub: string): string => join(work.path, `${sub}.log`);

beforeAll(async () => {
  home = clientHome();
  work = tempDir('tsh-sftp-parallel-');
  // Run through the user's shell by sshd, so the redirection works.
  sshd = await startSshd({
    authorizedKeys: [home.pub],
    config: ['a', 'b'].map((s) => `Subsystem log${s} /usr/lib/openssh/sftp-server -e -l INFO 2>>${logOf(s)}`),
  });
  trustSshd(home, sshd);
}, 30_000);

afterAll(async () => {
  await sshd?.stop();
  home?.cleanup();
  work?.cleanup();
});

/** Many small files in nested directories, two large ones, symlinks, and an empty dir. */
function fill(s: Side): void {
  for (const [root, prefix] of [[s.remote, 'rt'], [s.local, 'lt']] as const) {
    for (let d = 0; d < 3; d++) {
      const dir = join(root, prefix, `d${d}`, d === 2 ? 'deep' : '');
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 40; i++) writeFileSync(join(dir, `f${i}.txt`), pattern(100 + ((i * 997 + d * 31) % 9000), i + d * 100));
    }
    writeFileSync(join(root, prefix, 'd1', 'large1.bin'), pattern(3 * 1024 * 1024 + 5, 1));
    writeFileSync(join(root, prefix, 'd0', 'large0.bin'), pattern(2 * 1024 * 1024 + 7, 2));
    mkdirSync(join(root, prefix, 'void'));
    symlinkSync('d0/f1.txt', join(root, prefix, 'link'));
    symlinkSync('nowhere', join(root, prefix, 'd1', 'dangling'));
  }
  for (let i = 0; i < 30; i++) {
    writeFileSync(join(s.remote, `m${i}.dat`), pattern(500 + i * 77, i));
    writeFileSync(join(s.local, `u${i}.dat`), pattern(700 + i * 55, i + 50));
  }
  // Destinations that fail halfway: a directory where a file goes (both ways).
  mkdirSync(join(s.local, 'got', 'rt', 'd1', 'f7.txt'), { recursive: true });
  mkdirSync(join(s.remote, 'put', 'lt', 'd2', 'deep', 'f3.txt'), { recursive: true });
}


function side(): Side {
  const base = join(work.path, `s${n++}`);
  const s = { remote: join(base, 'remote'), local: join(base, 'local') };
  mkdirSync(s.remote, { recursive: true });
  mkdirSync(s.local, { recursive: true });
  fill(s);
  return s;
}

/**
 * The most files sftp-server had open at once, from its open/close log lines (an open that fails
 * is logged too, with no close: the one this test makes fail is of a directory).
 */
function maxOpen(log: string): number {
  const open = new Set<string>();
  let max = 0;
  for (const line of log.split('\n')) {
    const o = /\bopen "(.*)" flags/.exec(line);
    const c = /\bclose "(.*)" bytes read/.exec(line);
    if (o && !statSync(o[1]!).isDirectory()) open.add(o[1]!);
    else if (c) open.delete(c[1]!);
    max = Math.max(max, open.size);
  }
  return max;
}

async function go(cmd: string, sub: 'a' | 'b', s: Side, script: string, extra: string[]): Promise<RunResult & { maxOpen: number }> {
  writeFileSync(logOf(sub), '');
  const text = script.replace(/\$R/g, s.remote).replace(/\$L/g, s.local);
  const r = await run(cmd, ['-b', '-', '-s', `log${sub}`, '-P', String(sshd.port), ...sshHomeArgs(home.home), ...extra, `${LOGIN}@127.0.0.1`], { home: home.home, cwd: s.local, input: text, timeoutMs: 60_000 });
  return { ...r, stdout: norm(r.stdout, s), stderr: norm(r.stderr, s), maxOpen: maxOpen(readFileSync(logOf(sub), 'utf8')) };
}

async function same(script: string, extra: string[] = []): Promise<{ a: RunResult & { maxOpen: number }; b: RunResult & { maxOpen: number } }> {
  const sa = side();
  const sb = side();
  const [a, b] = await Promise.all([go(SFTP, 'a', sa, script, extra), go('tsh-sftp', 'b', sb, script, extra)]);
  expect(b.stderr).toBe(a.stderr);
  expect(b.stdout).toBe(a.stdout);
  expect(b.code).toBe(a.code);
  expect(treeOf(sb.remote)).toEqual(treeOf(sa.remote));
  expect(treeOf(sb.local)).toEqual(treeOf(sa.local));
  return { a, b };
}

describe('several files in flight, the output of one at a time', () => {
  it('get -r and put -r of a tree of many small files, large ones, links and failures', async () => {
    const { a, b } = await same('cd $R\nget -r rt\n-get -r rt got\nput -r lt\n-put -r lt put\n-get -pr rt kept\n');
    expect(b.code).toBe(0);
    expect(b.stderr).toContain('Download of file R/rt/d1/f7.txt to got/rt/d1/f7.txt failed');
    expect(b.stderr).toContain('upload "lt/d2/deep/f3.txt" to "R/put/lt/d2/deep/f3.txt" failed');
    expect(b.stderr).toContain('not a regular file');
    expect(b.stdout).toContain('Retrieving R/rt/d2/deep');
    expect(a.maxOpen).toBe(1);
    expect(b.maxOpen).toBeGreaterThanOrEqual(4);
    expect(b.maxOpen).toBeLessThanOrEqual(16);
  }, 60_000);

  it('mget and mput of a glob of many files', async () => {
    const { a, b } = await same('cd $R\nlmkdir m\nmget m*.dat m\nmkdir u\nmput u*.dat u\nget -p m1*.dat\n');
    expect(b.code).toBe(0);
    expect(a.maxOpen).toBe(1);
    expect(b.maxOpen).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('-R 4 and -l keep one file at a time', async () => {
    for (const extra of [['-R', '4'], ['-l', '100000']]) {
      const { b } = await same('cd $R\nget -r rt\nmput u*.dat\n', extra);
      expect(b.code).toBe(0);
      expect(b.maxOpen).toBe(1);
    }
  }, 60_000);
});
