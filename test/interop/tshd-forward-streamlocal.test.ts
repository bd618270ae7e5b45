/**
 * tshd's remote streamlocal forwarding (streamlocal-forward@openssh.com, forwarded-streamlocal
 * channels) with OpenSSH's ssh and with tsh as clients, tshd running as root for a user made by
 * the test: `-R /path/sock:host:port` moves 20 MiB with equal sha256; the socket is the user's
 * (bound in the user's worker: a directory the user may not write is refused), made under
 * StreamLocalBindMask, a stale one replaced only with StreamLocalBindUnlink; it is removed on
 * cancel (ssh -O cancel) and on disconnect; AllowStreamLocalForwarding (both directions),
 * DisableForwarding and no-port-forwarding refuse.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHome, type ClientHome } from '../helpers/client.js';
import { freePort } from '../helpers/sshd.js';
import { startTshd, type Tshd } from '../helpers/tshd.js';
import {
  createUser, hashServer, runTo, sendForDigest, sha256, startBg, trustTshd, tshdTarget, waitFor, waitPort,
  type TestServer, type TestUser,
} from './tsh-forward-util.js';

let user: TestUser;
let home: ClientHome;
let sink: TestServer;
const data = randomBytes(20 * 1024 * 1024);
const digest = sha256(data);

beforeAll(async () => {
  user = createUser('tshdsl');
  home = clientHome();
  user.authorize([home.pub]);
  sink = await hashServer();
});

afterAll(async () => {
  await sink?.close();
  user?.remove();
  home?.cleanup();
});

async function withTshd<T>(config: readonly string[], body: (t: Tshd) => Promise<T>): Promise<T> {
  const t = await startTshd(['PerSourcePenalties no', ...config]);
  trustTshd(home, t);
  try {
    return await body(t);
  } finally {
    await t.stop();
  }
}

let n = 0;
/** A fresh socket path in the user's home. */
const sockPath = (): string => join(user.home, `fwd${n++}.sock`);

describe('tshd remote streamlocal forwarding', () => {
  for (const prog of ['ssh', 'tsh'] as const) {
    it(`${prog} -R /path:host:port moves 20 MiB intact; the socket is the user's (0600) and is removed on disconnect`, async () => {
      await withTshd([], async (t) => {
        const path = sockPath();
        const bg = startBg(prog, tshdTarget(t, user.name, ['-N', '-R', `${path}:127.0.0.1:${sink.port}`]), home.home);
        try {
          await waitFor(() => existsSync(path), `${path} to appear; ${prog}: ${bg.stderr()}\n${t.log()}`);
          const st = statSync(path);
          expect(st.isSocket()).toBe(true);
          expect(st.uid).toBe(user.uid);
          expect(st.mode & 0o777).toBe(0o600);
          expect(await sendForDigest(path, data)).toBe(digest);
        } finally {
          await bg.stop();
        }
        await waitFor(() => !existsSync(path), `${path} to be removed after the disconnect`);
        expect(bg.stderr()).toBe('');
      });
    });
  }

  it('for root (no worker: bound in tshd\'s process) the same, and removed on disconnect', async () => {
    const keys = join(home.home, 'root_keys');
    writeFileSync(keys, `${home.pub}\n`, { mode: 0o600 });
    await withTshd([`AuthorizedKeysFile ${keys}`, 'StrictModes no'], async (t) => {
      const path = join(home.home, 'root.sock');
      const bg = startBg('tsh', tshdTarget(t, 'root', ['-N', '-R', `${path}:127.0.0.1:${sink.port}`]), home.home);
      try {
        await waitFor(() => existsSync(path), `${path} to appear; ${bg.stderr()}\n${t.log()}`);
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(await sendForDigest(path, data)).toBe(digest);
      } finally {
        await bg.stop();
      }
      await waitFor(() => !existsSync(path), `${path} to be removed after the disconnect`);
    });
  });

  it('ssh -O cancel -R removes the socket; the connection goes on', async () => {
    await withTshd([], async (t) => {
      const path = sockPath();
      const ctl = join(home.home, 'ctl');
      const master = startBg('ssh', ['-M', '-S', ctl, ...tshdTarget(t, user.name, ['-N', '-R', `${path}:127.0.0.1:${sink.port}`])], home.home);
      try {
        await waitFor(() => existsSync(path) && existsSync(ctl), `${path} and ${ctl}; ssh: ${master.stderr()}`);
        expect(await sendForDigest(path, Buffer.from('before cancel'))).toBe(sha256(Buffer.from('before cancel')));
        const cancel = await runTo('ssh', ['-S', ctl, '-O', 'cancel', '-R', `${path}:127.0.0.1:${sink.port}`, ...tshdTarget(t, user.name)], home.home);
        expect(cancel.code, cancel.stderr).toBe(0);
        await waitFor(() => !existsSync(path), `${path} to be removed by the cancel`);
        const echo = await runTo('ssh', ['-S', ctl, ...tshdTarget(t, user.name), 'echo still here'], home.home);
        expect(echo.stdout).toBe('still here\n');
      } finally {
        await master.stop();
      }
    });
  });

  it('a directory the user may not write is refused (bound as the user), as sshd logs it', async () => {
    const dir = join(user.home, 'rootonly');
    mkdirSync(dir, { mode: 0o755 });
    await withTshd([], async (t) => {
      const path = join(dir, 'x.sock');
      for (const prog of ['ssh', 'tsh'] as const) {
        const r = await runTo(prog, [...tshdTarget(t, user.name, ['-o', 'ExitOnForwardFailure=yes', '-R', `${path}:127.0.0.1:${sink.port}`]), 'sleep 5'], home.home);
        expect(r.code).toBe(255);
        expect(r.stderr).toBe(`Error: remote port forwarding failed for listen path ${path}\r\n`);
      }
      // The line comes from the protocol process through the monitor: maybe just after the client has its answer.
      await t.waitLog(`unix_listener: cannot bind to path ${path}: Permission denied`);
      expect(existsSync(path)).toBe(false);
    });
  });

  it('StreamLocalBindMask sets the mode; a stale socket is replaced only with StreamLocalBindUnlink', async () => {
    const path = sockPath();
    // A stale socket of the user's: bound by a process that exits without removing it.
    execFileSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '/usr/bin/python3', '-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    expect(statSync(path).isSocket()).toBe(true);
    await withTshd([], async (t) => {
      const r = await runTo('ssh', [...tshdTarget(t, user.name, ['-o', 'ExitOnForwardFailure=yes', '-R', `${path}:127.0.0.1:${sink.port}`]), 'sleep 5'], home.home);
      expect(r.stderr).toBe(`Error: remote port forwarding failed for listen path ${path}\r\n`);
      await t.waitLog(`unix_listener: cannot bind to path ${path}: Address already in use`);
    });
    await withTshd(['StreamLocalBindUnlink yes', 'StreamLocalBindMask 0111'], async (t) => {
      const bg = startBg('tsh', tshdTarget(t, user.name, ['-N', '-R', `${path}:127.0.0.1:${sink.port}`]), home.home);
      try {
        await waitFor(() => existsSync(path) && (statSync(path).mode & 0o777) === 0o666, `${path} rebound 0666; ${bg.stderr()}${t.log()}`);
        expect(await sendForDigest(path, data)).toBe(digest);
      } finally {
        await bg.stop();
      }
    });
  });

  for (const [name, config, keyOption, remoteOk, localOk] of [
    ['AllowStreamLocalForwarding no', ['AllowStreamLocalForwarding no'], '', false, false],
    ['AllowStreamLocalForwarding local', ['AllowStreamLocalForwarding local'], '', false, true],
    ['AllowStreamLocalForwarding remote', ['AllowStreamLocalForwarding remote'], '', true, false],
    ['AllowStreamLocalForwarding all', ['AllowStreamLocalForwarding all'], '', true, true],
    ['DisableForwarding yes', ['DisableForwarding yes'], '', false, false],
    ['Match User with AllowStreamLocalForwarding no', ['Match User tshdsl*', 'AllowStreamLocalForwarding no'], '', false, false],
    ['no-port-forwarding', [], 'no-port-forwarding ', false, false],
  ] as const) {
    it(`${name}: remote ${remoteOk ? 'allowed' : 'refused'}, local ${localOk ? 'allowed' : 'refused'}`, async () => {
      user.authorize([`${keyOption}${home.pub}`]);
      try {
        await withTshd(config, async (t) => {
          // Remote: tsh -R to a socket, with ExitOnForwardFailure.
          const path = sockPath();
          const r = await runTo('tsh', [...tshdTarget(t, user.name, ['-o', 'ExitOnForwardFailure=yes', '-R', `${path}:127.0.0.1:${sink.port}`]), `test -S ${path} && echo bound`], home.home);
          if (remoteOk) expect(r).toMatchObject({ code: 0, stdout: 'bound\n', stderr: '' });
          else expect(r).toMatchObject({ code: 255, stdout: '', stderr: `Error: remote port forwarding failed for listen path ${path}\r\n` });
          // Local (direct-streamlocal): ssh -L to a unix socket the user may connect to.
          const target = join(user.home, `target${n++}.sock`);
          const srv = createServer({ allowHalfOpen: true }, (s) => {
            const h: Buffer[] = [];
            s.on('data', (d: Buffer) => h.push(d));
            s.on('end', () => s.end(sha256(Buffer.concat(h))));
            s.on('error', () => undefined);
          });
          await new Promise<void>((res) => srv.listen(target, () => res()));
          chownSync(target, user.uid, user.gid);
          const lport = await freePort();
          const bg = startBg('ssh', tshdTarget(t, user.name, ['-N', '-L', `${lport}:${target}`]), home.home);
          try {
            await waitPort(lport);
            const got = await sendForDigest(lport, Buffer.from('local streamlocal'));
            if (localOk) expect(got).toBe(sha256(Buffer.from('local streamlocal')));
            else {
              expect(got).toBe('');
              await bg.waitStderr(/open failed/);
              // (waitPort's probe was refused too)
              expect(bg.stderr()).toMatch(/^(channel \d+: open failed: administratively prohibited: open failed\r\n)+$/);
            }
          } finally {
            await bg.stop();
            srv.close();
          }
        });
      } finally {
        user.authorize([home.pub]);
      }
    });
  }
});
