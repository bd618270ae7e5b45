// The programs print the --help rendered from src/cli/help (the manual's source), and their output
// carries no colour or other escape sequences: not on a pipe, not with NO_COLOR, and — since no
// program colours at all — not on a terminal either. A static check keeps colour libraries out of
// src/ unless they are guarded (this test must then learn the guard).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, runPty, tempHome, type Tool } from '../helpers/run.js';
import { SSH_KEYGEN } from '../helpers/keygen.js';
import { TOOL_HELP } from '../../src/cli/help/index.js';
import { renderHelp } from '../../src/cli/help/text.js';

/** CSI (colours, cursor moves) and OSC sequences. */
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\]/;

let home: ReturnType<typeof tempHome>;
beforeAll(async () => {
  home = tempHome();
  const r = await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'me', '-f', join(home.ssh, 'id_ed25519')], { home: home.home });
  expect(r.code).toBe(0);
});
afterAll(() => home.cleanup());

describe('--help', () => {
  for (const h of TOOL_HELP) {
    it(`${h.name} --help prints the text rendered from its description, on stdout`, async () => {
      const r = await run(h.name as Tool, ['--help']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toBe(renderHelp(h));
    });
  }
});

/** Commands that print something substantial, with their expected exit codes. */
const COMMANDS: [Tool, string[], number][] = [
  ['tsh', ['--help'], 0],
  ['tsh', ['-G', '-F', 'none', 'example.com'], 0],
  ['tsh', ['-G', '--json', '-F', 'none', 'example.com'], 0],
  ['tsh', ['-x-bad-flag'], 255],
  ['tsh-keygen', ['-lv', '-f', '.ssh/id_ed25519.pub'], 0],
  ['tsh-keygen', ['-l', '--json', '-f', '.ssh/id_ed25519.pub'], 0],
  ['tsh-sftp', ['--help'], 0],
  ['tshd', ['-T', '-f', 'none', '-p', '2222'], 0],
];

describe('no escape sequences', () => {
  for (const [tool, args, code] of COMMANDS) {
    it(`${tool} ${args.join(' ')}: none on a pipe, none with NO_COLOR, none on a terminal`, async () => {
      const piped = await run(tool, args, { home: home.home });
      expect(piped.code).toBe(code);
      expect(piped.stdout + piped.stderr).not.toMatch(ESCAPES);
      const noColor = await run(tool, args, { home: home.home, env: { NO_COLOR: '1', FORCE_COLOR: '3' } });
      expect(noColor.stdout + noColor.stderr).not.toMatch(ESCAPES);
      expect(noColor.stdout).toBe(piped.stdout);
      for (const env of [{ COLORTERM: 'truecolor' }, { NO_COLOR: '1' }] as Record<string, string>[]) {
        const t = runPty(tool, args, { home: home.home, env: { TERM: 'xterm-256color', ...env } });
        expect(await t.exit(20_000)).toBe(code);
        expect(t.output().length).toBeGreaterThan(0);
        expect(t.output()).not.toMatch(ESCAPES);
      }
    });
  }
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(n) && !/\.test\.ts$/.test(n) ? [p] : [];
  });
}

describe('colour libraries', () => {
  it('no module in src/ colours its output (chalk, ora, styleText, raw SGR codes)', () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      if (/from ['"](chalk|ora|kleur|picocolors|colorette)['"]|\bstyleText\b|\\x1b\[[0-9;]*m|\\u001b\[[0-9;]*m|\\033\[[0-9;]*m/.test(text)) {
        offenders.push(file.slice(ROOT.length));
      }
    }
    expect(offenders).toEqual([]);
  });
});
