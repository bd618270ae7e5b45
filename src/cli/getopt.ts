/**
 * BSD getopt(3), as OpenSSH uses it (openbsd-compat): short options, clustering (`-lvf file`),
 * attached arguments (`-ffile`), `--` ends the options, and the first operand stops parsing (no
 * GNU permutation). Errors read like OpenSSH's: "unknown option -- x",
 * "option requires an argument -- f".
 */
import { UsageError } from '../errors.js';

export interface ParsedOption {
  readonly opt: string;
  readonly arg?: string;
}

export interface GetoptResult {
  readonly options: ParsedOption[];
  /** Index of the first operand (argv.length when there is none). */
  readonly optind: number;
}

/** Thrown for a bad option; exitCode is the tool's usage exit code. */
export class GetoptError extends UsageError {
  constructor(message: string, exitCode: number) {
    super(message, exitCode);
    this.name = 'GetoptError';
  }
}

/**
 * `longOptions`: tsh's own `--name` flags (without arguments), accepted wherever a short option
 * may stand and returned as `--name`. OpenSSH has none, so an empty list keeps getopt(3) exact.
 */
export function getopt(
  argv: readonly string[],
  optstring: string,
  start = 0,
  usageExit = 1,
  longOptions: readonly string[] = [],
): GetoptResult {
  const takesArg = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ':') continue;
    takesArg.set(c, optstring[i + 1] === ':');
  }
  const options: ParsedOption[] = [];
  let i = start;
  while (i < argv.length) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (word.length < 2 || word[0] !== '-') break;
    if (word.startsWith('--') && longOptions.includes(word.slice(2))) {
      options.push({ opt: word });
      i++;
      continue;
    }
    let j = 1;
    i++;
    while (j < word.length) {
      const c = word[j]!;
      const needs = takesArg.get(c);
      if (needs === undefined) throw new GetoptError(`unknown option -- ${c}`, usageExit);
      if (!needs) {
        options.push({ opt: c });
        j++;
        continue;
      }
      if (j + 1 < word.length) {
        options.push({ opt: c, arg: word.slice(j + 1) });
      } else if (i < argv.length) {
        options.push({ opt: c, arg: argv[i]! });
        i++;
      } else {
        throw new GetoptError(`option requires an argument -- ${c}`, usageExit);
      }
      break;
    }
  }
  return { options, optind: i };
}
