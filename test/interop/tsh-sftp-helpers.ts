/**
 * Side-by-side runs for tsh-sftp interop tests: the same batch script, with the same options, run
 * by OpenSSH's sftp and by tsh-sftp against one OpenSSH sshd, each in its own copy of a remote
 * and a local directory tree; outputs are compared with the directory names replaced by R and L.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, lstatSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientHome, trustSshd, LOGIN, sshHomeArgs, type ClientHome } from '../helpers/client.js';
import { run, tempDir, type RunResult } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

export const SFTP = '/usr/bin/sftp';

export interface Side {
  readonly remote: string;
  readonly local: string;
}

export interface Env {
  readonly sshd: Sshd;
  readonly home: ClientHome;
  /** Options both programs get before the destination. */
  args(extra?: readonly string[]): string[];
  dest(path?: string): string;
  /** Two identical sides (a: sftp, b: tsh-sftp) built by `fill(side)`. */
  sides(fill: (s: Side) => void): { a: Side; b: Side };
  cleanup(): Promise<void>;
}

export async function setup(): Promise<Env> {
  const home = clientHome();
  const sshd = await startSshd({ authorizedKeys: [home.pub] });
  trustSshd(home, sshd);
  const dirs: (() => void)[] = [];
  return {
    sshd,
    home,
    args: (extra = []) => ['-P', String(sshd.port), ...sshHomeArgs(home.home), ...extra],
    dest: (path) => `${LOGIN}@127.0.0.1${path === undefined ? '' : `:${path}`}`,
    sides(fill) {
      const mk = (): Side => {
        const t = tempDir('tsh-sftp-');
        dirs.push(t.cleanup);
        const s = { remote: join(t.path, 'remote'), local: join(t.path, 'local') };
        mkdirSync(s.remote);
        mkdirSync(s.local);
        fill(s);
        return s;
      };
      return { a: mk(), b: mk() };
    },
    cleanup: async () => {
      for (const d of dirs) d();
      await sshd.stop();
      home.cleanup();
    },
  };
}

export interface Pair {
  a: RunResult;
  b: RunResult;
}

/** The line tsh-sftp's `help` adds for its own `ls --json` (tsh-sftp-json.test.ts checks it). */
export const JSON_HELP_LINE = 'ls --json [-afrSt] [path]          List as one JSON array (tsh-sftp only)\n';

/**
 * Replaces the side's directories with R and L, and tsh-sftp's program name with sftp's; drops
 * the help line of tsh-sftp's own `ls --json`.
 */
export function norm(text: string, s: Side): string {
  return text.split(JSON_HELP_LINE).join('').split(s.remote).join('R').split(s.local).join('L').replace(/\btsh-sftp\b/g, 'sftp').replace(/\btsh\b/g, 'ssh');
}

/** Runs `script` (with R/L placeholders for the side's directories) through sftp -b and tsh-sftp -b. */
export async function runBoth(env: Env, sides: { a: Side; b: Side }, script: string, opts: { args?: string[]; dest?: (s: Side) => string; input?: boolean } = {}): Promise<Pair> {
  const go = async (cmd: string, s: Side): Promise<RunResult> => {
    const text = script.replace(/\$R/g, s.remote).replace(/\$L/g, s.local);
    const file = join(s.local, '..', 'batch');
    writeFileSync(file, text);
    const argv = [...(opts.input ? ['-b', '-'] : ['-b', file]), ...env.args(opts.args ?? []), opts.dest ? opts.dest(s) : env.dest()];
    const r = await run(cmd, argv, { home: env.home.home, cwd: s.local, input: opts.input ? text : undefined, timeoutMs: 30_000 });
    return { ...r, stdout: norm(r.stdout, s), stderr: norm(r.stderr, s) };
  };
  const [a, b] = await Promise.all([go(SFTP, sides.a), go('tsh-sftp', sides.b)]);
  return { a, b };
}

/** A listing of a tree: path, type, mode, size, sha256 or link target. */
export function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${r}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(p, r);
      } else out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root, '');
  return out;
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** Deterministic pseudo-random bytes (the same on both sides). */
export function pattern(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}
