/**
 * Host key trust against a real OpenSSH sshd: `ssh` (OpenSSH 9.2p1, Debian) and `tsh` run with the
 * same arguments, each on a fresh copy of the same HOME, config and known_hosts files, and must
 * print the same lines (modulo the program name), exit alike and leave the same known_hosts files
 * (modulo the salt of hashed names). Covers StrictHostKeyChecking × unknown/changed/revoked keys,
 * the `ask` prompt on the terminal (also with stdin a pipe), no terminal, BatchMode, other names
 * for the key, hashed files both ways, HostKeyAlias, several and global known_hosts files,
 * UserKnownHostsFile=none, host key algorithm ordering and the bare-host fallback for a port.
 *
 * Every run gets `-F` with a config naming its files by absolute path: ssh expands `~` from the
 * password database, not $HOME, so nothing may depend on `~` (or it would touch the real ~/.ssh).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, clientHome, type ClientHome } from '../helpers/client.js';
import pty from 'node-pty';
import { binPath, run, runPty, tempDir, tempHome, testEnv, type PtySession, type RunResult } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

const SSH = '/usr/bin/ssh';
type Prog = 'ssh' | 'tsh';

let sshd: Sshd;
let client: ClientHome;
let scratch: { path: string; cleanup: () => void };
/** "ssh-ed25519 AAAA…" of the server's keys, and of a key the server does not have. */
let ED: string;
let EC: string;
let OTHER: string;
/** SHA256:… of the server's ed25519 key. */
let FP: string;
/** [127.0.0.1]:PORT */
let NAME: string;

const plain = (line: string): string => line.split(' ').slice(0, 2).join(' ');

beforeAll(async () => {
  client = clientHome();
  sshd = await startSshd({ authorizedKeys: [client.pub] });
  scratch = tempDir('tsh-hostkeys-');
  const other = join(scratch.path, 'other');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', other]);
  ED = plain(sshd.hostKeys.ed25519);
  EC = plain(sshd.hostKeys.ecdsa);
  OTHER = plain(readFileSync(`${other}.pub`, 'utf8'));
  FP = execFileSync('ssh-keygen', ['-l', '-f', join(sshd.dir, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1]!;
  NAME = `[127.0.0.1]:${sshd.port}`;
});

afterAll(async () => {
  await sshd?.stop();
  client?.cleanup();
  scratch?.cleanup();
});

/** The files of one side's HOME that a case may fill, by name under ~/.ssh. */
type Files = Partial<Record<'known_hosts' | 'known_hosts2' | 'global', string>>;
const FILE_NAMES = ['known_hosts', 'known_hosts2', 'global'] as const;

interface Side {
  readonly prog: Prog;
  readonly home: string;
  readonly ssh: string;
  readonly argv: string[];
  cleanup(): void;
}

interface SetUp {
  /** Known hosts files to write before the run. */
  files?: Files;
  /** Config lines after the defaults (which name ~/.ssh/known_hosts, ~/.ssh/global, the key). */
  config?: string[];
  /** Options before the destination. */
  args?: string[];
  /** The remote command. */
  command?: string;
}

/** A fresh HOME for `prog` with the client key, a config file and the given known_hosts files. */
function side(prog: Prog, s: SetUp): Side {
  const h = tempHome();
  copyFileSync(join(client.ssh, 'id_ed25519'), join(h.ssh, 'id_ed25519'));
  copyFileSync(join(client.ssh, 'id_ed25519.pub'), join(h.ssh, 'id_ed25519.pub'));
  for (const [name, text] of Object.entries(s.files ?? {})) writeFileSync(join(h.ssh, name), text, { mode: 0o644 });
  const config = [
    ...(s.config ?? []).map((l) => l.replaceAll('%HOME%', h.home)),
    `UserKnownHostsFile ${h.ssh}/known_hosts`,
    `GlobalKnownHostsFile ${h.ssh}/global`,
    `IdentityFile ${h.ssh}/id_ed25519`,
    'IdentitiesOnly yes',
    '',
  ].join('\n');
  const cfg = join(h.ssh, 'config');
  writeFileSync(cfg, config, { mode: 0o600 });
  const argv = ['-F', cfg, '-p', String(sshd.port), ...(s.args ?? []), `${LOGIN}@127.0.0.1`, s.command ?? 'echo hi'];
  return { prog, home: h.home, ssh: h.ssh, argv, cleanup: h.cleanup };
}

/** Both sides' text with the HOME path as "HOME" and ssh's program names as tsh's. */
function normalise(s: Side, text: string): string {
  let t = text.replaceAll(s.home, 'HOME');
  if (s.prog === 'ssh') t = t.replace(/^ssh: /gm, 'tsh: ').replace(/^ {2}ssh-keygen -f /gm, '  tsh-keygen -f ');
  return t;
}

/** A hashed name's salt and hash differ run to run: keep the shape only. */
const unsalt = (text: string): string => text.replace(/^(@\S+ )?\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} /gm, '$1|1|SALT|HASH ');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  files: Record<string, string | null>;
}

function filesOf(s: Side): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of FILE_NAMES) {
    const p = join(s.ssh, name);
    out[name] = existsSync(p) ? unsalt(readFileSync(p, 'utf8')) : null;
  }
  return out;
}

function launch(s: Side): Promise<RunResult> {
  return s.prog === 'tsh' ? run('tsh', s.argv, { home: s.home }) : run(SSH, s.argv, { home: s.home });
}

/** Runs ssh and tsh (pipes, no terminal) on fresh copies of the same set-up. */
async function both(setUp: SetUp): Promise<{ ssh: Outcome; tsh: Outcome }> {
  const sides = [side('ssh', setUp), side('tsh', setUp)] as const;
  try {
    const results = await Promise.all(sides.map((s) => launch(s)));
    const [ssh, tsh] = sides.map((s, i) => {
      const r = results[i]!;
      return { code: r.code, stdout: r.stdout, stderr: normalise(s, r.stderr), files: filesOf(s) };
    });
    return { ssh: ssh!, tsh: tsh! };
  } finally {
    for (const s of sides) s.cleanup();
  }
}

const banner = (): string[] => [
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
  '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
  'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
  'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
  'It is also possible that a host key has just been changed.',
  // One log message with a line break inside: only its end is CR LF.
  `The fingerprint for the ED25519 key sent by the remote host is\n${FP}.`,
  'Please contact your system administrator.',
];

const revokedBanner = (name: string): string[] => [
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
  '@       WARNING: REVOKED HOST KEY DETECTED!               @',
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
  `The ED25519 host key for ${name} is marked as revoked.`,
  'This could mean that a stolen key is being used to',
  'impersonate this host.',
];

const UNSAFE = ['Password authentication is disabled to avoid man-in-the-middle attacks.', 'Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.'];
const added = (name: string): string => `Warning: Permanently added '${name}' (ED25519) to the list of known hosts.`;
/** Log lines as ssh writes them to stderr: CR LF line ends, even into a pipe (log.c). */
const lines = (...l: string[]): string => l.map((x) => `${x}\r\n`).join('');

describe('StrictHostKeyChecking × what known_hosts says (no terminal)', () => {
  const MODES = ['yes', 'accept-new', 'no', 'ask'] as const;

  it.each(MODES)('unknown host, StrictHostKeyChecking=%s', async (mode) => {
    const r = await both({ args: ['-o', `StrictHostKeyChecking=${mode}`] });
    expect(r.tsh).toEqual(r.ssh);
    if (mode === 'yes') {
      expect(r.tsh.stderr).toBe(lines(`No ED25519 host key is known for ${NAME} and you have requested strict checking.`, 'Host key verification failed.'));
      expect(r.tsh.code).toBe(255);
    } else if (mode === 'ask') {
      // No terminal to ask on: the answer is "no".
      expect(r.tsh.stderr).toBe(lines('Host key verification failed.'));
      expect(r.tsh.code).toBe(255);
    } else {
      expect(r.tsh.stderr).toBe(lines(added(NAME)));
      expect(r.tsh.stdout).toBe('hi\n');
      expect(r.tsh.code).toBe(0);
      expect(r.tsh.files.known_hosts).toBe(`${NAME} ${ED}\n`);
    }
  });

  it.each(MODES)('changed key, StrictHostKeyChecking=%s', async (mode) => {
    const known = `${NAME} ${OTHER}\n`;
    const r = await both({ args: ['-o', `StrictHostKeyChecking=${mode}`], files: { known_hosts: known } });
    expect(r.tsh).toEqual(r.ssh);
    const head = [
      ...banner(),
      'Add correct host key in HOME/.ssh/known_hosts to get rid of this message.',
      'Offending ED25519 key in HOME/.ssh/known_hosts:1',
      '  remove with:',
      `  tsh-keygen -f "HOME/.ssh/known_hosts" -R "${NAME}"`,
    ];
    if (mode === 'no') {
      expect(r.tsh.stderr).toBe(lines(...head, ...UNSAFE));
      expect(r.tsh.stdout).toBe('hi\n');
      expect(r.tsh.code).toBe(0);
    } else {
      expect(r.tsh.stderr).toBe(lines(...head, `Host key for ${NAME} has changed and you have requested strict checking.`, 'Host key verification failed.'));
      expect(r.tsh.code).toBe(255);
    }
    expect(r.tsh.files.known_hosts).toBe(known);
  });

  it.each(MODES)('revoked key, StrictHostKeyChecking=%s', async (mode) => {
    const known = `@revoked ${NAME} ${ED}\n`;
    const r = await both({ args: ['-o', `StrictHostKeyChecking=${mode}`], files: { known_hosts: known } });
    expect(r.tsh).toEqual(r.ssh);
    if (mode === 'no') {
      expect(r.tsh.stderr).toBe(lines(...revokedBanner(NAME), ...UNSAFE));
      expect(r.tsh.code).toBe(0);
    } else {
      expect(r.tsh.stderr).toBe(lines(...revokedBanner(NAME), `ED25519 host key for ${NAME} was revoked and you have requested strict checking.`, 'Host key verification failed.'));
      expect(r.tsh.code).toBe(255);
    }
    expect(r.tsh.files.known_hosts).toBe(known);
  });

  it('with no password or keyboard-interactive auth configured, a changed key warns of neither', async () => {
    const r = await both({
      args: ['-o', 'StrictHostKeyChecking=no', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no'],
      files: { known_hosts: `${NAME} ${OTHER}\n` },
    });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).not.toMatch(/disabled to avoid/);
    expect(r.tsh.code).toBe(0);
  });

  it('a changed key with UpdateHostKeys=yes and Tunnel=yes also turns those off', async () => {
    const r = await both({ args: ['-o', 'StrictHostKeyChecking=no', '-o', 'UpdateHostKeys=yes', '-o', 'Tunnel=yes'], files: { known_hosts: `${NAME} ${OTHER}\n` } });
    expect(r.tsh.stderr).toContain(lines(...UNSAFE, 'Tunnel forwarding is disabled to avoid man-in-the-middle attacks.', 'UpdateHostkeys is disabled because the host key is not trusted.'));
    expect(r.tsh.stderr).toBe(r.ssh.stderr);
    expect(r.tsh.code).toBe(r.ssh.code);
  });

  it('a changed key with ExitOnForwardFailure=yes ends the connection, as ssh does', async () => {
    const r = await both({ args: ['-o', 'StrictHostKeyChecking=no', '-o', 'ExitOnForwardFailure=yes'], files: { known_hosts: `${NAME} ${OTHER}\n` } });
    expect(r.ssh.stderr.endsWith(lines(...UNSAFE, 'Error: forwarding disabled due to host key check failure'))).toBe(true);
    expect([r.tsh.code, r.tsh.stdout]).toEqual([255, '']);
    // tsh adds "Host key verification failed." (src/session/connect.ts reports any verifier error so).
    expect(r.tsh.stderr.startsWith(r.ssh.stderr)).toBe(true);
  });

  it('BatchMode=yes with StrictHostKeyChecking=ask fails without asking', async () => {
    const r = await both({ args: ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=ask'] });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toBe(lines('Host key verification failed.'));
    expect(r.tsh.code).toBe(255);
  });
});

/** One side under a PTY; `shell` runs it through `sh -c` with stdin a pipe. */
function ptySide(s: Side, opts: { pipeStdin?: boolean } = {}): PtySession {
  if (opts.pipeStdin) {
    const q = (a: string): string => `'${a.replaceAll("'", "'\\''")}'`;
    const cmd = s.prog === 'tsh' ? [process.execPath, binPath('tsh'), ...s.argv] : [SSH, ...s.argv];
    return runPty('/bin/sh', ['-c', `echo data | ${cmd.map(q).join(' ')}`], { home: s.home });
  }
  return s.prog === 'tsh' ? runPty('tsh', s.argv, { home: s.home }) : runPty(SSH, s.argv, { home: s.home });
}

/**
 * The terminal output as the screen shows it. Two byte-level differences that show the same are
 * folded (src/io.ts readLineFromTty, not owned here): ssh writes a CR to the terminal before each
 * prompt (readpass.c), and after an echoed answer tsh writes CR LF through ONLCR (CR CR LF) where
 * ssh's terminal echoes LF as CR LF.
 */
const onScreen = (out: string): string => out.replace(/\r+\n/g, '\n').replace(/(^|\n)\r+/g, '$1');

interface PtyOutcome {
  code: number;
  output: string;
  files: Record<string, string | null>;
}

/**
 * Drives one side through the prompt: waits for each expected text, then types the answer.
 * Returns the terminal output (normalised), exit code and files.
 */
async function dialog(s: Side, steps: readonly [string, string][], opts: { pipeStdin?: boolean } = {}): Promise<PtyOutcome> {
  const t = ptySide(s, opts);
  try {
    for (const [want, answer] of steps) {
      await t.expect(want);
      t.write(answer);
    }
    const code = await t.exit();
    return { code, output: normalise(s, onScreen(t.output())), files: filesOf(s) };
  } finally {
    t.kill();
  }
}

/** One prompt and answer under a PTY, with the raw bytes the program wrote to the terminal. */
function rawDialog(s: Side, answer: string, timeoutMs = 15_000): Promise<{ code: number; output: string }> {
  const [file, ...args] = s.prog === 'tsh' ? [process.execPath, binPath('tsh'), ...s.argv] : [SSH, ...s.argv];
  const term = pty.spawn(file!, args, { name: 'xterm', cols: 100, rows: 30, cwd: s.home, env: testEnv(s.home, { TERM: 'xterm' }) });
  return new Promise((resolve, reject) => {
    let output = '';
    let answered = false;
    const timer = setTimeout(() => {
      term.kill('SIGKILL');
      reject(new Error(`${s.prog}: no exit; output so far: ${JSON.stringify(output)}`));
    }, timeoutMs);
    term.onData((d) => {
      output += d;
      if (!answered && output.includes(QUESTION)) {
        answered = true;
        term.write(answer);
      }
    });
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
}

async function bothPty(setUp: SetUp, steps: readonly [string, string][], opts: { pipeStdin?: boolean } = {}): Promise<{ ssh: PtyOutcome; tsh: PtyOutcome }> {
  const sides = [side('ssh', setUp), side('tsh', setUp)] as const;
  try {
    const [ssh, tsh] = await Promise.all(sides.map((s) => dialog(s, steps, opts)));
    return { ssh: ssh!, tsh: tsh! };
  } finally {
    for (const s of sides) s.cleanup();
  }
}

const QUESTION = 'Are you sure you want to continue connecting (yes/no/[fingerprint])? ';
const prompt = (others = 'This key is not known by any other names.'): string =>
  [`The authenticity of host '${NAME} (${NAME})' can't be established.`, `ED25519 key fingerprint is ${FP}.`, others, QUESTION].join('\n');

describe('StrictHostKeyChecking=ask on a terminal', () => {
  const ASK = { args: ['-o', 'StrictHostKeyChecking=ask'] };

  it('asks on the terminal with OpenSSH words; "yes" records the key and connects', async () => {
    const r = await bothPty(ASK, [[QUESTION, 'yes\r']]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(`${prompt()}yes\n${added(NAME)}\nhi\n`);
    expect(r.tsh.code).toBe(0);
    expect(r.tsh.files.known_hosts).toBe(`${NAME} ${ED}\n`);
  });

  it('the prompt reaches the terminal with CR LF line ends, as ssh writes it', async () => {
    // runPty's output() folds CR LF, so this reads the raw bytes: a lone LF would show as a
    // staircase on a terminal in raw mode.
    const sides = [side('ssh', ASK), side('tsh', ASK)] as const;
    try {
      const raw = await Promise.all(sides.map((s) => rawDialog(s, 'no\r')));
      for (const r of raw) {
        expect(r.code).toBe(255);
        expect(r.output).toContain(prompt().replaceAll('\n', '\r\n'));
      }
      expect(onScreen(raw[1]!.output)).toBe(onScreen(raw[0]!.output));
    } finally {
      for (const s of sides) s.cleanup();
    }
  });

  it('"no" refuses: Host key verification failed., exit 255, nothing written', async () => {
    const r = await bothPty(ASK, [[QUESTION, 'no\r']]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(`${prompt()}no\nHost key verification failed.\n`);
    expect(r.tsh.code).toBe(255);
    expect(r.tsh.files.known_hosts).toBeNull();
  });

  it('the pasted fingerprint is as good as "yes"', async () => {
    const r = await bothPty(ASK, [[QUESTION, `${FP}\r`]]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(`${prompt()}${FP}\n${added(NAME)}\nhi\n`);
    expect(r.tsh.code).toBe(0);
  });

  it('anything else asks again', async () => {
    const again = "Please type 'yes', 'no' or the fingerprint: ";
    const r = await bothPty(ASK, [
      [QUESTION, 'maybe\r'],
      [again, 'YES\r'],
    ]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(`${prompt()}maybe\n${again}YES\n${added(NAME)}\nhi\n`);
    expect(r.tsh.code).toBe(0);
  });

  it('asks on the terminal while stdin is a pipe, and the pipe still feeds the command', async () => {
    const r = await bothPty({ ...ASK, command: 'cat' }, [[QUESTION, 'yes\r']], { pipeStdin: true });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(`${prompt()}yes\n${added(NAME)}\ndata\n`);
    expect(r.tsh.code).toBe(0);
  });

  it('BatchMode=yes never asks, even on a terminal', async () => {
    const r = await bothPty({ args: ['-o', 'StrictHostKeyChecking=ask', '-o', 'BatchMode=yes'] }, []);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe('Host key verification failed.\n');
    expect(r.tsh.output).not.toContain('authenticity');
    expect(r.tsh.code).toBe(255);
  });

  it('names the other names the same key is known by', async () => {
    const known = `otherhost ${ED}\n@revoked nothere ${ED}\n10.0.0.9 ${ED}\n`;
    const r = await bothPty({ ...ASK, files: { known_hosts: known } }, [[QUESTION, 'no\r']]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toBe(
      `${prompt(['This host key is known by the following other names/addresses:', '    ~/.ssh/known_hosts:1: otherhost', '    ~/.ssh/known_hosts:3: 10.0.0.9'].join('\n'))}no\nHost key verification failed.\n`,
    );
  });

  it('a line for the address alone is another name too (HostKeyAlias names the host)', async () => {
    const r = await bothPty({ args: ['-o', 'StrictHostKeyChecking=ask', '-o', 'HostKeyAlias=myalias'], files: { known_hosts: `${NAME} ${ED}\n` } }, [[QUESTION, 'no\r']]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toContain(
      [`The authenticity of host 'myalias (${NAME})' can't be established.`, `ED25519 key fingerprint is ${FP}.`, 'This host key is known by the following other names/addresses:', `    ~/.ssh/known_hosts:1: ${NAME}`, QUESTION].join('\n'),
    );
  });

  it('names hashed other names as [hashed name], and lists global files too', async () => {
    const hashedSrc = join(scratch.path, 'hashme');
    writeFileSync(hashedSrc, `elsewhere ${ED}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', hashedSrc], { stdio: 'ignore' });
    const hashed = readFileSync(hashedSrc, 'utf8');
    const r = await bothPty({ ...ASK, files: { known_hosts: hashed, global: `gw.example ${ED}\n` } }, [[QUESTION, 'no\r']]);
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.output).toContain(
      ['This host key is known by the following other names/addresses:', '    ~/.ssh/known_hosts:1: [hashed name]', '    ~/.ssh/global:1: gw.example', QUESTION].join('\n'),
    );
  });
});

/** Runs `prog` on a fresh HOME with `setUp`; the result and what its ~/.ssh/known_hosts holds. */
async function once(prog: Prog, setUp: SetUp): Promise<{ r: RunResult; known: string | null }> {
  const s = side(prog, setUp);
  try {
    const r = await launch(s);
    const file = join(s.ssh, 'known_hosts');
    return { r, known: existsSync(file) ? readFileSync(file, 'utf8') : null };
  } finally {
    s.cleanup();
  }
}

/** `writer` records the host hashed (accept-new); `reader` then connects with strict checking. */
async function crossTrust(writer: Prog, reader: Prog): Promise<{ known: string; read: RunResult }> {
  const w = await once(writer, { args: ['-o', 'StrictHostKeyChecking=accept-new', '-o', 'HashKnownHosts=yes'] });
  expect([w.r.code, w.r.stderr], writer).toEqual([0, lines(added(NAME))]);
  expect(w.known, writer).toMatch(/^\|1\|\S+ ssh-ed25519 \S+\n$/);
  const read = (await once(reader, { args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: w.known! } })).r;
  return { known: w.known!, read };
}

describe('hashed known_hosts', () => {
  it('HashKnownHosts=yes writes a hashed line, like ssh', async () => {
    const r = await both({ args: ['-o', 'StrictHostKeyChecking=accept-new', '-o', 'HashKnownHosts=yes'] });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.files.known_hosts).toBe(`|1|SALT|HASH ${ED}\n`);
  });

  it('ssh and ssh-keygen -F find the hashed line tsh wrote', async () => {
    const { known, read } = await crossTrust('tsh', 'ssh');
    expect([read.code, read.stderr, read.stdout]).toEqual([0, '', 'hi\n']);
    const file = join(scratch.path, 'from-tsh');
    writeFileSync(file, known);
    const found = execFileSync('ssh-keygen', ['-F', NAME, '-f', file], { encoding: 'utf8' });
    expect(found).toBe(`# Host ${NAME} found: line 1 \n${known}`);
  });

  it('tsh trusts a hashed line written by ssh', async () => {
    const { read } = await crossTrust('ssh', 'tsh');
    expect([read.code, read.stderr, read.stdout]).toEqual([0, '', 'hi\n']);
  });

  it('a hashed @revoked line and a hashed changed key are found as such', async () => {
    for (const known of [`@revoked ${NAME} ${ED}\n`, `${NAME} ${OTHER}\n`]) {
      const src = join(scratch.path, 'hash2');
      writeFileSync(src, known);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', src], { stdio: 'ignore' });
      const r = await both({ args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: readFileSync(src, 'utf8') } });
      expect(r.tsh).toEqual(r.ssh);
      expect(r.tsh.code).toBe(255);
    }
  });
});

describe('which names and files are consulted', () => {
  it('HostKeyAlias: the alias is looked up and recorded instead of [host]:port', async () => {
    let r = await both({ args: ['-o', 'HostKeyAlias=myalias', '-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: `myalias ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect([r.tsh.code, r.tsh.stderr]).toEqual([0, '']);
    r = await both({ args: ['-o', 'HostKeyAlias=myalias', '-o', 'StrictHostKeyChecking=accept-new'], files: { known_hosts: `${NAME} ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toBe(lines(added('myalias')));
    expect(r.tsh.files.known_hosts).toBe(`${NAME} ${ED}\nmyalias ${ED}\n`);
    r = await both({ args: ['-o', 'HostKeyAlias=myalias', '-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: `myalias ${OTHER}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toContain(lines('Host key for myalias has changed and you have requested strict checking.'));
  });

  it('UserKnownHostsFile with two files: both are read, the first is written', async () => {
    const two = { config: ['UserKnownHostsFile %HOME%/.ssh/known_hosts %HOME%/.ssh/known_hosts2'] };
    let r = await both({ ...two, args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts2: `${NAME} ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect([r.tsh.code, r.tsh.stderr]).toEqual([0, '']);
    r = await both({ ...two, args: ['-o', 'StrictHostKeyChecking=accept-new'], files: { known_hosts2: `other ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.files).toEqual({ known_hosts: `${NAME} ${ED}\n`, known_hosts2: `other ${ED}\n`, global: null });
    r = await both({ ...two, args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts2: `${NAME} ${OTHER}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toContain(lines('Add correct host key in HOME/.ssh/known_hosts to get rid of this message.', 'Offending ED25519 key in HOME/.ssh/known_hosts2:1'));
  });

  it('GlobalKnownHostsFile is trusted, and blamed for a changed key', async () => {
    let r = await both({ args: ['-o', 'StrictHostKeyChecking=yes'], files: { global: `${NAME} ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect([r.tsh.code, r.tsh.stderr]).toEqual([0, '']);
    r = await both({ args: ['-o', 'StrictHostKeyChecking=yes'], files: { global: `${NAME} ${OTHER}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toContain(lines('Offending ED25519 key in HOME/.ssh/global:1'));
    expect(r.tsh.code).toBe(255);
  });

  it('a symlinked known_hosts is appended to through the link; a missing directory is not created', async () => {
    const link = { config: ['UserKnownHostsFile %HOME%/.ssh/known_hosts_link'], args: ['-o', 'StrictHostKeyChecking=accept-new'] };
    const sides = [side('ssh', link), side('tsh', link)];
    try {
      for (const s of sides) {
        writeFileSync(join(s.ssh, 'known_hosts'), `other ${OTHER}\n`);
        symlinkSync(join(s.ssh, 'known_hosts'), join(s.ssh, 'known_hosts_link'));
        const r = await launch(s);
        expect([r.code, r.stderr], s.prog).toEqual([0, lines(added(NAME))]);
        expect(lstatSync(join(s.ssh, 'known_hosts_link')).isSymbolicLink(), s.prog).toBe(true);
        expect(readFileSync(join(s.ssh, 'known_hosts'), 'utf8')).toBe(`other ${OTHER}\n${NAME} ${ED}\n`);
      }
    } finally {
      for (const s of sides) s.cleanup();
    }
    const r = await both({ config: ['UserKnownHostsFile %HOME%/missing/known_hosts'], args: ['-o', 'StrictHostKeyChecking=accept-new'] });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toBe(lines('Failed to add the host to the list of known hosts (HOME/missing/known_hosts).'));
    expect(r.tsh.code).toBe(0);
  });

  it('UserKnownHostsFile=none: nothing is written, a global entry still counts', async () => {
    const none = { config: ['UserKnownHostsFile none'] };
    for (const mode of ['accept-new', 'no', 'ask']) {
      const r = await both({ ...none, args: ['-o', `StrictHostKeyChecking=${mode}`] });
      expect(r.tsh, mode).toEqual(r.ssh);
      expect(r.tsh.stderr).toBe(lines('Host key verification failed.'));
      expect(r.tsh.files.known_hosts).toBeNull();
    }
    const r = await both({ ...none, args: ['-o', 'StrictHostKeyChecking=yes'], files: { global: `${NAME} ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect([r.tsh.code, r.tsh.stderr]).toEqual([0, '']);
  });
});

describe('negotiation and fallbacks', () => {
  it.each([
    ['ECDSA', 'ecdsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
    ['RSA', 'rsa', 'ssh-rsa', 'rsa-sha2-512'],
  ] as const)('with only an %s key known, both negotiate it and connect without asking', async (label, type, keyType, alg) => {
    const setUp = { args: ['-v', '-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: `${NAME} ${plain(sshd.hostKeys[type])}\n` } };
    const sides = [side('ssh', setUp), side('tsh', setUp)];
    try {
      for (const s of sides) {
        const r = await launch(s);
        expect([r.code, r.stdout], s.prog).toEqual([0, 'hi\n']);
        expect(r.stderr, s.prog).toMatch(new RegExp(`^debug1: Server host key: ${keyType} SHA256:`, 'm'));
        expect(r.stderr, s.prog).toContain(`debug1: kex: host key algorithm: ${alg}\r\n`);
        expect(r.stderr).toContain(`debug1: Host '${NAME}' is known and matches the ${label} host key.\r\n`);
        expect(r.stderr).toContain(`debug1: Found key in ${s.ssh}/known_hosts:1\r\n`);
        expect(r.stderr).not.toMatch(/authenticity|Permanently added|CHANGED/);
      }
    } finally {
      for (const s of sides) s.cleanup();
    }
  });

  it('the ordering looks at the configured first algorithm, even one tsh cannot offer', async () => {
    // Without ssh-ed25519-cert first, ssh's best preference is an ECDSA certificate type: ECDSA
    // is known, so the list stays as is and ssh-ed25519 wins, against a known ECDSA key.
    const r = await both({
      args: ['-o', 'StrictHostKeyChecking=yes', '-o', 'HostKeyAlgorithms=-ssh-ed25519-cert-v01@openssh.com'],
      files: { known_hosts: `${NAME} ${EC}\n` },
    });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toContain(lines('Offending ECDSA key in HOME/.ssh/known_hosts:1'));
    expect(r.tsh.code).toBe(255);
  });

  it('a bare 127.0.0.1 entry with the right key is accepted for another port (-v shows the fallback)', async () => {
    const known = `127.0.0.1 ${ED}\n`;
    const r = await both({ args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: known } });
    expect(r.tsh).toEqual(r.ssh);
    expect([r.tsh.code, r.tsh.stderr, r.tsh.stdout]).toEqual([0, '', 'hi\n']);
    const v = await both({ args: ['-v', '-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: known } });
    const trace = (o: Outcome): string[] => o.stderr.split('\r\n').filter((l) => /port identifier|w\/out port|is known and matches|Found key in/.test(l));
    expect(trace(v.tsh)).toEqual(trace(v.ssh));
    expect(trace(v.tsh)).toEqual([
      'debug1: checking without port identifier',
      "debug1: Host '127.0.0.1' is known and matches the ED25519 host key.",
      'debug1: Found key in HOME/.ssh/known_hosts:1',
      'debug1: found matching key w/out port',
    ]);
  });

  it('a bare entry with another key does not count as changed: the host is unknown', async () => {
    const r = await both({ args: ['-o', 'StrictHostKeyChecking=yes'], files: { known_hosts: `127.0.0.1 ${OTHER}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toBe(lines(`No ED25519 host key is known for ${NAME} and you have requested strict checking.`, 'Host key verification failed.'));
  });

  it.each(['yes', 'accept-new', 'no'])('a bare @revoked entry, StrictHostKeyChecking=%s', async (mode) => {
    const r = await both({ args: ['-o', `StrictHostKeyChecking=${mode}`], files: { known_hosts: `@revoked 127.0.0.1 ${ED}\n` } });
    expect(r.tsh).toEqual(r.ssh);
    expect(r.tsh.stderr).toContain(lines(...revokedBanner('127.0.0.1')));
  });
});
