#!/usr/bin/env node
/**
 * SFTP side by side on 127.0.0.1, in one run, alternating (medians):
 *   - the client: tsh-sftp vs OpenSSH sftp, both against OpenSSH sshd (its sftp-server);
 *   - the server: OpenSSH sftp against tshd (internal-sftp) vs against sshd.
 * Cases: a 1 GiB download and upload, and a tree of 1,000 files of 4 KiB (get -r, put -r).
 * Every run is a whole `-b batch` session (connection included) into a fresh destination; the first
 * run of each case is checked (sha256 of the file, or of every file of the tree).
 * Prints MB/s (or ms) and the ratios, as throughput: > 1.0x means faster than OpenSSH. Target:
 * every ratio >= 1.0x.
 *
 * Run as root (sshd needs it; tshd serves system accounts only as root), after a build; both
 * daemons serve the current user (root) with the same host key and authorized_keys:
 *   npm run build && node bench/sftp.mjs [--runs 3] [--tree-runs 5] [--size 1024] [--files 1000]
 * The clients keep their default ciphers (sftp: chacha20-poly1305; tsh-sftp: aes128-gcm first);
 * the kex is curve25519-sha256 for all.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median, waitFor } from './common.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSHD = join(ROOT, 'dist', 'bin', 'tshd.js');
const TSH_SFTP = join(ROOT, 'dist', 'bin', 'tsh-sftp.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const TREE_RUNS = arg('--tree-runs', 5);
const SIZE_MIB = arg('--size', 1024);
const FILES = arg('--files', 1000);
// Profiling: TSH_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' goes to tsh-sftp's and tshd's node.
const nodeArgs = (process.env.TSH_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;

if (process.getuid() !== 0) {
  console.error('bench/sftp.mjs: run it as root (sshd needs it; tshd serves system accounts only as root)');
  process.exit(2);
}
for (const f of [TSHD, TSH_SFTP]) {
  if (!existsSync(f)) {
    console.error(`bench/sftp.mjs: ${f} is missing: build first (npm run build)`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tsh-bench-sftp-'));
const home = join(dir, 'home');
const data = join(dir, 'data');
const out = join(dir, 'out');
mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
mkdirSync(data);
mkdirSync(out);
const key = join(home, '.ssh', 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${key}.pub`));
const daemons = [];

function cleanup() {
  for (const d of daemons) {
    try {
      d.kill('SIGTERM');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function startDaemon(name, argv, subsystem) {
  const port = await freePort();
  const cfg = join(dir, `${name}_config`);
  writeFileSync(
    cfg,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PidFile none',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      `Subsystem sftp ${subsystem}`,
      '',
    ].join('\n'),
  );
  const child = spawn(argv[0], [...argv.slice(1), '-D', '-e', '-f', cfg, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C' } });
  daemons.push(child);
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await waitFor(() => log.includes(`Server listening on 127.0.0.1 port ${port}`), 10_000, () => `${name} did not start: ${log}`);
  return port;
}

/** A file of `mib` MiB (random 16 MiB blocks repeated: nothing compresses it on the way). */
function makeBig(path, mib) {
  const block = randomBytes(16 * 1024 * 1024);
  const fd = openSync(path, 'w');
  for (let left = mib * 1024 * 1024; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
  closeSync(fd);
}

/** FILES files of 4 KiB in subdirectories of 100. */
function makeTree(root, files) {
  for (let i = 0; i < files; i++) {
    const d = join(root, `d${String(Math.floor(i / 100)).padStart(2, '0')}`);
    if (i % 100 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${String(i % 100).padStart(3, '0')}`), randomBytes(4096));
  }
}

/** sha256 of a file, or of every file under a directory (sorted relative paths and contents). */
function digest(path) {
  const h = createHash('sha256');
  const walk = (p, rel) => {
    if (statSync(p).isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n), `${rel}/${n}`);
    else h.update(`${rel}\0`).update(readFileSync(p));
  };
  if (statSync(path).isDirectory()) walk(path, '');
  else h.update(readFileSync(path));
  return h.digest('hex');
}

try {
  const sshdPort = await startDaemon('sshd', ['/usr/sbin/sshd'], '/usr/lib/openssh/sftp-server');
  const tshdPort = await startDaemon('tshd', [process.execPath, ...nodeArgs, TSHD], 'internal-sftp');
  const hostPub = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const knownHosts = join(home, '.ssh', 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshdPort} ${hostPub}\n[127.0.0.1]:${tshdPort} ${hostPub}\n`);
  const user = userInfo().username;
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C' };

  const clients = {
    'sftp→sshd': ['/usr/bin/sftp', [], sshdPort],
    'tsh-sftp→sshd': [process.execPath, [...nodeArgs, TSH_SFTP], sshdPort],
    'sftp→tshd': ['/usr/bin/sftp', [], tshdPort],
  };
  const session = (who, script) => {
    const [file, pre, port] = clients[who];
    const batch = join(dir, 'batch');
    writeFileSync(batch, script);
    const args = [...pre, '-F', '/dev/null', '-b', batch, '-P', String(port), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'KexAlgorithms=curve25519-sha256', `${user}@127.0.0.1`];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${who}: ${script.trim()}: exit ${r.status}: ${r.stderr}`);
    return ms;
  };

  const big = join(data, 'big.bin');
  const tree = join(data, 'tree');
  console.log(`preparing ${SIZE_MIB} MiB and ${FILES} files of 4 KiB in ${dir} ...`);
  makeBig(big, SIZE_MIB);
  makeTree(tree, FILES);
  const bigSum = digest(big);
  const treeSum = digest(tree);

  const cases = [
    { name: 'download', what: `${SIZE_MIB} MiB`, runs: RUNS, script: (d) => `get ${big} ${d}\n`, sum: bigSum, bytes: SIZE_MIB * 1048576 },
    { name: 'upload', what: `${SIZE_MIB} MiB`, runs: RUNS, script: (d) => `put ${big} ${d}\n`, sum: bigSum, bytes: SIZE_MIB * 1048576 },
    { name: 'get -r', what: `${FILES} x 4 KiB`, runs: TREE_RUNS, script: (d) => `get -r ${tree} ${d}\n`, sum: treeSum },
    { name: 'put -r', what: `${FILES} x 4 KiB`, runs: TREE_RUNS, script: (d) => `put -r ${tree} ${d}\n`, sum: treeSum },
  ].filter((c) => ONLY === null || ONLY.includes(c.name));

  // Warm-up: connections, page cache, JIT.
  for (const who of Object.keys(clients)) session(who, `ls ${data}\n`);

  const rows = [];
  let k = 0;
  for (const c of cases) {
    const times = Object.fromEntries(Object.keys(clients).map((w) => [w, []]));
    for (let i = 0; i < c.runs; i++) {
      for (const who of Object.keys(clients)) {
        const dest = join(out, `r${k++}`);
        times[who].push(session(who, c.script(dest)));
        if (i === 0 && digest(dest) !== c.sum) throw new Error(`${who} ${c.name}: the copy differs from the original`);
        rmSync(dest, { recursive: true, force: true });
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([w, t]) => [w, median(t)]));
    const show = (ms) => (c.bytes ? `${((c.bytes / 1e6) / (ms / 1000)).toFixed(0).padStart(5)} MB/s` : `${ms.toFixed(0).padStart(6)} ms`);
    const client = m['sftp→sshd'] / m['tsh-sftp→sshd'];
    const server = m['sftp→sshd'] / m['sftp→tshd'];
    rows.push([c, client, server]);
    console.log(
      `${`${c.name} ${c.what}`.padEnd(20)} sftp→sshd ${show(m['sftp→sshd'])}   tsh-sftp→sshd ${show(m['tsh-sftp→sshd'])}  ${client.toFixed(2)}x   sftp→tshd ${show(m['sftp→tshd'])}  ${server.toFixed(2)}x   (median of ${c.runs})`,
    );
  }
  console.log('ratios are OpenSSH time / ours (throughput): tsh-sftp vs sftp against sshd; tshd vs sshd for sftp. Target >= 1.00x.');
} catch (err) {
  console.error(`bench/sftp.mjs: ${err.message}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
