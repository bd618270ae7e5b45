import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, FXF, FXP, type PacketWriter } from './protocol.js';
import { RawSftpClient, type RawReply } from './raw-client.js';
import { serveSftp, type SftpServerOptions } from './server.js';

let base: string;
let root: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tsh-sftp-server-')));
  root = join(base, 'jail');
  mkdirSync(join(root, 'home', 'u'), { recursive: true });
  writeFileSync(join(root, 'inside'), 'inside\n');
  writeFileSync(join(base, 'secret'), 'outside\n');
  symlinkSync(join(base, 'secret'), join(root, 'home', 'u', 'abs'));
  symlinkSync('../../../secret', join(root, 'home', 'u', 'rel'));
  symlinkSync('l2', join(root, 'l1'));
  symlinkSync('l1', join(root, 'l2'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function session(opts: Partial<SftpServerOptions> = {}) {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const lines: string[] = [];
  const done = serveSftp(toServer, fromServer, { home: '/home/u', readOnly: false, chroot: root, log: (l) => lines.push(l), ...opts });
  const c = new RawSftpClient(toServer, fromServer);
  return { c, done, lines, end: () => (toServer.end(), done) };
}

const str = (s: string) => (w: PacketWriter) => void w.string(s);
const openRead = (p: string) => (w: PacketWriter) => void w.string(p).u32(FXF.READ).u32(0);
function dataOf(r: RawReply): string | null {
  return r.type === 'data' ? r.data.toString() : null;
}

async function readWhole(c: RawSftpClient, path: string): Promise<RawReply> {
  const h = await c.call(FXP.OPEN, openRead(path));
  if (h.type !== 'handle') return h;
  const d = await c.call(FXP.READ, (w) => void w.bytes(h.handle).u64(0).u32(1000));
  await c.call(FXP.CLOSE, (w) => void w.bytes(h.handle));
  return d;
}

describe('serveSftp with a chroot', () => {
  it('starts in the home inside the root; ".." stops at "/"', async () => {
    const s = session();
    await s.c.init();
    expect(await s.c.call(FXP.REALPATH, str('.'))).toMatchObject({ names: [{ name: '/home/u' }] });
    expect(await s.c.call(FXP.REALPATH, str('../../../..'))).toMatchObject({ names: [{ name: '/' }] });
    await s.end();
  });

  it('no way out: "..", absolute paths, symlinks out, "../" in link targets, loops', async () => {
    const s = session();
    await s.c.init();
    // every way of naming the outside file: refused or mapped inside
    for (const p of ['../../../secret', '/../secret', join(base, 'secret'), 'abs', 'rel', '/home/u/rel', '../../../../../../secret']) {
      const r = await readWhole(s.c, p);
      expect(dataOf(r), p).not.toBe('outside\n');
    }
    // a path that walks up from the root lands on the root's own files
    expect(dataOf(await readWhole(s.c, '../../../../inside'))).toBe('inside\n');
    // the client plants a symlink to the outside: following it stays inside
    expect(await s.c.call(FXP.SYMLINK, (w) => void w.string(join(base, 'secret')).string('planted'))).toMatchObject({ code: 0 });
    expect(lstatSync(join(root, 'home', 'u', 'planted')).isSymbolicLink()).toBe(true);
    expect(await readWhole(s.c, 'planted')).toMatchObject({ type: 'status', code: 2 });
    expect(await s.c.call(FXP.SYMLINK, (w) => void w.string('../../..').string('up'))).toMatchObject({ code: 0 });
    expect(await s.c.call(FXP.REALPATH, str('up'))).toMatchObject({ names: [{ name: '/' }] });
    expect(dataOf(await readWhole(s.c, 'up/inside'))).toBe('inside\n');
    // loops
    expect(await readWhole(s.c, '/l1')).toMatchObject({ type: 'status', code: 2 });
    // writes cannot land outside either
    const w = await s.c.call(FXP.OPEN, (x) => void x.string('../../../created').u32(FXF.WRITE | FXF.CREAT).u32(0));
    expect(w.type).toBe('handle');
    expect(existsSync(join(root, 'created'))).toBe(true);
    expect(existsSync(join(base, 'created'))).toBe(false);
    expect(await s.c.call(FXP.MKDIR, (x) => void x.string('/../mk').u32(0))).toMatchObject({ code: 0 });
    expect(existsSync(join(root, 'mk'))).toBe(true);
    expect(await s.c.call(FXP.RENAME, (x) => void x.string('/inside').string('../../../moved'))).toMatchObject({ code: 0 });
    expect(existsSync(join(root, 'moved'))).toBe(true);
    // a directory listing of "/" shows the root, and ".." of "/" is the root itself
    const d = await s.c.call(FXP.OPENDIR, str('/..'));
    expect(d.type).toBe('handle');
    const list = await s.c.call(FXP.READDIR, (x) => void x.bytes((d as { handle: Buffer }).handle));
    const names = (list as { names: { name: string; attrs: { perm?: number } }[] }).names.map((n) => n.name).sort();
    expect(names).toEqual(['.', '..', 'created', 'home', 'l1', 'l2', 'mk', 'moved']);
    expect(readFileSync(join(base, 'secret'), 'utf8')).toBe('outside\n');
    await s.end();
  });
});

describe('serveSftp', () => {
  it('answers in request order while reads complete out of order, and closes handles at EOF', async () => {
    const dir = join(base, 'plain');
    mkdirSync(dir, { recursive: true });
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
    writeFileSync(join(dir, 'big'), big);
    const s = session({ chroot: null, home: dir });
    await s.c.init();
    const h = await s.c.call(FXP.OPEN, openRead('big'));
    expect(h.type).toBe('handle');
    const handle = (h as { handle: Buffer }).handle;
    const ids: number[] = [];
    for (let off = 0; off < big.length; off += 64 * 1024) ids.push(s.c.send(FXP.READ, (w) => void w.bytes(handle).u64(off).u32(64 * 1024)));
    ids.push(s.c.send(FXP.READ, (w) => void w.bytes(handle).u64(big.length).u32(10)));
    const replies: RawReply[] = [];
    for (let i = 0; i < ids.length; i++) replies.push(await s.c.reply());
    expect(replies.map((r) => (r as { id: number }).id)).toEqual(ids);
    expect(Buffer.concat(replies.slice(0, -1).map((r) => (r as { data: Buffer }).data)).equals(big)).toBe(true);
    expect(replies.at(-1)).toMatchObject({ type: 'status', code: 1, message: 'End of file' });
    // pipelined writes then close: all applied before the close answers
    const wh = await s.c.call(FXP.OPEN, (w) => void w.string('copy').u32(FXF.WRITE | FXF.CREAT | FXF.TRUNC).u32(ATTR.PERMISSIONS).u32(0o600));
    const whandle = (wh as { handle: Buffer }).handle;
    for (let off = big.length - 256 * 1024; off >= 0; off -= 256 * 1024) s.c.send(FXP.WRITE, (w) => void w.bytes(whandle).u64(off).bytes(big.subarray(off, off + 256 * 1024)));
    s.c.send(FXP.CLOSE, (w) => void w.bytes(whandle));
    const stat = s.c.send(FXP.STAT, str('copy'));
    let last: RawReply | undefined;
    for (let i = 0; i < big.length / (256 * 1024) + 2; i++) last = await s.c.reply();
    expect(last).toMatchObject({ id: stat, type: 'attrs' });
    expect(readFileSync(join(dir, 'copy')).equals(big)).toBe(true);
    // a read pipelined behind writes on the same handle sees them
    const rw = await s.c.call(FXP.OPEN, (w) => void w.string('rw').u32(FXF.READ | FXF.WRITE | FXF.CREAT).u32(0));
    const rwh = (rw as { handle: Buffer }).handle;
    s.c.send(FXP.WRITE, (w) => void w.bytes(rwh).u64(0).bytes(big.subarray(0, 1024 * 1024)));
    s.c.send(FXP.WRITE, (w) => void w.bytes(rwh).u64(1024 * 1024).string('tail'));
    s.c.send(FXP.READ, (w) => void w.bytes(rwh).u64(1024 * 1024 - 2).u32(100));
    expect(await s.c.reply()).toMatchObject({ type: 'status', code: 0 });
    expect(await s.c.reply()).toMatchObject({ type: 'status', code: 0 });
    expect(await s.c.reply()).toMatchObject({ type: 'data', data: Buffer.concat([big.subarray(1024 * 1024 - 2, 1024 * 1024), Buffer.from('tail')]) });
    // a 1 MiB read is cut to sftp-server's SFTP_MAX_READ_LENGTH (clients refuse bigger packets)
    const capped = await s.c.call(FXP.READ, (w) => void w.bytes(rwh).u64(0).u32(1024 * 1024));
    expect((capped as { data: Buffer }).data.equals(big.subarray(0, 256 * 1024 - 1024))).toBe(true);
    await s.c.call(FXP.CLOSE, (w) => void w.bytes(rwh));
    // a handle left open is closed (and logged) at EOF
    await s.c.call(FXP.OPEN, openRead('big'));
    await s.end();
    expect(s.lines).toContain(`forced close "big" bytes read 0 written 0`);
    expect(s.lines.at(-1)).toBe('session closed for local user UNKNOWN from [UNKNOWN]');
  });

  it('read-only: every writing request is refused with PERMISSION_DENIED', async () => {
    const dir = join(base, 'ro');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'f'), 'x');
    const s = session({ chroot: null, home: dir, readOnly: true });
    await s.c.init();
    const denied = { type: 'status', code: 3, message: 'Permission denied' };
    expect(await s.c.call(FXP.OPEN, (w) => void w.string('f').u32(FXF.WRITE).u32(0))).toMatchObject(denied);
    expect(await s.c.call(FXP.OPEN, (w) => void w.string('g').u32(FXF.READ | FXF.CREAT).u32(0))).toMatchObject(denied);
    expect(await s.c.call(FXP.REMOVE, str('f'))).toMatchObject(denied);
    expect(await s.c.call(FXP.MKDIR, (w) => void w.string('d').u32(0))).toMatchObject(denied);
    expect(await s.c.call(FXP.SETSTAT, (w) => void w.string('f').u32(0))).toMatchObject(denied);
    expect(await s.c.call(FXP.SYMLINK, (w) => void w.string('f').string('l'))).toMatchObject(denied);
    expect(await s.c.extended('posix-rename@openssh.com', (w) => void w.string('f').string('g'))).toMatchObject(denied);
    expect(await s.c.extended('hardlink@openssh.com', (w) => void w.string('f').string('g'))).toMatchObject(denied);
    expect((await s.c.call(FXP.OPEN, openRead('f'))).type).toBe('handle');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('x');
    await s.end();
  });

  it('rejects a request before INIT and an oversized packet', async () => {
    const s = session({ chroot: null, home: base });
    s.c.send(FXP.STAT, str('.'));
    await expect(s.done).rejects.toThrow(/before init/);
    const t = session({ chroot: null, home: base });
    const tooBig = Buffer.alloc(8);
    tooBig.writeUInt32BE(64 * 1024 * 1024, 0);
    (t.c as unknown as { out: PassThrough }).out.write(tooBig);
    await expect(t.done).rejects.toThrow(/bad message/);
  });
});
