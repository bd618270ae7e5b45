#!/usr/bin/env node
/**
 * tsh vs OpenSSH ssh, side by side against the same OpenSSH sshd on 127.0.0.1 (same kex):
 *   - latency: `tsh host true` vs `ssh host true` (median of N runs)
 *   - bulk: `tsh host 'head -c SIZE /dev/zero' > /dev/null` vs ssh with its default cipher
 * Prints the numbers and the ratios. Targets (issue 3): latency <= 1.3x ssh, throughput >= 1.0x.
 * Usage: npm run build && node bench/client.mjs [--runs N] [--size MiB]
 */
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSshd, median } from './common.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSH = join(ROOT, 'dist', 'bin', 'tsh.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 15);
const SIZE_MIB = arg('--size', 1024);

const { home, port, stop: stopSshd } = await benchSshd();

const user = userInfo().username;
const env = { PATH: process.env.PATH, HOME: home, LANG: 'C' };
// Same kex for both; ssh keeps its default cipher (chacha20-poly1305), tsh its own default.
const common = ['-p', String(port), '-o', 'BatchMode=yes', '-o', 'KexAlgorithms=curve25519-sha256', '-o', `UserKnownHostsFile=${home}/.ssh/known_hosts`, '-i', `${home}/.ssh/id_ed25519`, `${user}@127.0.0.1`];
const cmd = {
  ssh: (remote) => ['/usr/bin/ssh', [...common, remote]],
  tsh: (remote) => [process.execPath, [TSH, ...common, remote]],
};

function timeOnce(which, remote, stdout = 'ignore') {
  const [file, args] = cmd[which](remote);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, stdio: ['ignore', stdout, 'pipe'], maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${which} ${remote}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

try {
  timeOnce('ssh', 'true');
  timeOnce('tsh', 'true');
  const lat = { ssh: [], tsh: [] };
  for (let i = 0; i < RUNS; i++) for (const w of ['ssh', 'tsh']) lat[w].push(timeOnce(w, 'true'));
  const ls = median(lat.ssh);
  const lt = median(lat.tsh);
  console.log(`latency  (median of ${RUNS}, 'true'):  ssh ${ls.toFixed(1)} ms   tsh ${lt.toFixed(1)} ms   tsh/ssh ${(lt / ls).toFixed(2)}x   (target <= 1.30x)`);

  const bulk = { ssh: [], tsh: [] };
  const remote = `head -c ${SIZE_MIB}M /dev/zero`;
  for (let i = 0; i < 3; i++) for (const w of ['ssh', 'tsh']) bulk[w].push(timeOnce(w, remote));
  const mbps = (ms) => (SIZE_MIB * 1.048576) / (ms / 1000);
  const bs = mbps(median(bulk.ssh));
  const bt = mbps(median(bulk.tsh));
  console.log(`bulk     (${SIZE_MIB} MiB to /dev/null):   ssh ${bs.toFixed(0)} MB/s   tsh ${bt.toFixed(0)} MB/s   tsh/ssh ${(bt / bs).toFixed(2)}x   (target >= 1.00x)`);
} finally {
  stopSshd();
}
