// The four programs exist, answer --help and -V/--version, and install onto PATH with npm.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, run, tempDir, type Tool } from '../helpers/run.js';
import { VERSION } from '../../src/version.js';

const TOOLS: Tool[] = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'];

describe('the four programs', () => {
  for (const tool of TOOLS) {
    it(`${tool} --help prints usage and exits 0`, async () => {
      const r = await run(tool, ['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: ${tool} `));
    });
    for (const flag of ['-V', '--version']) {
      it(`${tool} ${flag} prints the version on stderr and exits 0`, async () => {
        const r = await run(tool, [flag]);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(`${tool} ${VERSION} `);
      });
    }
  }

  it('tsh-sftp reports a host that does not resolve as sftp does, and exits 255', async () => {
    const r = await run('tsh-sftp', ['-F', 'none', 'no-such-host.invalid']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^tsh: Could not resolve hostname no-such-host\.invalid: .*\r?\nConnection closed\r?\n$/);
  });

  it('tshd refuses operands as sshd does', async () => {
    const r = await run('tshd', ['somehost']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Extra argument somehost.\n');
  });

  it('tsh names a host that does not resolve the way ssh does, and exits 255', async () => {
    const r = await run('tsh', ['-F', 'none', 'no-such-host.invalid', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^tsh: Could not resolve hostname no-such-host\.invalid: /);
  });

  it('tsh-keygen rejects an unknown option and extra arguments like ssh-keygen (exit 1)', async () => {
    const bad = await run('tsh-keygen', ['-x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^unknown option -- x\nusage: tsh-keygen /);
    const extra = await run('tsh-keygen', ['-l', '-f', 'k', 'extra']);
    expect(extra.code).toBe(1);
    expect(extra.stdout).toBe('Too many arguments.\n');
    const missing = await run('tsh-keygen', ['-f']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^option requires an argument -- f\n/);
    const hash = await run('tsh-keygen', ['-l', '-E', 'sha1', '-f', 'k']);
    expect(hash.code).toBe(255);
    expect(hash.stderr).toBe('Invalid hash algorithm "sha1"\n');
  });

  it('npm install -g puts all four on PATH', async () => {
    const prefix = tempDir('tsh-prefix-');
    try {
      await promisify(execFile)('npm', ['install', '-g', '--prefix', prefix.path, '--ignore-scripts', '--no-audit', '--no-fund', ROOT], {
        timeout: 120_000,
      });
      for (const tool of TOOLS) {
        const bin = join(prefix.path, 'bin', tool);
        expect(existsSync(bin)).toBe(true);
        const r = await run(bin, ['--version']);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(`${tool} ${VERSION}`);
      }
    } finally {
      prefix.cleanup();
    }
  }, 150_000);
});
