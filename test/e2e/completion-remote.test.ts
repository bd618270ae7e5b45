// bash completion of tsh-sftp's `[user@]host:path`: the remote files come from `tsh -o BatchMode=yes
// host ls` against a real OpenSSH sshd, with the -P/-F/-i/-o options of the command line passed on.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, binPath, tempDir } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';

let sshd: Sshd;
let home: ClientHome;
let files: ReturnType<typeof tempDir>;
let bin: ReturnType<typeof tempDir>;

beforeAll(async () => {
  home = clientHome();
  sshd = await startSshd({ authorizedKeys: [home.pub] });
  trustSshd(home, sshd);
  files = tempDir('tsh-compl-remote-');
  mkdirSync(join(files.path, 'albums'));
  writeFileSync(join(files.path, 'alpha.txt'), 'a');
  writeFileSync(join(files.path, 'al script'), '#!/bin/sh\n');
  chmodSync(join(files.path, 'al script'), 0o755);
  writeFileSync(join(files.path, 'beta'), 'b');
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

function complete(args: string[], line?: string): string[] {
  const script = [
    'source "$1"; shift',
    line !== undefined ? 'COMP_LINE=$1; COMP_POINT=${#1}; shift' : '',
    'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))',
    '_tsh',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', join(ROOT, 'completions', 'tsh.bash'), ...(line !== undefined ? [line] : []), ...args], {
    env: { PATH: `${bin.path}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home.home },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('bash completion of remote paths', () => {
  it('tsh-sftp -P port user@host:/dir/al lists the remote files (directories with /)', () => {
    const dest = `${LOGIN}@127.0.0.1:${files.path}/al`;
    expect(complete(['tsh-sftp', '-P', String(sshd.port), dest])).toEqual([
      `${dest}\\ script`,
      `${dest}bums/`,
      `${dest}pha.txt`,
    ]);
  });

  it('as bash splits the line at ":", the replies keep only the part after it', () => {
    const dest = `${LOGIN}@127.0.0.1:${files.path}/be`;
    const line = `tsh-sftp -P ${sshd.port} ${dest}`;
    const words = ['tsh-sftp', '-P', String(sshd.port), `${LOGIN}@127.0.0.1`, ':', `${files.path}/be`];
    expect(complete(words, line)).toEqual([`${files.path}/beta`]);
  });

  it('a host it cannot log in to in batch mode gives nothing (and prompts for nothing)', () => {
    expect(complete(['tsh-sftp', '-P', String(sshd.port), `nosuchuser-${process.pid}@127.0.0.1:/`])).toEqual([]);
  });
});
