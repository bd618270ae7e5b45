/**
 * The one description of each program and file format, from which both `--help` (text.ts) and
 * the manual pages (roff.ts, written to man/ by scripts/gen-man.mjs) are rendered.
 *
 * Inline markup in any text: `code` is a literal (bold in the manual, plain in --help).
 */

/** A paragraph, or a structured block. */
export type Block =
  | string
  /** Tagged paragraphs (FILES, ENVIRONMENT, keyword lists): a term and its text. */
  | { readonly list: readonly (readonly [term: string, text: string])[] }
  | { readonly bullets: readonly string[] }
  /** Lines shown as they are (examples, formats). */
  | { readonly example: string };

/**
 * What shell completion offers for an option's argument: file names, [user@]host names, local
 * user names, configuration keywords (`Keyword=` for `-o`), or a fixed list of words.
 */
export type CompleteKind = 'file' | 'host' | 'user' | 'client-option' | 'server-option' | readonly string[];

export interface OptionHelp {
  /** The flag as typed: "-p", "--json". */
  readonly flag: string;
  /** Its argument's name, if it takes one: "port". */
  readonly arg?: string;
  readonly text: string;
  /** For an option with an argument: what completion offers (nothing when absent). */
  readonly complete?: CompleteKind;
}

export interface Section {
  /** Upper case, as man pages write them: "EXIT STATUS". */
  readonly title: string;
  readonly body: readonly Block[];
}

export interface PageHelp {
  /** The page name: "tsh", "tsh_config". */
  readonly name: string;
  readonly section: 1 | 5 | 8;
  /** The NAME line's description: "OpenSSH-compatible SSH client". */
  readonly summary: string;
  /** SYNOPSIS lines, each one way of calling (the usage text without "usage: "), or file paths. */
  readonly synopsis: readonly string[];
  readonly description: readonly Block[];
  readonly options?: readonly OptionHelp[];
  /** EXIT STATUS, ENVIRONMENT, FILES, DIFFERENCES FROM OPENSSH, SEE ALSO, ... in page order. */
  readonly sections: readonly Section[];
}

export interface ToolHelp extends PageHelp {
  /**
   * The usage text exactly as the program prints it on a bad flag (OpenSSH's layout, compared
   * byte for byte by the tests). SYNOPSIS is derived from it.
   */
  readonly usage: string;
  /** The sections `--help` shows after the options (the manual shows all). */
  readonly helpSections: readonly string[];
}

/**
 * The SYNOPSIS lines of a usage text: "usage: " dropped, each continuation line (one that does
 * not start with the program's name) joined to the line before it.
 */
export function synopsisFromUsage(name: string, usage: string): string[] {
  const out: string[] = [];
  for (const raw of usage.split('\n')) {
    const line = raw.replace(/^usage: /, '').trim();
    if (line.startsWith(`${name} `) || line === name || out.length === 0) out.push(line);
    else out[out.length - 1] += ` ${line}`;
  }
  return out;
}
