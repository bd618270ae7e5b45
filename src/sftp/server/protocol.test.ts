import { describe, expect, it } from 'vitest';
import {
  ATTR,
  FX,
  FXP,
  PacketReader,
  PacketSplitter,
  PacketWriter,
  SftpProtocolError,
  dataPacket,
  errnoToStatus,
  namePacket,
  statusPacket,
} from './protocol.js';
import { serverLongname } from './longname.js';

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

describe('SFTP packet codec', () => {
  it('writes a STATUS reply as sftp-server does (code, message, empty language tag)', () => {
    const p = statusPacket(7, FX.NO_SUCH_FILE);
    expect(p.readUInt32BE(0)).toBe(p.length - 4);
    const r = new PacketReader(p.subarray(4));
    expect([r.u8(), r.u32(), r.u32(), r.string(), r.string(), r.remaining]).toEqual([FXP.STATUS, 7, 2, 'No such file', '', 0]);
  });

  it('round-trips attributes, skipping extended pairs on input', () => {
    const w = new PacketWriter(FXP.ATTRS).u32(1);
    w.attrs({ flags: ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME, size: 2n ** 40n, uid: 1000, gid: 100, perm: 0o100644, atime: 5, mtime: 6 });
    const r = new PacketReader(w.finish().subarray(5));
    r.u32();
    expect(r.attrs()).toEqual({ flags: 15, size: 2n ** 40n, uid: 1000, gid: 100, perm: 0o100644, atime: 5, mtime: 6 });
    const ext = new PacketWriter(0).u32(ATTR.EXTENDED | ATTR.SIZE).u64(3).u32(1).string('a@b').string('x').u32(99).finish();
    const r2 = new PacketReader(ext.subarray(5));
    expect(r2.attrs()).toEqual({ flags: (ATTR.EXTENDED | ATTR.SIZE) >>> 0, size: 3n });
    expect(r2.u32()).toBe(99);
  });

  it('refuses to read past the end of a packet', () => {
    const r = new PacketReader(Buffer.from([0, 0, 0, 9, 1, 2]));
    expect(() => r.bytes()).toThrow(SftpProtocolError);
    expect(() => new PacketReader(Buffer.alloc(3)).u32()).toThrow(SftpProtocolError);
  });

  it('fills DATA replies in place', () => {
    const d = dataPacket(42, 10);
    d.payload.write('abc');
    const p = d.finish(3);
    expect(p.length).toBe(16);
    const r = new PacketReader(p.subarray(4));
    expect([r.u8(), r.u32(), r.bytes().toString()]).toEqual([FXP.DATA, 42, 'abc']);
  });

  it('writes NAME replies', () => {
    const p = namePacket(3, [{ name: 'a', longname: 'l a', attrs: { flags: 0 } }]);
    const r = new PacketReader(p.subarray(4));
    expect([r.u8(), r.u32(), r.u32(), r.string(), r.string(), r.u32(), r.remaining]).toEqual([FXP.NAME, 3, 1, 'a', 'l a', 0, 0]);
  });

  it('splits a byte stream into packets however it is chunked', () => {
    const bodies = [Buffer.from([1, 0, 0, 0, 3]), Buffer.alloc(9_000, 7), Buffer.from([5])];
    const stream = Buffer.concat(bodies.map(frame));
    for (const size of [1, 3, 4, 5, 1000, stream.length]) {
      const s = new PacketSplitter();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) {
        s.push(stream.subarray(i, i + size));
        for (let b = s.next(); b; b = s.next()) got.push(Buffer.from(b));
      }
      expect(got.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
      expect(s.buffered).toBe(0);
    }
  });

  it('refuses a packet longer than the limit', () => {
    const s = new PacketSplitter();
    s.push(Buffer.from([0, 0x10, 0, 0, 1]));
    expect(() => s.next(1024)).toThrow(/bad message/);
  });

  it('maps errno codes as errno_to_portable() does', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(['ENOENT', 'ENOTDIR', 'EBADF', 'ELOOP'].map((c) => errnoToStatus(e(c)))).toEqual([2, 2, 2, 2]);
    expect(['EPERM', 'EACCES', 'EFAULT'].map((c) => errnoToStatus(e(c)))).toEqual([3, 3, 3]);
    expect(['ENAMETOOLONG', 'EINVAL'].map((c) => errnoToStatus(e(c)))).toEqual([5, 5]);
    expect(errnoToStatus(e('ENOSYS'))).toBe(8);
    expect(['EEXIST', 'ENOTEMPTY', 'EISDIR', 'ENOSPC'].map((c) => errnoToStatus(e(c)))).toEqual([4, 4, 4, 4]);
  });
});

describe('READDIR long names (ls_file with remote=0)', () => {
  it('shows the link count, names and "%s %3s %-*s %-*s %8llu %s %s" padding', () => {
    const st = { mode: 0o100644, nlink: 1, size: 1234, mtimeMs: new Date(2020, 0, 13, 18, 39).getTime(), uid: 0, gid: 0 };
    expect(serverLongname('f', st, 'me', 'users')).toBe('-rw-r--r--    1 me       users        1234 Jan 13  2020 f');
    expect(serverLongname('f', { ...st, nlink: 1234, mode: 0o104755 }, 'averylongname', 'g')).toBe('-rwsr-xr-x  1234 averylongname g            1234 Jan 13  2020 f');
  });
});
