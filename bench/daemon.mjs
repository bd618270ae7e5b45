#!/usr/bin/env node
/**
 * tshd vs OpenSSH sshd, side by side on 127.0.0.1, with OpenSSH's `ssh` as the client (same kex,
 * same host key, same authorized_keys, same machine; medians):
 *   1. latency: `ssh host true` (median of --runs, alternating between the daemons)
 *   2. memory: --conns idle authenticated connections of one user to each daemon in turn; the
 *      PSS (/proc/PID/smaps_rollup) summed over the daemon's process tree (sshd: the listener and
 *      its per-connection children; tshd: its one process and any children), and the `ssh host
 *      true` latency while those connections stay open.
 * Prints the numbers and the ratios tshd/sshd. Targets: latency <= 1.0x, memory < 1.0x.
 *
 * The idle connections come from one Node process using ssh2's Client (--holder ssh2, default:
 * curve25519-sha256, chacha20-poly1305, no channels) or from one `ssh -N` process each
 * (--holder ssh). Either way the same holder serves both daemons.
 *
 * Run as root (tshd serves system accounts only as root; sshd needs it) after a build:
 *   npx tsc -p tsconfig.build.json && node bench/daemon.mjs [--runs 15] [--conns 500]
 *     [--parallel 50] [--holder ssh2|ssh] [--settle 2] [--user NAME]
 * --user logs in as another account (default: the current one, root). sshd serves root in one
 * process per connection (no privilege separation after auth); any other user costs it two.
 * Needs an open-files limit above --conns (+256): `ulimit -n 4096` first if it is lower.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './common.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSHD = join(ROOT, 'dist', 'bin', 'tshd.js');
const SSHD = '/usr/sbin/sshd';
const KEX = 'curve25519-sha256';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.argv[2] === '--hold') await hold(process.argv.slice(3));
else {
  await main().catch((err) => {
    console.error(`bench/daemon.mjs: ${err.message}`);
    process.exitCode = 1;
  });
}

// ---------------------------------------------------------------------------------------------
// The holder: opens N authenticated idle connections, reports on stdout, holds them until
// SIGTERM or until its stdin closes (the bench went away).
//   ready I | error I MSG | lost I | done OK FAILED
// ---------------------------------------------------------------------------------------------
async function hold([mode, port, user, keyFile, knownHosts, hostPubB64, n, parallel]) {
  const total = Number(n);
  const out = (line) => process.stdout.write(`${line}\n`);
  const held = [];
  let next = 0;
  let ok = 0;
  let failed = 0;

  let connectOne;
  if (mode === 'ssh2') {
    const { default: ssh2 } = await import('ssh2');
    const privateKey = readFileSync(keyFile);
    connectOne = (i) =>
      new Promise((resolve, reject) => {
        const c = new ssh2.Client();
        let ready = false;
        c.on('ready', () => {
          ready = true;
          held.push({ stop: () => c.end() });
          resolve();
        });
        c.on('error', (err) => {
          if (!ready) reject(err);
        });
        c.on('close', () => {
          if (ready) out(`lost ${i}`);
          else reject(new Error('closed before authentication'));
        });
        c.connect({
          host: '127.0.0.1',
          port: Number(port),
          username: user,
          privateKey,
          readyTimeout: 120_000,
          algorithms: { kex: [KEX], cipher: ['chacha20-poly1305@openssh.com'], serverHostKey: ['ssh-ed25519'] },
          hostVerifier: (key) => key.toString('base64') === hostPubB64,
        });
      });
  } else {
    connectOne = (i) =>
      new Promise((resolve, reject) => {
        const args = [...sshArgs(port, user, keyFile, knownHosts), '-N', '-o', 'LogLevel=VERBOSE'];
        const child = spawn('/usr/bin/ssh', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C' } });
        let err = '';
        let ready = false;
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (d) => {
          err += d;
          if (!ready && err.includes('Authenticated to ')) {
            ready = true;
            held.push({ stop: () => child.kill('SIGTERM') });
            resolve();
          }
        });
        child.on('exit', (code) => {
          if (ready) out(`lost ${i}`);
          else reject(new Error(`ssh exited ${code}: ${err.trim().split('\n').pop()}`));
        });
      });
  }

  const stop = () => {
    for (const h of held) h.stop();
    setTimeout(() => process.exit(0), 200);
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();

  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        await connectOne(i);
        ok++;
        out(`ready ${i}`);
      } catch (err) {
        failed++;
        out(`error ${i} ${String(err.message).replace(/\s+/g, ' ')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(parallel)) }, worker));
  out(`done ${ok} ${failed}`);
}

/** OpenSSH ssh arguments, identical for both daemons but for the port: no config files. */
function sshArgs(port, user, keyFile, knownHosts) {
  return [
    '-F', '/dev/null',
    '-p', String(port),
    '-i', keyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `KexAlgorithms=${KEX}`,
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    `${user}@127.0.0.1`,
  ];
}

// ---------------------------------------------------------------------------------------------
// /proc helpers
// ---------------------------------------------------------------------------------------------

/** pid → ppid for every process (the field after the last ')' of /proc/PID/stat). */
function parents() {
  const map = new Map();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(e), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** `pid` and all its descendants that exist now. */
function tree(pid) {
  const ppids = parents();
  if (!ppids.has(pid)) return [];
  const kids = new Map();
  for (const [p, pp] of ppids) {
    if (!kids.has(pp)) kids.set(pp, []);
    kids.get(pp).push(p);
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(kids.get(p) ?? []));
  }
  return out;
}

/** PSS and RSS (kB) summed over the process tree of `pid`, and how many processes. */
function memory(pid) {
  let pss = 0;
  let rss = 0;
  let procs = 0;
  for (const p of tree(pid)) {
    try {
      const text = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      procs++;
    } catch {
      // exited meanwhile
    }
  }
  return { pss, rss, procs };
}

/** Established TCP connections whose local port is `port` (server side), from /proc/net/tcp. */
function established(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '01') n++;
    }
  }
  return n;
}

/** The process exists and is not a zombie. */
function alive(pid) {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function openFilesLimit() {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

// ---------------------------------------------------------------------------------------------
// The bench
// ---------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv;
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i > 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const RUNS = Number(opt('--runs', 15));
  const CONNS = Number(opt('--conns', 500));
  const PARALLEL = Number(opt('--parallel', 50));
  const SETTLE_MS = Number(opt('--settle', 2)) * 1000;
  const HOLDER = opt('--holder', 'ssh2');
  const USER = opt('--user', userInfo().username);
  const usage = 'usage: node bench/daemon.mjs [--runs N] [--conns N] [--parallel N] [--settle SECONDS] [--holder ssh2|ssh] [--user NAME]';
  if (argv.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  if (![RUNS, CONNS, PARALLEL].every((x) => Number.isInteger(x) && x > 0) || !(SETTLE_MS >= 0) || !['ssh2', 'ssh'].includes(HOLDER)) {
    console.error(usage);
    process.exit(2);
  }
  if (process.getuid() !== 0) {
    console.error('bench/daemon.mjs: run it as root (sshd needs it; tshd serves system accounts only as root)');
    process.exit(2);
  }
  if (!existsSync(TSHD)) {
    console.error(`bench/daemon.mjs: ${TSHD} is missing: build first (npx tsc -p tsconfig.build.json)`);
    process.exit(2);
  }
  const need = CONNS + 256;
  if (openFilesLimit() < need) {
    console.error(`bench/daemon.mjs: the open-files limit is ${openFilesLimit()}, ${CONNS} connections need ${need}: run \`ulimit -n ${Math.max(4096, need)}\` first`);
    process.exit(2);
  }

  const dir = mkdtempSync(join(tmpdir(), 'tsh-bench-daemon-'));
  const daemons = [];
  const holders = [];
  const cleanup = () => {
    for (const h of holders) {
      try {
        process.kill(-h.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const pids = [];
    for (const d of daemons) pids.push(...tree(d.pid));
    for (const h of holders) pids.push(...tree(h.pid));
    for (const p of pids) {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (let t = 0; t < 60 && pids.some(alive); t++) sleepSync(50);
    for (const p of pids.filter(alive)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of daemons) {
      try {
        closeSync(d.logFd);
      } catch {
        // closed
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await run({ dir, daemons, holders, RUNS, CONNS, PARALLEL, SETTLE_MS, HOLDER, USER });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

async function waitFor(what, ms, cond) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

async function run({ dir, daemons, holders, RUNS, CONNS, PARALLEL, SETTLE_MS, HOLDER, USER: user }) {
  const key = join(dir, 'id_ed25519');
  const hostKey = join(dir, 'host_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench-host', '-f', hostKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  // sshd opens authorized_keys as the user: let another account reach it (the keys stay private).
  if (user !== userInfo().username) {
    chmodSync(dir, 0o711);
    chmodSync(join(dir, 'authorized_keys'), 0o644);
  }
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const config = [
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // Room for every connection of the memory run to be mid-handshake at once.
    `MaxStartups ${CONNS * 2}`,
    'MaxSessions 10',
    'LogLevel INFO',
  ].join('\n') + '\n';
  writeFileSync(join(dir, 'daemon_config'), config);
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const env = { PATH: process.env.PATH, LANG: 'C', HOME: dir };

  const start = async (name, file, args) => {
    const port = await freePort();
    const logFile = join(dir, `${name}.log`);
    const logFd = openSync(logFile, 'a');
    const proc = spawn(file, [...args, '-D', '-e', '-f', join(dir, 'daemon_config'), '-p', String(port)], { stdio: ['ignore', 'ignore', logFd], env });
    const d = { name, proc, pid: proc.pid, port, logFile, logFd, exited: null };
    proc.on('exit', (code, sig) => {
      d.exited = sig ?? code;
    });
    daemons.push(d);
    await waitFor(`${name} to listen (log ${logFile})`, 10_000, () => {
      if (d.exited !== null) throw new Error(`${name} exited (${d.exited}): ${readFileSync(logFile, 'utf8')}`);
      return /Server listening on 127\.0\.0\.1 port/.test(readFileSync(logFile, 'utf8'));
    });
    return d;
  };
  const sshd = await start('sshd', SSHD, []);
  const tshd = await start('tshd', process.execPath, [TSHD]);
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${hostPub}\n[127.0.0.1]:${tshd.port} ${hostPub}\n`);
  const log = (d) => readFileSync(d.logFile, 'utf8');
  const tail = (d) => log(d).split('\n').slice(-21).join('\n');
  const count = (d, re) => (log(d).match(re) ?? []).length;
  const checkAlive = (d) => {
    if (d.exited !== null) throw new Error(`${d.name} exited (${d.exited}); the end of its log:\n${tail(d)}`);
  };

  const ssh = (d, remote, verbose = false) => {
    const args = [...sshArgs(d.port, user, key, knownHosts), ...(verbose ? ['-v'] : []), remote];
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/ssh', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      checkAlive(d);
      throw new Error(`ssh to ${d.name} (port ${d.port}) ${remote}: ${r.error?.message ?? `exit ${r.status}`}: ${r.stderr}`);
    }
    return { ms, stderr: r.stderr };
  };

  // What was negotiated, to show both ran the same algorithms.
  console.log(`machine: ${cpus().length} cpus, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; client OpenSSH ssh; idle conns held by ${HOLDER === 'ssh' ? "one 'ssh -N' each" : "ssh2's Client in one process"}`);
  const negotiated = [];
  for (const d of [sshd, tshd]) {
    const v = ssh(d, 'true', true).stderr;
    const pick = (re) => re.exec(v)?.[1]?.trim() ?? '?';
    const algs = `kex ${pick(/kex: algorithm: (\S+)/)}   hostkey ${pick(/kex: host key algorithm: (\S+)/)}   cipher ${pick(/kex: server->client cipher: (\S+)/)}`;
    negotiated.push(algs);
    console.log(`${d.name}: ${pick(/remote software version (\S+)/).padEnd(15)} ${algs}`);
  }
  if (negotiated[0] !== negotiated[1]) console.log('WARNING: the daemons negotiated different algorithms; the comparison is not like for like');

  // 1. Latency, alternating.
  const lat = { sshd: [], tshd: [] };
  for (let i = 0; i < RUNS; i++) for (const d of [sshd, tshd]) lat[d.name].push(ssh(d, 'true').ms);
  const l0 = { sshd: median(lat.sshd), tshd: median(lat.tshd) };
  console.log(
    `latency         (median of ${RUNS}, ssh host true):   sshd ${l0.sshd.toFixed(1)} ms   tshd ${l0.tshd.toFixed(1)} ms   tshd/sshd ${(l0.tshd / l0.sshd).toFixed(2)}x   (target <= 1.00x)`,
  );

  // 2. Memory with CONNS idle connections, one daemon at a time (the other stays idle).
  const res = {};
  for (const d of [sshd, tshd]) {
    await waitFor(`${d.name}'s connections of the latency runs to close`, 30_000, () => established(d.port) === 0);
    await sleep(SETTLE_MS);
    const idle = memory(d.pid);
    const accepted0 = count(d, /Accepted publickey for /g);
    const holder = spawn(
      process.execPath,
      [SELF, '--hold', HOLDER, String(d.port), user, key, knownHosts, hostPub.split(' ')[1], String(CONNS), String(PARALLEL)],
      { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH, LANG: 'C', HOME: dir } },
    );
    holders.push(holder);
    const h = { ready: 0, errors: [], lost: [], done: false, exited: null, stderr: '' };
    let buf = '';
    holder.stdout.setEncoding('utf8');
    holder.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ready ')) h.ready++;
        else if (line.startsWith('error ')) h.errors.push(line.slice(6));
        else if (line.startsWith('lost ')) h.lost.push(line.slice(5));
        else if (line.startsWith('done ')) h.done = true;
      }
    });
    holder.stderr.setEncoding('utf8');
    holder.stderr.on('data', (c) => {
      h.stderr += c;
    });
    holder.on('exit', (code, sig) => {
      h.exited = sig ?? code;
    });
    const t0 = Date.now();
    await waitFor(`${CONNS} connections to ${d.name} (holder ready ${h.ready}, log "Accepted publickey" ${count(d, /Accepted publickey for /g) - accepted0})`, 60_000 + CONNS * 200, () => {
      checkAlive(d);
      if (h.exited !== null && !h.done) throw new Error(`the holder exited (${h.exited}): ${h.stderr}`);
      return h.done;
    });
    const connectSecs = (Date.now() - t0) / 1000;
    if (h.errors.length > 0) {
      throw new Error(`${h.errors.length} of ${CONNS} connections to ${d.name} failed, e.g. ${h.errors.slice(0, 3).join(' | ')}\n${d.name} log tail:\n${tail(d)}`);
    }
    await waitFor(`${d.name} to log ${CONNS} "Accepted publickey" lines`, 30_000, () => count(d, /Accepted publickey for /g) - accepted0 >= CONNS);
    await sleep(SETTLE_MS);
    checkAlive(d);
    if (h.lost.length > 0) throw new Error(`${d.name} closed ${h.lost.length} idle authenticated connections (e.g. #${h.lost[0]}); log tail:\n${tail(d)}`);
    const est = established(d.port);
    const loaded = memory(d.pid);
    const underLoad = [];
    for (let i = 0; i < RUNS; i++) underLoad.push(ssh(d, 'true').ms);
    if (h.lost.length > 0) throw new Error(`${d.name} closed ${h.lost.length} idle connections during the latency runs`);

    // Close them all; the daemon must let go of every connection (and sshd of every child).
    holder.kill('SIGTERM');
    await waitFor(`the holder of ${d.name} to exit`, 15_000, () => h.exited !== null);
    let closedOk = true;
    try {
      await waitFor(`${d.name} to close its ${CONNS} connections`, 30_000, () => established(d.port) === 0 && tree(d.pid).length <= idle.procs);
    } catch {
      closedOk = false;
    }
    await sleep(SETTLE_MS);
    checkAlive(d);
    const after = memory(d.pid);
    res[d.name] = { idle, loaded, after, est, connectSecs, underLoad: median(underLoad), closedOk, leftConns: established(d.port) };
  }

  const mb = (kb) => (kb / 1024).toFixed(1);
  const s = res.sshd;
  const t = res.tshd;
  const per = (r) => ((r.loaded.pss - r.idle.pss) / CONNS).toFixed(0);
  console.log(
    `memory          (${CONNS} idle conns, PSS of the tree):  sshd ${mb(s.loaded.pss)} MB   tshd ${mb(t.loaded.pss)} MB   tshd/sshd ${(t.loaded.pss / s.loaded.pss).toFixed(3)}x   (target < 1.00x)`,
  );
  for (const [name, r] of [['sshd', s], ['tshd', t]]) {
    console.log(
      `  ${name}: idle ${mb(r.idle.pss)} MB PSS in ${r.idle.procs} proc   loaded ${mb(r.loaded.pss)} MB PSS (RSS sum ${mb(r.loaded.rss)} MB) in ${r.loaded.procs} procs, ${r.est} established   ${per(r)} kB/conn   connected in ${r.connectSecs.toFixed(1)} s   after close ${mb(r.after.pss)} MB in ${r.after.procs} proc${r.closedOk ? '' : `  (NOT all closed: ${r.leftConns} established left)`}`,
    );
  }
  console.log(
    `latency+load    (median of ${RUNS}, ${CONNS} conns open): sshd ${s.underLoad.toFixed(1)} ms   tshd ${t.underLoad.toFixed(1)} ms   tshd/sshd ${(t.underLoad / s.underLoad).toFixed(2)}x   (target <= 1.00x)`,
  );
  for (const d of [sshd, tshd]) {
    const errs = log(d).split('\n').filter((l) => /\berror\b|fatal|exception/i.test(l));
    if (errs.length > 0) console.log(`  ${d.name} logged ${errs.length} error lines, e.g.: ${errs[0].trim()}`);
  }
}
