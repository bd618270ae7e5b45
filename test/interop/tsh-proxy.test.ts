/**
 * tsh's transports other than a direct TCP connection, against real OpenSSH sshds: ProxyJump
 * through two hops (each hop's host key checked), ProxyCommand with %-tokens, and -W stdio
 * forwarding (used as the ProxyCommand of tsh and of OpenSSH's ssh).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, run } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, LOGIN, type ClientHome } from '../helpers/client.js';

let hop1: Sshd;
let hop2: Sshd;
let dest: Sshd;
let home: ClientHome;

function knownHostsLines(...servers: Sshd[]): string {
  return servers.map((s) => `[127.0.0.1]:${s.port} ${s.hostKeys.ed25519.split(' ').slice(0, 2).join(' ')}\n`).join('');
}

beforeAll(async () => {
  home = clientHome();
  [hop1, hop2, dest] = await Promise.all([startSshd({ authorizedKeys: [home.pub] }), startSshd({ authorizedKeys: [home.pub] }), startSshd({ authorizedKeys: [home.pub] })]);
  writeFileSync(join(home.ssh, 'known_hosts'), knownHostsLines(hop1, hop2, dest));
  // Hops are configured from the files, as with ssh (-o applies to the destination only).
  writeFileSync(join(home.ssh, 'config'), 'Host *\n  BatchMode yes\n  StrictHostKeyChecking yes\n', { mode: 0o600 });
});

afterAll(async () => {
  await Promise.all([hop1, hop2, dest].map((s) => s?.stop()));
  home?.cleanup();
});

const at = (s: Sshd): string => `${LOGIN}@127.0.0.1:${s.port}`;

describe('ProxyJump', () => {
  it('reaches the destination through two hops with -J', async () => {
    const r = await run('tsh', ['-J', `${at(hop1)},${at(hop2)}`, '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'echo $SSH_CONNECTION'], { home: home.home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The destination sees the connection coming from the last hop (a loopback connection).
    expect(r.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${dest.port}\\n$`));
    // Each sshd accepted exactly one key login.
    for (const s of [hop1, hop2, dest]) expect(s.log()).toMatch(/Accepted publickey for /);
  });

  it('checks each hop\'s host key: an unknown hop fails the connection', async () => {
    const known = join(home.home, 'known_hosts_partial');
    writeFileSync(known, knownHostsLines(hop1, dest));
    const cfg = join(home.home, 'partial.conf');
    writeFileSync(cfg, `Host *\n  BatchMode yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ${known}\n`);
    const r = await run('tsh', ['-F', cfg, '-J', `${at(hop1)},${at(hop2)}`, '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'true'], { home: home.home });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(`No ED25519 host key is known for [127.0.0.1]:${hop2.port} and you have requested strict checking.\r\nHost key verification failed.\r\n`);
  });

  it('takes ProxyJump from the configuration', async () => {
    const cfg = join(home.home, 'jump.conf');
    writeFileSync(cfg, `Host dest\n  HostName 127.0.0.1\n  Port ${dest.port}\n  User ${LOGIN}\n  ProxyJump ${at(hop1)}\nHost *\n  BatchMode yes\n`);
    const r = await run('tsh', ['-F', cfg, 'dest', 'echo ok'], { home: home.home });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
  });

  it('reports a destination the hop cannot reach', async () => {
    const r = await run('tsh', ['-J', at(hop1), '-p', '1', `${LOGIN}@127.0.0.1`, 'true'], { home: home.home });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^channel 0: open failed: .*\r\nstdio forwarding failed\r\n/);
  });
});

describe('ProxyCommand and -W', () => {
  it('tsh -W host:port carries a whole ssh connection (as OpenSSH ssh\'s ProxyCommand)', async () => {
    const proxy = `${process.execPath} ${binPath('tsh')} -W %h:%p -p ${hop1.port} ${LOGIN}@127.0.0.1`;
    const r = await run(
      '/usr/bin/ssh',
      ['-o', `ProxyCommand=${proxy}`, '-o', `UserKnownHostsFile=${home.ssh}/known_hosts`, '-i', `${home.ssh}/id_ed25519`, '-o', 'BatchMode=yes', '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'echo via-tsh'],
      { home: home.home },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('via-tsh\n');
  });

  it('tsh runs a ProxyCommand with %h %p %r tokens', async () => {
    const proxy = `${process.execPath} ${binPath('tsh')} -W %h:%p -l %r -p ${hop2.port} 127.0.0.1`;
    const r = await run('tsh', ['-o', `ProxyCommand=${proxy}`, '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'echo via-proxy'], { home: home.home });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('via-proxy\n');
  });

  it('a ProxyCommand that fails ends the connection with ssh\'s message and 255', async () => {
    const r = await run('tsh', ['-o', 'ProxyCommand=exit 3', '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'true'], { home: home.home });
    const s = await run('/usr/bin/ssh', ['-o', 'ProxyCommand=exit 3', '-o', 'BatchMode=yes', '-p', String(dest.port), `${LOGIN}@127.0.0.1`, 'true'], { home: home.home });
    expect(r.code).toBe(255);
    expect(s.code).toBe(255);
    expect(r.stderr).toBe(s.stderr);
  });
});
