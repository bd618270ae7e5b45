/**
 * runMain: turns a tool's main into an exit code. TshError → its exit code (its message printed
 * unless it is an ExitError); anything else is a bug: the stack is printed and the code is 255.
 */
import { ExitError, TshError } from '../errors.js';
import { processIo, type Io } from '../io.js';

export type ToolMain = (argv: readonly string[], io: Io) => Promise<number>;

/**
 * Resolves once everything written to `stream` so far has been handed to the system. Writes to a
 * pipe are asynchronous in Node: exiting before they drain would cut the output short.
 */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

export async function runMain(main: ToolMain, argv: readonly string[], io: Io = processIo()): Promise<number> {
  const code = await runCaught(main, argv, io);
  await Promise.all([flushed(io.stdout), flushed(io.stderr)]);
  return code;
}

async function runCaught(main: ToolMain, argv: readonly string[], io: Io): Promise<number> {
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
