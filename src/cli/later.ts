/**
 * The front door of a program whose main job arrives in a later release: it answers --help and
 * -V/--version, and says plainly that the rest is not available yet (exit 255).
 */
import type { Io } from '../io.js';
import { versionLine } from '../version.js';

export function laterTool(tool: string, usage: string, arrives: string) {
  return async function main(argv: readonly string[], io: Io): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${usage}\n\n${tool}: ${arrives}\n`);
      return 0;
    }
    if (argv.includes('-V') || argv.includes('--version')) {
      io.stderr.write(`${versionLine(tool)}\n`);
      return 0;
    }
    io.stderr.write(`${tool}: ${arrives}\n`);
    return 255;
  };
}
