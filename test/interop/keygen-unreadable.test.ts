// Files tsh-keygen may not read or directories it may not write: the same messages and exit codes
// as ssh-keygen, and nothing changed. Run as root (CI), both programs drop to `nobody` first,
// since root reads everything.
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, run } from '../helpers/run.js';
import { SSH_KEYGEN } from '../helpers/keygen.js';

const asRoot = process.getuid?.() === 0;
const LINE = 'h ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHG5bDswcgU5lfMeDRb4XYO5hcrHAgg2utMVShvifOrF\n';

/** argv that runs `cmd` as nobody when we are root, else as ourselves. */
function unprivileged(cmd: string[]): [string, string[]] {
  return asRoot
    ? ['/usr/bin/setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd]]
    : [cmd[0]!, cmd.slice(1)];
}

async function both(args: string[]) {
  const [f1, a1] = unprivileged([SSH_KEYGEN, ...args]);
  const [f2, a2] = unprivileged([process.execPath, binPath('tsh-keygen'), ...args]);
  const theirs = await run(f1, a1, { cwd: '/' });
  const ours = await run(f2, a2, { cwd: '/' });
  return { theirs, ours };
}

describe('unreadable files and unwritable directories, compared with ssh-keygen', () => {
  let open: string; // a directory anyone may write, holding a file only its owner may read
  let closed: string; // a directory only its owner may write, holding a file anyone may read
  beforeAll(async () => {
    if (asRoot) {
      // nobody must be able to run tsh-keygen from this checkout, or every case fails for that reason.
      const [f, a] = unprivileged([process.execPath, binPath('tsh-keygen'), '--version']);
      const probe = await run(f, a, { cwd: '/' });
      if (probe.code !== 0) throw new Error(`user nobody cannot run ${binPath('tsh-keygen')} (is the checkout world-readable?): ${probe.stderr}`);
    }
    open = mkdtempSync(join(tmpdir(), 'tsh-unr-'));
    chmodSync(open, 0o1777);
    writeFileSync(join(open, 'kh'), LINE, { mode: 0o600 });
    closed = mkdtempSync(join(tmpdir(), 'tsh-ro-'));
    chmodSync(closed, 0o755);
    writeFileSync(join(closed, 'kh'), LINE, { mode: 0o644 });
  });
  afterAll(() => {
    rmSync(open, { recursive: true, force: true });
    rmSync(closed, { recursive: true, force: true });
  });

  const cases: Array<[string, (d: { open: string; closed: string }) => string[]]> = [
    ['-F on an unreadable known_hosts', (d) => ['-F', 'h', '-f', join(d.open, 'kh')]],
    ['-R on an unreadable known_hosts', (d) => ['-R', 'h', '-f', join(d.open, 'kh')]],
    ['-H on an unreadable known_hosts', (d) => ['-H', '-f', join(d.open, 'kh')]],
    ['-R in a directory that cannot be written', (d) => ['-R', 'h', '-f', join(d.closed, 'kh')]],
    ['-H in a directory that cannot be written', (d) => ['-H', '-f', join(d.closed, 'kh')]],
    ['-y on an unreadable key', (d) => ['-y', '-f', join(d.open, 'kh')]],
    ['-l on an unreadable file', (d) => ['-l', '-f', join(d.open, 'kh')]],
    ['-p on an unreadable key', (d) => ['-p', '-P', 'x', '-N', 'y', '-f', join(d.open, 'kh')]],
  ];
  for (const [name, args] of cases) {
    it(name, async () => {
      const { theirs, ours } = await both(args({ open, closed }));
      expect(theirs.code).toBe(255);
      expect(ours.code).toBe(theirs.code);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.stderr).toBe(theirs.stderr.replace(/^ssh-keygen:/gm, 'tsh-keygen:'));
      expect(readFileSync(join(open, 'kh'), 'utf8')).toBe(LINE);
      expect(readFileSync(join(closed, 'kh'), 'utf8')).toBe(LINE);
      expect(readdirSync(open)).toEqual(['kh']);
      expect(readdirSync(closed)).toEqual(['kh']);
    });
  }
});
