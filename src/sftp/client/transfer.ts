/**
 * File transfers as sftp-client.c does them: do_download/do_upload with many requests in
 * flight (slow start from 1 up to num_requests, as OpenSSH), resume (append from the size
 * already there), -p (modes and times), -f (fsync), and download_dir/upload_dir for -R. On an
 * error or an interrupt, a download is truncated at the highest contiguous byte received and a
 * resumed upload at the highest contiguous byte acknowledged, so `reget`/`reput` can continue.
 */
import { constants as C, promises as fsp, type Dir } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { strerror } from '../../errors.js';
import type { Logger } from '../../session/log.js';
import { fx2txt, isDir, isLnk, isReg, SftpError, type Attrs, type Remote } from './remote.js';

const SSH2_FXF_READ = 0x01;
const SSH2_FXF_WRITE = 0x02;
const SSH2_FXF_APPEND = 0x04;
const SSH2_FXF_CREAT = 0x08;
const SSH2_FXF_TRUNC = 0x10;
const MAX_DIR_DEPTH = 64;

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
    let inFlight = 0;
    let next = offset;
    let eof = false;
    let writing = false;
    // Data is written strictly in offset order, so the local file never has holes: whatever
    // stops the transfer (even SIGKILL), its size is what a resume may continue from.
    const pending = new Map<number, Buffer>();
    const retry: { off: number; len: number }[] = [];
    const stopped = (): boolean => Boolean(readError || writeError || ctx.interrupted());
    const finishedIfIdle = (): void => {
      if (inFlight > 0 || writing) return;
      if (stopped() || (eof && retry.length === 0 && !pending.has(hw.mark))) resolve();
    };
    const writer = (): void => {
      if (writing || writeError) return;
      const data = pending.get(hw.mark);
      if (data === undefined) return finishedIfIdle();
      pending.delete(hw.mark);
      writing = true;
      const off = hw.mark;
      local.write(data, 0, data.length, off).then(
        () => {
          writing = false;
          hw.add(off, data.length);
          counter = hw.mark;
          limiter.account(data.length).then(() => {
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
      while (!readError && !writeError && (retry.length > 0 ? inFlight < Math.max(maxReq, 1) : inFlight < maxReq && !eof)) {
        let req = retry.shift();
        if (req === undefined) {
          req = { off: next, len: ctx.readLen };
          next += ctx.readLen;
        }
        const { off, len } = req;
        inFlight++;
        remote.read(h, len, off).then(
          (data) => {
            inFlight--;
            if (data.length === 0) {
              eof = true;
              maxReq = 0;
            } else {
              if (data.length < len) retry.push({ off: off + data.length, len: len - data.length });
              else if (maxReq > 0 && maxReq < ctx.numRequests) maxReq++;
              lmodified = true;
              pending.set(off, data);
              writer();
            }
            pump();
            finishedIfIdle();
          },
          (err: unknown) => {
            inFlight--;
            readError ??= err;
            maxReq = 0;
            finishedIfIdle();
          },
        );
      }
      finishedIfIdle();
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

export async function upload(ctx: XferContext, localPath: string, remotePath: string, f: XferFlags): Promise<boolean> {
  const { remote, log } = ctx;
  let local: FileHandle;
  try {
    local = await fsp.open(localPath, 'r');
  } catch (err) {
    log.error(`open local "${localPath}": ${strerror(err)}`);
    return false;
  }
  try {
    const sb = await local.stat();
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
      let reading = false;
      let eof = false;
      const done = (): boolean => eof || status !== null || readErr !== null || ctx.interrupted();
      const pump = (): void => {
        if (done()) {
          if (inFlight === 0 && !reading) resolve();
          return;
        }
        if (reading || inFlight >= ctx.numRequests) return;
        reading = true;
        const buf = Buffer.allocUnsafe(ctx.writeLen);
        local.read(buf, 0, buf.length, pos).then(
          ({ bytesRead }) => {
            reading = false;
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
            // bandwidth_limit() does before each send), not after a burst of -R requests.
            void limiter.account(bytesRead).then(pump);
          },
          (err: unknown) => {
            reading = false;
            readErr = err;
            pump();
          },
        );
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
    await local.close();
  }
}

const join = (a: string, b: string): string => (a.endsWith('/') ? `${a}${b}` : `${a}/${b}`);

async function downloadDirInternal(ctx: XferContext, src: string, dst: string, depth: number, dirattrib: Attrs | null, f: XferFlags): Promise<boolean> {
  const { remote, log } = ctx;
  if (depth >= MAX_DIR_DEPTH) {
    log.error(`Maximum directory depth exceeded: ${depth} levels`);
    return false;
  }
  let da = dirattrib;
  if (da === null) {
    try {
      da = await remote.stat(src);
    } catch {
      log.error(`stat remote "${src}" directory failed`);
      return false;
    }
  }
  if (!isDir(da)) {
    log.error(`"${src}" is not a directory`);
    return false;
  }
  ctx.out(`Retrieving ${src}\n`);
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
      log.error(`mkdir ${dst}: ${strerror(err)}`);
      return false;
    }
  }
  let entries;
  try {
    entries = await remote.readdir(src);
  } catch (err) {
    log.error(`Couldn't read directory: ${fx(err)}`);
    log.error(`remote readdir "${src}" failed`);
    return false;
  }
  let ok = true;
  for (const e of entries) {
    if (ctx.interrupted()) break;
    const newDst = join(dst, e.filename);
    const newSrc = join(src, e.filename);
    if (isDir(e.attrs)) {
      if (e.filename === '.' || e.filename === '..') continue;
      if (!(await downloadDirInternal(ctx, newSrc, newDst, depth + 1, e.attrs, f))) ok = false;
    } else if (isReg(e.attrs)) {
      if (!(await download(ctx, newSrc, newDst, e.attrs, f))) {
        log.error(`Download of file ${newSrc} to ${newDst} failed`);
        ok = false;
      }
    } else log.info(`download "${newSrc}": not a regular file`);
  }
  if (f.preserve) {
    if (da.atime !== undefined && da.mtime !== undefined) {
      await fsp.utimes(dst, da.atime, da.mtime).catch((err: unknown) => log.error(`local set times on "${dst}": ${strerror(err)}`));
    }
  }
  if (mode !== tmpmode) await fsp.chmod(dst, mode).catch((err: unknown) => log.error(`local chmod directory "${dst}": ${strerror(err)}`));
  return ok;
}

export async function downloadDir(ctx: XferContext, src: string, dst: string, f: XferFlags): Promise<boolean> {
  let canon: string;
  try {
    canon = await ctx.remote.realpath(src);
  } catch (err) {
    ctx.log.error(`realpath ${src}: ${fx(err)}`);
    ctx.log.error(`download "${src}": path canonicalization failed`);
    return false;
  }
  return downloadDirInternal(ctx, canon, dst, 0, null, f);
}

async function uploadDirInternal(ctx: XferContext, src: string, dst: string, depth: number, f: XferFlags): Promise<boolean> {
  const { remote, log } = ctx;
  if (depth >= MAX_DIR_DEPTH) {
    log.error(`Maximum directory depth exceeded: ${depth} levels`);
    return false;
  }
  let sb;
  try {
    sb = await fsp.stat(src);
  } catch (err) {
    log.error(`stat local "${src}": ${strerror(err)}`);
    return false;
  }
  if (!sb.isDirectory()) {
    log.error(`"${src}" is not a directory`);
    return false;
  }
  ctx.out(`Entering ${src}\n`);
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
      log.error(`stat remote: ${fx(err)}`);
      return false;
    }
    if (!isDir(d)) {
      log.error(`"${dst}" exists but is not a directory`);
      return false;
    }
  }
  let dir: Dir;
  try {
    dir = await fsp.opendir(src);
  } catch (err) {
    log.error(`local opendir "${src}": ${strerror(err)}`);
    return false;
  }
  let ok = true;
  try {
    for (;;) {
      if (ctx.interrupted()) break;
      const ent = await dir.read();
      if (ent === null) break;
      const name = ent.name;
      const newDst = join(dst, name);
      const newSrc = join(src, name);
      let st;
      try {
        st = await fsp.lstat(newSrc);
      } catch (err) {
        log.info(`local lstat "${name}": ${strerror(err)}`);
        ok = false;
        continue;
      }
      if (st.isDirectory()) {
        if (!(await uploadDirInternal(ctx, newSrc, newDst, depth + 1, f))) ok = false;
      } else if (st.isFile()) {
        if (!(await upload(ctx, newSrc, newDst, f))) {
          log.error(`upload "${newSrc}" to "${newDst}" failed`);
          ok = false;
        }
      } else log.info(`${name}: not a regular file`);
    }
  } finally {
    await dir.close().catch(() => undefined);
  }
  await remote.setstat(dst, a).catch((err: unknown) => log.error(`remote setstat "${dst}": ${fx(err)}`));
  return ok;
}

export async function uploadDir(ctx: XferContext, src: string, dst: string, f: XferFlags): Promise<boolean> {
  let canon: string;
  try {
    canon = await ctx.remote.realpath(dst);
  } catch (err) {
    ctx.log.error(`realpath ${dst}: ${fx(err)}`);
    ctx.log.error(`upload "${dst}": path canonicalization failed`);
    return false;
  }
  return uploadDirInternal(ctx, src, canon, 0, f);
}

export { isLnk };
