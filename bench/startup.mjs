#!/usr/bin/env node
/**
 * Start-up: the single executable (npm run dist) vs `node dist/bin/...`, side by side, with
 * OpenSSH's programs as the reference:
 *   - `tsh -V`                       (vs `ssh -V`)
 *   - `tsh-keygen -l -f key`         (vs `ssh-keygen -l -f key`)
 *   - `tsh host true` to an OpenSSH sshd on 127.0.0.1  (vs `ssh host true`)
 * Runs are interleaved; each figure is the median of N. Target (issue 7): the SEA no slower than
 * plain node (SEA/node <= 1.00x).
 * Usage: npm run build && npm run dist && node bench/startup.mjs [--runs N] [--sea BINDIR] [--alt BINDIR]
 *   --alt: a second SEA in its own column, e.g. one built without the code cache:
 *          node scripts/dist.mjs --no-tar --no-code-cache --out /tmp/nocc
 *          node bench/startup.mjs --alt /tmp/nocc/tsh-VERSION-linux-x64/bin
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSshd, median } from './common.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', 21));
const SEA_BIN = opt('--sea', join(ROOT, 'release', `tsh-${version}-linux-x64`, 'bin'));
const ALT_BIN = opt('--alt', null);
for (const f of [join(SEA_BIN, 'tsh'), join(ROOT, 'dist', 'bin', 'tsh.js'), ...(ALT_BIN ? [join(ALT_BIN, 'tsh')] : [])]) {
  if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build && npm run dist first`);
}

const { home, key, port, stop: stopSshd } = await benchSshd();

const env = { PATH: process.env.PATH, HOME: home, LANG: 'C' };
const dest = ['-p', String(port), '-o', 'BatchMode=yes', '-o', 'KexAlgorithms=curve25519-sha256', '-o', `UserKnownHostsFile=${home}/.ssh/known_hosts`, '-i', key, `${userInfo().username}@127.0.0.1`, 'true'];

/** name → { openssh, sea, node, alt? } commands ([file, args]). */
const seaCase = (tool, args) => ({ sea: [join(SEA_BIN, tool), args], ...(ALT_BIN ? { alt: [join(ALT_BIN, tool), args] } : {}) });
const CASES = {
  '-V': {
    openssh: ['/usr/bin/ssh', ['-V']],
    ...seaCase('tsh', ['-V']),
    node: [process.execPath, [join(ROOT, 'dist', 'bin', 'tsh.js'), '-V']],
  },
  'keygen -l -f key': {
    openssh: ['/usr/bin/ssh-keygen', ['-l', '-f', key]],
    ...seaCase('tsh-keygen', ['-l', '-f', key]),
    node: [process.execPath, [join(ROOT, 'dist', 'bin', 'tsh-keygen.js'), '-l', '-f', key]],
  },
  'host true': {
    openssh: ['/usr/bin/ssh', dest],
    ...seaCase('tsh', dest),
    node: [process.execPath, [join(ROOT, 'dist', 'bin', 'tsh.js'), ...dest]],
  },
};
const WHO = ['openssh', 'sea', 'node', ...(ALT_BIN ? ['alt'] : [])];
let retries = 0;

/** One timed run; a failed one (a loaded machine can drop a connection) is retried once, and counted. */
function timeOnce([file, args], again = true) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status === 0) return ms;
  if (!again) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  retries++;
  return timeOnce([file, args], false);
}

try {
  console.log(`start-up, median of ${RUNS} (interleaved), ms; SEA: ${SEA_BIN}`);
  if (ALT_BIN) console.log(`alt: ${ALT_BIN}`);
  console.log(`case                 openssh      SEA     node   SEA/node   SEA/openssh${ALT_BIN ? '      alt   alt/node' : ''}`);
  for (const [name, c] of Object.entries(CASES)) {
    for (const w of WHO) timeOnce(c[w]); // warm the page cache
    const t = Object.fromEntries(WHO.map((w) => [w, []]));
    for (let i = 0; i < RUNS; i++) for (const w of WHO) t[w].push(timeOnce(c[w]));
    const [o, s, n, a] = WHO.map((w) => median(t[w]));
    const alt = a === undefined ? '' : `${a.toFixed(1).padStart(9)} ${`${(a / n).toFixed(2)}x`.padStart(10)}`;
    console.log(`${name.padEnd(18)} ${o.toFixed(1).padStart(8)} ${s.toFixed(1).padStart(8)} ${n.toFixed(1).padStart(8)} ${`${(s / n).toFixed(2)}x`.padStart(10)} ${`${(s / o).toFixed(2)}x`.padStart(13)}${alt}`);
  }
  console.log(`target: SEA/node <= 1.00x${retries ? ` (${retries} failed run(s) retried)` : ''}`);
} finally {
  stopSshd();
}
