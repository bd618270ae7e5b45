/**
 * Parsing a client configuration text into entries (no evaluation): keyword, arguments and
 * line number per directive. Static errors (unknown keyword, missing argument, bad quotes)
 * are reported as OpenSSH does: every bad line, then "terminating, N bad configuration options".
 */
import { ParseError } from '../errors.js';
import { matchPatternList } from '../pattern.js';
import { KEYWORDS } from './keywords.js';
import { lexLine } from './lexer.js';

/** A configuration error with OpenSSH's exact message lines (the message is all of them). */
export class ConfigError extends ParseError {
  readonly lines: readonly string[];
  constructor(file: string, line: number, lines: readonly string[]) {
    super(file, line, lines.join('\n'));
    this.name = 'ConfigError';
    // ParseError prefixes "file line N:"; OpenSSH's lines already carry their own location.
    this.message = lines.join('\n');
    this.lines = lines;
  }
}

export interface ConfigEntry {
  readonly file: string;
  readonly line: number;
  /** Lowercased keyword as written (aliases not folded). */
  readonly keyword: string;
  /** The opcode (canonical keyword) or "ignored" for IgnoreUnknown matches. */
  readonly opcode: string;
  readonly args: readonly string[];
  /** The raw remainder of the line (what command keywords such as ProxyCommand use). */
  readonly rest: string;
}

/**
 * Parses a configuration text. An unknown keyword is an error unless an earlier IgnoreUnknown
 * line in the same text lists it (resolution re-checks this against the active IgnoreUnknown).
 */
export function parseClientConfig(text: string, filename: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const errors: string[] = [];
  const ignored: string[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const lx = lexLine(raw);
    if (lx.kind === 'empty') return;
    let opcode = KEYWORDS.get(lx.keyword);
    if (lx.kind === 'noarg') {
      errors.push(`${filename} line ${line}: no argument after keyword "${lx.keyword}"`);
      return;
    }
    if (opcode === undefined && ignored.some((p) => matchPatternList(lx.keyword, p, true) === 1)) opcode = 'ignored';
    if (opcode === undefined) errors.push(`${filename}: line ${line}: Bad configuration option: ${lx.keyword}`);
    if (lx.kind === 'badquotes') {
      errors.push(`${filename} line ${line}: invalid quotes`);
      return;
    }
    if (opcode === undefined) return;
    if (opcode === 'ignoreunknown' && lx.args[0] !== undefined) ignored.push(lx.args[0]);
    entries.push({ file: filename, line, keyword: lx.keyword, opcode, args: lx.args, rest: lx.rest });
  });
  if (errors.length) {
    const bad = new Set(errors.map((e) => /line (\d+)/.exec(e)?.[1])).size;
    const first = Number(/line (\d+)/.exec(errors[0]!)?.[1] ?? 0);
    throw new ConfigError(filename, first, [...errors, `${filename}: terminating, ${bad} bad configuration options`]);
  }
  return entries;
}
