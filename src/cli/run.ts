/**
 * runMain: turns a tool's main into an exit code. TshError → its exit code (its message printed
 * unless it is an ExitError); anything else is a bug: the stack is printed and the code is 255.
 */
import { ExitError, TshError } from '../errors.js';
import { processIo, type Io } from '../io.js';

export type ToolMain = (argv: readonly string[], io: Io) => Promise<number>;

export async function runMain(main: ToolMain, argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    if (err instanceof ExitError) return err.exitCode;
    if (err instanceof TshError) {
      io.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr.write(`internal error (please report it): ${text}\n`);
    return 255;
  }
}
