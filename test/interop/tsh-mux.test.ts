/**
 * `-O ctl_cmd`: tsh has no ControlMaster of its own, so a multiplexing command fails, exactly as
 * ssh's does when there is no ControlPath or no socket there; a socket held by a real OpenSSH
 * master gets a clear refusal (tsh does not speak the mux protocol) instead of a new connection.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshHomeArgs, target, useSshdClient } from '../helpers/client.js';
import { run } from '../helpers/run.js';

const fx = useSshdClient();

describe('tsh -O', () => {
  it('fails as ssh does without a ControlPath, without a socket, and for a bad command', async () => {
    const cases = [
      ['-O', 'check'],
      ['-O', 'exit', '-S', join(fx.home.home, 'no-such-socket')],
      ['-O', 'check', '-o', `ControlPath=${fx.home.home}`],
      ['-O', 'bogus'],
      ['-O', 'stop', '-W', 'h:1'],
    ];
    for (const c of cases) {
      const args = [...c, ...target(fx.sshd), 'echo', 'connected'];
      const [tsh, ssh] = await Promise.all([run('tsh', args, { home: fx.home.home }), run('/usr/bin/ssh', [...sshHomeArgs(fx.home.home), ...args], { home: fx.home.home })]);
      expect(ssh.code, c.join(' ')).toBe(255);
      expect([tsh.code, tsh.stdout, tsh.stderr], c.join(' ')).toEqual([ssh.code, ssh.stdout, ssh.stderr]);
    }
  });

  it("refuses an OpenSSH master's socket instead of connecting past it", async () => {
    const sock = join(fx.home.home, 'master.sock');
    const master = spawn('/usr/bin/ssh', [...sshHomeArgs(fx.home.home), '-M', '-S', sock, '-N', ...target(fx.sshd)], { stdio: 'ignore', env: { HOME: fx.home.home, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    try {
      const deadline = Date.now() + 10_000;
      while (!existsSync(sock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(sock)).toBe(true);
      const ssh = await run('/usr/bin/ssh', [...sshHomeArgs(fx.home.home), '-O', 'check', '-S', sock, ...target(fx.sshd)], { home: fx.home.home });
      expect(ssh.stderr).toMatch(/^Master running \(pid=\d+\)/);
      const tsh = await run('tsh', ['-O', 'check', '-S', sock, ...target(fx.sshd), 'echo', 'connected'], { home: fx.home.home });
      expect(tsh.code).toBe(255);
      expect(tsh.stdout).toBe('');
      expect(tsh.stderr).toBe(`tsh: multiplexing commands (-O) are not supported: ${sock} is another program's master\r\n`);
    } finally {
      master.kill('SIGTERM');
    }
  });
});
