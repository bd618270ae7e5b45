/**
 * An SFTP version 3 server over any byte stream, behaving as OpenSSH 9.2's sftp-server
 * (sftp-server.c): the same requests and extensions, status codes and texts, log lines and
 * read-only rule (a `write` flag per request, checked in one place).
 *
 * Requests are processed concurrently but replies leave in request order (OpenSSH's scp relies on
 * it). Ordering of effects: READ and WRITE run as soon as the last earlier non-data request is done
 * (reads overlap freely; writes to one handle are queued and contiguous ones go to the kernel as one
 * writev); every other request waits until all earlier requests are done, so pipelined
 * "write, write, close" or "mkdir, open" behave as with a serial server.
 *
 * The server runs as its own process per session (as sftp-server does), so open, close and the
 * stat calls are made synchronously: a trip through libuv's thread pool cost about a fifth of a
 * request's round trip, and one client after another waits for those (a tree of small files).
 * Reads and writes of data stay asynchronous.
 */
import * as fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import {
  ATTR,
  FX,
  FXF,
  FXP,
  MAX_DATA,
  MAX_PACKET,
  OPENSSH_MAX_MSG,
  PacketReader,
  PacketSplitter,
  PacketWriter,
  SFTP_VERSION,
  SftpProtocolError,
  attrsPacket,
  dataPacket,
  errnoToStatus,
  handlePacket,
  namePacket,
  statToAttrs,
  statusMessage,
  statusPacket,
  type Attrs,
  type NameEntry,
} from './protocol.js';
import { errnoCode, strerror } from '../../errors.js';
import { chrootMapper, plainMapper, type PathMapper } from './paths.js';
import { NameCache, serverLongname } from './longname.js';

export type SftpLogLevel = 'error' | 'info' | 'verbose' | 'debug';

export interface SftpServerOptions {
  /** The user's home: the starting directory (inside the chroot when there is one). */
  home: string;
  /** Refuse every request that writes (sftp-server -R). */
  readOnly: boolean;
  /**
   * A umask for files and directories created (sftp-server -u): sets the process umask (as
   * sftp-server does) and also masks modes itself, for callers that cannot (worker threads).
   */
  umask?: number;
  /** A directory the user is confined to: "/" maps to it. */
  chroot?: string | null;
  /** sftp-server's log lines, with the level sftp-server logs them at. */
  log?: (line: string, level: SftpLogLevel) => void;
  /** For the "session opened/closed for local user U from [A]" lines. */
  user?: string;
  clientAddress?: string;
}

/** Extensions advertised in SSH2_FXP_VERSION, with versions, as sftp-server 9.2 sends them. */
export const EXTENSIONS: readonly (readonly [string, string])[] = [
  ['posix-rename@openssh.com', '1'],
  ['statvfs@openssh.com', '2'],
  ['fstatvfs@openssh.com', '2'],
  ['hardlink@openssh.com', '1'],
  ['fsync@openssh.com', '1'],
  ['lsetstat@openssh.com', '1'],
  ['limits@openssh.com', '1'],
  ['expand-path@openssh.com', '1'],
  ['copy-data', '1'],
  ['home-directory', '1'],
  ['users-groups-by-id@openssh.com', '1'],
];

/** Request names, as `sftp-server -Q requests` lists them. */
export const REQUEST_NAMES: readonly string[] = [
  'open', 'close', 'read', 'write', 'lstat', 'fstat', 'setstat', 'fsetstat', 'opendir', 'readdir', 'remove', 'mkdir', 'rmdir',
  'realpath', 'stat', 'rename', 'readlink', 'symlink', 'posix-rename', 'statvfs', 'fstatvfs', 'hardlink', 'fsync', 'lsetstat',
  'limits', 'expand-path', 'copy-data', 'home-directory', 'users-groups-by-id',
];

/** limits@openssh.com: max packet, read and write lengths, open handles. */
export const LIMITS = { packet: OPENSSH_MAX_MSG, read: MAX_DATA, write: MAX_DATA, handles: 4096 } as const;

const MAX_OUTSTANDING = 1024;
const READDIR_BATCH = 100;
const WRITEV_MAX = 4 * 1024 * 1024;

const C = fs.constants;
function pRead(fd: number, buf: Buffer, off: number, len: number, pos: number | bigint | null): Promise<number> {
  return new Promise((res, rej) => fs.read(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n))));
}
function pWrite(fd: number, buf: Buffer, off: number, len: number, pos: number | null): Promise<number> {
  return new Promise((res, rej) => fs.write(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n))));
}
function pWritev(fd: number, bufs: Buffer[], pos: number | null): Promise<number> {
  return new Promise((res, rej) => fs.writev(fd, bufs, pos, (e, n) => (e ? rej(e) : res(n))));
}
const fsp = fs.promises;

interface FileHandle {
  kind: 'file';
  fd: number;
  append: boolean;
  name: string;
  host: string;
  bytesRead: number;
  bytesWritten: number;
  writes: PendingWrite[];
  writing: boolean;
}

interface DirHandle {
  kind: 'dir';
  dir: fs.Dir;
  name: string;
  host: string;
  /** The directory's path inside the chroot (for ".."), null without a chroot. */
  virtual: string | null;
  dots: boolean;
}

type Handle = FileHandle | DirHandle;

interface PendingWrite {
  off: number;
  data: Buffer;
  done: (err: unknown) => void;
}

type Reply = Buffer | null;
type Run = () => Promise<Buffer>;
interface Op {
  name: string;
  write: boolean;
  /** Parses the request (synchronously, so malformed packets fail in order) and returns its work. */
  parse: (r: PacketReader, id: number) => { run: Run; data?: boolean };
}

function portableFlags(pflags: number): number {
  let flags = 0;
  if (pflags & FXF.READ && pflags & FXF.WRITE) flags = C.O_RDWR;
  else if (pflags & FXF.READ) flags = C.O_RDONLY;
  else if (pflags & FXF.WRITE) flags = C.O_WRONLY;
  if (pflags & FXF.APPEND) flags |= C.O_APPEND;
  if (pflags & FXF.CREAT) flags |= C.O_CREAT;
  if (pflags & FXF.TRUNC) flags |= C.O_TRUNC;
  if (pflags & FXF.EXCL) flags |= C.O_EXCL;
  return flags;
}

function portableString(pflags: number): string {
  const out: string[] = [];
  if (pflags & FXF.READ) out.push('READ');
  if (pflags & FXF.WRITE) out.push('WRITE');
  if (pflags & FXF.APPEND) out.push('APPEND');
  if (pflags & FXF.CREAT) out.push('CREATE');
  if (pflags & FXF.TRUNC) out.push('TRUNCATE');
  if (pflags & FXF.EXCL) out.push('EXCL');
  return out.join(',');
}

function u64ToNumber(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function modtime(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function errorWithCode(code: string): NodeJS.ErrnoException {
  const e = new Error(code) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/**
 * Serves SFTP on `input`/`output` until the client's EOF (or the stream ends or fails); then every
 * open handle is closed and the promise resolves. `output` is left open (the caller ends the
 * channel, e.g. after sending exit-status). A malformed packet rejects with SftpProtocolError
 * after the same cleanup.
 */
export async function serveSftp(input: Readable, output: Writable, opts: SftpServerOptions): Promise<void> {
  const mapper = opts.chroot ? await chrootMapper(opts.chroot, opts.home) : plainMapper(opts.home);
  if (opts.umask !== undefined) {
    try {
      process.umask(opts.umask);
    } catch {
      // worker threads may not set it: modes are masked by hand below as well
    }
  }
  const session = new Session(input, output, opts, mapper);
  return session.done;
}

class Session {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: unknown) => void;
  private readonly splitter = new PacketSplitter();
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 0;
  private readonly names = new NameCache();
  private initDone = false;
  private ended = false;
  private finished = false;
  private fatal: unknown = null;
  /** Reply slots in request order; `head` is the next to send. */
  private slots: Reply[] = [];
  private slotBase = 0;
  private outstanding = 0;
  /** Every running request's completion. */
  private readonly running = new Set<Promise<void>>();
  /** Completion of the latest request that others must not overtake. */
  private barrier: Promise<void> = Promise.resolve();
  private outputBlocked = false;
  private readonly ops: Map<number, Op>;
  private readonly extOps: Map<string, Op>;
  private readonly bufferPool: Buffer[] = [];

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly opts: SftpServerOptions,
    private readonly paths: PathMapper,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.ops = this.requestTable();
    this.extOps = this.extendedTable();
    this.log('info', `session opened for local user ${opts.user ?? 'UNKNOWN'} from [${opts.clientAddress ?? 'UNKNOWN'}]`);
    input.on('data', (d: Buffer) => this.onData(d));
    input.once('end', () => this.onEnd());
    input.once('close', () => this.onEnd());
    input.once('error', () => this.onEnd());
    output.on('drain', () => {
      this.outputBlocked = false;
      this.maybeResume();
    });
    output.once('error', () => this.onEnd());
    output.once('close', () => this.onEnd());
  }

  private log(level: SftpLogLevel, line: string): void {
    this.opts.log?.(line, level);
  }

  // ---- input, scheduling, ordered output ----

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.splitter.push(chunk);
    try {
      for (;;) {
        const body = this.splitter.next(MAX_PACKET);
        if (!body) break;
        this.dispatch(body);
      }
    } catch (e) {
      this.fail(e);
      return;
    }
    this.maybePause();
  }

  private maybePause(): void {
    if (this.outstanding >= MAX_OUTSTANDING || this.outputBlocked) this.input.pause();
  }

  private maybeResume(): void {
    if (!this.ended && this.outstanding < MAX_OUTSTANDING && !this.outputBlocked && this.input.isPaused()) this.input.resume();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.log('debug', 'read eof');
    this.maybeFinish();
  }

  private fail(e: unknown): void {
    if (this.fatal === null) this.fatal = e;
    this.log('error', e instanceof Error ? e.message : String(e));
    this.ended = true;
    this.input.pause();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.ended || this.finished || this.outstanding > 0) return;
    this.finished = true;
    void this.closeAll().then(() => {
      this.log('info', `session closed for local user ${this.opts.user ?? 'UNKNOWN'} from [${this.opts.clientAddress ?? 'UNKNOWN'}]`);
      if (this.fatal !== null) this.rejectDone(this.fatal);
      else this.resolveDone();
    });
  }

  private async closeAll(): Promise<void> {
    for (const [id, h] of [...this.handles]) {
      this.logClose(h, 'forced');
      this.handles.delete(id);
      await this.closeHandle(h).catch(() => undefined);
    }
  }

  private newSlot(): number {
    this.outstanding++;
    this.slots.push(null);
    return this.slotBase + this.slots.length - 1;
  }

  private fill(slot: number, reply: Buffer): void {
    this.slots[slot - this.slotBase] = reply;
    this.outstanding--;
    this.flush();
    this.maybeResume();
    this.maybeFinish();
  }

  private flush(): void {
    let n = 0;
    while (this.slots.length > n && this.slots[n] !== null) n++;
    if (n === 0) return;
    const ready = this.slots.splice(0, n) as Buffer[];
    this.slotBase += n;
    if (this.output.destroyed || this.output.writableEnded) return;
    if (n > 1) this.output.cork();
    for (const b of ready) {
      const ok = this.output.write(b, () => this.recycle(b));
      if (!ok) this.outputBlocked = true;
    }
    if (n > 1) process.nextTick(() => this.output.uncork());
  }

  /** Starts a request: data requests wait only for the last barrier, others for everything. */
  private schedule(slot: number, id: number, run: Run, data: boolean): void {
    const start = data ? this.barrier : Promise.all([...this.running]).then(() => undefined);
    const p = start
      .then(run)
      .catch((e: unknown) => this.statusFor(id, e))
      .then((reply) => {
        this.running.delete(p);
        this.fill(slot, reply);
      });
    this.running.add(p);
    if (!data) this.barrier = p;
  }

  private dispatch(body: Buffer): void {
    const r = new PacketReader(body);
    const type = r.u8();
    if (type === FXP.INIT) {
      const version = r.u32();
      this.log('verbose', `received client version ${version}`);
      const w = new PacketWriter(FXP.VERSION, 512).u32(SFTP_VERSION);
      for (const [name, ver] of EXTENSIONS) {
        const op = this.extOps.get(name);
        if (op && this.permitted(op, false)) w.string(name).string(ver);
      }
      this.initDone = true;
      this.fill(this.newSlot(), w.finish());
      return;
    }
    if (!this.initDone) throw new SftpProtocolError(`Received ${type} request before init`);
    const id = r.u32();
    let op: Op | undefined;
    if (type === FXP.EXTENDED) {
      const name = r.string();
      op = this.extOps.get(name);
      if (!op) {
        this.log('error', `Unknown extended request "${name.slice(0, 100)}"`);
        this.fill(this.newSlot(), this.status(id, FX.OP_UNSUPPORTED));
        return;
      }
    } else {
      op = this.ops.get(type);
      if (!op) {
        // sftp-server logs and sends nothing; a reply keeps a client from waiting forever.
        this.log('error', `Unknown message ${type}`);
        this.fill(this.newSlot(), this.status(id, FX.OP_UNSUPPORTED));
        return;
      }
    }
    if (!this.permitted(op, true)) {
      this.fill(this.newSlot(), this.status(id, FX.PERMISSION_DENIED));
      return;
    }
    const { run, data } = op.parse(r, id);
    this.schedule(this.newSlot(), id, run, data === true);
  }

  private permitted(op: Op, log: boolean): boolean {
    if (this.opts.readOnly && op.write) {
      if (log) this.log('verbose', `Refusing ${op.name} request in read-only mode`);
      return false;
    }
    return true;
  }

  // ---- replies ----

  private status(id: number, status: number, message?: string): Buffer {
    this.log('debug', `request ${id}: sent status ${status}`);
    if (status !== FX.OK && status !== FX.EOF) this.log('info', `sent status ${statusMessage(status)}`);
    return statusPacket(id, status, message);
  }

  private statusFor(id: number, err: unknown): Buffer {
    return this.status(id, errnoToStatus(err));
  }

  private ok(id: number): Buffer {
    return this.status(id, FX.OK);
  }

  private recycle(b: Buffer): void {
    if (b.buffer.byteLength >= 13 + 32 * 1024 && this.bufferPool.length < 16 && b.byteOffset === 0) {
      this.bufferPool.push(Buffer.from(b.buffer, 0, b.buffer.byteLength));
    }
  }

  private dataBuffer(len: number): Buffer | undefined {
    for (let i = this.bufferPool.length - 1; i >= 0; i--) {
      const b = this.bufferPool[i]!;
      if (b.length >= 13 + len) {
        this.bufferPool.splice(i, 1);
        return b;
      }
    }
    return undefined;
  }

  // ---- handles ----

  private addHandle(h: Handle): Buffer {
    while (this.handles.has(this.nextHandle)) this.nextHandle = (this.nextHandle + 1) >>> 0;
    const n = this.nextHandle;
    this.nextHandle = (this.nextHandle + 1) >>> 0;
    this.handles.set(n, h);
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(n, 0);
    return b;
  }

  private handleId(r: PacketReader): number {
    const s = r.bytes();
    return s.length === 4 ? s.readUInt32BE(0) : -1;
  }

  private file(n: number): FileHandle | undefined {
    const h = this.handles.get(n);
    return h?.kind === 'file' ? h : undefined;
  }

  private logClose(h: Handle | undefined, prefix?: string): void {
    const p = prefix ? `${prefix} ` : '';
    if (h?.kind === 'file') this.log('info', `${p}close "${h.name}" bytes read ${h.bytesRead} written ${h.bytesWritten}`);
    else this.log('info', `${p}closedir "${h?.name ?? '(null)'}"`);
  }

  private async closeHandle(h: Handle): Promise<void> {
    if (h.kind === 'file') {
      await this.drainWrites(h);
      fs.closeSync(h.fd);
    } else {
      await h.dir.close();
    }
  }

  private drainWrites(h: FileHandle): Promise<void> {
    if (!h.writing && h.writes.length === 0) return Promise.resolve();
    return new Promise((res) => {
      h.writes.push({ off: -1, data: Buffer.alloc(0), done: () => res() });
      if (!h.writing) void this.pumpWrites(h);
    });
  }

  /** Writes queued writes in order; contiguous ones go down as one writev. */
  private async pumpWrites(h: FileHandle): Promise<void> {
    h.writing = true;
    while (h.writes.length > 0) {
      const batch: PendingWrite[] = [h.writes.shift()!];
      let total = batch[0]!.data.length;
      while (h.writes.length > 0 && batch[0]!.data.length > 0) {
        const next = h.writes[0]!;
        const prev = batch[batch.length - 1]!;
        if (next.data.length === 0 || total + next.data.length > WRITEV_MAX) break;
        if (!h.append && next.off !== prev.off + prev.data.length) break;
        batch.push(h.writes.shift()!);
        total += next.data.length;
      }
      const first = batch[0]!;
      if (first.data.length === 0 && first.off === -1) {
        first.done(null);
        continue;
      }
      let err: unknown = null;
      try {
        await this.writeFully(h, batch.map((w) => w.data), h.append ? null : first.off, total);
      } catch (e) {
        err = e;
      }
      if (err !== null && batch.length > 1) {
        // Retry one by one so each request gets its own outcome.
        for (const w of batch) {
          try {
            await this.writeFully(h, [w.data], h.append ? null : w.off, w.data.length);
            h.bytesWritten += w.data.length;
            w.done(null);
          } catch (e) {
            w.done(e);
          }
        }
        continue;
      }
      if (err === null) h.bytesWritten += total;
      for (const w of batch) w.done(err);
    }
    h.writing = false;
  }

  private async writeFully(h: FileHandle, bufs: Buffer[], pos: number | null, total: number): Promise<void> {
    let written = 0;
    let parts = bufs;
    while (written < total) {
      const n =
        parts.length === 1
          ? await pWrite(h.fd, parts[0]!, 0, parts[0]!.length, pos === null ? null : pos + written)
          : await pWritev(h.fd, parts, pos === null ? null : pos + written);
      if (n <= 0) throw errorWithCode('EIO');
      written += n;
      if (written < total) {
        // drop what was written
        let skip = n;
        const rest: Buffer[] = [];
        for (const b of parts) {
          if (skip >= b.length) {
            skip -= b.length;
            continue;
          }
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
        parts = rest;
      }
    }
  }

  // ---- requests ----

  private requestTable(): Map<number, Op> {
    const t = new Map<number, Op>();
    const add = (type: number, name: string, write: boolean, parse: Op['parse']): void => {
      t.set(type, { name, write, parse });
    };
    // open does its own read-only check, as in sftp-server
    add(FXP.OPEN, 'open', false, (r, id) => {
      const name = r.string();
      const pflags = r.u32();
      const a = r.attrs();
      return { run: () => this.open(id, name, pflags, a) };
    });
    add(FXP.CLOSE, 'close', false, (r, id) => {
      const n = this.handleId(r);
      return {
        run: async () => {
          const h = this.handles.get(n);
          this.logClose(h);
          if (!h) throw errorWithCode('ENOENT');
          this.handles.delete(n);
          await this.closeHandle(h);
          return this.ok(id);
        },
      };
    });
    add(FXP.READ, 'read', false, (r, id) => {
      const n = this.handleId(r);
      const off = r.u64();
      const len = Math.min(r.u32(), MAX_DATA);
      return { data: true, run: () => this.read(id, n, off, len) };
    });
    add(FXP.WRITE, 'write', true, (r, id) => {
      const n = this.handleId(r);
      const off = u64ToNumber(r.u64());
      const data = r.bytes();
      return { data: true, run: () => this.write(id, n, off, data) };
    });
    const stat = (follow: boolean) => (r: PacketReader, id: number) => {
      const name = r.string();
      return {
        run: async () => {
          this.log('verbose', `${follow ? '' : 'l'}stat name "${name}"`);
          const host = await this.paths.host(name, follow ? 'follow' : 'nofollow');
          const st = follow ? fs.statSync(host) : fs.lstatSync(host);
          return attrsPacket(id, statToAttrs(st));
        },
      };
    };
    add(FXP.LSTAT, 'lstat', false, stat(false));
    add(FXP.STAT, 'stat', false, stat(true));
    add(FXP.FSTAT, 'fstat', false, (r, id) => {
      const n = this.handleId(r);
      return {
        run: async () => {
          const h = this.file(n);
          if (!h) return this.status(id, FX.FAILURE);
          const st = fs.fstatSync(h.fd);
          return attrsPacket(id, statToAttrs(st));
        },
      };
    });
    add(FXP.SETSTAT, 'setstat', true, (r, id) => {
      const name = r.string();
      const a = r.attrs();
      return { run: () => this.setstat(id, name, a, 'path') };
    });
    add(FXP.FSETSTAT, 'fsetstat', true, (r, id) => {
      const n = this.handleId(r);
      const a = r.attrs();
      return {
        run: () => {
          const h = this.file(n);
          if (!h) return Promise.resolve(this.status(id, FX.FAILURE));
          return this.setstat(id, h.name, a, h);
        },
      };
    });
    add(FXP.OPENDIR, 'opendir', false, (r, id) => {
      const path = r.string();
      return {
        run: async () => {
          this.log('info', `opendir "${path}"`);
          const host = await this.paths.host(path);
          const dir = await fsp.opendir(host, { bufferSize: 128 });
          const virtual = this.paths.chrooted ? await this.paths.realpath(path) : null;
          return handlePacket(id, this.addHandle({ kind: 'dir', dir, name: path, host, virtual, dots: false }));
        },
      };
    });
    add(FXP.READDIR, 'readdir', false, (r, id) => {
      const n = this.handleId(r);
      return { run: () => this.readdir(id, n) };
    });
    add(FXP.REMOVE, 'remove', true, (r, id) => {
      const name = r.string();
      return {
        run: async () => {
          this.log('info', `remove name "${name}"`);
          await fsp.unlink(await this.paths.host(name, 'nofollow'));
          return this.ok(id);
        },
      };
    });
    add(FXP.MKDIR, 'mkdir', true, (r, id) => {
      const name = r.string();
      const a = r.attrs();
      return {
        run: async () => {
          const mode = a.flags & ATTR.PERMISSIONS ? (a.perm ?? 0) & 0o7777 : 0o777;
          this.log('info', `mkdir name "${name}" mode 0${mode.toString(8)}`);
          await fsp.mkdir(await this.paths.host(name, 'nofollow'), { mode: mode & ~(this.opts.umask ?? 0) });
          return this.ok(id);
        },
      };
    });
    add(FXP.RMDIR, 'rmdir', true, (r, id) => {
      const name = r.string();
      return {
        run: async () => {
          this.log('info', `rmdir name "${name}"`);
          await fsp.rmdir(await this.paths.host(name, 'nofollow'));
          return this.ok(id);
        },
      };
    });
    add(FXP.REALPATH, 'realpath', false, (r, id) => {
      const raw = r.string();
      return {
        run: async () => {
          const path = raw === '' ? '.' : raw;
          this.log('verbose', `realpath "${path}"`);
          return this.oneName(id, await this.paths.realpath(path));
        },
      };
    });
    add(FXP.RENAME, 'rename', true, (r, id) => {
      const oldpath = r.string();
      const newpath = r.string();
      return { run: () => this.rename(id, oldpath, newpath) };
    });
    add(FXP.READLINK, 'readlink', false, (r, id) => {
      const path = r.string();
      return {
        run: async () => {
          this.log('verbose', `readlink "${path}"`);
          return this.oneName(id, await fsp.readlink(await this.paths.host(path, 'nofollow')));
        },
      };
    });
    // OpenSSH's order: the first string is the link's target, the second the link (the draft swaps them).
    add(FXP.SYMLINK, 'symlink', true, (r, id) => {
      const oldpath = r.string();
      const newpath = r.string();
      return {
        run: async () => {
          this.log('info', `symlink old "${oldpath}" new "${newpath}"`);
          await fsp.symlink(oldpath, await this.paths.host(newpath, 'nofollow'));
          return this.ok(id);
        },
      };
    });
    return t;
  }

  private extendedTable(): Map<string, Op> {
    const t = new Map<string, Op>();
    const add = (ext: string, name: string, write: boolean, parse: Op['parse']): void => {
      t.set(ext, { name, write, parse });
    };
    const twoPaths = (label: string, fn: (a: string, b: string) => Promise<void>) => (r: PacketReader, id: number) => {
      const oldpath = r.string();
      const newpath = r.string();
      return {
        run: async () => {
          this.log('info', `${label} old "${oldpath}" new "${newpath}"`);
          await fn(await this.paths.host(oldpath, 'nofollow'), await this.paths.host(newpath, 'nofollow'));
          return this.ok(id);
        },
      };
    };
    add('posix-rename@openssh.com', 'posix-rename', true, twoPaths('posix-rename', (a, b) => fsp.rename(a, b)));
    add('statvfs@openssh.com', 'statvfs', false, (r, id) => {
      const path = r.string();
      return {
        run: async () => {
          this.log('info', `statvfs "${path}"`);
          return this.statvfs(id, await this.paths.host(path));
        },
      };
    });
    add('fstatvfs@openssh.com', 'fstatvfs', false, (r, id) => {
      const n = this.handleId(r);
      return {
        run: () => {
          const h = this.file(n);
          if (!h) return Promise.resolve(this.status(id, FX.FAILURE));
          return this.statvfs(id, h.host);
        },
      };
    });
    add('hardlink@openssh.com', 'hardlink', true, twoPaths('hardlink', (a, b) => fsp.link(a, b)));
    add('fsync@openssh.com', 'fsync', true, (r, id) => {
      const n = this.handleId(r);
      return {
        run: async () => {
          const h = this.file(n);
          this.log('verbose', `fsync "${this.handles.get(n)?.name ?? '(null)'}"`);
          if (!h) return this.status(id, FX.NO_SUCH_FILE);
          await this.drainWrites(h);
          await new Promise<void>((res, rej) => fs.fsync(h.fd, (e) => (e ? rej(e) : res())));
          return this.ok(id);
        },
      };
    });
    add('lsetstat@openssh.com', 'lsetstat', true, (r, id) => {
      const name = r.string();
      const a = r.attrs();
      return {
        run: () => {
          if (a.flags & ATTR.SIZE) return Promise.resolve(this.status(id, FX.BAD_MESSAGE));
          return this.setstat(id, name, a, 'link');
        },
      };
    });
    add('limits@openssh.com', 'limits', false, (_r, id) => ({
      run: () => {
        this.log('debug', `request ${id}: limits`);
        const w = new PacketWriter(FXP.EXTENDED_REPLY, 48).u32(id);
        w.u64(LIMITS.packet).u64(LIMITS.read).u64(LIMITS.write).u64(LIMITS.handles);
        return Promise.resolve(w.finish());
      },
    }));
    add('expand-path@openssh.com', 'expand-path', false, (r, id) => {
      const raw = r.string();
      return { run: () => this.expand(id, raw) };
    });
    add('copy-data', 'copy-data', true, (r, id) => {
      const rh = this.handleId(r);
      const readOff = r.u64();
      const readLen = r.u64();
      const wh = this.handleId(r);
      const writeOff = r.u64();
      return { run: () => this.copyData(id, rh, readOff, readLen, wh, writeOff) };
    });
    add('home-directory', 'home-directory', false, (r, id) => {
      const user = r.string();
      return {
        run: async () => {
          const home = await this.names.home(user);
          if (home === null) return this.status(id, FX.FAILURE);
          this.log('verbose', `home-directory "${home}"`);
          return this.oneName(id, home);
        },
      };
    });
    add('users-groups-by-id@openssh.com', 'users-groups-by-id', false, (r, id) => {
      const uids = r.bytes();
      const gids = r.bytes();
      if (uids.length % 4 !== 0 || gids.length % 4 !== 0) throw new SftpProtocolError('users-groups-by-id: bad id list');
      return {
        run: async () => {
          const users = new PacketWriter(0, 64);
          const groups = new PacketWriter(0, 64);
          for (let i = 0; i < uids.length; i += 4) users.string((await this.names.user(uids.readUInt32BE(i))) ?? '');
          for (let i = 0; i < gids.length; i += 4) groups.string((await this.names.group(gids.readUInt32BE(i))) ?? '');
          // sftp-server 9.2 counts the groups as users in this line
          this.log('verbose', `users-groups-by-id: ${(uids.length + gids.length) / 4} users, 0 groups`);
          // PacketWriter bodies start with a length and a type byte: strip both.
          const ub = users.finish().subarray(5);
          const gb = groups.finish().subarray(5);
          return new PacketWriter(FXP.EXTENDED_REPLY, 16 + ub.length + gb.length).u32(id).bytes(ub).bytes(gb).finish();
        },
      };
    });
    return t;
  }

  private oneName(id: number, name: string): Buffer {
    return namePacket(id, [{ name, longname: name, attrs: { flags: 0 } }]);
  }

  private async open(id: number, name: string, pflags: number, a: Attrs): Promise<Buffer> {
    const flags = portableFlags(pflags);
    const mode = a.flags & ATTR.PERMISSIONS ? (a.perm ?? 0) : 0o666;
    this.log('info', `open "${name}" flags ${portableString(pflags)} mode 0${mode.toString(8)}`);
    if (this.opts.readOnly && ((flags & (C.O_WRONLY | C.O_RDWR)) !== 0 || (flags & (C.O_CREAT | C.O_TRUNC)) !== 0)) {
      this.log('verbose', 'Refusing open request in read-only mode');
      return this.status(id, FX.PERMISSION_DENIED);
    }
    const host = await this.paths.host(name);
    const nofollow = this.paths.chrooted ? C.O_NOFOLLOW : 0;
    const fd = fs.openSync(host, flags | nofollow, mode & 0o7777 & ~(this.opts.umask ?? 0));
    const h: FileHandle = {
      kind: 'file',
      fd,
      append: (pflags & FXF.APPEND) !== 0,
      name,
      host,
      bytesRead: 0,
      bytesWritten: 0,
      writes: [],
      writing: false,
    };
    return handlePacket(id, this.addHandle(h));
  }

  private async read(id: number, n: number, off: bigint, len: number): Promise<Buffer> {
    const h = this.file(n);
    this.log('debug', `request ${id}: read "${this.handles.get(n)?.name ?? '(null)'}" (handle ${n}) off ${off} len ${len}`);
    if (!h) return this.status(id, FX.FAILURE);
    // a read sees this handle's earlier writes
    if (h.writing || h.writes.length > 0) await this.drainWrites(h);
    const reuse = this.dataBuffer(len);
    const pkt = dataPacket(id, len, reuse);
    let got = 0;
    try {
      if (len !== 0) got = await pRead(h.fd, pkt.payload, 0, len, off <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(off) : off);
    } catch (e) {
      this.log('error', `process_read: read "${h.name.slice(0, 100)}": ${errnoText(e)}`);
      throw e;
    }
    if (got === 0 && len !== 0) return this.status(id, FX.EOF);
    h.bytesRead += got;
    return pkt.finish(got);
  }

  private write(id: number, n: number, off: number, data: Buffer): Promise<Buffer> {
    const h = this.file(n);
    this.log('debug', `request ${id}: write "${this.handles.get(n)?.name ?? '(null)'}" (handle ${n}) off ${off} len ${data.length}`);
    if (!h) return Promise.resolve(this.status(id, FX.FAILURE));
    return new Promise((res) => {
      h.writes.push({
        off,
        data,
        done: (err) => {
          if (err) this.log('error', `process_write: write "${h.name.slice(0, 100)}": ${errnoText(err)}`);
          res(err ? this.statusFor(id, err) : this.ok(id));
        },
      });
      if (!h.writing) void this.pumpWrites(h);
    });
  }

  /** setstat, fsetstat (a handle) and lsetstat ('link'): each attribute in turn; the last error wins. */
  private async setstat(id: number, name: string, a: Attrs, target: 'path' | 'link' | FileHandle): Promise<Buffer> {
    let status: number = FX.OK;
    const fd = typeof target === 'object' ? target.fd : null;
    if (fd === null) this.log('debug', `request ${id}: ${target === 'link' ? 'l' : ''}setstat name "${name}"`);
    const host = fd === null ? await this.paths.host(name, target === 'link' ? 'nofollow' : 'follow') : '';
    const attempt = async (f: () => Promise<void>): Promise<void> => {
      try {
        await f();
      } catch (e) {
        status = errnoToStatus(e);
      }
    };
    if (fd !== null) await this.drainWrites(target as FileHandle);
    if (a.flags & ATTR.SIZE) {
      const size = u64ToNumber(a.size ?? 0n);
      this.log('info', `set "${name}" size ${a.size ?? 0n}`);
      await attempt(() => (fd !== null ? cb((k) => fs.ftruncate(fd, size, k)) : fsp.truncate(host, size)));
    }
    if (a.flags & ATTR.PERMISSIONS) {
      const perm = (a.perm ?? 0) & 0o7777;
      this.log('info', `set "${name}" mode ${perm.toString(8).padStart(4, '0')}`);
      await attempt(async () => {
        if (fd !== null) return cb((k) => fs.fchmod(fd, perm, k));
        if (target === 'link' && (await fsp.lstat(host)).isSymbolicLink()) throw errorWithCode('EOPNOTSUPP');
        return fsp.chmod(host, perm);
      });
    }
    if (a.flags & ATTR.ACMODTIME) {
      const at = a.atime ?? 0;
      const mt = a.mtime ?? 0;
      this.log('info', `set "${name}" modtime ${modtime(mt)}`);
      await attempt(() =>
        fd !== null ? cb((k) => fs.futimes(fd, at, mt, k)) : target === 'link' ? fsp.lutimes(host, at, mt) : fsp.utimes(host, at, mt),
      );
    }
    if (a.flags & ATTR.UIDGID) {
      const uid = a.uid ?? 0;
      const gid = a.gid ?? 0;
      this.log('info', `set "${name}" owner ${uid} group ${gid}`);
      await attempt(() =>
        fd !== null ? cb((k) => fs.fchown(fd, uid, gid, k)) : target === 'link' ? fsp.lchown(host, uid, gid) : fsp.chown(host, uid, gid),
      );
    }
    return this.status(id, status);
  }

  private async readdir(id: number, n: number): Promise<Buffer> {
    const h = this.handles.get(n);
    this.log('debug', `request ${id}: readdir "${h?.name ?? '(null)'}" (handle ${n})`);
    if (h?.kind !== 'dir') return this.status(id, FX.FAILURE);
    const names: string[] = [];
    if (!h.dots) {
      h.dots = true;
      names.push('.', '..');
    }
    while (names.length < READDIR_BATCH) {
      const ent = await h.dir.read();
      if (!ent) break;
      names.push(ent.name);
    }
    const entries = await Promise.all(
      names.map(async (name): Promise<NameEntry | null> => {
        let host = this.paths.join(h.host, name);
        if (name === '..' && h.virtual === '/') host = h.host;
        let st: fs.Stats;
        try {
          st = await fsp.lstat(host);
        } catch {
          return null;
        }
        const [user, group] = await Promise.all([this.names.userLabel(st.uid), this.names.groupLabel(st.gid)]);
        return { name, longname: serverLongname(name, st, user, group), attrs: statToAttrs(st) };
      }),
    );
    const found = entries.filter((e): e is NameEntry => e !== null);
    if (found.length === 0) return this.status(id, FX.EOF);
    return namePacket(id, found);
  }

  private async rename(id: number, oldpath: string, newpath: string): Promise<Buffer> {
    this.log('info', `rename old "${oldpath}" new "${newpath}"`);
    const from = await this.paths.host(oldpath, 'nofollow');
    const to = await this.paths.host(newpath, 'nofollow');
    const exists = async (p: string): Promise<boolean> =>
      fsp.stat(p).then(
        () => true,
        () => false,
      );
    const sb = await fsp.lstat(from);
    if (sb.isFile()) {
      // Race-free rename of regular files: link, then unlink the old name.
      try {
        await fsp.link(from, to);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EPERM') throw e;
        if (await exists(to)) return this.status(id, FX.FAILURE);
        await fsp.rename(from, to);
        return this.ok(id);
      }
      try {
        await fsp.unlink(from);
      } catch (e) {
        await fsp.unlink(to).catch(() => undefined);
        throw e;
      }
      return this.ok(id);
    }
    if (await exists(to)) return this.status(id, FX.FAILURE);
    await fsp.rename(from, to);
    return this.ok(id);
  }

  private async statvfs(id: number, host: string): Promise<Buffer> {
    const st = await fsp.statfs(host);
    // Node's statfs() lacks f_frsize, f_favail, f_fsid, f_flag and f_namemax: Linux's statvfs()
    // derives the first two from f_bsize and f_ffree; the rest are reported as 0 / 255.
    const w = new PacketWriter(FXP.EXTENDED_REPLY, 100).u32(id);
    w.u64(st.bsize).u64(st.bsize).u64(st.blocks).u64(st.bfree).u64(st.bavail);
    w.u64(st.files).u64(st.ffree).u64(st.ffree).u64(0).u64(0).u64(255);
    return w.finish();
  }

  private async expand(id: number, raw: string): Promise<Buffer> {
    const cwd = this.paths.cwd;
    let path = raw;
    this.log('debug', `request ${id}: expand, original "${raw}"`);
    if (path === '') path = '.';
    else if (path.startsWith('~')) {
      if (path === '~') path = cwd;
      else if (path.startsWith('~/')) path = `${cwd}/${path.slice(2)}`;
      else {
        // misc.c tilde_expand(): "~user[/path]" → pw_dir, a "/", then the path without leading slashes
        const slash = path.indexOf('/');
        const user = slash < 0 ? path.slice(1) : path.slice(1, slash);
        const home = await this.names.home(user);
        if (home === null) {
          this.log('error', `tilde_expand: No such user ${user}`);
          return this.status(id, FX.NO_SUCH_FILE, 'no such user');
        }
        const rest = slash < 0 ? '' : path.slice(slash + 1).replace(/^\/+/, '');
        path = `${home}${home.endsWith('/') ? '' : '/'}${rest}`;
      }
    } else if (!path.startsWith('/')) path = `${cwd}/${path}`;
    this.log('verbose', `expand "${path}"`);
    return this.oneName(id, await this.paths.realpath(path));
  }

  private async copyData(id: number, rh: number, readOff: bigint, readLen: bigint, wh: number, writeOff: bigint): Promise<Buffer> {
    const from = this.file(rh);
    const to = this.file(wh);
    this.log(
      'debug',
      `request ${id}: copy-data from "${from?.name ?? '(null)'}" (handle ${rh}) off ${readOff} len ${readLen} to "${to?.name ?? '(null)'}" (handle ${wh}) off ${writeOff}`,
    );
    if (rh === wh || !from || !to || from.name === to.name) return this.status(id, FX.FAILURE);
    await this.drainWrites(to);
    const untilEof = readLen === 0n;
    let left = untilEof ? BigInt(Number.MAX_SAFE_INTEGER) : readLen;
    let rpos = u64ToNumber(readOff);
    let wpos = u64ToNumber(writeOff);
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let status: number = FX.OK;
    while (left > 0n) {
      const want = Number(left < BigInt(buf.length) ? left : BigInt(buf.length));
      left -= BigInt(want);
      let got = 0;
      while (got < want) {
        const k = await pRead(from.fd, buf, got, want - got, rpos + got);
        if (k === 0) break;
        got += k;
      }
      if (got === 0) {
        status = untilEof ? FX.OK : FX.EOF;
        break;
      }
      rpos += got;
      from.bytesRead += got;
      await this.writeFully(to, [buf.subarray(0, got)], to.append ? null : wpos, got);
      wpos += got;
      to.bytesWritten += got;
    }
    if (left === 0n) status = FX.OK;
    return this.status(id, status);
  }
}

/** strerror() for the errors writes meet (errors.ts's table, plus a few only files meet). */
function errnoText(err: unknown): string {
  const extra: Record<string, string> = { EBADF: 'Bad file descriptor', EIO: 'Input/output error', EFBIG: 'File too large', EDQUOT: 'Disk quota exceeded' };
  return extra[errnoCode(err) ?? ''] ?? strerror(err);
}

function cb(f: (k: (e: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((res, rej) => f((e) => (e ? rej(e) : res())));
}
