/**
 * File transfers as sftp-client.c does them: do_download/do_upload with many requests in
 * flight (slow start from 1 up to num_requests, as OpenSSH), resume (append from the size
 * already there), -p (modes and times), -f (fsync), and download_dir/upload_dir for -R. On an
 * error or an interrupt, a download is truncated at the highest contiguous byte received and a
 * resumed upload at the highest contiguous byte acknowledged, so `reget`/`reput` can continue.
 * The walks hand their files to a Runner (parallel.ts), which may overlap them.
 */
import { closeSync, constants as C, fstatSync, openSync, promises as fsp, readSync, type Dir } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { strerror } from '../../errors.js';
import type { Logger } from '../../session/log.js';
import { FAILED, type Pending, type Runner } from './parallel.js';
import { fx2txt, isDir, isLnk, isReg, SftpError, type Attrs, type Remote } from './remote.js';

const SSH2_FXF_READ = 0x01;
const SSH2_FXF_WRITE = 0x02;
const SSH2_FXF_APPEND = 0x04;
const SSH2_FXF_CREAT = 0x08;
const SSH2_FXF_TRUNC = 0x10;
const MAX_DIR_DEPTH = 64;
/** A download's requests are sent again in groups of this many (see pump()). */
const REFILL = 8;
/** The length of a read past the known end of a file (expecting EOF). */
const EOF_PROBE = 4096;
/** The most bytes one writev of a download takes. */
const WRITEV_MAX = 4 * 1024 * 1024;

export interface Meter {
  stop(): void;
}

export interface XferContext {
  readonly remote: Remote;
  readonly log: Logger;
  /** stdout (mprintf). */
  readonly out: (text: string) => void;
  /** A progress meter for a transfer, or null when the meter is off. */
  readonly meter: (name: string, size: number, counter: () => number) => Meter | null;
  readonly interrupted: () => boolean;
  readonly readLen: number;
  readonly writeLen: number;
  readonly numRequests: number;
  /** Bytes per second, 0 for no limit (-l). */
  readonly limitBps: number;
}

export interface XferFlags {
  readonly preserve: boolean;
  readonly resume: boolean;
  readonly fsync: boolean;
}

const fx = (err: unknown): string => (err instanceof SftpError ? fx2txt(err.code) : fx2txt(4));

/** progress_meter_path(): the last component, unless that is empty. */
function meterName(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0 || i === path.length - 1) return path;
  return path.slice(i + 1);
}

/** Tracks the highest offset below which every byte is done. */
class Highwater {
  private done = new Map<number, number>();
  constructor(public mark: number) {}
  add(offset: number, len: number): void {
    this.done.set(offset, len);
    for (let l = this.done.get(this.mark); l !== undefined; l = this.done.get(this.mark)) {
      this.done.delete(this.mark);
      this.mark += l;
    }
  }
}

/** bandwidth_limit(): sleeps so the average stays under `bps`. */
class Limiter {
  private readonly start = Date.now();
  private bytes = 0;
  constructor(private readonly bps: number) {}
  async account(n: number): Promise<void> {
    if (this.bps <= 0) return;
    this.bytes += n;
    const due = (this.bytes / this.bps) * 1000 - (Date.now() - this.start);
    if (due > 10) await new Promise((r) => setTimeout(r, due));
  }
}

async function closeRemote(ctx: XferContext, h: Buffer): Promise<boolean> {
  try {
    await ctx.remote.close(h);
    return true;
  } catch (err) {
    ctx.log.error(`close remote: ${fx(err)}`);
    return false;
  }
}

export async function download(ctx: XferContext, remotePath: string, localPath: string, attrs: Attrs | null, f: XferFlags): Promise<boolean> {
  const { remote, log } = ctx;
  let a = attrs;
  if (a === null) {
    try {
      a = await remote.stat(remotePath);
    } catch (err) {
      log.error(`stat remote: ${fx(err)}`);
      return false;
    }
  }
  const mode = a.mode !== undefined ? a.mode & 0o777 : 0o666;
  if (a.mode !== undefined && !isReg(a)) {
    log.error(`download ${remotePath}: not a regular file`);
    return false;
  }
  const size = a.size ?? 0;
  let h: Buffer;
  try {
    h = await remote.open(remotePath, SSH2_FXF_READ);
  } catch (err) {
    log.error(`remote open "${remotePath}": ${fx(err)}`);
    return false;
  }
  let local: FileHandle;
  try {
    local = await fsp.open(localPath, C.O_WRONLY | C.O_CREAT | (f.resume ? 0 : C.O_TRUNC), mode | 0o200);
  } catch (err) {
    log.error(`open local "${localPath}": ${strerror(err)}`);
    await closeRemote(ctx, h);
    return false;
  }
  let offset = 0;
  if (f.resume) {
    const st = await local.stat();
    if (st.size > size) {
      log.error(`Unable to resume download of "${localPath}": local file is larger than remote`);
      await closeRemote(ctx, h);
      await local.close();
      return false;
    }
    offset = st.size;
  }
  const hw = new Highwater(offset);
  let counter = offset;
  const meter = size !== 0 ? ctx.meter(meterName(remotePath), size, () => counter) : null;
  const limiter = new Limiter(ctx.limitBps);
  let readError: unknown = null;
  let writeError: unknown = null;
  let lmodified = false;
  await new Promise<void>((resolve) => {
    let maxReq = 1;
    let grown = false;
    let inFlight = 0;
    let next = offset;
    let eof = false;
    let writing = false;
    // Data is written strictly in offset order, so the local file never has holes: whatever
    // stops the transfer (even SIGKILL), its size is what a resume may continue from.
    const pending = new Map<number, Buffer>();
    const free: Buffer[] = [];
    // Read buffers of this transfer's own (never slices of Node's shared pool): safe to reuse.
    const owned = new WeakSet<ArrayBufferLike>();
    const ownBuffer = (): Buffer => {
      const b = Buffer.allocUnsafeSlow(ctx.readLen);
      owned.add(b.buffer);
      return b;
    };
    const retry: { off: number; len: number }[] = [];
    const stopped = (): boolean => Boolean(readError || writeError || ctx.interrupted());
    const finishedIfIdle = (): void => {
      if (inFlight > 0 || writing) return;
      if (stopped() || (eof && retry.length === 0 && !pending.has(hw.mark))) resolve();
    };
    // Contiguous chunks that have arrived go to the file in one writev (fewer fs calls per chunk).
    const writer = (): void => {
      if (writing || writeError) return;
      const off = hw.mark;
      const bufs: Buffer[] = [];
      let total = 0;
      for (let d = pending.get(off); d !== undefined && total < WRITEV_MAX; d = pending.get(off + total)) {
        pending.delete(off + total);
        bufs.push(d);
        total += d.length;
      }
      if (total === 0) return finishedIfIdle();
      writing = true;
      local.writev(bufs, off).then(
        ({ bytesWritten }) => {
          writing = false;
          // A short write (rare on a regular file): what is left goes back to be written next.
          for (let at = 0, i = 0; i < bufs.length; at += bufs[i]!.length, i++) {
            if (at + bufs[i]!.length <= bytesWritten) continue;
            const skip = Math.max(0, bytesWritten - at);
            pending.set(off + at + skip, bufs[i]!.subarray(skip));
          }
          // Full-size buffers written out whole are read into again.
          if (bytesWritten === total) for (const d of bufs) if (owned.has(d.buffer) && free.length < ctx.numRequests) free.push(Buffer.from(d.buffer, 0, ctx.readLen));
          hw.add(off, bytesWritten);
          counter = hw.mark;
          limiter.account(bytesWritten).then(() => {
            pump();
            writer();
          });
        },
        (err: unknown) => {
          writing = false;
          writeError ??= err;
          finishedIfIdle();
        },
      );
    };
    const pump = (): void => {
      if (stopped()) maxReq = 0;
      // Refills wait for a few free slots, then go out together (one socket write).
      if (retry.length === 0 && !eof && maxReq >= REFILL * 2 && inFlight > maxReq - REFILL) return finishedIfIdle();
      remote.batch(fill);
      finishedIfIdle();
    };
    const fill = (): void => {
      while (!readError && !writeError && (retry.length > 0 ? inFlight < Math.max(maxReq, 1) : inFlight < maxReq && !eof)) {
        let req = retry.shift();
        if (req === undefined) {
          // Requests stop at the size the file had (each one's buffer is allocated up front: a
          // full-size buffer for every small file is most of the work of a tree of them); the
          // read that should find EOF is small, unless the file has grown meanwhile.
          const len = next < size ? Math.min(ctx.readLen, size - next) : grown ? ctx.readLen : Math.min(ctx.readLen, EOF_PROBE);
          req = { off: next, len };
          next += len;
        }
        const { off, len } = req;
        inFlight++;
        remote.read(h, len, off, len === ctx.readLen ? (free.pop() ?? ownBuffer()) : undefined).then(
          (data) => {
            inFlight--;
            if (data.length === 0) {
              eof = true;
              maxReq = 0;
            } else {
              if (off + data.length > size) grown = true;
              if (data.length < len) retry.push({ off: off + data.length, len: len - data.length });
              else if (maxReq > 0 && maxReq < ctx.numRequests) maxReq++;
              lmodified = true;
              pending.set(off, data);
              writer();
            }
            pump();
          },
          (err: unknown) => {
            inFlight--;
            readError ??= err;
            maxReq = 0;
            finishedIfIdle();
          },
        );
      }
    };
    pump();
  });
  meter?.stop();
  const interrupted = ctx.interrupted();
  if (readError || writeError || interrupted) {
    try {
      await local.truncate(hw.mark);
    } catch (err) {
      log.error(`local ftruncate "${localPath}": ${strerror(err)}`);
    }
  }
  let ok: boolean;
  if (readError) {
    log.error(`read remote "${remotePath}" : ${fx(readError)}`);
    await closeRemote(ctx, h);
    ok = false;
  } else if (writeError) {
    log.error(`write local "${localPath}": ${strerror(writeError)}`);
    await closeRemote(ctx, h);
    ok = false;
  } else {
    ok = (await closeRemote(ctx, h)) && !interrupted;
    if (f.preserve) {
      try {
        await local.chmod(mode);
      } catch (err) {
        log.error(`local chmod "${localPath}": ${strerror(err)}`);
      }
      if (a.atime !== undefined && a.mtime !== undefined) {
        try {
          await local.utimes(a.atime, a.mtime);
        } catch (err) {
          log.error(`local set times "${localPath}": ${strerror(err)}`);
        }
      }
    }
    if (f.resume && !lmodified) log.info(`File "${localPath}" was not modified`);
    else if (f.fsync) {
      try {
        await local.sync();
      } catch (err) {
        log.error(`local sync "${localPath}": ${strerror(err)}`);
      }
    }
  }
  await local.close();
  return ok;
}

/**
 * do_upload(). The local file is read with synchronous calls, as sftp does: a trip through
 * libuv's thread pool per open, stat, read and close cost more than the calls themselves (most of
 * the time of a tree of small files). O_NONBLOCK keeps a FIFO from blocking the open.
 */
export async function upload(ctx: XferContext, localPath: string, remotePath: string, f: XferFlags): Promise<boolean> {
  const { remote, log } = ctx;
  let fd: number;
  try {
    fd = openSync(localPath, C.O_RDONLY | C.O_NONBLOCK);
  } catch (err) {
    log.error(`open local "${localPath}": ${strerror(err)}`);
    return false;
  }
  try {
    const sb = fstatSync(fd);
    if (!sb.isFile()) {
      log.error(`local "${localPath}" is not a regular file`);
      return false;
    }
    const a: Attrs = { mode: sb.mode & 0o777 };
    if (f.preserve) {
      a.atime = Math.floor(sb.atimeMs / 1000);
      a.mtime = Math.floor(sb.mtimeMs / 1000);
    }
    let offset = 0;
    if (f.resume) {
      let c: Attrs;
      try {
        c = await remote.stat(remotePath);
      } catch (err) {
        log.error(`stat remote: ${fx(err)}`);
        return false;
      }
      if ((c.size ?? 0) >= sb.size) {
        log.error(`resume "${localPath}": destination file same size or larger`);
        return false;
      }
      offset = c.size ?? 0;
    }
    const openmode = SSH2_FXF_WRITE | SSH2_FXF_CREAT | (f.resume ? SSH2_FXF_APPEND : SSH2_FXF_TRUNC);
    let h: Buffer;
    try {
      h = await remote.open(remotePath, openmode, a);
    } catch (err) {
      log.error(`dest open "${remotePath}": ${fx(err)}`);
      return false;
    }
    const hw = new Highwater(offset);
    let counter = offset;
    const meter = ctx.meter(meterName(localPath), sb.size, () => counter);
    const limiter = new Limiter(ctx.limitBps);
    let status: unknown = null;
    let readErr: unknown = null;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      let pos = offset;
      let grown = false;
      let throttled = false;
      let eof = false;
      const done = (): boolean => eof || status !== null || readErr !== null || ctx.interrupted();
      const pump = (): void => {
        if (done()) {
          if (inFlight === 0) resolve();
          return;
        }
        if (inFlight >= ctx.numRequests || throttled) return;
        // Sized by what is left of the file as it was (see download()).
        const buf = Buffer.allocUnsafe(pos < sb.size ? Math.min(ctx.writeLen, sb.size - pos) : grown ? ctx.writeLen : Math.min(ctx.writeLen, EOF_PROBE));
        let bytesRead: number;
        try {
          bytesRead = readSync(fd, buf, 0, buf.length, pos);
        } catch (err) {
          readErr = err;
          return pump();
        }
        if (pos >= sb.size && bytesRead > 0) grown = true;
        if (bytesRead === 0) {
          eof = true;
          return pump();
        }
        const off = pos;
        pos += bytesRead;
        inFlight++;
        remote.write(h, buf.subarray(0, bytesRead), off).then(
          () => {
            inFlight--;
            hw.add(off, bytesRead);
            counter += bytesRead;
            pump();
          },
          (err: unknown) => {
            inFlight--;
            status ??= err;
            pump();
          },
        );
        // -l: the next request goes out only when the bytes sent so far allow it (as
        // bandwidth_limit() does before each send), not after a burst of -R requests, nor
        // because an earlier write was acknowledged.
        if (ctx.limitBps > 0) {
          throttled = true;
          void limiter.account(bytesRead).then(() => {
            throttled = false;
            pump();
          });
        } else pump();
      };
      pump();
    });
    meter?.stop();
    let ok = true;
    if (readErr) {
      log.error(`read local "${localPath}": ${strerror(readErr)}`);
      ok = false;
    }
    if (status !== null) {
      log.error(`write remote "${remotePath}": ${fx(status)}`);
      ok = false;
    }
    if (f.resume && (!ok || ctx.interrupted())) {
      await remote.fsetstat(h, { size: hw.mark }).catch((err: unknown) => log.error(`remote fsetstat: ${fx(err)}`));
    }
    if (f.preserve) await remote.fsetstat(h, a).catch((err: unknown) => log.error(`remote fsetstat: ${fx(err)}`));
    if (f.fsync) await remote.fsync(h).catch(() => undefined);
    if (!(await closeRemote(ctx, h))) ok = false;
    return ok && !ctx.interrupted();
  } finally {
    closeSync(fd);
  }
}

const join = (a: string, b: string): string => (a.endsWith('/') ? `${a}${b}` : `${a}/${b}`);

/** A file is "large" when it needs more than a few requests: it then runs alone (see parallel.ts). */
const LARGE_REQUESTS = 4;

/**
 * download_dir_internal(): walks the remote tree depth first in the server's order, handing files
 * to the runner; resolves once the walk is done with the promise of every transfer under `src`
 * (the directory's own mode and times are set after them).
 */
async function downloadDirInternal(r: Runner, src: string, dst: string, depth: number, dirattrib: Attrs | null, f: XferFlags): Promise<Pending> {
  const { remote } = r.ctx;
  const fail = FAILED;
  if (depth >= MAX_DIR_DEPTH) {
    r.ctx.log.error(`Maximum directory depth exceeded: ${depth} levels`);
    return fail;
  }
  let da = dirattrib;
  if (da === null) {
    try {
      da = await remote.stat(src);
    } catch {
      r.ctx.log.error(`stat remote "${src}" directory failed`);
      return fail;
    }
  }
  if (!isDir(da)) {
    r.ctx.log.error(`"${src}" is not a directory`);
    return fail;
  }
  r.ctx.out(`Retrieving ${src}\n`);
  let mode = 0o777;
  let tmpmode = mode;
  if (da.mode !== undefined) {
    mode = da.mode & 0o1777;
    tmpmode = mode | 0o300;
  }
  try {
    await fsp.mkdir(dst, tmpmode);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') {
      r.ctx.log.error(`mkdir ${dst}: ${strerror(err)}`);
      return fail;
    }
  }
  let entries;
  try {
    entries = await remote.readdir(src);
  } catch (err) {
    r.ctx.log.error(`Couldn't read directory: ${fx(err)}`);
    r.ctx.log.error(`remote readdir "${src}" failed`);
    return fail;
  }
  const results: Promise<boolean>[] = [];
  const big = LARGE_REQUESTS * r.ctx.readLen;
  for (const e of entries) {
    if (r.ctx.interrupted()) break;
    const newDst = join(dst, e.filename);
    const newSrc = join(src, e.filename);
    if (isDir(e.attrs)) {
      if (e.filename === '.' || e.filename === '..') continue;
      results.push((await downloadDirInternal(r, newSrc, newDst, depth + 1, e.attrs, f)).done);
    } else if (isReg(e.attrs)) {
      results.push(
        (await r.file((e.attrs.size ?? big + 1) > big, async (c) => {
          if (await download(c, newSrc, newDst, e.attrs, f)) return true;
          c.log.error(`Download of file ${newSrc} to ${newDst} failed`);
          return false;
        })).done,
      );
    } else r.ctx.log.info(`download "${newSrc}": not a regular file`);
  }
  const a = da;
  return r.after(results, async (c) => {
    if (f.preserve && a.atime !== undefined && a.mtime !== undefined) {
      await fsp.utimes(dst, a.atime, a.mtime).catch((err: unknown) => c.log.error(`local set times on "${dst}": ${strerror(err)}`));
    }
    if (mode !== tmpmode) await fsp.chmod(dst, mode).catch((err: unknown) => c.log.error(`local chmod directory "${dst}": ${strerror(err)}`));
    return (await Promise.all(results)).every(Boolean);
  });
}

/** download_dir(): the walk under `src` (canonicalised); resolves once the walk is done (see downloadDirInternal). */
export async function downloadDir(r: Runner, src: string, dst: string, f: XferFlags): Promise<Pending> {
  let canon: string;
  try {
    canon = await r.ctx.remote.realpath(src);
  } catch (err) {
    r.ctx.log.error(`realpath ${src}: ${fx(err)}`);
    r.ctx.log.error(`download "${src}": path canonicalization failed`);
    return FAILED;
  }
  return downloadDirInternal(r, canon, dst, 0, null, f);
}

/** upload_dir_internal(), the same way as downloadDirInternal. */
async function uploadDirInternal(r: Runner, src: string, dst: string, depth: number, f: XferFlags): Promise<Pending> {
  const { remote } = r.ctx;
  const fail = FAILED;
  if (depth >= MAX_DIR_DEPTH) {
    r.ctx.log.error(`Maximum directory depth exceeded: ${depth} levels`);
    return fail;
  }
  let sb;
  try {
    sb = await fsp.stat(src);
  } catch (err) {
    r.ctx.log.error(`stat local "${src}": ${strerror(err)}`);
    return fail;
  }
  if (!sb.isDirectory()) {
    r.ctx.log.error(`"${src}" is not a directory`);
    return fail;
  }
  r.ctx.out(`Entering ${src}\n`);
  const a: Attrs = { mode: sb.mode & 0o1777 };
  if (f.preserve) {
    a.atime = Math.floor(sb.atimeMs / 1000);
    a.mtime = Math.floor(sb.mtimeMs / 1000);
  }
  try {
    await remote.mkdir(dst, { ...a, mode: (a.mode ?? 0) | 0o300 });
  } catch {
    let d: Attrs;
    try {
      d = await remote.stat(dst);
    } catch (err) {
      r.ctx.log.error(`stat remote: ${fx(err)}`);
      return fail;
    }
    if (!isDir(d)) {
      r.ctx.log.error(`"${dst}" exists but is not a directory`);
      return fail;
    }
  }
  let dir: Dir;
  try {
    dir = await fsp.opendir(src);
  } catch (err) {
    r.ctx.log.error(`local opendir "${src}": ${strerror(err)}`);
    return fail;
  }
  const results: Promise<boolean>[] = [];
  const big = LARGE_REQUESTS * r.ctx.writeLen;
  try {
    for (;;) {
      if (r.ctx.interrupted()) break;
      const ent = await dir.read();
      if (ent === null) break;
      const name = ent.name;
      const newDst = join(dst, name);
      const newSrc = join(src, name);
      let st;
      try {
        st = await fsp.lstat(newSrc);
      } catch (err) {
        r.ctx.log.info(`local lstat "${name}": ${strerror(err)}`);
        results.push(Promise.resolve(false));
        continue;
      }
      if (st.isDirectory()) {
        results.push((await uploadDirInternal(r, newSrc, newDst, depth + 1, f)).done);
      } else if (st.isFile()) {
        results.push(
          (await r.file(st.size > big, async (c) => {
            if (await upload(c, newSrc, newDst, f)) return true;
            c.log.error(`upload "${newSrc}" to "${newDst}" failed`);
            return false;
          })).done,
        );
      } else r.ctx.log.info(`${name}: not a regular file`);
    }
  } finally {
    await dir.close().catch(() => undefined);
  }
  return r.after(results, async (c) => {
    await remote.setstat(dst, a).catch((err: unknown) => c.log.error(`remote setstat "${dst}": ${fx(err)}`));
    return (await Promise.all(results)).every(Boolean);
  });
}

/** upload_dir(): the walk under `src` into `dst` (canonicalised); resolves once the walk is done. */
export async function uploadDir(r: Runner, src: string, dst: string, f: XferFlags): Promise<Pending> {
  let canon: string;
  try {
    canon = await r.ctx.remote.realpath(dst);
  } catch (err) {
    r.ctx.log.error(`realpath ${dst}: ${fx(err)}`);
    r.ctx.log.error(`upload "${dst}": path canonicalization failed`);
    return FAILED;
  }
  return uploadDirInternal(r, src, canon, 0, f);
}

export { isLnk };
