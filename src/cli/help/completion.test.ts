import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCompletionHome } from '../../../test/helpers/completion-home.js';
import { bashCompletion, clientOptionKeywords, completionFiles, serverOptionKeywords, zshCompletion } from './completion.js';
import { TOOL_HELP } from './index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BASH_FILE = join(ROOT, 'completions', 'tsh.bash');

let home: string;
let cwd: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tsh-compl-'));
  cwd = writeCompletionHome(home);
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs _tsh in bash with the words given (the last is the one completed); the replies, sorted. */
function complete(words: string[], line?: { COMP_LINE: string; bashWords: string[] }): string[] {
  const script = [
    'source "$1"; shift',
    line ? 'COMP_LINE=$1; COMP_POINT=${#1}; shift' : '',
    'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))',
    '_tsh',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const args = line ? [line.COMP_LINE, ...line.bashWords] : words;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', BASH_FILE, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('completion scripts', () => {
  it('completions/ holds exactly what scripts/gen-completions.mjs generates now', () => {
    for (const [name, text] of completionFiles()) expect(readFileSync(join(ROOT, 'completions', name), 'utf8'), name).toBe(text);
  });

  it('the bash script parses (bash -n)', () => {
    const r = spawnSync('bash', ['-n', BASH_FILE], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('both scripts carry every flag of every tool, from the help descriptions', () => {
    const bash = bashCompletion();
    const zsh = zshCompletion();
    for (const h of TOOL_HELP) {
      const line = bash.split('\n').find((l) => l.startsWith(`    ${h.name}) echo '`))!;
      expect(line.split("'")[1]!.split(' ')).toEqual((h.options ?? []).map((o) => o.flag));
      const zshBlock = zsh.slice(zsh.indexOf(`    ${h.name})\n`));
      for (const o of h.options ?? []) expect(zshBlock).toContain(`'${o.flag.startsWith('--') ? '' : '*'}${o.flag}`);
    }
  });

  // completion-zsh.test.ts runs the zsh script in zsh; this checks its text.
  it('the zsh script is well-formed text: #compdef first, quotes balanced on every line', () => {
    const zsh = zshCompletion();
    expect(zsh.startsWith('#compdef tsh tshd tsh-sftp tsh-keygen\n')).toBe(true);
    for (const l of zsh.split('\n')) {
      if (l.trimStart().startsWith('#')) continue;
      const unescaped = l.replace(/'\\''/g, '');
      expect((unescaped.match(/'/g) ?? []).length % 2, l).toBe(0);
    }
    const opens = (zsh.match(/\{\s*$/gm) ?? []).length;
    const closes = (zsh.match(/^\s*\}\s*$/gm) ?? []).length;
    expect(opens).toBe(closes);
  });

  it('keyword lists for -o come from the keyword tables', () => {
    expect(clientOptionKeywords()).toContain('ProxyJump');
    expect(clientOptionKeywords()).toContain('ForwardX11');
    expect(clientOptionKeywords()).not.toContain('Cipher');
    expect(clientOptionKeywords()).not.toContain('KeepAlive');
    expect(clientOptionKeywords()).not.toContain('Host');
    expect(serverOptionKeywords()).not.toContain('Match');
    expect(serverOptionKeywords()).toContain('PasswordFile');
    expect(serverOptionKeywords()).not.toContain('UseLogin');
  });
});

describe('bash completion', () => {
  it('destinations: Host names without wildcards and plain known_hosts names, with user@', () => {
    expect(complete(['tsh', ''])).toEqual(['10.1.1.1', 'alpha', 'delta', 'gamma', 'knowna', 'knownb', 'other2']);
    expect(complete(['tsh', 'root@k'])).toEqual(['root@knowna', 'root@knownb']);
    expect(complete(['tsh', '-p', '2222', '-l', 'me', 'a'])).toEqual(['alpha']);
    expect(complete(['tsh-sftp', '-P', '22', 'g'])).toEqual(['gamma']);
    expect(complete(['tsh-keygen', '-F', 'kn'])).toEqual(['knowna', 'knownb']);
    expect(complete(['tsh', '-J', 'del'])).toEqual(['delta']);
  });

  it('flags, from the help descriptions', () => {
    const tsh = TOOL_HELP.find((h) => h.name === 'tsh')!;
    expect(complete(['tsh', '-'])).toEqual((tsh.options ?? []).map((o) => o.flag).sort());
    expect(complete(['tsh-keygen', '-l', '--j'])).toEqual(['--json']);
    expect(complete(['tshd', '-']).length).toBe(TOOL_HELP.find((h) => h.name === 'tshd')!.options!.length);
  });

  it('option arguments: files, words, keywords', () => {
    expect(complete(['tsh', '-F', 'ke'])).toEqual(['keyfile']);
    expect(complete(['tsh-keygen', '-f', 'su'])).toEqual(['sub']);
    expect(complete(['tsh-keygen', '-t', ''])).toEqual(['ecdsa', 'ed25519', 'rsa']);
    expect(complete(['tsh-keygen', '-lE', 'm'])).toEqual(['md5']);
    expect(complete(['tsh-keygen', '-Emd5', '-f', 'ke'])).toEqual(['keyfile']);
    expect(complete(['tsh-keygen', '-l', '-E', 'm'])).toEqual(['md5']);
    expect(complete(['tsh', '-Q', 'ke'])).toEqual(['kex', 'key', 'key-cert', 'key-plain', 'key-sig']);
    expect(complete(['tsh', '-o', 'ProxyJ'])).toEqual(['ProxyJump=']);
    expect(complete(['tsh', '-o', 'Port=2'])).toEqual([]);
    expect(complete(['tshd', '-o', 'PermitR'])).toEqual(['PermitRootLogin=']);
    expect(complete(['tsh', '-vo', 'BatchM'])).toEqual(['BatchMode=']);
  });

  it('the remote command and tsh-sftp\'s local path are not hosts', () => {
    expect(complete(['tsh', 'alpha', 'ls', 'a'])).toEqual([]);
    expect(complete(['tsh', 'alpha', '-'])).toEqual(complete(['tsh', '-']));
    expect(complete(['tsh-sftp', 'alpha', 'ke'])).toEqual(['keyfile']);
  });

  it('with COMP_LINE, replies are cut to the part after bash\'s last word break', () => {
    expect(complete([], { COMP_LINE: 'tsh -o ProxyJ', bashWords: ['tsh', '-o', 'ProxyJ'] })).toEqual(['ProxyJump=']);
    // "-o Port=" is split by bash at "=": nothing is offered after it.
    expect(complete([], { COMP_LINE: 'tsh -o Port=', bashWords: ['tsh', '-o', 'Port', '='] })).toEqual([]);
    expect(complete([], { COMP_LINE: 'tsh root@gam', bashWords: ['tsh', 'root@gam'] })).toEqual(['root@gamma']);
  });
});
