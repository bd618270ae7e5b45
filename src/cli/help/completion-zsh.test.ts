// zsh completion (completions/_tsh) run by zsh's real completion system: an interactive zsh in a
// pseudo-terminal with compinit, each line typed and completed with a TAB
// (test/helpers/zsh-complete.zsh). The matches are compared with what the bash completion offers
// for the same words. zsh must be installed (.ci/run installs it): a missing zsh fails the tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../../test/helpers/run.js';
import { requireZsh, zshComplete, type ZshCompletion } from '../../../test/helpers/zsh-complete.js';
import { writeCompletionHome } from '../../../test/helpers/completion-home.js';
import { clientOptionKeywords, serverOptionKeywords } from './completion.js';
import { TOOL_HELP } from './index.js';

let dir: ReturnType<typeof tempDir>;
let home: string;
let cwd: string;

beforeAll(() => {
  requireZsh();
  dir = tempDir('tsh-compl-zsh-');
  home = dir.path;
  cwd = writeCompletionHome(home);
});

afterAll(() => dir?.cleanup());

const HOSTS = ['10.1.1.1', 'alpha', 'delta', 'gamma', 'knowna', 'knownb', 'other2'];

/** zsh's completion of each line (typed, then TAB); no line may make zsh print an error. */
function zsh(...lines: string[]): ZshCompletion[] {
  const results = zshComplete(lines, { home, cwd });
  results.forEach((r, i) => expect(r.errors, lines[i]).toEqual([]));
  return results;
}

function zshOne(line: string): ZshCompletion {
  return zsh(line)[0]!;
}

/** bash's completion of the same words (the last is completed), sorted. */
function bash(words: string[]): string[] {
  const script = ['source "$1"; shift', 'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))', '_tsh', 'printf "%s\\n" "${COMPREPLY[@]}"'].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', join(ROOT, 'completions', 'tsh.bash'), ...words], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect([r.status, r.stderr]).toEqual([0, '']);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

function flagsOf(tool: string): string[] {
  return (TOOL_HELP.find((h) => h.name === tool)!.options ?? []).map((o) => o.flag).sort();
}

describe('zsh completion, through compinit and _arguments', () => {
  it('zsh parses completions/_tsh (zsh -n)', () => {
    const r = spawnSync('zsh', ['-n', join(ROOT, 'completions', '_tsh')], { encoding: 'utf8', timeout: 10_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('compinit picks _tsh up for all four programs, and each offers its own flags', () => {
    const tools = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'];
    const results = zsh(...tools.map((t) => `${t} -`));
    tools.forEach((t, i) => expect(results[i]!.matches, t).toEqual(flagsOf(t)));
  });

  it('flags are shown with the first sentence of their help text', () => {
    const [tsh, keygen] = zsh('tsh -', 'tsh-keygen -');
    expect(tsh!.displays).toContain('-p         -- The port to connect to on the remote host');
    // "e.g." does not end the sentence; colons and brackets are kept.
    expect(tsh!.displays).toContain('-o         -- Any ssh_config line, e.g. -o Port=2222 or -o "ProxyCommand nc %h %p"; it comes before the files, so the first value wins over them');
    expect(tsh!.displays.find((d) => d.startsWith('-L '))).toContain('Local forwarding: [bind_address:]port:host:hostport');
    expect(keygen!.displays.find((d) => d.startsWith('-t '))).toContain('-- The key type: ed25519 (default), ecdsa or rsa');
  });

  it('destinations: Host names without wildcards and plain known_hosts names, with user@', () => {
    const [all, user, afterOpts, sftp, sftpUser, keygenF, keygenR] = zsh('tsh ', 'tsh root@k', 'tsh -p 2222 -l me a', 'tsh-sftp -P 22 g', 'tsh-sftp me@o', 'tsh-keygen -F kn', 'tsh-keygen -R ');
    expect(all!.matches).toEqual(HOSTS);
    expect(all!.explanations).toContain('destination');
    expect(user!.matches).toEqual(['root@knowna', 'root@knownb']);
    expect(user!.buffer).toBe('tsh root@known');
    expect(afterOpts!.buffer).toBe('tsh -p 2222 -l me alpha ');
    expect(sftp!.buffer).toBe('tsh-sftp -P 22 gamma ');
    expect(sftpUser!.buffer).toBe('tsh-sftp me@other2 ');
    expect(keygenF!.matches).toEqual(['knowna', 'knownb']);
    expect(keygenR!.matches).toEqual(HOSTS);
  });

  it('-J: jump hosts, also after a comma', () => {
    const [one, plain, second, sftp] = zsh('tsh -J del', 'tsh -J alpha,del', 'tsh -J root@alpha,me@gam', 'tsh-sftp -J kn');
    expect(one!.buffer).toBe('tsh -J delta ');
    expect(plain!.matches).toEqual(['alpha,delta']);
    expect(second!.matches).toEqual(['root@alpha,me@gamma']);
    expect(second!.buffer).toBe('tsh -J root@alpha,me@gamma ');
    expect(sftp!.matches).toEqual(['knowna', 'knownb']);
  });

  it('option values: files, word lists, users', () => {
    const r = zsh('tsh -F ke', 'tsh-keygen -f su', 'tshd -f ke', 'tsh-sftp -b ke', 'tsh-keygen -t ', 'tsh-keygen -lE m', 'tsh-keygen -Emd5 -f ke', 'tsh -Q ke', 'tsh-sftp -X n', 'tsh -l roo', 'tsh -O ch');
    const [file, dirName, tshdFile, batch, type, stacked, attached, query, sftpX, login, ctl] = r;
    expect(file!.buffer).toBe('tsh -F keyfile ');
    expect(dirName!.buffer).toBe('tsh-keygen -f sub/');
    expect(tshdFile!.buffer).toBe('tshd -f keyfile ');
    expect(batch!.buffer).toBe('tsh-sftp -b keyfile ');
    expect(type!.matches).toEqual(['ecdsa', 'ed25519', 'rsa']);
    expect(type!.explanations).toContain('type');
    expect(stacked!.buffer).toBe('tsh-keygen -lE md5 ');
    expect(attached!.buffer).toBe('tsh-keygen -Emd5 -f keyfile ');
    expect(query!.matches).toEqual(['kex', 'key', 'key-cert', 'key-plain', 'key-sig']);
    // -X buffer=N / nrequests=N: the value follows the "=" without a space.
    expect(sftpX!.buffer).toBe('tsh-sftp -X nrequests=');
    expect(login!.matches).toContain('root');
    expect(ctl!.buffer).toBe('tsh -O check ');
  });

  it('-o: the keywords of tsh_config for tsh and tsh-sftp, of tshd_config for tshd, with "=" and no space', () => {
    const [client, server, sftp, word, attached, stacked, value, serverWord] = zsh('tsh -o ', 'tshd -o ', 'tsh-sftp -o ', 'tsh -o ProxyJ', 'tsh -oBatchM', 'tsh -vo BatchM', 'tsh -o Port=2', 'tshd -o PermitR');
    expect(client!.matches).toEqual(clientOptionKeywords().map((k) => `${k}=`).sort());
    expect(server!.matches).toEqual(serverOptionKeywords().map((k) => `${k}=`).sort());
    expect(sftp!.matches).toEqual(client!.matches);
    expect(word!.buffer).toBe('tsh -o ProxyJump=');
    expect(attached!.buffer).toBe('tsh -oBatchMode=');
    expect(stacked!.buffer).toBe('tsh -vo BatchMode=');
    expect(value!.matches).toEqual([]);
    expect(value!.buffer).toBe('tsh -o Port=2');
    expect(serverWord!.matches).toEqual(['PermitRootLogin=']);
  });

  it('tsh takes options after the destination, but the remote command is not completed', () => {
    const [opts, cmdWord, cmdArg, cmdFlag, cmdOptArg, dashdash, afterOpt] = zsh('tsh alpha -', 'tsh alpha l', 'tsh alpha ls a', 'tsh alpha ls -', 'tsh alpha ls -l ro', 'tsh -- alpha -', 'tsh -p 22 alpha -l root ls -');
    expect(opts!.matches).toEqual(flagsOf('tsh'));
    expect(cmdWord!.matches).toEqual([]);
    expect(cmdWord!.explanations).toContain('remote command');
    for (const r of [cmdArg, cmdFlag, cmdOptArg, dashdash, afterOpt]) expect(r!.matches).toEqual([]);
    expect(cmdOptArg!.buffer).toBe('tsh alpha ls -l ro');
  });

  it('tsh-sftp: the second operand is a local file, and no option follows the destination', () => {
    const [local, flag, third] = zsh('tsh-sftp alpha ke', 'tsh-sftp alpha -', 'tsh-sftp alpha keyfile ');
    expect(local!.buffer).toBe('tsh-sftp alpha keyfile ');
    expect(flag!.matches).toEqual([]);
    expect(third!.matches).toEqual([]);
  });

  it('offers what the bash completion offers for the same words', () => {
    const cases: string[][] = [
      ['tsh', ''],
      ['tsh', 'root@k'],
      ['tsh', '-p', '2222', '-l', 'me', 'a'],
      ['tsh-sftp', '-P', '22', 'g'],
      ['tsh-sftp', 'me@'],
      ['tsh-keygen', '-F', 'kn'],
      ['tsh', '-J', 'del'],
      ['tsh', '-'],
      ['tshd', '-'],
      ['tsh-sftp', '-'],
      ['tsh-keygen', '-'],
      ['tsh-keygen', '-l', '--j'],
      ['tsh', '-F', 'ke'],
      ['tsh-keygen', '-t', ''],
      ['tsh-keygen', '-lE', 'm'],
      ['tsh-keygen', '-Emd5', '-f', 'ke'],
      ['tsh', '-Q', 'ke'],
      ['tsh', '-c', 'aes1'],
      ['tsh-sftp', '-X', ''],
      ['tsh', '-o', 'ProxyJ'],
      ['tsh', '-o', 'Port=2'],
      ['tshd', '-o', ''],
      ['tshd', '-o', 'PermitR'],
      ['tsh-sftp', '-o', 'Compr'],
      ['tsh', '-vo', 'BatchM'],
      ['tsh', '-l', 'roo'],
      ['tsh', 'alpha', 'ls', 'a'],
      ['tsh', 'alpha', '-'],
      ['tsh', 'alpha', 'ls', '-l', 'ro'],
      ['tsh-sftp', 'alpha', 'ke'],
      ['tsh-sftp', 'alpha', '-'],
    ];
    const results = zsh(...cases.map((w) => w.join(' ')));
    cases.forEach((words, i) => expect(results[i]!.matches, words.join(' ')).toEqual(bash(words)));
  });
});
