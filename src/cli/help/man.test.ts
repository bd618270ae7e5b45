import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYWORDS } from '../../config/keywords.js';
import { SERVER_KEYWORDS, TSHD_ONLY_KEYWORDS } from '../../server/config/keywords.js';
import { KEYGEN_OPTSTRING } from '../tsh-keygen.js';
import { SSH_OPTSTRING } from '../tsh-args.js';
import { TSHD_OPTSTRING } from '../tshd-args.js';
import { CLASSIFIED_CLIENT_OPCODES, clientKeywords } from './client-keywords.js';
import { tshdOnlyText } from './config-pages.js';
import { PAGES, TOOL_HELP, manPages } from './index.js';
import { SPELLED_KEYWORDS } from './keyword-names.js';
import { renderRoff } from './roff.js';
import { renderHelp } from './text.js';
import { synopsisFromUsage, type ToolHelp } from './types.js';

const MAN = join(new URL('../../../', import.meta.url).pathname, 'man');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The man(7) requests the renderer may write. */
const REQUESTS = new Set(['nh', 'ad', 'TH', 'SH', 'PP', 'TP', 'IP', 'RS', 'RE', 'nf', 'fi', 'br', 'SY', 'YS']);

/** A structural check of roff that needs no formatter: known requests, closed fonts and blocks. */
function roffProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) !== '') problems.push('no final newline');
  let nf = 0;
  let rs = 0;
  let sy = 0;
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.startsWith('.\\"')) return;
    if (/^[.']/.test(line)) {
      const req = /^[.']([A-Za-z]+)/.exec(line)?.[1] ?? '';
      if (!REQUESTS.has(req)) problems.push(`${at}: unknown request ${line}`);
      if (req === 'nf') nf++;
      if (req === 'fi') nf--;
      if (req === 'RS') rs++;
      if (req === 'RE') rs--;
      if (req === 'SY') sy++;
      if (req === 'YS') sy--;
    } else if (line === '' && i < lines.length - 1) {
      problems.push(`${at}: blank line`);
    }
    // Every font change returns to roman on the same line.
    const fonts = [...line.matchAll(/\\f([BIR])/g)].map((m) => m[1]);
    if (fonts.length > 0 && fonts.at(-1) !== 'R') problems.push(`${at}: font left open`);
    if (/\\(?![-&e f(*\s])/.test(line.replace(/\\f[BIR]/g, ''))) problems.push(`${at}: unknown escape`);
  });
  if (nf !== 0 || rs !== 0 || sy !== 0) problems.push('unbalanced .nf/.fi, .RS/.RE or .SY/.YS');
  if (!lines[1]?.startsWith('.TH ')) problems.push('no .TH');
  return problems;
}

describe('manual pages', () => {
  it('man/ holds exactly what scripts/gen-man.mjs generates now (run it after changing src/cli/help)', () => {
    const pages = manPages();
    const onDisk = readdirSync(MAN).filter((n) => /\.[158]$/.test(n)).sort();
    expect(onDisk).toEqual([...pages.keys()].sort());
    for (const [name, text] of pages) expect(readFileSync(join(MAN, name), 'utf8'), name).toBe(text);
  });

  it('every page is well-formed roff', () => {
    for (const [name, text] of manPages()) expect(roffProblems(text), name).toEqual([]);
  });

  it('the structural check catches broken roff', () => {
    expect(roffProblems('.\\" x\n.TH X 1\n.XX\n\\fBbold\n')).toHaveLength(2);
  });

  // man and groff are on this machine (man-db's man runs groff); the test says which one it used.
  const formatter = has('man') ? 'man' : has('groff') ? 'groff' : has('mandoc') ? 'mandoc' : null;
  function format(file: string): { stderr: string; stdout: string; status: number | null } | null {
    if (formatter === 'man') {
      const env = { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LANG: 'C.UTF-8' };
      return spawnSync('man', ['--warnings', '-l', file], { env, encoding: 'utf8' });
    }
    if (formatter === 'groff') return spawnSync('groff', ['-man', '-ww', '-Tutf8', '-z', file], { encoding: 'utf8' });
    if (formatter === 'mandoc') return spawnSync('mandoc', ['-Tlint', '-Wwarning', file], { encoding: 'utf8' });
    return null;
  }

  it(`every page formats without a warning (${formatter ?? 'no formatter: structural check only'})`, () => {
    for (const name of manPages().keys()) {
      const file = join(MAN, name);
      const r = format(file);
      if (r === null) {
        expect(roffProblems(readFileSync(file, 'utf8')), name).toEqual([]);
        continue;
      }
      expect(r.stderr, name).toBe('');
      expect(r.status, name).toBe(0);
      if (formatter === 'man') expect(r.stdout, name).toContain('NAME');
    }
  });

  it(`the formatter check reports a page with an unknown macro (${formatter ?? 'structural'})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsh-man-'));
    try {
      const file = join(dir, 'bad.1');
      writeFileSync(file, '.TH BAD 1\n.SH NAME\nbad \\- page\n.XX oops\n');
      const r = format(file);
      if (r === null) expect(roffProblems(readFileSync(file, 'utf8'))).not.toEqual([]);
      else expect(r.stderr).toMatch(/XX/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes text that roff would take for requests or escapes', () => {
    const text = renderRoff({
      name: 'x',
      section: 1,
      summary: 'a \\ b',
      synopsis: ['x [-a b]'],
      description: ['.starts with a dot', { example: "'quote\n\nback\\slash" }],
      sections: [],
    });
    expect(text).toContain('x \\- a \\e b\n');
    expect(text).toContain('\\&.starts with a dot\n');
    expect(text).toContain("\\&'quote\n\\&\nback\\eslash\n");
    expect(text).toContain('[\\fB\\-a\\fR\\ \\fIb\\fR]');
  });
});

/** The single-letter flags a usage text names: "[-46Ab]" clusters and "[-B arg]" / "-p" words. */
function usageFlags(usage: string): Set<string> {
  const flags = new Set<string>();
  for (const m of usage.matchAll(/(?:^|[\s[|])-([A-Za-z0-9]+)/g)) {
    const word = m[1]!;
    if (/^[A-Za-z0-9]$/.test(word) || /^[0-9A-Za-z]+$/.test(word)) for (const c of word) flags.add(c);
  }
  return flags;
}

function documented(h: ToolHelp): Set<string> {
  return new Set((h.options ?? []).map((o) => o.flag));
}

describe('--help and the manual come from one description', () => {
  for (const h of TOOL_HELP) {
    it(`${h.name} --help starts with the usage, lists every option and fits 80 columns`, () => {
      const text = renderHelp(h);
      expect(text.startsWith(`${h.usage}\n\n`)).toBe(true);
      for (const o of h.options ?? []) expect(text).toContain(`  ${o.flag}${o.arg ? ` ${o.arg}` : ''}`);
      const after = text.slice(h.usage.length);
      for (const line of after.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
      expect(text).not.toMatch(/\x1b/);
      const man = renderRoff(h);
      for (const o of h.options ?? []) expect(man).toContain(`\\fB${o.flag.replace(/-/g, '\\-')}\\fR`);
    });

    it(`${h.name}: every flag of the usage is documented`, () => {
      const doc = documented(h);
      for (const c of usageFlags(h.usage)) expect(doc.has(`-${c}`), `-${c}`).toBe(true);
    });
  }

  it('every flag the parsers accept is documented (besides the protocol-1 leftovers)', () => {
    const flags = (optstring: string): string[] => [...optstring.replace(/:/g, '')];
    const byName = new Map(TOOL_HELP.map((h) => [h.name, documented(h)]));
    for (const c of flags(SSH_OPTSTRING).filter((c) => !'12P'.includes(c))) expect(byName.get('tsh')!.has(`-${c}`), `tsh -${c}`).toBe(true);
    for (const c of flags(TSHD_OPTSTRING)) expect(byName.get('tshd')!.has(`-${c}`), `tshd -${c}`).toBe(true);
    for (const c of flags(KEYGEN_OPTSTRING)) expect(byName.get('tsh-keygen')!.has(`-${c}`), `tsh-keygen -${c}`).toBe(true);
    expect(byName.get('tsh')!.has('--json')).toBe(true);
    expect(byName.get('tsh-keygen')!.has('--json')).toBe(true);
  });

  it('the synopsis is the usage text without "usage: ", one line per form', () => {
    expect(synopsisFromUsage('t', 'usage: t [-a]\n         [-b x] y\n       t -c')).toEqual(['t [-a] [-b x] y', 't -c']);
    for (const h of TOOL_HELP) expect(h.synopsis.slice(0, synopsisFromUsage(h.name, h.usage).length)).toEqual(synopsisFromUsage(h.name, h.usage));
  });
});

describe('the configuration pages follow the keyword tables', () => {
  it('every ssh_config opcode is classified, and nothing else', () => {
    const ops = new Set(KEYWORDS.values());
    expect([...ops].filter((op) => !CLASSIFIED_CLIENT_OPCODES.includes(op))).toEqual([]);
    expect(CLASSIFIED_CLIENT_OPCODES.filter((op) => !ops.has(op))).toEqual([]);
    expect(clientKeywords().every((k) => k.status !== undefined)).toBe(true);
  });

  it('every keyword of both tables has its manual spelling, and no spelling is stale', () => {
    const names = new Set([...KEYWORDS.keys(), ...SERVER_KEYWORDS.keys()]);
    expect([...names].filter((n) => !SPELLED_KEYWORDS.includes(n))).toEqual([]);
    expect(SPELLED_KEYWORDS.filter((n) => !names.has(n))).toEqual([]);
  });

  it('every tshd-only keyword has a description', () => {
    for (const k of TSHD_ONLY_KEYWORDS) expect(tshdOnlyText(k)).not.toBe('');
  });

  it('each page names every keyword of its table, and only those', () => {
    const pages = manPages();
    const named = (page: string): Set<string> => {
      const body = page.slice(page.indexOf('.SH KEYWORDS'), page.indexOf('.SH SEE ALSO'));
      return new Set([...body.matchAll(/\\fB([A-Za-z0-9]+)\\fR/g)].map((m) => m[1]!.toLowerCase()));
    };
    const client = named(pages.get('tsh_config.5')!);
    expect([...KEYWORDS.keys()].filter((n) => !client.has(n))).toEqual([]);
    expect([...client].filter((n) => !KEYWORDS.has(n) && !/^(tsh|g)$/.test(n))).toEqual([]);
    const server = named(pages.get('tshd_config.5')!);
    expect([...SERVER_KEYWORDS.keys()].filter((n) => !server.has(n))).toEqual([]);
    expect(PAGES.map((p) => `${p.name}.${p.section}`)).toEqual([...pages.keys()]);
  });
});
