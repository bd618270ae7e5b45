/**
 * A promise facade over ssh2's client SFTP (sftp-client.c's do_* calls): every failure is an
 * SftpError carrying the SFTP status code, printed with fx2txt() texts as OpenSSH does.
 *
 * ssh2 caps read/write requests at 34000 - 2048 bytes unless the server's ident says OpenSSH;
 * when the server offers `limits@openssh.com`, ssh2 asks for the limits before 'ready' and
 * sets its internal `_maxReadLen`/`_maxWriteLen` from them, so requests as large as the server
 * allows go out. Transfers size their requests from those limits (or -B). ssh2 also swaps
 * SYMLINK's arguments only for an OpenSSH ident; tsh-sftp always sends them in OpenSSH's order
 * (what OpenSSH's sftp does, and what tshd expects), so `_isOpenSSH` is set after the handshake.
 */
import type { SFTPWrapper, Stats, FileEntryWithStats } from 'ssh2';

/** sftp-common.h SFTP_MAX_MSG_LENGTH. */
const MAX_MSG = 256 * 1024;

export const FX = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, NO_CONNECTION: 6, CONNECTION_LOST: 7, OP_UNSUPPORTED: 8 } as const;

const FX_TEXT: Record<number, string> = {
  0: 'No error',
  1: 'End of file',
  2: 'No such file or directory',
  3: 'Permission denied',
  4: 'Failure',
  5: 'Bad message',
  6: 'No connection',
  7: 'Connection lost',
  8: 'Operation unsupported',
};

/** fx2txt(): the text OpenSSH prints for an SFTP status. */
export function fx2txt(code: number): string {
  return FX_TEXT[code] ?? 'Unknown status';
}

export class SftpError extends Error {
  constructor(readonly code: number, message?: string) {
    super(message ?? fx2txt(code));
    this.name = 'SftpError';
  }
}

function toSftpError(err: unknown): SftpError {
  if (err instanceof SftpError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return new SftpError(code, err instanceof Error && err.message ? err.message : undefined);
  // ssh2 throws for a missing extension or a closed channel.
  return new SftpError(FX.CONNECTION_LOST, err instanceof Error ? err.message : String(err));
}

export interface Attrs {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: number;
  mtime?: number;
}

export interface DirEntry {
  filename: string;
  longname: string;
  attrs: Attrs;
}

export interface StatVfs {
  f_bsize: number;
  f_frsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
  f_files: number;
  f_ffree: number;
  f_favail: number;
}

function attrsOf(s: Stats | Attrs): Attrs {
  const a: Attrs = {};
  for (const k of ['mode', 'uid', 'gid', 'size', 'atime', 'mtime'] as const) {
    const v = (s as Record<string, unknown>)[k];
    if (typeof v === 'number') a[k] = v;
  }
  return a;
}

export const S_IFMT = 0o170000;
export const isDir = (a: Attrs): boolean => a.mode !== undefined && (a.mode & S_IFMT) === 0o040000;
export const isReg = (a: Attrs): boolean => a.mode !== undefined && (a.mode & S_IFMT) === 0o100000;
export const isLnk = (a: Attrs): boolean => a.mode !== undefined && (a.mode & S_IFMT) === 0o120000;

export class ReaddirError extends SftpError {
  constructor(readonly phase: 'open' | 'read', code: number) {
    super(code);
    this.name = 'ReaddirError';
  }
}

type Cb<T> = (err: Error | null | undefined, v: T) => void;

export class Remote {
  /** Largest read and write request sizes the server accepts (limits@openssh.com, or ssh2's). */
  readonly maxRead: number;
  readonly maxWrite: number;

  constructor(readonly sftp: SFTPWrapper) {
    const internals = sftp as unknown as { _maxReadLen?: number; _maxWriteLen?: number; _isOpenSSH?: boolean };
    // As sftp-client.c: a server's limits only lower the 256 KiB packets the client accepts (ssh2
    // fails the channel on a bigger reply, so a server offering more must not be believed).
    this.maxRead = Math.min(internals._maxReadLen ?? 32768, MAX_MSG - 1024);
    this.maxWrite = Math.min(internals._maxWriteLen ?? 32768, MAX_MSG - 1024);
    internals._isOpenSSH = true;
  }

  get version(): number {
    return (this.sftp as unknown as { _version?: number })._version ?? 3;
  }

  hasExt(name: string): boolean {
    const exts = (this.sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    return Object.prototype.hasOwnProperty.call(exts, name);
  }

  private call<T>(f: (cb: Cb<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        f((err, v) => (err ? reject(toSftpError(err)) : resolve(v)));
      } catch (err) {
        reject(toSftpError(err));
      }
    });
  }

  realpath(p: string): Promise<string> {
    return this.call<string>((cb) => this.sftp.realpath(p, cb as never));
  }
  async stat(p: string): Promise<Attrs> {
    return attrsOf(await this.call<Stats>((cb) => this.sftp.stat(p, cb as never)));
  }
  async lstat(p: string): Promise<Attrs> {
    return attrsOf(await this.call<Stats>((cb) => this.sftp.lstat(p, cb as never)));
  }
  async fstat(h: Buffer): Promise<Attrs> {
    return attrsOf(await this.call<Stats>((cb) => this.sftp.fstat(h, cb as never)));
  }
  /**
   * All entries, "." and ".." included, in the server's order. A failed OPENDIR throws
   * ReaddirError('open'), a failed READDIR ReaddirError('read').
   */
  async readdir(p: string): Promise<DirEntry[]> {
    let h: Buffer;
    try {
      h = await this.call<Buffer>((cb) => this.sftp.opendir(p, cb as never));
    } catch (err) {
      throw new ReaddirError('open', (err as SftpError).code);
    }
    const out: DirEntry[] = [];
    try {
      for (;;) {
        let list: FileEntryWithStats[];
        try {
          list = await this.call<FileEntryWithStats[]>((cb) => (this.sftp.readdir as (h: Buffer, o: object, cb: unknown) => void)(h, { full: true }, cb));
        } catch (err) {
          if ((err as SftpError).code === FX.EOF) break;
          throw new ReaddirError('read', (err as SftpError).code);
        }
        for (const e of list) out.push({ filename: e.filename, longname: e.longname, attrs: attrsOf(e.attrs) });
      }
    } finally {
      await this.close(h).catch(() => undefined);
    }
    return out;
  }
  open(p: string, flags: number, attrs: Attrs = {}): Promise<Buffer> {
    return this.call<Buffer>((cb) => this.sftp.open(p, flags as never, attrs as never, cb as never));
  }
  close(h: Buffer): Promise<void> {
    return this.call<void>((cb) => this.sftp.close(h, cb as never));
  }
  /** One READ: the bytes (fewer at end of file), empty at EOF. */
  read(h: Buffer, len: number, position: number, into?: Buffer): Promise<Buffer> {
    const buf = into !== undefined && into.length >= len ? into : Buffer.allocUnsafe(len);
    return new Promise((resolve, reject) => {
      try {
        this.sftp.read(h, buf, 0, len, position, (err, n) => (err ? reject(toSftpError(err)) : resolve(buf.subarray(0, n))));
      } catch (err) {
        reject(toSftpError(err));
      }
    });
  }
  /**
   * Runs `f` (which sends requests) with the connection's socket corked, so a burst of requests
   * leaves in one write rather than one system call per packet.
   */
  batch(f: () => void): void {
    const sock = (this.sftp as unknown as { _client?: { _sock?: { cork?: () => void; uncork?: () => void } } })._client?._sock;
    if (typeof sock?.cork !== 'function' || typeof sock.uncork !== 'function') return f();
    sock.cork();
    try {
      f();
    } finally {
      sock.uncork();
    }
  }
  write(h: Buffer, data: Buffer, position: number): Promise<void> {
    return this.call<void>((cb) => this.sftp.write(h, data, 0, data.length, position, cb as never));
  }
  mkdir(p: string, attrs: Attrs): Promise<void> {
    return this.call<void>((cb) => this.sftp.mkdir(p, attrs as never, cb as never));
  }
  rmdir(p: string): Promise<void> {
    return this.call<void>((cb) => this.sftp.rmdir(p, cb as never));
  }
  unlink(p: string): Promise<void> {
    return this.call<void>((cb) => this.sftp.unlink(p, cb as never));
  }
  rename(from: string, to: string, legacy: boolean): Promise<void> {
    if (!legacy && this.hasExt('posix-rename@openssh.com')) return this.call<void>((cb) => this.sftp.ext_openssh_rename(from, to, cb as never));
    return this.call<void>((cb) => this.sftp.rename(from, to, cb as never));
  }
  setstat(p: string, attrs: Attrs): Promise<void> {
    return this.call<void>((cb) => this.sftp.setstat(p, attrs as never, cb as never));
  }
  lsetstat(p: string, attrs: Attrs): Promise<void> {
    return this.call<void>((cb) => this.sftp.ext_openssh_lsetstat(p, attrs as never, cb as never));
  }
  fsetstat(h: Buffer, attrs: Attrs): Promise<void> {
    return this.call<void>((cb) => this.sftp.fsetstat(h, attrs as never, cb as never));
  }
  fsync(h: Buffer): Promise<void> {
    return this.call<void>((cb) => this.sftp.ext_openssh_fsync(h, cb as never));
  }
  /** SSH2_FXP_READLINK: a symlink's target. */
  readlink(p: string): Promise<string> {
    return this.call<string>((cb) => this.sftp.readlink(p, cb as never));
  }
  /** SSH2_FXP_SYMLINK in OpenSSH's argument order: the target, then the link. */
  symlink(target: string, link: string): Promise<void> {
    return this.call<void>((cb) => this.sftp.symlink(target, link, cb as never));
  }
  hardlink(from: string, to: string): Promise<void> {
    return this.call<void>((cb) => this.sftp.ext_openssh_hardlink(from, to, cb as never));
  }
  statvfs(p: string): Promise<StatVfs> {
    return this.call<StatVfs>((cb) => this.sftp.ext_openssh_statvfs(p, cb as never));
  }
  copyData(src: Buffer, dst: Buffer): Promise<void> {
    return this.call<void>((cb) => (this.sftp as unknown as { ext_copy_data: (...a: unknown[]) => void }).ext_copy_data(src, 0, 0, dst, 0, cb));
  }
  usersGroups(uids: number[], gids: number[]): Promise<{ users: string[]; groups: string[] }> {
    return new Promise((resolve, reject) => {
      try {
        (this.sftp as unknown as { ext_users_groups: (...a: unknown[]) => void }).ext_users_groups(uids, gids, (err: Error | undefined, users: string[], groups: string[]) =>
          err ? reject(toSftpError(err)) : resolve({ users, groups }),
        );
      } catch (err) {
        reject(toSftpError(err));
      }
    });
  }
}
