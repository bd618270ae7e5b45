/**
 * tsh-sftp and OpenSSH's sftp against tshd's internal-sftp, run as root for a real system user
 * (so every file access happens as that user), next to OpenSSH's sftp against OpenSSH's sshd for
 * the same user: one script using every command runs three ways (sftp→sshd, the reference;
 * sftp→tshd; tsh-sftp→tshd), each in its own copy of the trees. Outputs and exit codes must match
 * the reference, and the resulting trees too (mode, size, sha256 of every file), with explicit
 * sha256 checks of every transferred file. Then: the error table (exit 1, nothing changed), and
 * resuming a transfer killed halfway, for both clients. CI runs as root; elsewhere these fail.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, lutimesSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, sshHomeArgs, type ClientHome } from '../helpers/client.js';
import { binPath, run, tempDir, testEnv, type RunResult } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { startTshd, type Tshd } from '../helpers/tshd.js';
import { norm, pattern, SFTP, treeOf, type Side } from './tsh-sftp-helpers.js';

const USER = `tshsf${process.pid % 10000}`;
let uid = 0;
let gid = 0;
let home: ClientHome;
let sshd: Sshd;
let tshd: Tshd;
let local: { path: string; cleanup: () => void };
/** A root-owned directory with a root-only file, inside the user's reach (0755). */
let secret: string;
let base: string;
let n = 0;

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('tsh-sftp-tshd tests need root (CI runs them as root): they create a system user');
  home = clientHome();
  execFileSync('useradd', ['-m', '-s', '/bin/bash', '-p', '*', USER]);
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  const h = `/home/${USER}`;
  mkdirSync(join(h, '.ssh'), { mode: 0o700 });
  writeFileSync(join(h, '.ssh', 'authorized_keys'), `${home.pub}\n`, { mode: 0o600 });
  base = join(h, 'work');
  mkdirSync(base);
  execFileSync('chown', ['-R', `${uid}:${gid}`, join(h, '.ssh'), base]);
  local = tempDir('tsh-sftp-tshd-');
  secret = join(local.path, 'secret');
  mkdirSync(secret, { mode: 0o755 });
  chmodSync(local.path, 0o755);
  writeFileSync(join(secret, 'root-only'), 'root only\n', { mode: 0o600 });
  // sshd reads authorized_keys as the user: the user's own file, as tshd does.
  sshd = await startSshd({ config: [`Match User ${USER}`, '  AuthorizedKeysFile .ssh/authorized_keys'] });
  tshd = await startTshd(['PerSourcePenalties no', 'Subsystem sftp internal-sftp']);
  const keyOf = (line: string): string => line.split(' ').slice(0, 2).join(' ');
  writeFileSync(
    join(home.ssh, 'known_hosts'),
    [`[127.0.0.1]:${sshd.port} ${keyOf(sshd.hostKeys.ed25519)}`, `[127.0.0.1]:${tshd.port} ${keyOf(tshd.hostKey)}`, ''].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await tshd?.stop();
  await sshd?.stop();
  try {
    execFileSync('userdel', ['-r', '-f', USER], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  local?.cleanup();
  home?.cleanup();
});

const T0 = 1_600_000_000;

/** Fixed times on everything under `dir` (so `ls -l` lines are the same on every side). */
function settle(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) settle(p);
    lutimesSync(p, T0, T0);
  }
  lutimesSync(dir, T0, T0);
}

/** The trees every script starts from: files of several sizes, a tree with subdirectories, an empty dir and symlinks. */
function fill(s: Side): void {
  writeFileSync(join(s.remote, 'big.bin'), pattern(3 * 1024 * 1024 + 123, 3));
  writeFileSync(join(s.remote, 'small.txt'), 'hello\n', { mode: 0o640 });
  writeFileSync(join(s.remote, 'empty'), '');
  writeFileSync(join(s.remote, 'partial.bin'), pattern(300_000, 5));
  writeFileSync(join(s.local, 'partial.bin'), pattern(300_000, 5).subarray(0, 100_000));
  mkdirSync(join(s.remote, 'tree/sub/deeper'), { recursive: true });
  mkdirSync(join(s.remote, 'tree/emptydir'));
  writeFileSync(join(s.remote, 'tree/a.txt'), 'a\n');
  writeFileSync(join(s.remote, 'tree/sub/b.txt'), 'b\n'.repeat(1000));
  writeFileSync(join(s.remote, 'tree/sub/deeper/c.bin'), pattern(700_000, 9));
  symlinkSync('a.txt', join(s.remote, 'tree/link'));
  writeFileSync(join(s.local, 'up.txt'), 'upload me\n', { mode: 0o600 });
  writeFileSync(join(s.local, 'up2.bin'), pattern(100_000, 12345));
  writeFileSync(join(s.local, 'lpartial.bin'), pattern(250_000, 11));
  writeFileSync(join(s.remote, 'lpartial.bin'), pattern(250_000, 11).subarray(0, 90_000));
  writeFileSync(join(s.local, 'lpartial2.bin'), pattern(250_000, 13));
  writeFileSync(join(s.remote, 'lpartial2.bin'), pattern(250_000, 13).subarray(0, 1));
  mkdirSync(join(s.local, 'ltree/x/y'), { recursive: true });
  mkdirSync(join(s.local, 'ltree/void'));
  writeFileSync(join(s.local, 'ltree/x/one'), '1\n');
  writeFileSync(join(s.local, 'ltree/x/y/two'), pattern(300_000, 17));
  symlinkSync('x/one', join(s.local, 'ltree/lnk'));
  settle(s.remote);
  settle(s.local);
}

/** A side: a remote directory owned by the user, and a local one. */
function side(build: (s: Side) => void): Side {
  const dir = join(base, `run${n}`);
  const l = join(local.path, `run${n++}`);
  const s = { remote: join(dir, 'remote'), local: join(l, 'local') };
  mkdirSync(s.remote, { recursive: true });
  mkdirSync(s.local, { recursive: true });
  build(s);
  lutimesSync(dir, T0, T0);
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
  return s;
}

type Who = 'sftp-sshd' | 'sftp-tshd' | 'tsh-sftp-tshd';
const WHO: readonly Who[] = ['sftp-sshd', 'sftp-tshd', 'tsh-sftp-tshd'];

function portOf(who: Who): number {
  return who === 'sftp-sshd' ? sshd.port : tshd.port;
}

function argv(who: Who, extra: readonly string[] = []): string[] {
  return ['-P', String(portOf(who)), ...sshHomeArgs(home.home), '-o', 'BatchMode=yes', ...extra, `${USER}@127.0.0.1`];
}

const fillIn = (script: string, s: Side): string =>
  script.replace(/\$R/g, s.remote).replace(/\$L/g, s.local).replace(/\$S/g, secret).replace(/\$UID/g, String(uid)).replace(/\$GID/g, String(gid));

async function batch(who: Who, s: Side, script: string): Promise<RunResult> {
  const file = join(s.local, '..', 'batch');
  writeFileSync(file, fillIn(script, s));
  const r = await run(who === 'tsh-sftp-tshd' ? 'tsh-sftp' : SFTP, ['-b', file, ...argv(who)], { home: home.home, cwd: s.local, timeoutMs: 60_000 });
  return { ...r, stdout: norm(r.stdout, s), stderr: norm(r.stderr, s) };
}

interface Three {
  sides: Record<Who, Side>;
  res: Record<Who, RunResult>;
}

/** The script run three ways, each on a fresh copy of the trees. */
async function three(script: string, build: (s: Side) => void = fill): Promise<Three> {
  const sides = Object.fromEntries(WHO.map((w) => [w, side(build)])) as Record<Who, Side>;
  const out = await Promise.all(WHO.map((w) => batch(w, sides[w], script)));
  return { sides, res: Object.fromEntries(WHO.map((w, i) => [w, out[i]!])) as Record<Who, RunResult> };
}

/** Same stdout, stderr, exit code and resulting trees as the reference (sftp against sshd). */
function expectSame(t: Three, mask: (text: string) => string = (x) => x): void {
  const ref = t.res['sftp-sshd'];
  for (const w of ['sftp-tshd', 'tsh-sftp-tshd'] as const) {
    expect(mask(t.res[w].stderr), w).toBe(mask(ref.stderr));
    expect(mask(t.res[w].stdout), w).toBe(mask(ref.stdout));
    expect(t.res[w].code, w).toBe(ref.code);
    expect(treeOf(t.sides[w].remote), w).toEqual(treeOf(t.sides['sftp-sshd'].remote));
    expect(treeOf(t.sides[w].local), w).toEqual(treeOf(t.sides['sftp-sshd'].local));
  }
}

/** Every entry under `dir` belongs to the user (tshd created them as the user, not as root). */
function ownedByUser(dir: string): string[] {
  const bad: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.uid !== uid || st.gid !== gid) bad.push(`${p} ${st.uid}:${st.gid}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return bad;
}

/** Files created while the script runs get the current time: `ls -l` shows them only here. */
const FULL_SCRIPT = `pwd
cd $R
pwd
lpwd
version
help
?
progress
progress
ls
ls -1
ls -1a
ls -la
ls -la tree
ls -ln tree/sub
ls -1S
ls -1t
ls -1r
ls -1f tree/sub
ls -lh big.bin
ls -l *.txt
ls -1 tree/*
cd tree
ls ../sm*
cd ..
lls -1
lmkdir dl
lcd dl
lpwd
lcd ..
lumask 022
get big.bin
get small.txt copy.txt
get -p small.txt dl/kept.txt
get -f big.bin dl/synced.bin
get *.txt dl
mget tree/sub/*.txt dl
get -r tree
get -R tree tree2
get -pr tree tree3
get -a partial.bin
reget big.bin dl/resumed.bin
put up.txt
put -p up2.bin renamed.bin
put -f up.txt synced.txt
mkdir updir
put up* updir
mkdir updir2
mput *.bin updir2
put -r ltree
put -R ltree ltree2
put -pr ltree ltree3
put -a lpartial.bin
reput lpartial2.bin
mkdir newdir
rename small.txt newdir/moved.txt
ln -s moved.txt newdir/sym
symlink big.bin bigsym
ln newdir/moved.txt hard.txt
chmod 600 newdir/moved.txt
chmod 700 tree/sub
chgrp $GID empty
chown $UID empty
chown -h $UID bigsym
chgrp -h $GID bigsym
cp big.bin big.copy
copy tree/a.txt a.copy
rm empty
rm up*.txt
rmdir tree/emptydir
!echo hello from the shell
!
ls -1 newdir
lls -1 dl
exit
ls
`;

/** Which local file each remote file was copied from or to, for explicit sha256 checks. */
const TRANSFERS: readonly (readonly [string, string])[] = [
  ['big.bin', 'big.bin'],
  ['copy.txt', 'newdir/moved.txt'],
  ['dl/kept.txt', 'newdir/moved.txt'],
  ['dl/synced.bin', 'big.bin'],
  ['dl/b.txt', 'tree/sub/b.txt'],
  ['partial.bin', 'partial.bin'],
  ['dl/resumed.bin', 'big.bin'],
  ['tree/a.txt', 'tree/a.txt'],
  ['tree/sub/b.txt', 'tree/sub/b.txt'],
  ['tree/sub/deeper/c.bin', 'tree/sub/deeper/c.bin'],
  ['tree2/sub/deeper/c.bin', 'tree/sub/deeper/c.bin'],
  ['tree3/sub/deeper/c.bin', 'tree/sub/deeper/c.bin'],
  ['up2.bin', 'renamed.bin'],
  ['up.txt', 'synced.txt'],
  ['up.txt', 'updir/up.txt'],
  ['up2.bin', 'updir/up2.bin'],
  ['up2.bin', 'updir2/up2.bin'],
  ['lpartial.bin', 'updir2/lpartial.bin'],
  ['ltree/x/one', 'ltree/x/one'],
  ['ltree/x/y/two', 'ltree/x/y/two'],
  ['ltree/x/y/two', 'ltree2/x/y/two'],
  ['ltree/x/y/two', 'ltree3/x/y/two'],
  ['lpartial.bin', 'lpartial.bin'],
  ['lpartial2.bin', 'lpartial2.bin'],
  ['big.bin', 'big.copy'],
  ['tree/a.txt', 'a.copy'],
];

describe('the full script: sftp→sshd, sftp→tshd, tsh-sftp→tshd', () => {
  it('runs every command with the same output, exit code and trees; every transferred file has the sha256 of its source', async () => {
    const t = await three(FULL_SCRIPT);
    const ref = t.res['sftp-sshd'];
    expect(ref.code, ref.stderr).toBe(0);
    expect(ref.stdout).toContain('hello from the shell');
    // exit ends the batch: the last ls never runs.
    expect(ref.stdout.trimEnd().endsWith('sftp> exit')).toBe(true);
    expectSame(t);
    for (const w of WHO) {
      const s = t.sides[w];
      for (const [l, r] of TRANSFERS) expect(sha(join(s.local, l)), `${w}: ${l} / ${r}`).toBe(sha(join(s.remote, r)));
      // get -r and put -r: the subdirectories, the empty dir and the symlink are there.
      for (const d of ['tree', 'tree2', 'tree3']) {
        expect(statSync(join(s.local, d, 'emptydir')).isDirectory()).toBe(true);
        expect(existsSync(join(s.local, d, 'sub/deeper'))).toBe(true);
      }
      for (const d of ['ltree', 'ltree2', 'ltree3']) expect(statSync(join(s.remote, d, 'void')).isDirectory()).toBe(true);
      expect(lstatSync(join(s.remote, 'newdir/sym')).isSymbolicLink()).toBe(true);
      expect(statSync(join(s.remote, 'hard.txt')).ino).toBe(statSync(join(s.remote, 'newdir/moved.txt')).ino);
      expect(ownedByUser(s.remote)).toEqual([]);
    }
  }, 120_000);

  it('df, df -h and df -i print the same shape', async () => {
    const t = await three('df\ndf -h\ndf -i\n', () => undefined);
    const shape = (x: string): string => x.replace(/[0-9.]+[KMGTPE]?B?/g, 'N').replace(/ +/g, ' ');
    for (const w of WHO) expect(t.res[w].code, t.res[w].stderr).toBe(0);
    expectSame(t, shape);
  }, 60_000);

  for (const quit of ['bye', 'quit', 'exit']) {
    it(`${quit} ends the batch with exit 0`, async () => {
      const t = await three(`pwd\n${quit}\nmkdir $R/never\n`, () => undefined);
      expectSame(t);
      expect(t.res['tsh-sftp-tshd'].code).toBe(0);
      for (const w of WHO) expect(existsSync(join(t.sides[w].remote, 'never'))).toBe(false);
    }, 60_000);
  }
});

describe('errors: exit 1, the same message, nothing changed', () => {
  const cases: [string, string][] = [
    ['missing file, get', 'cd $R\nget nothing\n'],
    ['missing file, put', 'cd $R\nput nothing\n'],
    ['missing file, rm', 'cd $R\nrm nothing\n'],
    ['missing file, rename', 'cd $R\nrename nothing other\n'],
    ['missing file, chmod', 'cd $R\nchmod 644 nothing\n'],
    ['missing file, ls', 'cd $R\nls nothing\n'],
    ['missing dir, cd', 'cd $R/none\n'],
    ['permission denied, get a root-only file', 'cd $R\nget $S/root-only\n'],
    ['permission denied, put into a root-owned dir', 'cd $R\nput up.txt $S/up.txt\n'],
    ['permission denied, mkdir in a root-owned dir', 'mkdir $S/x\n'],
    ['permission denied, rm a root-owned file', 'rm $S/root-only\n'],
    ['permission denied, chown to root', 'cd $R\nchown 0 small.txt\n'],
    ['permission denied, rename into a root-owned dir', 'cd $R\nrename small.txt $S/moved\n'],
    ['not a directory, cd', 'cd $R/small.txt\n'],
    ['not a directory, mkdir', 'cd $R\nmkdir small.txt/x\n'],
    ['not a directory, get', 'cd $R\nget small.txt/x\n'],
    ['not a directory, put', 'cd $R\nput up.txt small.txt/x\n'],
    ['rmdir non-empty', 'cd $R\nrmdir tree\n'],
    ['rmdir a file', 'cd $R\nrmdir small.txt\n'],
    ['mkdir existing', 'cd $R\nmkdir tree\n'],
    ['bad command', 'cd $R\nfrobnicate\n'],
    ['bad flag', 'cd $R\nls -z\n'],
    ['missing argument', 'cd $R\nget\n'],
    ['get a directory without -r', 'cd $R\nget tree\n'],
    ['stops at the first failure', 'cd $R\nget nothing\nget small.txt\n'],
  ];
  for (const [name, script] of cases) {
    it(name, async () => {
      const before = side(fill);
      const t = await three(script);
      expectSame(t);
      for (const w of WHO) {
        expect(t.res[w].code, w).toBe(1);
        expect(treeOf(t.sides[w].remote), w).toEqual(treeOf(before.remote));
        expect(treeOf(t.sides[w].local), w).toEqual(treeOf(before.local));
      }
      expect(treeOf(secret)).toEqual([`root-only 600 10 ${sha(join(secret, 'root-only'))}`]);
      if (name.startsWith('permission')) expect(t.res['tsh-sftp-tshd'].stderr).toContain('Permission denied');
    }, 60_000);
  }
});

describe('resume after a transfer killed halfway', () => {
  const SIZE = 6 * 1024 * 1024;

  /** Runs `script` under a 8 Mbit/s limit and SIGKILLs the client once `watch()` passes 1 MiB. */
  async function killHalfway(client: 'tsh-sftp' | 'sftp', s: Side, script: string, watch: () => number): Promise<void> {
    const args = ['-l', '8000', '-b', '-', ...argv('tsh-sftp-tshd')];
    const child = client === 'tsh-sftp' ? spawn(process.execPath, [binPath('tsh-sftp'), ...args], { cwd: s.local, env: testEnv(home.home), stdio: ['pipe', 'ignore', 'pipe'], detached: true }) : spawn(SFTP, args, { cwd: s.local, env: testEnv(home.home), stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(script);
    let gone = false;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', () => {
        gone = true;
        resolve();
      }),
    );
    const deadline = Date.now() + 20_000;
    while (watch() < 1024 * 1024 && Date.now() < deadline && !gone) await new Promise((r) => setTimeout(r, 50));
    expect(gone, `${client} ended before it could be killed: ${stderr}`).toBe(false);
    // The whole process group: OpenSSH's sftp runs ssh as a child.
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }

  for (const client of ['tsh-sftp', 'sftp'] as const) {
    const cmd = client === 'tsh-sftp' ? 'tsh-sftp' : SFTP;

    it(`${client}: reget continues a download killed halfway`, async () => {
      const s = side((x) => writeFileSync(join(x.remote, 'big.bin'), pattern(SIZE, 21)));
      const file = join(s.local, 'big.bin');
      const size = (): number => (existsSync(file) ? statSync(file).size : 0);
      await killHalfway(client, s, `get ${s.remote}/big.bin\n`, size);
      const partial = size();
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(SIZE);
      const r = await run(cmd, ['-b', '-', ...argv('tsh-sftp-tshd')], { home: home.home, cwd: s.local, input: `reget ${s.remote}/big.bin\n`, timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`sftp> reget ${s.remote}/big.bin\n`);
      expect(sha(file)).toBe(sha(join(s.remote, 'big.bin')));
    }, 60_000);

    it(`${client}: reput continues an upload killed halfway`, async () => {
      const s = side((x) => writeFileSync(join(x.local, 'up.bin'), pattern(SIZE, 23)));
      const file = join(s.remote, 'up.bin');
      const size = (): number => (existsSync(file) ? statSync(file).size : 0);
      await killHalfway(client, s, `put up.bin ${s.remote}/up.bin\n`, size);
      // The server may still be writing what was in flight: wait until the size settles (bounded).
      let last = -1;
      for (let i = 0; i < 40 && size() !== last; i++) {
        last = size();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(size()).toBeLessThan(SIZE);
      const r = await run(cmd, ['-b', '-', ...argv('tsh-sftp-tshd')], { home: home.home, cwd: s.local, input: `reput up.bin ${s.remote}/up.bin\n`, timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(sha(file)).toBe(sha(join(s.local, 'up.bin')));
      expect(lstatSync(file).uid).toBe(uid);
    }, 60_000);
  }
});
