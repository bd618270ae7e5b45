/**
 * Runs zsh's real completion system (compinit, _arguments, compadd) on command lines through
 * test/helpers/zsh-complete.zsh, with completions/_tsh in $fpath and a HOME of the test's choice.
 * A missing zsh is a failure, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './run.js';

const DRIVER = join(ROOT, 'test', 'helpers', 'zsh-complete.zsh');
const COMPLETIONS = join(ROOT, 'completions');

/** Throws unless zsh runs: the zsh completion tests need it. */
export function requireZsh(): void {
  const r = spawnSync('zsh', ['-fc', 'zmodload zsh/zpty && print -r -- $ZSH_VERSION'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) {
    throw new Error(`zsh (with its zsh/zpty module) is needed to run the zsh completion tests; .ci/run installs it (apt-get install zsh). ${r.error?.message ?? r.stderr}`);
  }
}

export interface ZshCompletion {
  /** The matches completion added, as they would be inserted ("root@alpha", "ProxyJump="), sorted, once each. */
  readonly matches: string[];
  /** The descriptions shown beside the matches ("-p  -- The port ..."), in order. */
  readonly displays: string[];
  /** The group descriptions and messages ("option", "remote command"), once each. */
  readonly explanations: string[];
  /** The command line after the TAB. */
  readonly buffer: string;
  /** What the completion functions wrote on standard error (zsh's errors). */
  readonly errors: string[];
}

export interface ZshCompleteOptions {
  home: string;
  cwd?: string;
  /** Directories put before $PATH (where a `tsh` for remote completion is). */
  pathPrepend?: string[];
  /** Seconds each line may take (default 30). */
  timeout?: number;
}

/** Types each line followed by a TAB into an interactive zsh; what completion did, per line. */
export function zshComplete(lines: readonly string[], opts: ZshCompleteOptions): ZshCompletion[] {
  const timeout = opts.timeout ?? 30;
  const path = [...(opts.pathPrepend ?? []), process.env.PATH ?? '/usr/bin:/bin'].join(':');
  const r = spawnSync('zsh', ['-f', DRIVER, COMPLETIONS, ...lines], {
    cwd: opts.cwd ?? opts.home,
    env: { PATH: path, HOME: opts.home, LANG: 'C', ZC_TIMEOUT: String(timeout) },
    encoding: 'utf8',
    // The driver bounds each line itself; this bounds the whole run in case it cannot.
    timeout: (timeout * lines.length + 30) * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.error || r.status !== 0) throw new Error(`zsh-complete.zsh failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  const results: { matches: Set<string>; displays: string[]; explanations: Set<string>; errors: string[]; buffer?: string }[] = [];
  for (const l of r.stdout.split('\n')) {
    const tag = l.slice(0, 2);
    const cur = results[results.length - 1];
    if (tag === 'L ') results.push({ matches: new Set(), displays: [], explanations: new Set(), errors: [] });
    else if (cur === undefined || l === '') continue;
    else if (tag === 'C ') cur.matches.add(l.slice(2));
    else if (tag === 'D ') cur.displays.push(l.slice(2));
    else if (tag === 'X ') cur.explanations.add(l.slice(2));
    else if (tag === 'B ') cur.buffer = l.slice(2);
    else if (tag === 'E ') cur.errors.push(l.slice(2));
  }
  if (results.length !== lines.length || results.some((x) => x.buffer === undefined)) {
    throw new Error(`zsh-complete.zsh: expected ${lines.length} results, got:\n${r.stdout}\n${r.stderr}`);
  }
  return results.map((x) => ({
    matches: [...x.matches].sort(),
    displays: x.displays,
    explanations: [...x.explanations],
    buffer: x.buffer!,
    errors: x.errors,
  }));
}

/** zshComplete for one line. */
export function zshCompleteOne(line: string, opts: ZshCompleteOptions): ZshCompletion {
  return zshComplete([line], opts)[0]!;
}
