/**
 * Holds tsh's SFTP server to OpenSSH's sftp-server byte for byte: the same request script runs
 * against /usr/lib/openssh/sftp-server and against dist/src/sftp/server/stdio-main.js (both on
 * stdio, in the same freshly built tree), and the decoded replies must match, apart from handle
 * bytes, fresh timestamps and the deliberate differences named below.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run.js';
import { FXF, FXP, ATTR, type PacketWriter } from '../../src/sftp/server/protocol.js';
import { RawSftpClient, type RawReply } from '../../src/sftp/server/raw-client.js';

const OPENSSH = '/usr/lib/openssh/sftp-server';
const OURS = join(ROOT, 'dist', 'src', 'sftp', 'server', 'stdio-main.js');
const OLD = 1_600_000_000; // Sep 2020: shown with the year in long names

let base: string;

function buildTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dir', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'file'), 'hello world\n');
  writeFileSync(join(dir, 'dir', 'a'), 'a'.repeat(5000));
  writeFileSync(join(dir, 'dir', 'b'), '');
  chmodSync(join(dir, 'dir', 'b'), 0o4755);
  symlinkSync('file', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  writeFileSync(join(dir, 'secret'), 'root only\n');
  chmodSync(join(dir, 'secret'), 0o600);
  for (const p of ['dir/a', 'dir/b', 'dir/sub', 'file', 'secret', 'empty', 'dir']) utimesSync(join(dir, p), OLD, OLD);
}

interface Server {
  client: RawSftpClient;
  child: ChildProcess;
  stderr: () => string;
}

function startServer(cmd: readonly string[], cwd: string, asNobody = false): Server {
  const argv = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd] : [...cmd];
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { client: new RawSftpClient(child.stdin!, child.stdout!), child, stderr: () => err };
}

function stop(s: Server): Promise<number | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    s.child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    s.child.stdin!.end();
  });
}

/** Replies with handles and fresh times replaced, so two servers' replies compare equal. */
function normalize(r: RawReply, now: number): unknown {
  const times = (a: { atime?: number; mtime?: number; flags: number }) => ({
    ...a,
    atime: a.atime === undefined ? undefined : 'ATIME',
    mtime: a.mtime === undefined ? undefined : a.mtime >= now - 5 ? 'NOW' : a.mtime,
  });
  switch (r.type) {
    case 'handle':
      return { type: 'handle', handle: 'H' };
    case 'attrs':
      return { type: 'attrs', attrs: times(r.attrs) };
    case 'name':
      return {
        type: 'name',
        names: r.names.map((n) => ({ ...n, longname: n.longname.replace(/[A-Z][a-z]{2} [ \d]\d \d\d:\d\d/, 'RECENT'), attrs: times(n.attrs) })),
      };
    case 'version':
      return r;
    default: {
      const { id: _id, ...rest } = r as { id: number };
      return rest;
    }
  }
}

type Step = (c: RawSftpClient, h: Record<string, Buffer>) => Promise<RawReply>;

const path = (p: string) => (w: PacketWriter) => void w.string(p);
const handleOf = (h: Record<string, Buffer>, k: string) => (w: PacketWriter) => w.bytes(h[k] ?? Buffer.alloc(4));
const keep =
  (k: string, step: Step): Step =>
  async (c, h) => {
    const r = await step(c, h);
    if (r.type === 'handle') h[k] = r.handle;
    return r;
  };
const open = (p: string, flags: number, perm?: number) => (w: PacketWriter) => {
  w.string(p).u32(flags);
  if (perm === undefined) w.u32(0);
  else w.u32(ATTR.PERMISSIONS).u32(perm);
};
const attrsPerm = (p: string, perm: number) => (w: PacketWriter) => void w.string(p).u32(ATTR.PERMISSIONS).u32(perm);

/** The script: every request type and extension, successes and the error table. */
const SCRIPT: [string, Step][] = [
  ['realpath .', (c) => c.call(FXP.REALPATH, path('.'))],
  ['realpath empty', (c) => c.call(FXP.REALPATH, path(''))],
  ['realpath dir/../file', (c) => c.call(FXP.REALPATH, path('dir/../file'))],
  ['realpath missing leaf', (c) => c.call(FXP.REALPATH, path('nope'))],
  ['realpath missing dir', (c) => c.call(FXP.REALPATH, path('nope/x'))],
  ['realpath link', (c) => c.call(FXP.REALPATH, path('link'))],
  ['stat file', (c) => c.call(FXP.STAT, path('file'))],
  ['stat link', (c) => c.call(FXP.STAT, path('link'))],
  ['lstat link', (c) => c.call(FXP.LSTAT, path('link'))],
  ['stat dangling', (c) => c.call(FXP.STAT, path('dangling'))],
  ['stat missing', (c) => c.call(FXP.STAT, path('nope'))],
  ['stat not a dir', (c) => c.call(FXP.STAT, path('file/x'))],
  ['open missing', (c) => c.call(FXP.OPEN, open('nope', FXF.READ))],
  ['open dir for write', (c) => c.call(FXP.OPEN, open('dir', FXF.WRITE))],
  ['open file', keep('f', (c) => c.call(FXP.OPEN, open('file', FXF.READ)))],
  ['read 0..5', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'f')(w).u64(0).u32(5))],
  ['read all', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'f')(w).u64(0).u32(100000))],
  ['read past end', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'f')(w).u64(1000).u32(10))],
  ['read len 0', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'f')(w).u64(0).u32(0))],
  ['write to read handle', (c, h) => c.call(FXP.WRITE, (w) => void handleOf(h, 'f')(w).u64(0).string('x'))],
  ['fstat', (c, h) => c.call(FXP.FSTAT, handleOf(h, 'f'))],
  ['fstatvfs', async (c, h) => statvfsShape(await c.extended('fstatvfs@openssh.com', handleOf(h, 'f')))],
  ['close', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'f'))],
  ['close again', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'f'))],
  ['read closed', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'f')(w).u64(0).u32(5))],
  ['bad handle', (c) => c.call(FXP.FSTAT, (w) => void w.string('xy'))],
  ['create', keep('n', (c) => c.call(FXP.OPEN, open('new', FXF.WRITE | FXF.CREAT | FXF.TRUNC, 0o640)))],
  ['write', (c, h) => c.call(FXP.WRITE, (w) => void handleOf(h, 'n')(w).u64(0).string('0123456789'))],
  ['write at 20', (c, h) => c.call(FXP.WRITE, (w) => void handleOf(h, 'n')(w).u64(20).string('end'))],
  ['fsetstat mode', (c, h) => c.call(FXP.FSETSTAT, (w) => void handleOf(h, 'n')(w).u32(ATTR.PERMISSIONS).u32(0o600))],
  ['fsync', (c, h) => c.extended('fsync@openssh.com', handleOf(h, 'n'))],
  ['close new', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'n'))],
  ['stat new', (c) => c.call(FXP.STAT, path('new'))],
  ['create excl existing', (c) => c.call(FXP.OPEN, open('new', FXF.WRITE | FXF.CREAT | FXF.EXCL))],
  ['append', keep('a', (c) => c.call(FXP.OPEN, open('new', FXF.WRITE | FXF.APPEND)))],
  ['append write', (c, h) => c.call(FXP.WRITE, (w) => void handleOf(h, 'a')(w).u64(0).string('+app'))],
  ['close append', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'a'))],
  ['read back', keep('r', (c) => c.call(FXP.OPEN, open('new', FXF.READ)))],
  ['read back data', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'r')(w).u64(0).u32(1000))],
  ['copy target', keep('t', (c) => c.call(FXP.OPEN, open('copy', FXF.WRITE | FXF.CREAT | FXF.TRUNC)))],
  ['copy-data', (c, h) => c.extended('copy-data', (w) => void handleOf(h, 't')(handleOf(h, 'r')(w).u64(0).u64(5)).u64(0))],
  ['copy-data all', (c, h) => c.extended('copy-data', (w) => { handleOf(h, 'r')(w); w.u64(0).u64(0); handleOf(h, 't')(w); w.u64(0); })],
  ['copy-data short', (c, h) => c.extended('copy-data', (w) => { handleOf(h, 'r')(w); w.u64(5).u64(1000); handleOf(h, 't')(w); w.u64(100); })],
  ['copy-data same', (c, h) => c.extended('copy-data', (w) => { handleOf(h, 'r')(w); w.u64(0).u64(0); handleOf(h, 'r')(w); w.u64(0); })],
  ['close r', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'r'))],
  ['close t', (c, h) => c.call(FXP.CLOSE, handleOf(h, 't'))],
  ['stat copy', (c) => c.call(FXP.STAT, path('copy'))],
  ['opendir dir', keep('d', (c) => c.call(FXP.OPENDIR, path('dir')))],
  ['readdir', (c, h) => sortNames(c.call(FXP.READDIR, handleOf(h, 'd')))],
  ['readdir eof', (c, h) => c.call(FXP.READDIR, handleOf(h, 'd'))],
  ['read on dir handle', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'd')(w).u64(0).u32(5))],
  ['fsync dir handle', (c, h) => c.extended('fsync@openssh.com', handleOf(h, 'd'))],
  ['closedir', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'd'))],
  ['open dir for reading', keep('od', (c) => c.call(FXP.OPEN, open('dir', FXF.READ)))],
  ['read a dir fd', (c, h) => c.call(FXP.READ, (w) => void handleOf(h, 'od')(w).u64(0).u32(10))],
  ['close dir fd', (c, h) => c.call(FXP.CLOSE, handleOf(h, 'od'))],
  ['opendir file', (c) => c.call(FXP.OPENDIR, path('file'))],
  ['opendir missing', (c) => c.call(FXP.OPENDIR, path('nope'))],
  ['mkdir', (c) => c.call(FXP.MKDIR, attrsPerm('d2', 0o750))],
  ['mkdir again', (c) => c.call(FXP.MKDIR, attrsPerm('d2', 0o750))],
  ['mkdir no attrs', (c) => c.call(FXP.MKDIR, (w) => void w.string('d3').u32(0))],
  ['stat d2', (c) => c.call(FXP.STAT, path('d2'))],
  ['rmdir non-empty', (c) => c.call(FXP.RMDIR, path('dir'))],
  ['rmdir file', (c) => c.call(FXP.RMDIR, path('file'))],
  ['rmdir', (c) => c.call(FXP.RMDIR, path('d2'))],
  ['rmdir missing', (c) => c.call(FXP.RMDIR, path('d2'))],
  ['rename onto existing', (c) => c.call(FXP.RENAME, (w) => void w.string('new').string('file'))],
  ['rename', (c) => c.call(FXP.RENAME, (w) => void w.string('new').string('renamed'))],
  ['rename dir', (c) => c.call(FXP.RENAME, (w) => void w.string('d3').string('d4'))],
  ['rename dir onto existing', (c) => c.call(FXP.RENAME, (w) => void w.string('d4').string('empty'))],
  ['rename missing', (c) => c.call(FXP.RENAME, (w) => void w.string('nope').string('x'))],
  ['posix-rename onto existing', (c) => c.extended('posix-rename@openssh.com', (w) => void w.string('renamed').string('copy'))],
  ['symlink (target first)', (c) => c.call(FXP.SYMLINK, (w) => void w.string('copy').string('sl'))],
  ['symlink exists', (c) => c.call(FXP.SYMLINK, (w) => void w.string('copy').string('sl'))],
  ['readlink', (c) => c.call(FXP.READLINK, path('sl'))],
  ['readlink not a link', (c) => c.call(FXP.READLINK, path('copy'))],
  ['hardlink', (c) => c.extended('hardlink@openssh.com', (w) => void w.string('copy').string('hard'))],
  ['stat hard', (c) => c.call(FXP.STAT, path('hard'))],
  ['setstat mode', (c) => c.call(FXP.SETSTAT, attrsPerm('hard', 0o604))],
  ['setstat size+times', (c) => c.call(FXP.SETSTAT, (w) => void w.string('hard').u32(ATTR.SIZE | ATTR.ACMODTIME).u64(3).u32(OLD).u32(OLD))],
  ['setstat owner', (c) => c.call(FXP.SETSTAT, (w) => void w.string('hard').u32(ATTR.UIDGID).u32(userInfo().uid).u32(userInfo().gid))],
  ['stat hard again', (c) => c.call(FXP.STAT, path('hard'))],
  ['setstat missing', (c) => c.call(FXP.SETSTAT, attrsPerm('nope', 0o600))],
  ['lsetstat size', (c) => c.extended('lsetstat@openssh.com', (w) => void w.string('sl').u32(ATTR.SIZE).u64(0))],
  ['lsetstat mode on link', (c) => c.extended('lsetstat@openssh.com', attrsPerm('sl', 0o600))],
  ['lsetstat times on link', (c) => c.extended('lsetstat@openssh.com', (w) => void w.string('sl').u32(ATTR.ACMODTIME).u32(OLD).u32(OLD))],
  ['lstat sl', (c) => c.call(FXP.LSTAT, path('sl'))],
  ['remove', (c) => c.call(FXP.REMOVE, path('sl'))],
  ['remove missing', (c) => c.call(FXP.REMOVE, path('sl'))],
  ['remove dir', (c) => c.call(FXP.REMOVE, path('dir'))],
  ['expand ~', (c) => c.extended('expand-path@openssh.com', path('~'))],
  ['expand ~/dir/..', (c) => c.extended('expand-path@openssh.com', path('~/dir/..'))],
  ['expand relative', (c) => c.extended('expand-path@openssh.com', path('dir/sub'))],
  ['expand ~nosuchuser', (c) => c.extended('expand-path@openssh.com', path('~nosuchuser9/x'))],
  ['expand ~root', (c) => c.extended('expand-path@openssh.com', path('~root'))],
  ['home-directory of a missing user', (c) => c.extended('home-directory', path('nosuchuser9'))],
  ['users-groups-by-id', (c) => c.extended('users-groups-by-id@openssh.com', (w) => {
    const ids = Buffer.alloc(8);
    ids.writeUInt32BE(0, 0);
    ids.writeUInt32BE(3_999_999, 4);
    w.bytes(ids).bytes(ids.subarray(0, 4));
  })],
  ['statvfs', async (c) => statvfsShape(await c.extended('statvfs@openssh.com', path('.')))],
  ['statvfs missing', (c) => c.extended('statvfs@openssh.com', path('nope'))],
  ['unknown extension', (c) => c.extended('nope@example.com')],
  ['open root-only file', (c) => c.call(FXP.OPEN, open('secret', FXF.READ))],
];

/** statvfs replies: the block counts move between two runs; compare the shape and block size. */
function statvfsShape(r: RawReply): RawReply {
  if (r.type !== 'extended') return r;
  return { ...r, body: Buffer.concat([r.body.subarray(0, 16), Buffer.from([r.body.length])]) };
}

async function sortNames(p: Promise<RawReply>): Promise<RawReply> {
  const r = await p;
  if (r.type === 'name') r.names.sort((a, b) => a.name.localeCompare(b.name));
  return r;
}

async function runScript(cmd: readonly string[], dir: string, asNobody: boolean): Promise<{ version: RawReply; steps: [string, unknown][]; code: number | null; log: string }> {
  buildTree(dir);
  if (asNobody) chownSync(dir, 65534, 65534);
  const now = Math.floor(Date.now() / 1000);
  const s = startServer(cmd, dir, asNobody);
  const version = await s.client.init();
  const handles: Record<string, Buffer> = {};
  const steps: [string, unknown][] = [];
  for (const [name, step] of SCRIPT) steps.push([name, normalize(await step(s.client, handles), now)]);
  const code = await stop(s);
  return { version, steps, code, log: s.stderr() };
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tsh-sftp-conf-')));
  chmodSync(base, 0o755);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('tsh SFTP server vs OpenSSH sftp-server: the same replies', () => {
  const modes: [string, string[], boolean][] = [
    ['read-write', [], false],
    ['read-only (-R)', ['-R'], false],
    ['umask (-u 027)', ['-u', '027'], false],
    ['logging (-e -l VERBOSE)', ['-e', '-l', 'VERBOSE'], false],
    ...(process.getuid?.() === 0 ? ([['as an unprivileged user', [], true]] as [string, string[], boolean][]) : []),
  ];
  for (const [label, args, asNobody] of modes) {
    it(`${label}: every request and the error table`, async () => {
      const dir = join(base, label.replace(/\W+/g, '-'));
      const theirs = await runScript([OPENSSH, ...args], dir, asNobody);
      const ours = await runScript([process.execPath, OURS, ...args], dir, asNobody);
      expect(ours.version).toEqual(theirs.version);
      for (let i = 0; i < SCRIPT.length; i++) expect(ours.steps[i], SCRIPT[i]![0]).toEqual(theirs.steps[i]);
      expect(ours.code).toBe(theirs.code);
      expect(ours.log.split('\r\n')).toEqual(theirs.log.split('\r\n'));
      // and the replies are the ones expected, not merely equal
      const step = (n: string) => ours.steps.find(([k]) => k === n)?.[1];
      expect(step('stat missing')).toEqual({ type: 'status', code: 2, message: 'No such file' });
      expect(step('rmdir non-empty')).toMatchObject({ type: 'status', code: args.includes('-R') ? 3 : 4 });
      expect(step('open root-only file')).toMatchObject(asNobody ? { type: 'status', code: 3, message: 'Permission denied' } : { type: 'handle' });
      const dirList = step('readdir') as { names: { name: string; longname: string }[] };
      expect(dirList.names.map((n) => n.name)).toEqual(['.', '..', 'a', 'b', 'sub']);
      expect(dirList.names[3]!.longname).toMatch(/^-rwsr-xr-x {4}1 \S+ +\S+ +0 Sep 13 {2}2020 b$/);
      expect(step('read all')).toEqual({ type: 'data', data: Buffer.from('hello world\n') });
    });
  }

  it('-Q requests lists the same request names', async () => {
    const { execFileSync } = await import('node:child_process');
    const theirs = execFileSync(OPENSSH, ['-Q', 'requests'], { encoding: 'utf8' });
    expect(execFileSync(process.execPath, [OURS, '-Q', 'requests'], { encoding: 'utf8' })).toBe(theirs);
  });

  it('limits@openssh.com: the limits sftp-server sends (256 KiB packets, 261120-byte reads and writes: more would break ssh2 and OpenSSH clients)', async () => {
    const dir = join(base, 'limits');
    buildTree(dir);
    const s = startServer([process.execPath, OURS], dir);
    await s.client.init();
    const r = await s.client.extended('limits@openssh.com');
    await stop(s);
    expect(r.type).toBe('extended');
    const b = (r as { body: Buffer }).body;
    const [packet, read, write, handles] = [0, 8, 16, 24].map((o) => Number(b.readBigUInt64BE(o)));
    expect(packet).toBe(256 * 1024);
    expect(read).toBe(255 * 1024);
    expect(write).toBe(255 * 1024);
    expect(handles).toBeGreaterThanOrEqual(1000);
  });
});
