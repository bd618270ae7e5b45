// The sshd helper works: OpenSSH ssh logs in to it with a key and runs a command.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempHome } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { userInfo } from 'node:os';

describe('OpenSSH sshd test helper', () => {
  let sshd: Sshd;
  let home: ReturnType<typeof tempHome>;
  beforeAll(async () => {
    home = tempHome();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home.ssh, 'id_ed25519')]);
    sshd = await startSshd({ authorizedKeys: [readFileSync(join(home.ssh, 'id_ed25519.pub'), 'utf8').trim()] });
  });
  afterAll(async () => {
    await sshd?.stop();
    home?.cleanup();
  });

  it('accepts OpenSSH ssh with a key and runs a command', async () => {
    const user = userInfo().username;
    const r = await run('/usr/bin/ssh', [
      '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=accept-new',
      '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`,
      '-i', join(home.ssh, 'id_ed25519'),
      '-p', String(sshd.port),
      `${user}@127.0.0.1`,
      'echo hello-from-sshd; exit 7',
    ], { home: home.home });
    expect(r.stdout).toBe('hello-from-sshd\n');
    expect(r.code).toBe(7);
    expect(readFileSync(join(home.ssh, 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
  });

  it('stops by PID', async () => {
    const pid = sshd.pid;
    await sshd.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
