/** Helpers for comparing tsh-keygen with OpenSSH's ssh-keygen. */
import { expect } from 'vitest';
import { run, type RunResult } from './run.js';

export const SSH_KEYGEN = '/usr/bin/ssh-keygen';

/**
 * Runs ssh-keygen and tsh-keygen with the same arguments and input in `cwd`; asserts identical
 * stdout, stderr (program name aside) and exit code. Returns tsh-keygen's result.
 */
export async function sameAsSshKeygen(cwd: string, args: string[], input?: string | Buffer): Promise<RunResult> {
  const theirs = await run(SSH_KEYGEN, args, { cwd, input });
  const ours = await run('tsh-keygen', args, { cwd, input });
  expect(ours.stdout).toBe(theirs.stdout);
  expect(ours.stderr).toBe(theirs.stderr.replace(/^ssh-keygen:/gm, 'tsh-keygen:'));
  expect(ours.code).toBe(theirs.code);
  return ours;
}
