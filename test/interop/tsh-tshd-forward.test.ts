/**
 * The third pairing, tsh → tshd, with tshd running as root for a user made by the test (so its
 * connects and binds are the user's): -L, -R, -R 0 and -D (curl with SOCKS5 and remote DNS,
 * SOCKS4, SOCKS4a) each moving 20 MiB with equal sha256; a refused forward under every policy
 * knob gives tsh the same messages and exit code as ssh gets from sshd under the same knob; -f
 * returns and leaves a working forward; tsh -A lets the session list the local agent's keys and
 * log in to a third host (an sshd) with the forwarded agent.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, target, trustSshd, type ClientHome } from '../helpers/client.js';
import { freePort, startSshd } from '../helpers/sshd.js';
import { startTshd, type Tshd } from '../helpers/tshd.js';
import {
  backgroundTsh, blobServer, curl, createUser, hashServer, runTo, sendForDigest, sha256, startAgent, startBg, trustTshd,
  tshdTarget, waitFor, waitPort, type TestServer, type TestUser,
} from './tsh-forward-util.js';

let user: TestUser;
let home: ClientHome;
let sink: TestServer;
let blob: TestServer & { sha: string };
let tshd: Tshd;
const data = randomBytes(20 * 1024 * 1024);
const digest = sha256(data);

beforeAll(async () => {
  user = createUser('tshtf');
  home = clientHome();
  user.authorize([home.pub]);
  sink = await hashServer();
  blob = await blobServer(20 * 1024 * 1024);
  tshd = await startTshd(['PerSourcePenalties no']);
  trustTshd(home, tshd);
});

afterAll(async () => {
  await tshd?.stop();
  await sink?.close();
  await blob?.close();
  user?.remove();
  home?.cleanup();
});

describe('tsh → tshd forwarding moves 20 MiB intact', () => {
  it('-L', async () => {
    const lport = await freePort();
    const bg = startBg('tsh', tshdTarget(tshd, user.name, ['-N', '-L', `${lport}:127.0.0.1:${sink.port}`]), home.home);
    try {
      await waitPort(lport);
      expect(await sendForDigest(lport, data), bg.stderr() + tshd.log()).toBe(digest);
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toBe('');
  });

  it('-R, bound by the user', async () => {
    const rport = await freePort();
    const bg = startBg('tsh', tshdTarget(tshd, user.name, ['-N', '-R', `${rport}:127.0.0.1:${sink.port}`]), home.home);
    try {
      await waitPort(rport);
      expect(await sendForDigest(rport, data), bg.stderr()).toBe(digest);
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toBe('');
  });

  it('-R 0: "Allocated port N ...", and the allocated port carries the data', async () => {
    const bg = startBg('tsh', tshdTarget(tshd, user.name, ['-N', '-R', `0:127.0.0.1:${sink.port}`]), home.home);
    try {
      const m = await bg.waitStderr(new RegExp(`Allocated port (\\d+) for remote forward to 127\\.0\\.0\\.1:${sink.port}\\r\\n`));
      const port = Number(m[1]);
      expect(port).toBeGreaterThan(1023);
      expect(await sendForDigest(port, data)).toBe(digest);
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toMatch(/^Allocated port \d+ for remote forward to 127\.0\.0\.1:\d+\r\n$/);
  });

  it('-D: curl through SOCKS5 with remote DNS, SOCKS5, SOCKS4 and SOCKS4a', async () => {
    const dport = await freePort();
    const bg = startBg('tsh', tshdTarget(tshd, user.name, ['-N', '-D', `127.0.0.1:${dport}`]), home.home);
    try {
      await waitPort(dport);
      for (const [how, host] of [
        ['--socks5-hostname', 'localhost'],
        ['--socks5', '127.0.0.1'],
        ['--socks4', '127.0.0.1'],
        ['--socks4a', 'localhost'],
      ] as const) {
        const r = await curl([how, `127.0.0.1:${dport}`, `http://${host}:${blob.port}/`]);
        expect(r.stderr, how).toBe('');
        expect(r.code).toBe(0);
        expect(r.sha, how).toBe(blob.sha);
      }
    } finally {
      await bg.stop();
    }
    expect(bg.stderr()).toBe('');
  });
});

describe('tsh -f against tshd', () => {
  it('returns once the forward is up; the forward works in the background', async () => {
    const lport = await freePort();
    const spec = `${lport}:127.0.0.1:${sink.port}`;
    const r = await runTo('tsh', tshdTarget(tshd, user.name, ['-f', '-N', '-L', spec]), home.home);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const pids = backgroundTsh(spec);
    try {
      expect(pids).toHaveLength(1);
      expect(await sendForDigest(lport, data)).toBe(digest);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGTERM');
    }
    await waitFor(() => backgroundTsh(spec).length === 0, 'the background tsh to exit');
  });
});

describe('tsh -A against tshd', () => {
  it('the session lists the local agent\'s keys and logs in to a third host (sshd) with the forwarded agent', async () => {
    const third = await startSshd({ authorizedKeys: [home.pub] });
    const agent = await startAgent(home.home, [`${home.ssh}/id_ed25519`]);
    try {
      const hop = `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p ${third.port} root@127.0.0.1`;
      const r = await runTo('tsh', [...tshdTarget(tshd, user.name, ['-A']), `ssh-add -l; ${hop} 'echo "third host: $(id -un)"'`], home.home, 20_000, { SSH_AUTH_SOCK: agent.sock });
      const fp = execFileSync('ssh-keygen', ['-l', '-f', `${home.ssh}/id_ed25519.pub`], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${fp}third host: root\n`);
      expect(r.code).toBe(0);
      // Without -A the session has no agent, and the third host refuses.
      const off = await runTo('tsh', [...tshdTarget(tshd, user.name), `echo "[$SSH_AUTH_SOCK]"; ${hop} true`], home.home, 20_000, { SSH_AUTH_SOCK: agent.sock });
      expect(off.stdout).toBe('[]\n');
      expect(off.code).toBe(255);
    } finally {
      agent.stop();
      await third.stop();
    }
  });
});

interface Knob {
  readonly name: string;
  /** Config lines for tshd and for sshd (Match differs: the tshd user is the test's, sshd's root). */
  readonly tshd: (u: string) => string[];
  readonly sshd: string[];
  /** authorized_keys options for the key. */
  readonly key: string;
}

const knob = (name: string, lines: string[], key = ''): Knob => ({ name, tshd: () => lines, sshd: lines, key });
const matchKnob = (setting: string): Knob => ({
  name: `Match User with ${setting}`,
  tshd: (u) => [`Match User ${u}`, setting],
  sshd: ['Match User root', setting],
  key: '',
});

const LOCAL_KNOBS: Knob[] = [
  knob('AllowTcpForwarding no', ['AllowTcpForwarding no']),
  knob('AllowTcpForwarding remote', ['AllowTcpForwarding remote']),
  knob('PermitOpen elsewhere', ['PermitOpen 127.0.0.1:1']),
  knob('DisableForwarding yes', ['DisableForwarding yes']),
  matchKnob('AllowTcpForwarding no'),
  knob('no-port-forwarding', [], 'no-port-forwarding '),
  knob('permitopen= elsewhere', [], 'permitopen="127.0.0.1:1" '),
  knob('restrict', [], 'restrict '),
];

const REMOTE_KNOBS: Knob[] = [
  knob('AllowTcpForwarding no', ['AllowTcpForwarding no']),
  knob('AllowTcpForwarding local', ['AllowTcpForwarding local']),
  knob('PermitListen elsewhere', ['PermitListen 1']),
  knob('DisableForwarding yes', ['DisableForwarding yes']),
  matchKnob('AllowTcpForwarding local'),
  knob('no-port-forwarding', [], 'no-port-forwarding '),
  knob('permitlisten= elsewhere', [], 'permitlisten="1" '),
  knob('restrict', [], 'restrict '),
];

/** tsh → tshd and ssh → sshd under the same knob; `body` runs each and returns what to compare. */
async function bothWays<T>(k: Knob, body: (prog: 'tsh' | 'ssh', args: (extra: string[]) => string[]) => Promise<T>): Promise<{ tsh: T; ssh: T }> {
  const sshd = await startSshd({ authorizedKeys: [`${k.key}${home.pub}`], config: k.sshd });
  const knownHosts = join(home.ssh, 'known_hosts');
  const saved = readFileSync(knownHosts, 'utf8');
  trustSshd(home, sshd);
  user.authorize([`${k.key}${home.pub}`]);
  const t = await startTshd(['PerSourcePenalties no', ...k.tshd(user.name)]);
  trustTshd(home, t);
  try {
    const tsh = await body('tsh', (extra) => tshdTarget(t, user.name, extra));
    const ssh = await body('ssh', (extra) => target(sshd, extra));
    return { tsh, ssh };
  } finally {
    writeFileSync(knownHosts, saved);
    user.authorize([home.pub]);
    await t.stop();
    await sshd.stop();
  }
}

/** The distinct stderr lines, channel numbers left out (a probe connection may take one). */
const refusalLines = (stderr: string): string[] => [...new Set(stderr.split('\r\n').filter(Boolean).map((l) => l.replace(/^channel \d+:/, 'channel N:')))];

describe('refused forwards: tsh against tshd says what ssh says against sshd', () => {
  for (const k of LOCAL_KNOBS) {
    it(`-L under ${k.name}`, async () => {
      const out = await bothWays(k, async (prog, args) => {
        const lport = await freePort();
        const bg = startBg(prog, args(['-N', '-L', `${lport}:127.0.0.1:${sink.port}`]), home.home);
        try {
          await waitPort(lport);
          expect(await sendForDigest(lport, Buffer.from('x'))).toBe('');
          await bg.waitStderr(/open failed/);
        } finally {
          await bg.stop();
        }
        return refusalLines(bg.stderr());
      });
      expect(out.tsh).toEqual(['channel N: open failed: administratively prohibited: open failed']);
      expect(out.tsh).toEqual(out.ssh);
    });
  }

  for (const k of REMOTE_KNOBS) {
    it(`-R under ${k.name}`, async () => {
      const rport = await freePort();
      const out = await bothWays(k, (prog, args) => runTo(prog, [...args(['-o', 'ExitOnForwardFailure=yes', '-R', `${rport}:127.0.0.1:${sink.port}`]), 'sleep 5'], home.home));
      expect(out.tsh).toEqual({ code: 255, stdout: '', stderr: `Error: remote port forwarding failed for listen port ${rport}\r\n` });
      expect(out.tsh).toEqual(out.ssh);
    });
  }

  it('PermitOpen and PermitListen that name the forward allow it', async () => {
    const rport = await freePort();
    const k = knob('PermitOpen/PermitListen matching', [`PermitOpen 127.0.0.1:${sink.port}`, `PermitListen ${rport}`], `permitopen="127.0.0.1:${sink.port}",permitlisten="${rport}" `);
    const out = await bothWays(k, async (prog, args) => {
      const lport = await freePort();
      const bg = startBg(prog, args(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${lport}:127.0.0.1:${sink.port}`, '-R', `${rport}:127.0.0.1:${sink.port}`]), home.home);
      try {
        await waitPort(lport);
        await waitPort(rport);
        return [await sendForDigest(lport, data), await sendForDigest(rport, data), bg.stderr()];
      } finally {
        await bg.stop();
      }
    });
    expect(out.tsh).toEqual([digest, digest, '']);
    expect(out.tsh).toEqual(out.ssh);
  });
});
