/**
 * tshd as `npm start` runs it (the account it runs as, embedded defaults), with OpenSSH's `ssh`
 * and with tsh as clients: key login from authorized_keys and from ~/.ssh/*.pub, exit status,
 * stderr, a stdin round trip, AcceptEnv, a pty, signals, refusal of unknown keys and users, and
 * the log lines sshd writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, runPty, testEnv } from '../helpers/run.js';
import { clientHome, LOGIN, type ClientHome } from '../helpers/client.js';

let daemon: ChildProcess;
let port = 0;
let log = '';
let home: ClientHome;

function sshArgs(extra: readonly string[] = []): string[] {
  return [
    '-p', String(port),
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${home.ssh}/known_hosts`,
    '-o', `IdentityFile=${home.ssh}/id_ed25519`,
    '-o', 'IdentitiesOnly=yes',
    ...extra,
    `${LOGIN}@127.0.0.1`,
  ];
}

beforeAll(async () => {
  home = clientHome();
  // The daemon's user HOME is the client's too: its ~/.ssh/id_ed25519.pub is accepted (npm start's default).
  daemon = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    env: testEnv(home.home, { TSHD_PORT: '0', NODE_OPTIONS: '--no-warnings' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  daemon.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/port (\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const m = /on 127\.0\.0\.1 port (\d+)/.exec(out);
  if (!m) throw new Error(`tshd did not start: ${out} ${log}`);
  port = Number(m[1]);
  expect(out).toContain(`ssh -p ${port} ${LOGIN}@127.0.0.1`);
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  home?.cleanup();
});

describe('tshd with OpenSSH ssh as the client', () => {
  it('logs in with a key from ~/.ssh/*.pub and passes the exit status', async () => {
    const r = await run('/usr/bin/ssh', [...sshArgs(), 'echo out; echo err >&2; exit 7'], { home: home.home });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toMatch(/err\n$/);
    expect(r.code).toBe(7);
    expect(log).toMatch(new RegExp(`Accepted publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 SHA256:`));
  });

  it('gives the session the environment sshd gives', async () => {
    const r = await run('/usr/bin/ssh', [...sshArgs(), 'echo "$USER|$LOGNAME|$HOME|$SHELL|$PATH"; echo "$SSH_CONNECTION"; pwd; env | grep -c NODE_ || true'], { home: home.home });
    const [vars, conn, pwd, nodeVars] = r.stdout.trim().split('\n');
    expect(vars).toBe(`${LOGIN}|${LOGIN}|${home.home}|${vars!.split('|')[3]}|/usr/local/bin:/usr/bin:/bin:/usr/games`);
    expect(conn).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}$`));
    expect(pwd).toBe(home.home);
    expect(nodeVars).toBe('0');
  });

  it('round-trips 8 MiB of stdin', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const r = await new Promise<Buffer>((resolve, reject) => {
      const c = spawn('/usr/bin/ssh', [...sshArgs(), 'cat'], { env: testEnv(home.home) });
      const chunks: Buffer[] = [];
      c.stdout.on('data', (d: Buffer) => chunks.push(d));
      c.on('error', reject);
      c.on('close', () => resolve(Buffer.concat(chunks)));
      c.stdin.end(data);
    });
    expect(createHash('sha256').update(r).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('accepts LANG and LC_* from the client, nothing else', async () => {
    const r = await run('/usr/bin/ssh', [...sshArgs(['-o', 'SetEnv=LC_FOO=bar FOO=nope']), 'echo "$LC_FOO|$FOO"'], { home: home.home });
    expect(r.stdout).toBe('bar|\n');
  });

  it('reports a remote death by signal as exit-signal (ssh exits 255)', async () => {
    const r = await run('/usr/bin/ssh', [...sshArgs(), 'kill -TERM $$'], { home: home.home });
    expect(r.code).toBe(255);
  });

  it('allocates a pty for -tt with TERM and size', async () => {
    // runPty's terminal is named xterm (node-pty sets TERM from it); output() reads \r\n as \n.
    const s = runPty('/usr/bin/ssh', [...sshArgs(['-tt']), 'tty; echo "T=$TERM"; stty size; echo "S=$SSH_TTY"'], { home: home.home, cols: 91, rows: 33 });
    await s.expect('S=/dev/pts/');
    const code = await s.exit();
    expect(code).toBe(0);
    const m = /(\/dev\/pts\/\d+)\nT=xterm\n33 91\nS=(\/dev\/pts\/\d+)/.exec(s.output());
    expect(m).not.toBeNull();
    expect(m![2]).toBe(m![1]);
  });

  it('refuses a key it does not know and a user it does not serve, with the same message', async () => {
    const other = clientHome();
    try {
      const args = sshArgs().map((a) => a.replace(home.ssh, other.ssh));
      args[args.length - 1] = `${LOGIN}@127.0.0.1`;
      const a = await run('/usr/bin/ssh', [...args.slice(0, -1), `${LOGIN}@127.0.0.1`, 'true'], { home: other.home });
      const b = await run('/usr/bin/ssh', [...sshArgs().slice(0, -1), 'nosuchuser@127.0.0.1', 'true'], { home: home.home });
      expect(a.code).toBe(255);
      expect(b.code).toBe(255);
      expect(a.stderr).toMatch(/Permission denied \(publickey\)\.\r\n$/);
      expect(b.stderr).toBe(a.stderr.replace(LOGIN, 'nosuchuser').replace(/^Warning: Permanently added.*\r\n/, ''));
    } finally {
      other.cleanup();
    }
  });
});

describe('tshd enforces authorized_keys options', () => {
  it('command= replaces the command, no-pty refuses a pty, from= refuses other addresses', async () => {
    const keys = (name: string): { dir: string; pub: string } => {
      const dir = join(home.home, name);
      execFileSync('mkdir', ['-p', '-m', '700', dir]);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
      return { dir, pub: readFileSync(join(dir, 'id.pub'), 'utf8').trim() };
    };
    const forced = keys('forced');
    const nopty = keys('nopty');
    const elsewhere = keys('elsewhere');
    writeFileSync(
      join(home.ssh, 'authorized_keys'),
      [`command="echo forced:$SSH_ORIGINAL_COMMAND" ${forced.pub}`, `no-pty ${nopty.pub}`, `from="10.0.0.1" ${elsewhere.pub}`, ''].join('\n'),
      { mode: 0o600 },
    );
    const as = (k: { dir: string }, extra: string[] = []): string[] =>
      sshArgs(extra).map((a) => (a === `IdentityFile=${home.ssh}/id_ed25519` ? `IdentityFile=${k.dir}/id` : a));
    const f = await run('/usr/bin/ssh', [...as(forced), 'echo asked'], { home: home.home });
    expect(f.stdout).toBe('forced:echo asked\n');
    // A refused pty is fatal to ssh when one was asked for explicitly (-tt); without it, no pty.
    const p = await run('/usr/bin/ssh', [...as(nopty, ['-tt']), 'tty'], { home: home.home });
    expect(p.stderr).toContain('PTY allocation request failed on channel 0');
    expect(p.code).toBe(255);
    expect(log).toContain('Pty allocation disabled.');
    const e = await run('/usr/bin/ssh', [...as(elsewhere), 'true'], { home: home.home });
    expect(e.code).toBe(255);
    expect(e.stderr).toMatch(/Permission denied \(publickey\)/);
  });
});

describe('tshd with tsh as the client', () => {
  it('runs a command and passes the status', async () => {
    const r = await run('tsh', [...sshArgs(), 'echo hi; exit 3'], { home: home.home });
    expect(r.stdout).toBe('hi\n');
    expect(r.code, r.stderr).toBe(3);
  });

  it('an interactive shell through a pty, ended with exit', async () => {
    writeFileSync(join(home.home, '.profile'), 'PS1="tshd$ "\n');
    const s = runPty('tsh', sshArgs(), { home: home.home, env: { TERM: 'xterm' } });
    await s.expect('$ ');
    s.write('echo marker-$((6*7))\r');
    await s.expect('marker-42');
    s.write('exit\r');
    expect(await s.exit()).toBe(0);
    expect(s.output()).toContain('Connection to 127.0.0.1 closed.');
  });
});
