/**
 * ProxyJump with tshd and sshd hops mixed: tsh -J through two hops in both orders (tshd → sshd →
 * target, sshd → tshd → target), and OpenSSH's ssh -J through a tshd hop (alone and with an sshd
 * hop), each carrying 8 MiB to the target with equal sha256. tshd runs as root for a user made by
 * the test, so the hop's onward connection is made by that user's worker.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, LOGIN, trustSshd, type ClientHome } from '../helpers/client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { startTshd, type Tshd } from '../helpers/tshd.js';
import { createUser, sha256, trustTshd, type TestUser } from './tsh-forward-util.js';
import { run } from '../helpers/run.js';

let user: TestUser;
let home: ClientHome;
let hopSshd: Sshd;
let targetSshd: Sshd;
let hopTshd: Tshd;
let sshConfig = '';
const data = randomBytes(8 * 1024 * 1024 + 5);

beforeAll(async () => {
  user = createUser('tshj');
  home = clientHome();
  user.authorize([home.pub]);
  hopSshd = await startSshd({ authorizedKeys: [home.pub] });
  targetSshd = await startSshd({ authorizedKeys: [home.pub] });
  hopTshd = await startTshd(['PerSourcePenalties no']);
  // known_hosts for all three: trustSshd writes the file, the others are added.
  const kh = trustSshd(home, hopSshd);
  const first = readFileSync(kh, 'utf8');
  trustSshd(home, targetSshd);
  const second = readFileSync(kh, 'utf8');
  writeFileSync(kh, first + second);
  trustTshd(home, hopTshd);
  // ssh passes -F on to the ssh it runs for each jump, not -o: the test HOME's key and
  // known_hosts go in a config file.
  sshConfig = join(home.home, 'ssh_config');
  writeFileSync(sshConfig, `Host *\n  IdentityFile ${home.ssh}/id_ed25519\n  IdentitiesOnly yes\n  UserKnownHostsFile ${kh}\n  BatchMode yes\n`);
});

afterAll(async () => {
  await hopTshd?.stop();
  await hopSshd?.stop();
  await targetSshd?.stop();
  user?.remove();
  home?.cleanup();
});

const tshdHop = (): string => `${user.name}@127.0.0.1:${hopTshd.port}`;
const sshdHop = (): string => `${LOGIN}@127.0.0.1:${hopSshd.port}`;
const dest = (): string[] => ['-p', String(targetSshd.port), `${LOGIN}@127.0.0.1`, 'sha256sum'];

/** Runs prog with -J `jumps` to the target sshd, feeding it the data; the target's sha256sum. */
async function through(prog: 'tsh' | 'ssh', jumps: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = prog === 'ssh' ? ['-F', sshConfig, '-J', jumps, ...dest()] : ['-o', 'BatchMode=yes', '-J', jumps, ...dest()];
  return run(prog === 'ssh' ? '/usr/bin/ssh' : 'tsh', args, { home: home.home, input: data, timeoutMs: 60_000 });
}

describe('ProxyJump mixing tshd and sshd hops', () => {
  it('tsh -J tshd,sshd target', async () => {
    const r = await through('tsh', `${tshdHop()},${sshdHop()}`);
    expect(r).toMatchObject({ code: 0, stdout: `${sha256(data)}  -\n`, stderr: '' });
  });

  it('tsh -J sshd,tshd target', async () => {
    const r = await through('tsh', `${sshdHop()},${tshdHop()}`);
    expect(r).toMatchObject({ code: 0, stdout: `${sha256(data)}  -\n`, stderr: '' });
  });

  it('ssh -J through a tshd hop: tshd; sshd,tshd; tshd,sshd', async () => {
    for (const jumps of [tshdHop(), `${sshdHop()},${tshdHop()}`, `${tshdHop()},${sshdHop()}`]) {
      const r = await through('ssh', jumps);
      expect(r, jumps).toMatchObject({ code: 0, stdout: `${sha256(data)}  -\n`, stderr: '' });
    }
  });

  it('a hop that refuses forwarding (-J and -W): tsh through tshd says what ssh says through sshd', async () => {
    const noFwdSshd = await startSshd({ authorizedKeys: [home.pub], config: ['AllowTcpForwarding no'] });
    const noFwdTshd = await startTshd(['PerSourcePenalties no', 'AllowTcpForwarding no']);
    const kh = join(home.ssh, 'known_hosts');
    const saved = readFileSync(kh, 'utf8');
    try {
      trustSshd(home, noFwdSshd);
      writeFileSync(kh, saved + readFileSync(kh, 'utf8'));
      trustTshd(home, noFwdTshd);
      const viaTshd = await run('tsh', ['-o', 'BatchMode=yes', '-J', `${user.name}@127.0.0.1:${noFwdTshd.port}`, ...dest()], { home: home.home, input: '' });
      const viaSshd = await run('/usr/bin/ssh', ['-F', sshConfig, '-J', `${LOGIN}@127.0.0.1:${noFwdSshd.port}`, ...dest()], { home: home.home, input: '' });
      expect(viaTshd.code).toBe(255);
      expect(viaTshd.stderr).toContain('channel 0: open failed: administratively prohibited: open failed\r\n');
      expect({ code: viaTshd.code, stdout: viaTshd.stdout, stderr: viaTshd.stderr }).toEqual({ code: viaSshd.code, stdout: viaSshd.stdout, stderr: viaSshd.stderr });
      // -W through the same hops: ssh's two lines and 255.
      const w = `127.0.0.1:${targetSshd.port}`;
      const wTshd = await run('tsh', ['-o', 'BatchMode=yes', '-W', w, '-p', String(noFwdTshd.port), `${user.name}@127.0.0.1`], { home: home.home, input: '' });
      const wSshd = await run('/usr/bin/ssh', ['-F', sshConfig, '-W', w, '-p', String(noFwdSshd.port), `${LOGIN}@127.0.0.1`], { home: home.home, input: '' });
      expect(wTshd).toMatchObject({ code: 255, stdout: '', stderr: 'channel 0: open failed: administratively prohibited: open failed\r\nstdio forwarding failed\r\n' });
      expect(wTshd).toMatchObject({ code: wSshd.code, stdout: wSshd.stdout, stderr: wSshd.stderr });
    } finally {
      writeFileSync(kh, saved);
      await noFwdTshd.stop();
      await noFwdSshd.stop();
    }
  });
});
