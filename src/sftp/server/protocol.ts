/**
 * SFTP version 3 wire format (draft-ietf-secsh-filexfer-02) as OpenSSH's sftp-server speaks it:
 * packet types, status codes and texts, attributes, a bounds-checked packet reader and reply
 * builders. Pure: no I/O.
 */

export const SFTP_VERSION = 3;

export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

export const FX = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

export const ATTR = { SIZE: 0x1, UIDGID: 0x2, PERMISSIONS: 0x4, ACMODTIME: 0x8, EXTENDED: 0x80000000 } as const;
export const FXF = { READ: 0x1, WRITE: 0x2, APPEND: 0x4, CREAT: 0x8, TRUNC: 0x10, EXCL: 0x20 } as const;
export const STATVFS_RDONLY = 0x1;
export const STATVFS_NOSUID = 0x2;

/** sftp-common.h SFTP_MAX_MSG_LENGTH: the largest packet OpenSSH's client accepts. */
export const OPENSSH_MAX_MSG = 256 * 1024;
/** The largest request packet we accept (a 1 MiB write plus headers). */
export const MAX_PACKET = 1024 * 1024 + 1024;
/**
 * What we advertise for reads and writes (limits@openssh.com) and the largest read we serve:
 * sftp-server's SFTP_MAX_READ_LENGTH. A client honouring a larger advertised read length would get
 * replies bigger than the 256 KiB packets OpenSSH's and ssh2's clients accept (ssh2 fails the
 * channel on one), so we offer what sftp-server offers; writes up to MAX_PACKET are still taken.
 */
export const MAX_DATA = OPENSSH_MAX_MSG - 1024;

/** sftp-server.c status_to_message(). */
const STATUS_TEXT = [
  'Success',
  'End of file',
  'No such file',
  'Permission denied',
  'Failure',
  'Bad message',
  'No connection',
  'Connection lost',
  'Operation unsupported',
];

export function statusMessage(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown error';
}

/** sftp-server.c errno_to_portable(), over Node's error codes. */
export function errnoToStatus(err: unknown): number {
  const code = err && typeof err === 'object' && 'code' in err ? (err as { code: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EBADF':
    case 'ELOOP':
      return FX.NO_SUCH_FILE;
    case 'EPERM':
    case 'EACCES':
    case 'EFAULT':
      return FX.PERMISSION_DENIED;
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return FX.BAD_MESSAGE;
    case 'ENOSYS':
      return FX.OP_UNSUPPORTED;
    default:
      return FX.FAILURE;
  }
}

export interface Attrs {
  flags: number;
  size?: bigint;
  uid?: number;
  gid?: number;
  perm?: number;
  atime?: number;
  mtime?: number;
}

/** A malformed packet: sftp-server treats these as fatal. */
export class SftpProtocolError extends Error {}

/** Reads the fields of one packet body, refusing to run past its end. */
export class PacketReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new SftpProtocolError('incomplete message');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A string's bytes, without copying. */
  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A string as text (file names are bytes on the wire; UTF-8 here, as Node's fs takes them). */
  string(): string {
    return this.bytes().toString('utf8');
  }
  attrs(): Attrs {
    const a: Attrs = { flags: this.u32() };
    if (a.flags & ATTR.SIZE) a.size = this.u64();
    if (a.flags & ATTR.UIDGID) {
      a.uid = this.u32();
      a.gid = this.u32();
    }
    if (a.flags & ATTR.PERMISSIONS) a.perm = this.u32();
    if (a.flags & ATTR.ACMODTIME) {
      a.atime = this.u32();
      a.mtime = this.u32();
    }
    if (a.flags & ATTR.EXTENDED) {
      const count = this.u32();
      for (let i = 0; i < count; i++) {
        this.bytes();
        this.bytes();
      }
    }
    return a;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/** Builds one reply packet (the 4-byte length is filled in by finish()). */
export class PacketWriter {
  private buf: Buffer;
  private pos = 4;
  constructor(type: number, size = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 16));
    this.u8(type);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  u64(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)), this.pos);
    this.pos += 8;
    return this;
  }
  bytes(v: Buffer): this {
    this.u32(v.length);
    this.ensure(v.length);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
    return this;
  }
  string(v: string): this {
    const n = Buffer.byteLength(v);
    this.u32(n);
    this.ensure(n);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += n;
    return this;
  }
  attrs(a: Attrs): this {
    this.u32(a.flags & ~ATTR.EXTENDED);
    if (a.flags & ATTR.SIZE) this.u64(a.size ?? 0n);
    if (a.flags & ATTR.UIDGID) this.u32(a.uid ?? 0).u32(a.gid ?? 0);
    if (a.flags & ATTR.PERMISSIONS) this.u32(a.perm ?? 0);
    if (a.flags & ATTR.ACMODTIME) this.u32(a.atime ?? 0).u32(a.mtime ?? 0);
    return this;
  }
  finish(): Buffer {
    this.buf.writeUInt32BE(this.pos - 4, 0);
    return this.buf.subarray(0, this.pos);
  }
}

export function statusPacket(id: number, status: number, message = statusMessage(status)): Buffer {
  return new PacketWriter(FXP.STATUS, 64).u32(id).u32(status).string(message).string('').finish();
}

export function handlePacket(id: number, handle: Buffer): Buffer {
  return new PacketWriter(FXP.HANDLE, 32).u32(id).bytes(handle).finish();
}

export function attrsPacket(id: number, a: Attrs): Buffer {
  return new PacketWriter(FXP.ATTRS, 64).u32(id).attrs(a).finish();
}

export interface NameEntry {
  name: string;
  longname: string;
  attrs: Attrs;
}

export function namePacket(id: number, names: readonly NameEntry[]): Buffer {
  const w = new PacketWriter(FXP.NAME, 128 * (names.length + 1)).u32(id).u32(names.length);
  for (const n of names) w.string(n.name).string(n.longname).attrs(n.attrs);
  return w.finish();
}

/**
 * A DATA reply whose payload is filled in place: read into `payload`, then call `finish(n)`.
 * `reuse` (at least 13 + max bytes) is a spare buffer to build it in.
 */
export function dataPacket(id: number, max: number, reuse?: Buffer): { payload: Buffer; finish(n: number): Buffer } {
  const buf = reuse ?? Buffer.allocUnsafe(13 + max);
  buf[4] = FXP.DATA;
  buf.writeUInt32BE(id, 5);
  return {
    payload: buf.subarray(13),
    finish(n: number): Buffer {
      buf.writeUInt32BE(9 + n, 0);
      buf.writeUInt32BE(n, 9);
      return buf.subarray(0, 13 + n);
    },
  };
}

/** The attributes sftp-server sends for a stat (stat_to_attrib()). */
export function statToAttrs(st: {
  size: bigint | number;
  uid: number;
  gid: number;
  mode: number;
  atimeMs: number;
  mtimeMs: number;
}): Attrs {
  return {
    flags: ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME,
    size: BigInt(st.size),
    uid: st.uid,
    gid: st.gid,
    perm: st.mode,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

/**
 * Splits a byte stream into SFTP packets (4-byte length, then the body) without copying bodies
 * that arrive in one chunk.
 */
export class PacketSplitter {
  private chunks: Buffer[] = [];
  private head = 0;
  private total = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  get buffered(): number {
    return this.total;
  }

  /** The next whole packet body, null when more bytes are needed; throws when it is too long. */
  next(maxLength = MAX_PACKET): Buffer | null {
    if (this.total < 4) return null;
    const len = this.peekLength();
    if (len > maxLength) throw new SftpProtocolError(`bad message: length ${len}`);
    if (this.total < 4 + len) return null;
    const all = this.take(4 + len);
    return all.subarray(4);
  }

  private peekLength(): number {
    let v = 0;
    let k = 0;
    for (let j = this.head; j < this.chunks.length && k < 4; j++) {
      const c = this.chunks[j]!;
      for (let i = 0; i < c.length && k < 4; i++, k++) v = v * 256 + c[i]!;
    }
    return v;
  }

  private drop(): void {
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[this.head]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.drop();
      else this.chunks[this.head] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[this.head]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.drop();
        else this.chunks[this.head] = c.subarray(k);
      }
    }
    this.total -= n;
    return out;
  }
}
