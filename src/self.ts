/**
 * This program, started again: the argument that runs one role of it in a new process, under Node
 * (the role's script) or inside the single executable (a role flag the dispatcher in bin/sea.ts
 * reads first; the executable has no scripts). Used where tsh and tshd start copies of themselves:
 * tshd's per-user worker and internal-sftp server, tshd's detach, tsh -f.
 *
 * Also, inside the single executable: native addons carried as SEA assets (node-pty's pty.node,
 * the PAM binding), written once to a private cache directory and loaded from there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** The roles the single executable serves: the four tools, and tshd's helper programs. */
export type Role = 'tsh' | 'tshd' | 'tsh-sftp' | 'tsh-keygen' | 'sftp-server' | 'user-worker' | 'tshd-net';

/** The flag, first after the executable, that names the role of a copy started by the SEA. */
export const ROLE_FLAG = '--tsh-role=';

/** What node:sea offers, handed over by the SEA's entry point (undefined: not a SEA). */
export interface SeaAssets {
  getAsset(key: string): ArrayBuffer;
}

let sea: SeaAssets | undefined;

/** Called once by the single executable's entry point. */
export function enterSea(assets: SeaAssets): void {
  sea = assets;
}

export function inSea(): boolean {
  return sea !== undefined;
}

/**
 * The one argument after process.execPath that runs `role`: `script` (its module, for Node) or
 * the role flag (inside the single executable).
 */
export function selfEntry(role: Role, script: string): string {
  return sea === undefined ? script : `${ROLE_FLAG}${role}`;
}

/**
 * Where extracted addons go: a directory only this user can use, as the cache a daemon or a user
 * would have, then the temporary directory. A candidate that is not ours, or where the file cannot
 * be written or loaded (a noexec mount), gives way to the next.
 */
function cacheDirs(): string[] {
  const uid = process.getuid?.() ?? -1;
  const dirs: string[] = [];
  if (uid === 0) dirs.push('/var/cache/tsh');
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) dirs.push(join(xdg, 'tsh'));
  try {
    dirs.push(join(homedir(), '.cache', 'tsh'));
  } catch {
    // no home directory
  }
  dirs.push(join(tmpdir(), `tsh-${uid}`));
  return [...new Set(dirs)];
}

/** Makes `dir` (0700, ours); throws when it cannot be made private. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (process.getuid && st.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** `dir/name` holding exactly `bytes`: kept if it does, else written anew (atomically). */
function cachedFile(dir: string, name: string, bytes: Buffer): string {
  privateDir(dir);
  const path = join(dir, name);
  try {
    if (readFileSync(path).equals(bytes)) return path;
  } catch {
    // not there yet
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, bytes, { mode: 0o700, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return path;
}

const loaded = new Map<string, unknown>();

/**
 * A native addon carried in the single executable as the asset `name` (e.g. "pty.node"): its
 * exports. The file is named after its content's hash, so a new build never loads an old one.
 */
export function loadAddon(name: string): unknown {
  const have = loaded.get(name);
  if (have !== undefined) return have;
  if (sea === undefined) throw new Error(`${name}: not running as the single executable`);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(sea.getAsset(name));
  } catch {
    throw new Error(`${name} is not part of this single executable (it was built without it)`);
  }
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const file = `${name.replace(/\.node$/, '')}-${hash}.node`;
  let lastError: unknown;
  for (const dir of cacheDirs()) {
    try {
      const mod = { exports: {} as unknown };
      process.dlopen(mod, cachedFile(dir, file, bytes));
      loaded.set(name, mod.exports);
      return mod.exports;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`cannot load ${name}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}
