/**
 * Runs the real bin/ programs (built into dist/) for e2e tests: plainly with pipes, or under a
 * PTY for prompts. Every wait is bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export type Tool = 'tsh' | 'tshd' | 'tsh-sftp' | 'tsh-keygen';

export function binPath(tool: Tool): string {
  return join(ROOT, 'dist', 'bin', `${tool}.js`);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home?: string;
  cwd?: string;
  env?: Record<string, string>;
  input?: string | Buffer;
  timeoutMs?: number;
}

/** A minimal, predictable environment: PATH, HOME, and what the test adds. */
export function testEnv(home: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', ...extra };
  if (home) env.HOME = home;
  return env;
}

/** Runs a program (a tool name or any executable path) with pipes; stdin gets `input` then EOF. */
export function run(cmd: Tool | string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const isTool = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'].includes(cmd);
  const file = isTool ? process.execPath : cmd;
  const argv = isTool ? [binPath(cmd as Tool), ...args] : [...args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: opts.cwd ?? opts.home ?? ROOT,
      env: testEnv(opts.home, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stdout=${stdout} stderr=${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export interface PtySession {
  /** Everything the program wrote to the terminal so far (\r\n normalised to \n). */
  output(): string;
  /** Waits until the output (after `from`) contains the text or matches the pattern. */
  expect(what: string | RegExp, timeoutMs?: number): Promise<void>;
  write(data: string): void;
  /** Resizes the terminal (the program gets SIGWINCH). */
  resize(cols: number, rows: number): void;
  /** Waits for exit; resolves with the exit code. */
  exit(timeoutMs?: number): Promise<number>;
  kill(): void;
}

/** Runs a program under a pseudo-terminal (its controlling terminal is the PTY). */
export function runPty(cmd: Tool | string, args: readonly string[], opts: RunOptions & { cols?: number; rows?: number } = {}): PtySession {
  const isTool = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'].includes(cmd);
  const file = isTool ? process.execPath : cmd;
  const argv = isTool ? [binPath(cmd as Tool), ...args] : [...args];
  const term = pty.spawn(file, argv, {
    name: 'xterm',
    cols: opts.cols ?? 100,
    rows: opts.rows ?? 30,
    cwd: opts.cwd ?? opts.home ?? ROOT,
    env: testEnv(opts.home, { TERM: 'xterm', ...opts.env }),
  });
  let out = '';
  let exitCode: number | null = null;
  const waiters = new Set<() => void>();
  term.onData((d) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  term.onExit(({ exitCode: c }) => {
    exitCode = c;
    for (const w of [...waiters]) w();
  });
  const norm = (): string => out.replace(/\r\n/g, '\n');
  const waitFor = (pred: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const check = (): void => {
        if (pred()) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; output so far:\n${norm()}`));
      }, timeoutMs);
      waiters.add(check);
    });
  return {
    output: norm,
    expect: (what, timeoutMs = 15_000) =>
      waitFor(
        () => (typeof what === 'string' ? norm().includes(what) : what.test(norm())) ,
        String(what),
        timeoutMs,
      ),
    write: (data) => term.write(data),
    resize: (cols, rows) => term.resize(cols, rows),
    exit: async (timeoutMs = 15_000) => {
      await waitFor(() => exitCode !== null, 'exit', timeoutMs);
      return exitCode!;
    },
    kill: () => {
      try {
        term.kill('SIGKILL');
      } catch {
        // gone
      }
    },
  };
}

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'tsh-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(path, 0o700);
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A temporary HOME with an empty ~/.ssh (0700). */
export function tempHome(): { home: string; ssh: string; cleanup: () => void } {
  const { path, cleanup } = tempDir('tsh-home-');
  const ssh = join(path, '.ssh');
  mkdirSync(ssh, { mode: 0o700 });
  return { home: path, ssh, cleanup };
}
