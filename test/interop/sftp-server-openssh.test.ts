/**
 * OpenSSH's own clients against tsh's SFTP server, next to OpenSSH's sftp-server, through a real
 * sshd: `Subsystem sftp` is OpenSSH's server, `Subsystem tshsftp` is ours (stdio-main.js). The same
 * `sftp -b` scripts run against both; stdout, stderr, exit codes and the sha256 of every file
 * transferred must match. `scp` (SFTP mode, 9.2's default) moves large files both ways through ours
 * (in-order replies: out-of-order ones make 9.2's scp truncate downloads silently).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, lstatSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, sshHomeArgs, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';
import { ROOT, run, tempDir } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

const OURS = join(ROOT, 'dist', 'src', 'sftp', 'server', 'stdio-main.js');

let sshd: Sshd;
let client: ClientHome;
let work: { path: string; cleanup: () => void };

beforeAll(async () => {
  client = clientHome();
  sshd = await startSshd({ authorizedKeys: [client.pub], config: [`Subsystem tshsftp ${process.execPath} ${OURS}`] });
  trustSshd(client, sshd);
  work = tempDir('tsh-sftp-interop-');
  chmodSync(work.path, 0o755);
  // scp always asks for the "sftp" subsystem: this ssh wrapper swaps in ours.
  writeFileSync(
    join(work.path, 'ssh-tshsftp'),
    '#!/bin/bash\nargs=("$@")\nn=${#args[@]}\nif [ "${args[$((n-1))]}" = sftp ]; then args[$((n-1))]=tshsftp; fi\nexec /usr/bin/ssh "${args[@]}"\n',
    { mode: 0o755 },
  );
});

afterAll(async () => {
  await sshd?.stop();
  client?.cleanup();
  work?.cleanup();
});

function sshArgs(): string[] {
  return ['-F', '/dev/null', ...sshHomeArgs(client.home), '-o', 'BatchMode=yes', '-P', String(sshd.port)];
}

function sftp(subsystem: 'sftp' | 'tshsftp', batch: string, cwd: string): ReturnType<typeof run> {
  const args = [...sshArgs(), '-b', '-'];
  if (subsystem === 'tshsftp') args.push('-s', 'tshsftp');
  return run('/usr/bin/sftp', [...args, `${LOGIN}@127.0.0.1`], { cwd, home: client.home, input: batch, timeoutMs: 60_000 });
}

/** Every file under `dir`: relative path → sha256 (files), "-> target" (links), "dir" (dirs). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const key = relative(dir, p);
      if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else out[key] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o7777).toString(8)}`;
    }
  };
  walk(dir);
  return out;
}

const BIG = randomBytes(3 * 1024 * 1024 + 17);
const TWO = randomBytes(100_000);

/** A fresh local/remote pair under `base`. */
function setup(base: string): { local: string; remote: string } {
  rmSync(base, { recursive: true, force: true });
  const local = join(base, 'local');
  const remote = join(base, 'remote');
  mkdirSync(join(local, 'tree', 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(local, 'tree', 'empty'));
  mkdirSync(remote, { recursive: true });
  writeFileSync(join(local, 'a.txt'), 'hello\n');
  writeFileSync(join(local, 'big'), BIG);
  writeFileSync(join(local, 'tree', 'one'), 'one\n');
  writeFileSync(join(local, 'tree', 'sub', 'two'), TWO);
  writeFileSync(join(local, 'tree', 'sub', 'deeper', 'three'), 'three\n');
  symlinkSync('one', join(local, 'tree', 'link'));
  // halves for reget/reput
  writeFileSync(join(local, 'half'), BIG.subarray(0, 1_000_000));
  writeFileSync(join(remote, 'rbig'), BIG);
  writeFileSync(join(remote, 'rhalf'), BIG.subarray(0, 1_500_000));
  writeFileSync(join(remote, 'ro'), 'read only\n');
  mkdirSync(join(remote, 'rtree', 'e'), { recursive: true });
  writeFileSync(join(remote, 'rtree', 'f'), TWO);
  symlinkSync('f', join(remote, 'rtree', 'l'));
  return { local, remote };
}

/** Dates of fresh files and df's moving numbers differ between two runs: mask them. */
function mask(s: string, base: string): string {
  return s
    .split(base)
    .join('BASE')
    .replace(/[A-Z][a-z]{2} [ \d]\d (\d\d:\d\d| \d{4})/g, 'DATE')
    .replace(/^( +\d+){4,5} +\d+%$/gm, 'DF')
    .replace(/^( +[\d.]+[KMGTPE]?B?){4} +\d+%$/gm, 'DF');
}

const SCRIPT = (remote: string, local: string) => `cd ${remote}
lcd ${local}
pwd
put a.txt
put -p a.txt ap.txt
put big
get big big.back
get -p ap.txt ap.back
ls
ls -1
ls -l a.txt
ls -la
ls -ln
ls -lS
mkdir d
-mkdir d
rmdir d
-rmdir nonexistent
-rmdir ${remote}
rename a.txt b.txt
-rename nope x
ln -s b.txt sl
symlink b.txt sl2
ln b.txt hard
ls -l
chmod 640 b.txt
chgrp 0 b.txt
chown 0 b.txt
ls -ln b.txt
df
df -i
df -h
put -r tree
get -r tree tree.back
get -r rtree rtree.back
put half rhalf2
reput big rhalf2
get rhalf rhalf.local
reget rbig rhalf.local
-get nope
-put nope
-rm nope
-cd nope
-ls nope
-chmod 600 nope
-ln -s x sl
-mkdir nope/x
rm sl
rm sl2
version
lpwd
`;

describe('OpenSSH sftp against tsh sftp server vs OpenSSH sftp-server (through sshd)', () => {
  it('one batch script covering every command: same output, exit code and files', async () => {
    const results: Record<string, { stdout: string; stderr: string; code: number | null; local: Record<string, string>; remote: Record<string, string> }> = {};
    const base = join(work.path, 'batch');
    for (const sub of ['sftp', 'tshsftp'] as const) {
      const { local, remote } = setup(base);
      const r = await sftp(sub, SCRIPT(remote, local), local);
      results[sub] = { stdout: mask(r.stdout, base), stderr: mask(r.stderr, base), code: r.code, local: snapshot(local), remote: snapshot(remote) };
    }
    const [theirs, ours] = [results.sftp!, results.tshsftp!];
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.code).toBe(0);
    expect(ours.local).toEqual(theirs.local);
    expect(ours.remote).toEqual(theirs.remote);
    // and the transfers are right, not merely the same
    const big = createHash('sha256').update(BIG).digest('hex');
    expect(ours.local['big.back']).toBe(`${big} 644`);
    expect(ours.local['rhalf.local']?.split(' ')[0]).toBe(big);
    expect(ours.remote.rhalf2?.split(' ')[0]).toBe(big);
    expect(ours.remote['tree/empty']).toMatch(/^dir/);
    // sftp's put -r skips the symlink (as with OpenSSH's server); the rest of the tree arrives
    expect(ours.remote['tree/link']).toBeUndefined();
    expect(ours.stderr).toContain('link: not a regular file');
    expect(ours.remote['tree/sub/deeper/three']).toBe(ours.local['tree/sub/deeper/three']);
    expect(ours.local['tree.back/sub/two']).toBe(ours.local['tree/sub/two']);
    expect(ours.stderr).toContain('No such file or directory');
  });

  const failing: [string, string][] = [
    ['missing file', 'get nope'],
    ['missing remote dir', 'cd nope'],
    ['rmdir non-empty', 'rmdir REMOTE'],
    ['not a directory', 'put a.txt ro/x'],
    ['bad command', 'frobnicate'],
    ['rm missing', 'rm nope'],
    ['ls missing', 'ls nope'],
    ['chmod missing', 'chmod 600 nope'],
  ];
  for (const [label, line] of failing) {
    it(`a failing batch line stops with exit 1 and the same message: ${label}`, async () => {
      const base = join(work.path, 'fail');
      const out: { stdout: string; stderr: string; code: number | null; remote: Record<string, string> }[] = [];
      for (const sub of ['sftp', 'tshsftp'] as const) {
        const { local, remote } = setup(base);
        const r = await sftp(sub, `cd ${join(base, 'remote')}\n${line.replace('REMOTE', base)}\nput a.txt after\n`, local);
        out.push({ stdout: mask(r.stdout, base), stderr: mask(r.stderr, base), code: r.code, remote: snapshot(remote) });
      }
      expect(out[0]!.code).toBe(1);
      expect(out[1]).toEqual(out[0]);
      expect(out[1]!.remote.after).toBeUndefined();
    });
  }

  it('read-only (-R): writes are refused with the same messages', async () => {
    // The -R server is a second subsystem on the same sshd? sshd reads its config once: run through
    // sftp -D (a local server program, as OpenSSH's sftp allows) instead.
    const base = join(work.path, 'ro');
    const out: { stdout: string; stderr: string; code: number | null; remote: Record<string, string> }[] = [];
    for (const server of ['/usr/lib/openssh/sftp-server -R', `${process.execPath} ${OURS} -R`]) {
      const { local, remote } = setup(base);
      const script = `cd ${remote}\n-put a.txt\n-mkdir d\n-rm ro\n-rename ro r2\n-chmod 600 ro\n-ln -s ro sl\nget ro ro.back\nls\n`;
      const r = await run('/usr/bin/sftp', ['-b', '-', '-D', server], { cwd: local, home: client.home, input: script, timeoutMs: 30_000 });
      out.push({ stdout: mask(r.stdout, base), stderr: mask(r.stderr, base), code: r.code, remote: snapshot(remote) });
    }
    expect(out[0]!.code).toBe(0);
    expect(out[0]!.stderr).toContain('Permission denied');
    expect(out[1]).toEqual(out[0]);
  });
});

describe('OpenSSH sftp in a chroot (-C)', () => {
  it('cannot reach outside the root: "..", absolute paths, symlinks out, planted links', async () => {
    const dir = join(work.path, 'chroot');
    rmSync(dir, { recursive: true, force: true });
    const jail = join(dir, 'jail');
    mkdirSync(join(jail, 'home', 'u'), { recursive: true });
    mkdirSync(join(jail, 'pub'));
    mkdirSync(join(dir, 'local'));
    writeFileSync(join(jail, 'pub', 'f'), 'inside\n');
    writeFileSync(join(dir, 'secret'), 'SECRET\n');
    symlinkSync(join(dir, 'secret'), join(jail, 'home', 'u', 'out'));
    symlinkSync('../../../secret', join(jail, 'home', 'u', 'rel'));
    const script = [
      'pwd',
      `-get ${join(dir, 'secret')} s1`,
      '-get ../../../secret s2',
      '-get out s3',
      '-get rel s4',
      `-ln -s ${join(dir, 'secret')} planted`,
      '-get planted s5',
      '-get /home/u/rel/.. s6',
      `-put ${join(dir, 'local', 'nothing')} ../../../escaped`,
      'cd ..',
      'cd ..',
      'cd ..',
      'pwd',
      'ls',
      'get /pub/f ok',
    ].join('\n');
    const r = await run('/usr/bin/sftp', ['-b', '-', '-D', `${process.execPath} ${OURS} -C ${jail}`], {
      cwd: join(dir, 'local'),
      env: { HOME: '/home/u' },
      input: `${script}\n`,
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Remote working directory: /home/u\n');
    expect(r.stdout).toMatch(/Remote working directory: \/\n/);
    expect(r.stdout).toMatch(/home +pub/);
    expect(readdirSync(join(dir, 'local')).sort()).toEqual(['ok']);
    expect(readFileSync(join(dir, 'local', 'ok'), 'utf8')).toBe('inside\n');
    expect(readdirSync(dir).sort()).toEqual(['jail', 'local', 'secret']);
  });
});

describe('scp (SFTP mode) through tsh sftp server', () => {
  it('copies 24 MiB up and down intact', async () => {
    const dir = join(work.path, 'scp');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'remote'), { recursive: true });
    const data = randomBytes(24 * 1024 * 1024 + 12345);
    writeFileSync(join(dir, 'up'), data);
    const logStart = sshd.log().length;
    const scpArgs = ['-F', '/dev/null', ...sshHomeArgs(client.home), '-o', 'BatchMode=yes', '-P', String(sshd.port), '-s', '-S', join(work.path, 'ssh-tshsftp')];
    const up = await run('/usr/bin/scp', [...scpArgs, join(dir, 'up'), `${LOGIN}@127.0.0.1:${join(dir, 'remote', 'up')}`], { home: client.home, timeoutMs: 120_000 });
    expect(up.code, up.stderr).toBe(0);
    const down = await run('/usr/bin/scp', [...scpArgs, `${LOGIN}@127.0.0.1:${join(dir, 'remote', 'up')}`, join(dir, 'down')], { home: client.home, timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    const sum = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sum(readFileSync(join(dir, 'remote', 'up')))).toBe(sum(data));
    expect(sum(readFileSync(join(dir, 'down')))).toBe(sum(data));
    // the transfers went through tshsftp, not OpenSSH's server
    const log = sshd.log().slice(logStart);
    expect(log).toMatch(/subsystem 'tshsftp'/);
    expect(log).not.toMatch(/subsystem 'sftp'/);
  });
});
