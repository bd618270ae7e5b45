// zsh completion of tsh-sftp's `[user@]host:path`, run by zsh's real completion system
// (test/helpers/zsh-complete.zsh): the remote files come from `tsh -o BatchMode=yes host ls`
// against a real OpenSSH sshd, with the -P/-F/-i/-o options of the command line passed on, and are
// compared with what the bash completion offers. zsh must be installed (.ci/run installs it).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, binPath, tempDir } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';
import { requireZsh, zshComplete, type ZshCompletion } from '../helpers/zsh-complete.js';

let sshd: Sshd;
let home: ClientHome;
let files: ReturnType<typeof tempDir>;
let bin: ReturnType<typeof tempDir>;

beforeAll(async () => {
  requireZsh();
  home = clientHome();
  files = tempDir('tsh-compl-remote-');
  mkdirSync(join(files.path, 'albums'));
  writeFileSync(join(files.path, 'albums', 'one'), '1');
  writeFileSync(join(files.path, 'alpha.txt'), 'a');
  writeFileSync(join(files.path, 'al script'), '#!/bin/sh\n');
  chmodSync(join(files.path, 'al script'), 0o755);
  writeFileSync(join(files.path, 'beta'), 'b');
  // Commands run in the files' directory, which stands for the remote home (`host:` with no path).
  sshd = await startSshd({ authorizedKeys: [home.pub], config: [`ForceCommand cd ${files.path} && eval "$SSH_ORIGINAL_COMMAND"`] });
  trustSshd(home, sshd);
  // The completion runs `tsh` from PATH, as an installed tsh would be.
  bin = tempDir('tsh-compl-bin-');
  writeFileSync(join(bin.path, 'tsh'), `#!/bin/sh\nexec "${process.execPath}" "${binPath('tsh')}" "$@"\n`, { mode: 0o755 });
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  home?.cleanup();
  files?.cleanup();
  bin?.cleanup();
});

function zsh(...lines: string[]): ZshCompletion[] {
  const results = zshComplete(lines, { home: home.home, pathPrepend: [bin.path] });
  results.forEach((r, i) => expect(r.errors, lines[i]).toEqual([]));
  return results;
}

/** bash's completion of the same words, sorted (as test/e2e/completion-remote.test.ts runs it). */
function bash(words: string[]): string[] {
  const script = ['source "$1"; shift', 'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))', '_tsh', 'printf "%s\\n" "${COMPREPLY[@]}"'].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', join(ROOT, 'completions', 'tsh.bash'), ...words], {
    env: { PATH: `${bin.path}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home.home },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect([r.status, r.stderr]).toEqual([0, '']);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('zsh completion of remote paths', () => {
  it('tsh-sftp -P port user@host:/dir/al lists the remote files (directories with /), as bash does', () => {
    const dest = `${LOGIN}@127.0.0.1:${files.path}/al`;
    const [r] = zsh(`tsh-sftp -P ${sshd.port} ${dest}`);
    expect(r!.matches).toEqual([`${dest} script`, `${dest}bums/`, `${dest}pha.txt`]);
    // Nothing more in common: the line stays as typed.
    expect(r!.buffer).toBe(`tsh-sftp -P ${sshd.port} ${dest}`);
    // bash's replies are the same names, with the space escaped.
    expect(bash(['tsh-sftp', '-P', String(sshd.port), dest])).toEqual(r!.matches.map((m) => m.replace(/ /g, '\\ ')));
  });

  it('one match is inserted: a directory with / and no space, a file quoted, then a space', () => {
    const prefix = `tsh-sftp -P ${sshd.port} ${LOGIN}@127.0.0.1:${files.path}`;
    const [dir, file, spaced, inDir, attached] = zsh(`${prefix}/alb`, `${prefix}/alp`, `${prefix}/al\\ `, `${prefix}/albums/`, `tsh-sftp -P${sshd.port} ${LOGIN}@127.0.0.1:${files.path}/be`);
    expect(dir!.buffer).toBe(`${prefix}/albums/`);
    expect(file!.buffer).toBe(`${prefix}/alpha.txt `);
    expect(spaced!.buffer).toBe(`${prefix}/al\\ script `);
    expect(inDir!.buffer).toBe(`${prefix}/albums/one `);
    // -P2222 in one word is passed on too.
    expect(attached!.buffer).toBe(`tsh-sftp -P${sshd.port} ${LOGIN}@127.0.0.1:${files.path}/beta `);
  });

  it('host: with no path lists the remote home directory, and host:name a name in it, as bash does', () => {
    const dest = `${LOGIN}@127.0.0.1:`;
    const [all, relative] = zsh(`tsh-sftp -P ${sshd.port} ${dest}`, `tsh-sftp -P ${sshd.port} ${dest}b`);
    expect(all!.matches).toEqual([`${dest}al script`, `${dest}albums/`, `${dest}alpha.txt`, `${dest}beta`]);
    expect(all!.buffer).toBe(`tsh-sftp -P ${sshd.port} ${dest}`);
    expect(bash(['tsh-sftp', '-P', String(sshd.port), dest])).toEqual(all!.matches.map((m) => m.replace(/ /g, '\\ ')));
    expect(relative!.buffer).toBe(`tsh-sftp -P ${sshd.port} ${dest}beta `);
  });

  it('the -F and -o options of the command line are passed on to tsh', () => {
    const config = join(home.home, 'compl_config');
    writeFileSync(config, `Host sftp-target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${LOGIN}\n`);
    const [viaF, viaO] = zsh(`tsh-sftp -F ${config} sftp-target:${files.path}/be`, `tsh-sftp -o Port=${sshd.port} ${LOGIN}@127.0.0.1:${files.path}/be`);
    expect(viaF!.buffer).toBe(`tsh-sftp -F ${config} sftp-target:${files.path}/beta `);
    expect(viaO!.buffer).toBe(`tsh-sftp -o Port=${sshd.port} ${LOGIN}@127.0.0.1:${files.path}/beta `);
  });

  it('a host it cannot log in to in batch mode gives nothing (and prompts for nothing)', () => {
    const [r] = zsh(`tsh-sftp -P ${sshd.port} nosuchuser-${process.pid}@127.0.0.1:/`);
    expect(r!.matches).toEqual([]);
    expect(r!.buffer).toBe(`tsh-sftp -P ${sshd.port} nosuchuser-${process.pid}@127.0.0.1:/`);
  });
});
