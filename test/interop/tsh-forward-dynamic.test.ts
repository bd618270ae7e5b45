/**
 * tsh -D / DynamicForward against a real OpenSSH sshd: curl through tsh's SOCKS server with
 * SOCKS5 (remote DNS of "localhost" and a local address), SOCKS4 and SOCKS4a, moving 20 MiB with
 * equal sha256, many requests at once, and the SOCKS failure replies (ssh itself answers "granted"
 * first and then drops the connection; tsh answers with the failure, deliberately).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, target, trustSshd, type ClientHome } from '../helpers/client.js';
import { blobServer, curl, startBg, waitPort, type Bg } from './tsh-forward-util.js';

let sshd: Sshd;
let home: ClientHome;
let blob: Awaited<ReturnType<typeof blobServer>>;
let socksPort: number;
let tsh: Bg;

beforeAll(async () => {
  home = clientHome();
  sshd = await startSshd({ authorizedKeys: [home.pub] });
  trustSshd(home, sshd);
  blob = await blobServer(20 * 1024 * 1024 + 3);
  socksPort = await freePort();
  tsh = startBg('tsh', target(sshd, ['-N', '-D', `127.0.0.1:${socksPort}`]), home.home);
  await waitPort(socksPort);
});

afterAll(async () => {
  await tsh?.stop();
  await blob?.close();
  await sshd?.stop();
  home?.cleanup();
});

/** Sends raw SOCKS bytes, returns everything the server answered before closing. */
function rawSocks(bytes: Buffer[], timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(socksPort, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close from the SOCKS server; got ${Buffer.concat(got).toString('hex')}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on('error', () => undefined);
    for (const b of bytes) s.write(b);
  });
}

describe('tsh -D', () => {
  it.each([
    ['--socks5-hostname', 'localhost'],
    ['--socks5', '127.0.0.1'],
    ['--socks4', '127.0.0.1'],
    ['--socks4a', 'localhost'],
  ])('curl %s to %s: 20 MiB with equal sha256', async (how, host) => {
    const r = await curl([how, `127.0.0.1:${socksPort}`, `http://${host}:${blob.port}/`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.sha).toBe(blob.sha);
  });

  it('serves 16 requests at once', async () => {
    const rs = await Promise.all(Array.from({ length: 16 }, () => curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, `http://localhost:${blob.port}/`])));
    for (const r of rs) expect(r.sha).toBe(blob.sha);
  });

  it('answers a refused SOCKS5 CONNECT with reply 5 and logs it as ssh does', async () => {
    const closed = await freePort();
    const before = tsh.stderr().length;
    const name = Buffer.from('localhost');
    const port = Buffer.alloc(2);
    port.writeUInt16BE(closed);
    const got = await rawSocks([Buffer.of(5, 1, 0), Buffer.concat([Buffer.of(5, 1, 0, 3, name.length), name, port])]);
    expect([...got]).toEqual([5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    await tsh.waitStderr(/open failed: connect failed: Connection refused\r\n$/);
    expect(tsh.stderr().slice(before)).toMatch(/^channel \d+: open failed: connect failed: Connection refused\r\n$/);
  });

  it('answers a refused SOCKS4 CONNECT with 91', async () => {
    const closed = await freePort();
    const req = Buffer.of(4, 1, closed >> 8, closed & 0xff, 127, 0, 0, 1, 0);
    expect([...(await rawSocks([req]))]).toEqual([0, 91, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses SOCKS5 without the no-auth method, and BIND', async () => {
    expect([...(await rawSocks([Buffer.of(5, 1, 2)]))]).toEqual([5, 0xff]);
    expect([...(await rawSocks([Buffer.of(5, 1, 0), Buffer.of(5, 2, 0, 1, 127, 0, 0, 1, 0, 80)]))]).toEqual([5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});
