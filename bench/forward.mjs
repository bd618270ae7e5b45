#!/usr/bin/env node
/**
 * Throughput through a local forward, tsh vs OpenSSH ssh side by side: `-N -L P:127.0.0.1:SINK`
 * against the same OpenSSH sshd (same kex), one stream of SIZE bytes written into P and counted at
 * the sink. Each round runs ssh then tsh; the medians are printed with the ratio tsh/ssh
 * (target >= 1.0x). With --tshd, the same pair again against tshd (serving the current user).
 * ssh keeps its default cipher (chacha20-poly1305) and tsh its own (aes128-gcm first), as
 * bench/client.mjs; --cipher NAME gives both the same one.
 * Usage: npm run build && node bench/forward.mjs [--runs 3] [--size 1024] [--cipher NAME] [--tshd]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median, waitFor } from './common.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSH = join(ROOT, 'dist', 'bin', 'tsh.js');
const TSHD = join(ROOT, 'dist', 'bin', 'tshd.js');
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', 3));
const SIZE = Number(opt('--size', 1024)) * 1024 * 1024;
const CIPHER = opt('--cipher', null);
const WITH_TSHD = process.argv.includes('--tshd');

const dir = mkdtempSync(join(tmpdir(), 'tsh-bench-fwd-'));
const home = join(dir, 'home');
execFileSync('mkdir', ['-p', '-m', '700', join(home, '.ssh')]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(home, '.ssh', 'id_ed25519.pub')));
const hostPub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
const serverConfig = (name) => {
  const path = join(dir, `${name}_config`);
  writeFileSync(
    path,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, `${name}.pid`)}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      ...(name === 'tshd' ? ['PerSourcePenalties no'] : []),
    ].join('\n') + '\n',
  );
  return path;
};

/** Starts a daemon in the foreground; resolves once it logs that it listens. */
async function startDaemon(name, file, args) {
  const port = await freePort();
  const child = spawn(file, [...args, '-D', '-e', '-f', serverConfig(name), '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await waitFor(() => /Server listening on 127\.0\.0\.1 port/.test(log), 10_000, () => `${name} did not start: ${log}`);
  return { name, port, stop: () => child.kill('SIGTERM') };
}

/**
 * Counts what arrives; `next()` resolves with the time the next stream with data sent its EOF
 * (the empty connections of port probes are left out).
 */
async function sink() {
  let done = null;
  const server = createServer((s) => {
    let n = 0;
    s.on('data', (d) => (n += d.length));
    s.on('end', () => {
      s.end();
      if (n > 0) done?.({ at: process.hrtime.bigint(), bytes: n });
    });
    s.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    next: () => new Promise((r) => (done = r)),
    close: () => server.close(),
  };
}

/** Writes SIZE bytes into 127.0.0.1:port (1 MiB writes, with backpressure), then EOF. */
function source(port) {
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.on('error', reject);
    s.on('connect', () => {
      let left = SIZE;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    s.on('end', () => resolve());
    s.resume();
  });
}

/** Waits (bounded) until 127.0.0.1:port accepts a connection. */
async function listening(port, message) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}

const env = { PATH: process.env.PATH, HOME: home, LANG: 'C' };
const user = userInfo().username;

/** One stream through `which` -L to daemon `d`: MB/s. */
async function once(which, d, out) {
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${d.port} ${hostPub}\n`);
  const lport = await freePort();
  const args = [
    '-N', '-p', String(d.port), '-o', 'BatchMode=yes', '-o', 'KexAlgorithms=curve25519-sha256', '-o', `UserKnownHostsFile=${home}/.ssh/known_hosts`,
    '-i', `${home}/.ssh/id_ed25519`, ...(CIPHER ? ['-o', `Ciphers=${CIPHER}`] : []), '-L', `${lport}:127.0.0.1:${out.port}`, `${user}@127.0.0.1`,
  ];
  const child = which === 'ssh' ? spawn('/usr/bin/ssh', args, { env, stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(process.execPath, [TSH, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    await listening(lport, () => `${which} -L did not listen: ${err}`);
    const next = out.next();
    const t0 = process.hrtime.bigint();
    await source(lport);
    const { at, bytes } = await next;
    if (bytes !== SIZE) throw new Error(`${which}: ${bytes} bytes arrived of ${SIZE}: ${err}`);
    return SIZE / 1e6 / (Number(at - t0) / 1e9);
  } finally {
    child.kill('SIGTERM');
  }
}

async function pair(d, out) {
  const mbps = { ssh: [], tsh: [] };
  for (let i = 0; i < RUNS; i++) for (const w of ['ssh', 'tsh']) mbps[w].push(await once(w, d, out));
  const s = median(mbps.ssh);
  const t = median(mbps.tsh);
  console.log(
    `-L ${SIZE / 1048576} MiB via ${d.name.padEnd(4)} (median of ${RUNS}${CIPHER ? `, ${CIPHER}` : ''}):  ssh ${s.toFixed(0)} MB/s   tsh ${t.toFixed(0)} MB/s   tsh/ssh ${(t / s).toFixed(2)}x   (target >= 1.00x)`,
  );
}

execFileSync('mkdir', ['-p', '/run/sshd']);
const out = await sink();
const daemons = [await startDaemon('sshd', '/usr/sbin/sshd', [])];
try {
  if (WITH_TSHD) daemons.push(await startDaemon('tshd', process.execPath, [TSHD]));
  for (const d of daemons) await pair(d, out);
} finally {
  for (const d of daemons) d.stop();
  out.close();
  rmSync(dir, { recursive: true, force: true });
}
