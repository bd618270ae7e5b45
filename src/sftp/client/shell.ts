/**
 * The sftp command interpreter (sftp.c parse_args / parse_dispatch_command / interactive_loop):
 * one line in, OpenSSH's output and errors out. Remote paths are made absolute against the
 * remote working directory and globbed with remote readdir; local ones are globbed on disk.
 */
import { promises as fsp } from 'node:fs';
import type { Logger } from '../../session/log.js';
import { strerror } from '../../errors.js';
import { fmtScaled } from './format.js';
import { glob, type GlobFs } from './glob.js';
import { fx2txt, isDir, isReg, SftpError, type Attrs, type Remote } from './remote.js';
import { escapeGlob } from './tokenize.js';
import { HELP_TEXT, ParseFail, parseArgs, prefixes, type Parsed } from './commands.js';
import { Lister, pathAppend } from './ls.js';
import { download, downloadDir, upload, uploadDir, type Meter, type XferContext } from './transfer.js';
import { parallelRunner, serialRunner, settle, type Runner } from './parallel.js';

/** Files in flight at once in get -r, put -r, mget and mput (fewer with a small -R). */
const MAX_FILES_IN_FLIGHT = 16;

export interface ShellOptions {
  readonly remote: Remote;
  readonly log: Logger;
  readonly out: (text: string) => void;
  /** Terminal width for ls columns (sftp asks stdin's terminal; 80 otherwise). */
  readonly columns: () => number;
  /** A progress meter for transfers when stdout is a terminal, else null. */
  readonly meter: ((name: string, size: number, counter: () => number) => Meter) | null;
  readonly quiet: boolean;
  readonly showProgress: boolean;
  readonly global: { readonly a: boolean; readonly f: boolean; readonly p: boolean; readonly r: boolean };
  readonly readLen: number;
  readonly writeLen: number;
  readonly numRequests: number;
  readonly limitBps: number;
  /** Local side effects: the working directory, umask, and the shell. */
  readonly local: {
    cwd(): string;
    chdir(path: string): void;
    umask(mask: number): void;
    home(): string;
    shell(command: string | null): Promise<void>;
  };
}

function pathAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** make_absolute(). */
export function makeAbsolute(p: string, pwd: string): string {
  return pathAbsolute(p) ? p : pathAppend(pwd, p);
}

function basename(p: string): string {
  const t = p.replace(/\/+$/, '');
  if (t === '') return p === '' ? '.' : '/';
  return t.slice(t.lastIndexOf('/') + 1);
}

export class SftpShell {
  pwd = '';
  startdir = '';
  showProgress: boolean;
  private interruptedFlag = false;
  readonly remote: Remote;
  private readonly log: Logger;
  private readonly o: ShellOptions;

  constructor(o: ShellOptions) {
    this.o = o;
    this.remote = o.remote;
    this.log = o.log;
    this.showProgress = o.showProgress;
  }

  interrupt(): void {
    this.interruptedFlag = true;
  }
  clearInterrupt(): void {
    this.interruptedFlag = false;
  }
  get interrupted(): boolean {
    return this.interruptedFlag;
  }

  async init(): Promise<void> {
    try {
      this.pwd = await this.remote.realpath('.');
    } catch (err) {
      this.log.error(`realpath .: ${err instanceof Error ? err.message : String(err)}`);
      this.log.fatal('Need cwd');
      throw err;
    }
    this.startdir = this.pwd;
  }

  private xfer(): XferContext {
    return {
      remote: this.remote,
      log: this.log,
      out: this.o.out,
      meter: (name, size, counter) => (this.showProgress && this.o.meter ? this.o.meter(name, size, counter) : null),
      interrupted: () => this.interruptedFlag,
      readLen: this.o.readLen,
      writeLen: this.o.writeLen,
      numRequests: this.o.numRequests,
      limitBps: this.o.limitBps,
    };
  }

  /**
   * How a command's transfers run: several files at once (their output still in sftp's order)
   * unless a progress meter is on screen or -l limits the rate, which need one at a time.
   */
  private runner(): Runner {
    const ctx = this.xfer();
    const width = Math.min(MAX_FILES_IN_FLIGHT, Math.floor(this.o.numRequests / 4));
    const meterShown = this.showProgress && this.o.meter !== null;
    return width > 1 && !meterShown && this.o.limitBps <= 0 ? parallelRunner(ctx, width) : serialRunner(ctx);
  }

  private remoteGlobFs(): GlobFs {
    return {
      readdir: async (d) => {
        try {
          return (await this.remote.readdir(d)).map((e) => e.filename);
        } catch {
          return null;
        }
      },
      lstat: (p) => this.remote.lstat(p).catch(() => null),
      stat: (p) => this.remote.stat(p).catch(() => null),
    };
  }

  private localGlobFs(): GlobFs {
    const conv = (s: import('node:fs').Stats): Attrs => ({ mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) });
    return {
      readdir: async (d) => {
        try {
          return await fsp.readdir(d);
        } catch {
          return null;
        }
      },
      lstat: (p) => fsp.lstat(p).then(conv, () => null),
      stat: (p) => fsp.stat(p).then(conv, () => null),
    };
  }

  /**
   * parse_dispatch_command(): runs one line. 0 to go on, 1 after quit, -1 when a failure must
   * stop batch processing (errAbort and no '-' prefix).
   */
  async dispatch(line: string, errAbort: boolean, echo: boolean): Promise<number> {
    let p: Parsed | null;
    let err = 0;
    let parseFailed = false;
    let ignoreErrors = false;
    let disableEcho = false;
    try {
      p = parseArgs(line, this.log);
      if (p) {
        ignoreErrors = p.ignoreErrors;
        disableEcho = p.disableEcho;
      }
    } catch (e) {
      if (!(e instanceof ParseFail)) throw e;
      const pp = e.parsed;
      if (pp) {
        ignoreErrors = pp.ignoreErrors;
        disableEcho = pp.disableEcho;
      }
      p = null;
      parseFailed = true;
    }
    if (p === null && !parseFailed) {
      // Only prefixes were parsed; a blank line.
      const q = prefixes(line);
      ignoreErrors = q.ignoreErrors;
      disableEcho = q.disableEcho;
    }
    if (ignoreErrors) errAbort = false;
    // The echo comes after parsing (its errors print first), as in sftp.c.
    if (echo && !disableEcho) this.o.out(`sftp> ${line}\n`);
    if (parseFailed) err = -1;
    else if (p !== null && p.cmd !== null) err = await this.run(p, errAbort);
    if (errAbort && err !== 0) return -1;
    if (p?.cmd === 'quit') return 1;
    return 0;
  }

  private async run(p: Parsed, errAbort: boolean): Promise<number> {
    const { remote, log, o } = { remote: this.remote, log: this.log, o: this.o };
    const out = o.out;
    switch (p.cmd) {
      case 'reget':
        return (await this.processGet(p.path1!, p.path2, p.p, p.r, true, p.f)) ? 0 : -1;
      case 'get':
        return (await this.processGet(p.path1!, p.path2, p.p, p.r, p.a, p.f)) ? 0 : -1;
      case 'reput':
        return (await this.processPut(p.path1!, p.path2, p.p, p.r, true, p.f)) ? 0 : -1;
      case 'put':
        return (await this.processPut(p.path1!, p.path2, p.p, p.r, p.a, p.f)) ? 0 : -1;
      case 'copy':
        return (await this.doCopy(makeAbsolute(p.path1!, this.pwd), makeAbsolute(p.path2!, this.pwd))) ? 0 : -1;
      case 'rename': {
        const a = makeAbsolute(p.path1!, this.pwd);
        const b = makeAbsolute(p.path2!, this.pwd);
        try {
          await remote.rename(a, b, p.l !== 0);
          return 0;
        } catch (e) {
          log.error(`remote rename "${a}" to "${b}": ${fxText(e)}`);
          return -1;
        }
      }
      case 'symlink':
      case 'link': {
        const s = p.cmd === 'symlink' || p.s;
        const a = s ? p.path1! : makeAbsolute(p.path1!, this.pwd);
        const b = makeAbsolute(p.path2!, this.pwd);
        if (s) {
          if (remote.version < 3) {
            log.error('This server does not support the symlink operation');
            return 1;
          }
          try {
            await remote.symlink(a, b);
            return 0;
          } catch (e) {
            log.error(`remote symlink file "${a}" to "${b}": ${fxText(e)}`);
            return -1;
          }
        }
        if (!remote.hasExt('hardlink@openssh.com')) {
          log.error('Server does not support hardlink@openssh.com extension');
          return -1;
        }
        try {
          await remote.hardlink(a, b);
          return 0;
        } catch (e) {
          log.error(`remote link "${a}" to "${b}": ${fxText(e)}`);
          return -1;
        }
      }
      case 'rm': {
        const g = await glob(this.remoteGlobFs(), this.absGlob(p.path1!), { nocheck: true });
        let err = 0;
        for (const path of g.paths) {
          if (this.interruptedFlag) break;
          if (!o.quiet) out(`Removing ${path}\n`);
          try {
            await remote.unlink(path);
            err = 0;
          } catch (e) {
            log.error(`remote delete ${path}: ${fxText(e)}`);
            err = -1;
          }
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case 'mkdir': {
        const a = makeAbsolute(p.path1!, this.pwd);
        try {
          await remote.mkdir(a, { mode: 0o777 });
          return 0;
        } catch (e) {
          log.error(`remote mkdir "${a}": ${fxText(e)}`);
          return -1;
        }
      }
      case 'rmdir': {
        const a = makeAbsolute(p.path1!, this.pwd);
        try {
          await remote.rmdir(a);
          return 0;
        } catch (e) {
          log.error(`remote rmdir "${a}": ${fxText(e)}`);
          return -1;
        }
      }
      case 'chdir': {
        const a = makeAbsolute(p.path1 === null || p.path1 === '' ? this.startdir : p.path1, this.pwd);
        let t: string;
        try {
          t = await remote.realpath(a);
        } catch (e) {
          log.error(`realpath ${a}: ${e instanceof Error ? e.message : String(e)}`);
          return 1;
        }
        let st: Attrs;
        try {
          st = await remote.stat(t);
        } catch (e) {
          log.error(`stat remote: ${fxText(e)}`);
          return 1;
        }
        if (st.mode === undefined) {
          log.error("Can't change directory: Can't check target");
          return 1;
        }
        if (!isDir(st)) {
          log.error(`Can't change directory: "${t}" is not a directory`);
          return 1;
        }
        this.pwd = t;
        return 0;
      }
      case 'ls': {
        if (p.path1 === null) {
          await this.lister().lsDir(this.pwd, this.pwd, p.l);
          return 0;
        }
        const strip = pathAbsolute(p.path1) ? null : this.pwd;
        return this.lister().globbedLs(this.absGlob(p.path1), strip, p.l);
      }
      case 'df':
        return this.doDf(makeAbsolute(p.path1 ?? this.pwd, this.pwd), p.h, p.i);
      case 'lchdir': {
        let a = p.path1 === null || p.path1 === '' ? '~' : p.path1;
        const home = o.local.home();
        if (a === '~') a = home;
        else if (a.startsWith('~/')) a = `${home}${a.slice(1)}`;
        try {
          o.local.chdir(a);
          return 0;
        } catch (e) {
          log.error(`Couldn't change local directory to "${a}": ${strerror(e)}`);
          return 1;
        }
      }
      case 'lmkdir':
        try {
          await fsp.mkdir(p.path1!, 0o777);
          return 0;
        } catch (e) {
          log.error(`Couldn't create local directory "${p.path1!}": ${strerror(e)}`);
          return 1;
        }
      case 'lls':
        await o.local.shell(p.rest === '' ? '/bin/ls' : `/bin/ls ${p.rest}`);
        return 0;
      case 'shell':
        await o.local.shell(p.rest === '' ? null : p.rest);
        return 0;
      case 'lumask':
        o.local.umask(p.n);
        out(`Local umask: ${p.n.toString(8).padStart(3, '0')}\n`);
        return 0;
      case 'chmod': {
        const g = await glob(this.remoteGlobFs(), this.absGlob(p.path1!), { nocheck: true });
        let err = 0;
        for (const path of g.paths) {
          if (this.interruptedFlag) break;
          if (!o.quiet) out(`Changing mode on ${path}\n`);
          err = await this.setstat(path, { mode: p.n }, p.h);
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case 'chown':
      case 'chgrp': {
        const g = await glob(this.remoteGlobFs(), this.absGlob(p.path1!), { nocheck: true });
        let err = 0;
        for (const path of g.paths) {
          if (this.interruptedFlag) break;
          let aa: Attrs;
          try {
            aa = p.h ? await remote.lstat(path) : await remote.stat(path);
          } catch (e) {
            log.error(`stat remote: ${fxText(e)}`);
            if (errAbort) {
              err = -1;
              break;
            }
            continue;
          }
          if (aa.uid === undefined || aa.gid === undefined) {
            log.error(`Can't get current ownership of remote file "${path}"`);
            if (errAbort) {
              err = -1;
              break;
            }
            continue;
          }
          const na: Attrs = { uid: aa.uid, gid: aa.gid };
          if (p.cmd === 'chown') {
            if (!o.quiet) out(`Changing owner on ${path}\n`);
            na.uid = p.n;
          } else {
            if (!o.quiet) out(`Changing group on ${path}\n`);
            na.gid = p.n;
          }
          err = await this.setstat(path, na, p.h);
          if (err !== 0 && errAbort) break;
        }
        return err;
      }
      case 'pwd':
        out(`Remote working directory: ${this.pwd}\n`);
        return 0;
      case 'lpwd':
        out(`Local working directory: ${o.local.cwd()}\n`);
        return 0;
      case 'quit':
        return 0;
      case 'help':
        out(HELP_TEXT);
        return 0;
      case 'version':
        out(`SFTP protocol version ${remote.version}\n`);
        return 0;
      case 'progress':
        this.showProgress = !this.showProgress;
        out(this.showProgress ? 'Progress meter enabled\n' : 'Progress meter disabled\n');
        return 0;
      default:
        return 0;
    }
  }

  private lister(): Lister {
    return new Lister({ remote: this.remote, log: this.log, out: this.o.out, columns: this.o.columns, interrupted: () => this.interruptedFlag, globFs: this.remoteGlobFs() });
  }

  private absGlob(p: string): string {
    return pathAbsolute(p) ? p : pathAppend(escapeGlob(this.pwd), p);
  }

  private async setstat(path: string, a: Attrs, lflag: boolean): Promise<number> {
    if (lflag) {
      if (!this.remote.hasExt('lsetstat@openssh.com')) {
        this.log.error('Server does not support lsetstat@openssh.com extension');
        return -1;
      }
      try {
        await this.remote.lsetstat(path, a);
        return 0;
      } catch (e) {
        this.log.error(`remote lsetstat "${path}": ${fxText(e)}`);
        return -1;
      }
    }
    try {
      await this.remote.setstat(path, a);
      return 0;
    } catch (e) {
      this.log.error(`remote setstat "${path}": ${fxText(e)}`);
      return -1;
    }
  }

  private async doCopy(from: string, to: string): Promise<boolean> {
    const { remote, log } = this;
    if (!remote.hasExt('copy-data')) {
      log.error('Server does not support copy-data extension');
      return false;
    }
    let a: Attrs;
    try {
      a = await remote.stat(from);
    } catch (e) {
      log.error(`stat remote: ${fxText(e)}`);
      return false;
    }
    let mode = 0o666;
    if (a.mode !== undefined) {
      mode = a.mode & 0o777;
      if ((a.mode & 0o170000) !== 0o100000) {
        log.error(`Cannot copy non-regular file: ${from}`);
        return false;
      }
    }
    let src: Buffer;
    try {
      src = await remote.open(from, 0x01);
    } catch (e) {
      log.error(`remote open("${from}"): ${fxText(e)}`);
      return false;
    }
    let dst: Buffer;
    try {
      dst = await remote.open(to, 0x02 | 0x08 | 0x10, { mode });
    } catch (e) {
      log.error(`remote open("${to}"): ${fxText(e)}`);
      await remote.close(src).catch(() => undefined);
      return false;
    }
    let ok = true;
    try {
      await remote.copyData(src, dst);
    } catch (e) {
      log.error(`Couldn't copy file "${from}" to "${to}": ${fxText(e)}`);
      ok = false;
    }
    await remote.close(src).catch(() => undefined);
    await remote.close(dst).catch(() => undefined);
    return ok;
  }

  private async doDf(path: string, h: boolean, i: boolean): Promise<number> {
    if (!this.remote.hasExt('statvfs@openssh.com')) {
      this.log.error('Server does not support statvfs@openssh.com extension');
      return -1;
    }
    let st;
    try {
      st = await this.remote.statvfs(path);
    } catch (e) {
      this.log.debug1(`remote statvfs: ${fxText(e)}`);
      return -1;
    }
    const out = this.o.out;
    const icap = st.f_files === 0 ? 'ERR' : `${String(Math.floor((100 * (st.f_files - st.f_ffree)) / st.f_files)).padStart(3)}%`;
    const dcap = st.f_blocks === 0 ? 'ERR' : `${String(Math.floor((100 * (st.f_blocks - st.f_bfree)) / st.f_blocks)).padStart(3)}%`;
    const n = (x: number, w: number): string => String(x).padStart(w);
    if (i) {
      out('     Inodes        Used       Avail      (root)    %Capacity\n');
      out(`${n(st.f_files, 11)} ${n(st.f_files - st.f_ffree, 11)} ${n(st.f_favail, 11)} ${n(st.f_ffree, 11)}         ${icap}\n`);
    } else if (h) {
      const f = (x: number): string => fmtScaled(x).padStart(7);
      out('    Size     Used    Avail   (root)    %Capacity\n');
      out(`${f(st.f_blocks * st.f_frsize)}B ${f((st.f_blocks - st.f_bfree) * st.f_frsize)}B ${f(st.f_bavail * st.f_frsize)}B ${f(st.f_bfree * st.f_frsize)}B         ${dcap}\n`);
    } else {
      const k = (x: number): number => Math.floor((st.f_frsize * x) / 1024);
      out('        Size         Used        Avail       (root)    %Capacity\n');
      out(`${n(k(st.f_blocks), 12)} ${n(k(st.f_blocks - st.f_bfree), 12)} ${n(k(st.f_bavail), 12)} ${n(k(st.f_bfree), 12)}         ${dcap}\n`);
    }
    return 0;
  }

  private async localIsDir(p: string): Promise<boolean> {
    try {
      return (await fsp.stat(p)).isDirectory();
    } catch {
      return false;
    }
  }

  async remoteIsDir(p: string): Promise<boolean> {
    try {
      return isDir(await this.remote.stat(p));
    } catch {
      return false;
    }
  }

  /** process_get(). */
  async processGet(src: string, dst: string | null, pflag: boolean, rflag: boolean, resume: boolean, fflag: boolean): Promise<boolean> {
    const o = this.o;
    const absSrc = this.absGlob(src);
    const g = await glob(this.remoteGlobFs(), absSrc, { mark: true });
    if (g.paths.length === 0) {
      this.log.error(`File "${absSrc}" not found.`);
      return false;
    }
    if (g.matchc > 1 && dst !== null && !(await this.localIsDir(dst))) {
      this.log.error(`Multiple source paths, but destination "${dst}" is not a directory`);
      return false;
    }
    const r = this.runner();
    const results: Promise<boolean>[] = [];
    for (let i = 0; i < g.paths.length; i++) {
      const path = g.paths[i]!;
      if (this.interruptedFlag) break;
      const filename = basename(path);
      let absDst: string;
      if (g.matchc === 1 && dst !== null) absDst = (await this.localIsDir(dst)) ? pathAppend(dst, filename) : dst;
      else if (dst !== null) absDst = pathAppend(dst, filename);
      else absDst = filename;
      const res = resume || o.global.a;
      if (!o.quiet) r.ctx.out(res ? `Resuming ${path} to ${absDst}\n` : `Fetching ${path} to ${absDst}\n`);
      const flags = { preserve: pflag || o.global.p, resume: res, fsync: fflag || o.global.f };
      if (path.endsWith('/') && (rflag || o.global.r)) results.push((await downloadDir(r, path, absDst, flags)).done);
      else {
        // The glob's lstat: a symlink or an unknown size counts as large (it runs alone).
        const st = g.stats[i];
        const big = !st || !isReg(st) || (st.size ?? Infinity) > 4 * o.readLen;
        results.push((await r.file(big, (c) => download(c, path, absDst, null, flags))).done);
      }
    }
    return settle(results);
  }

  /** process_put(). */
  async processPut(src: string, dst: string | null, pflag: boolean, rflag: boolean, resume: boolean, fflag: boolean): Promise<boolean> {
    const o = this.o;
    const tmpDst = dst !== null ? makeAbsolute(dst, this.pwd) : null;
    const g = await glob(this.localGlobFs(), src, { mark: true, nocheck: true });
    let dstIsDir = true;
    if (tmpDst !== null) dstIsDir = await this.remoteIsDir(tmpDst);
    if (g.matchc > 1 && tmpDst !== null && !dstIsDir) {
      this.log.error(`Multiple paths match, but destination "${tmpDst}" is not a directory`);
      return false;
    }
    const r = this.runner();
    const results: Promise<boolean>[] = [];
    for (const path of g.paths) {
      if (this.interruptedFlag) break;
      let size: number;
      try {
        size = (await fsp.stat(path)).size;
      } catch (e) {
        results.push(Promise.resolve(false));
        r.ctx.log.error(`stat ${path}: ${strerror(e)}`);
        continue;
      }
      const filename = basename(path);
      let absDst: string;
      if (g.matchc === 1 && tmpDst !== null) absDst = dstIsDir ? pathAppend(tmpDst, filename) : tmpDst;
      else if (tmpDst !== null) absDst = pathAppend(tmpDst, filename);
      else absDst = makeAbsolute(filename, this.pwd);
      const res = resume || o.global.a;
      if (!o.quiet) r.ctx.out(res ? `Resuming upload of ${path} to ${absDst}\n` : `Uploading ${path} to ${absDst}\n`);
      const flags = { preserve: pflag || o.global.p, resume: res, fsync: fflag || o.global.f };
      if (path.endsWith('/') && (rflag || o.global.r)) results.push((await uploadDir(r, path, absDst, flags)).done);
      else results.push((await r.file(size > 4 * o.writeLen, (c) => upload(c, path, absDst, flags))).done);
    }
    return settle(results);
  }
}

function fxText(e: unknown): string {
  return e instanceof SftpError ? fx2txt(e.code) : e instanceof Error ? e.message : String(e);
}
