/**
 * tsh's client authentication against a real OpenSSH sshd, side by side with `ssh`: public keys
 * (default identity, -i, IdentityFile, rsa with SHA-2 signatures, MaxAuthTries, ecdsa), encrypted keys (the
 * passphrase prompt only for a key the server accepts, retries, an empty answer, a 0644 key),
 * the agent (SSH_AUTH_SOCK, IdentityAgent, IdentitiesOnly), password and keyboard-interactive
 * (through PAM) for a real system user, PreferredAuthentications, BatchMode failures and
 * AuthenticationMethods with partial success.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runPty, tempDir, type RunResult } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';

type Prog = 'tsh' | 'ssh';
const SSH = '/usr/bin/ssh';

interface KeyFiles {
  readonly path: string;
  /** The public key line. */
  readonly pub: string;
  /** "SHA256:..." */
  readonly fp: string;
}

/** A key pair written by ssh-keygen into `dir` as `name` and `name.pub`. */
function keyPair(dir: string, name: string, type: string, passphrase = ''): KeyFiles {
  const path = join(dir, name);
  const bits = type === 'rsa' ? ['-b', '3072'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', `tsh-auth-${name}`, '-f', path]);
  const pub = readFileSync(`${path}.pub`, 'utf8').trim();
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { path, pub, fp };
}

/** Replaces the public keys `sshd` accepts (its AuthorizedKeysFile, read at each attempt). */
function authorize(sshd: Sshd, lines: readonly string[]): void {
  writeFileSync(join(sshd.dir, 'authorized_keys'), lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
}

/** What sshd logs from now on. */
function logSince(sshd: Sshd): () => string {
  const start = sshd.log().length;
  return () => sshd.log().slice(start);
}

/** Waits (bounded) until `pred` holds. */
async function until(pred: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Rewrites `sshd`'s config with `settings` ahead of the helper's own lines and restarts it
 * (SIGHUP makes sshd re-exec itself with the same arguments and reread its config). sshd keeps
 * the first value of a keyword, so the helper's `config` lines cannot turn on what it turns off
 * globally (UsePAM is not allowed inside Match).
 */
async function reconfigure(sshd: Sshd, settings: readonly string[]): Promise<void> {
  const path = join(sshd.dir, 'sshd_config');
  writeFileSync(path, `${settings.join('\n')}\n${readFileSync(path, 'utf8')}`, { mode: 0o600 });
  const before = sshd.log().split(`Server listening on 127.0.0.1 port ${sshd.port}`).length;
  process.kill(sshd.pid, 'SIGHUP');
  await until(() => sshd.log().split(`Server listening on 127.0.0.1 port ${sshd.port}`).length > before, 'sshd to restart');
}

/** ssh's stderr in tsh's words. */
const asTsh = (s: string): string => s.replace(/^ssh: /gm, 'tsh: ');

/** Runs tsh or ssh with pipes (stdin empty). */
function runProg(prog: Prog, args: readonly string[], home: string, env: Record<string, string> = {}): Promise<RunResult> {
  return run(prog === 'tsh' ? 'tsh' : SSH, args, { home, env, timeoutMs: 30_000 });
}

/** Runs tsh and ssh with the same arguments. */
async function both(args: readonly string[], home: string, env: Record<string, string> = {}): Promise<{ tsh: RunResult; ssh: RunResult }> {
  const [t, s] = await Promise.all([runProg('tsh', args, home, env), runProg('ssh', args, home, env)]);
  return { tsh: t, ssh: s };
}

/** A prompt to wait for (its next appearance) and the line to answer it with. */
type Step = readonly [prompt: string, answer: string];
interface Dialog {
  readonly code: number;
  /** The screen, without carriage returns. */
  readonly output: string;
}

const occurrences = (hay: string, needle: string): number => hay.split(needle).length - 1;

/** Runs `prog` under a PTY, answers each prompt in turn, and waits (bounded) for it to exit. */
async function dialog(prog: Prog, args: readonly string[], home: string, steps: readonly Step[], env: Record<string, string> = {}): Promise<Dialog> {
  const s = runPty(prog === 'tsh' ? 'tsh' : SSH, args, { home, env });
  const screen = (): string => s.output().replace(/\r/g, '');
  try {
    const seen = new Map<string, number>();
    for (const [prompt, answer] of steps) {
      const n = (seen.get(prompt) ?? 0) + 1;
      seen.set(prompt, n);
      await until(() => occurrences(screen(), prompt) >= n, () => `${prog}: prompt #${n} ${JSON.stringify(prompt)}; screen:\n${screen()}`, 20_000);
      s.write(`${answer}\r`);
    }
    const code = await s.exit(20_000);
    return { code, output: screen() };
  } finally {
    s.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Public keys, encrypted keys, agent: root logs in (PermitRootLogin prohibit-password).

let sshd: Sshd;
let home: ClientHome;
let keys: string;
let cleanupKeys: () => void;

beforeAll(async () => {
  home = clientHome();
  sshd = await startSshd({ authorizedKeys: [home.pub] });
  trustSshd(home, sshd);
  const k = tempDir('tsh-auth-keys-');
  keys = k.path;
  cleanupKeys = k.cleanup;
});

afterAll(async () => {
  await sshd?.stop();
  home?.cleanup();
  cleanupKeys?.();
});

/** Options both programs need to see the same files: no config, this HOME's known_hosts. */
function common(extra: readonly string[] = [], batch = true): string[] {
  return [
    '-F', '/dev/null',
    '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`,
    '-p', String(sshd.port),
    ...(batch ? ['-o', 'BatchMode=yes'] : []),
    ...extra,
    `${LOGIN}@127.0.0.1`,
  ];
}

const accepted = (fp: string, label: string): RegExp =>
  new RegExp(`Accepted publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ${label} ${fp.replace(/[+/]/g, '\\$&')}`);

/** sshd's log shows two logins (tsh's and ssh's) with the key `fp`. */
function expectTwoLogins(log: string, fp: string, label: string): void {
  expect(log.match(new RegExp(accepted(fp, label).source, 'g'))).toHaveLength(2);
}

/** tsh and ssh with `extra` both log in, with the same stderr; as the key `as`, if given. */
async function bothLogIn(extra: readonly string[], env: Record<string, string> = {}, as?: { fp: string; label: string }): Promise<{ tsh: RunResult; ssh: RunResult }> {
  const log = logSince(sshd);
  const r = await both([...common(extra), 'echo in'], home.home, env);
  expect(r.tsh.stdout).toBe('in\n');
  expect(r.tsh.code).toBe(0);
  expect(r.ssh.code).toBe(0);
  expect(r.tsh.stderr).toBe(asTsh(r.ssh.stderr));
  if (as) expectTwoLogins(log(), as.fp, as.label);
  return r;
}

/** tsh and ssh with `extra` both fail with "Permission denied (publickey)." and exit 255. */
async function bothDenied(extra: readonly string[], env: Record<string, string> = {}): Promise<void> {
  const { tsh, ssh } = await both([...common(extra), 'echo in'], home.home, env);
  expect(tsh.stderr).toBe(`${LOGIN}@127.0.0.1: Permission denied (publickey).\r\n`);
  expect(tsh.stderr).toBe(asTsh(ssh.stderr));
  expect(tsh.stdout).toBe('');
  expect(tsh.code).toBe(255);
  expect(ssh.code).toBe(255);
}

describe('public key authentication', () => {
  it('uses the default identity ~/.ssh/id_ed25519', async () => {
    authorize(sshd, [home.pub]);
    const log = logSince(sshd);
    // No -F: tsh reads $HOME/.ssh/config (absent) and its default IdentityFile list.
    const r = await runProg('tsh', ['-p', String(sshd.port), '-o', 'BatchMode=yes', `${LOGIN}@127.0.0.1`, 'echo in'], home.home);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('in\n');
    expect(r.code).toBe(0);
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(home.ssh, 'id_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    expect(log()).toMatch(accepted(fp, 'ED25519'));
  });

  it('uses an -i file, like ssh', async () => {
    const k = keyPair(keys, 'id_i', 'ed25519');
    authorize(sshd, [k.pub]);
    const { tsh } = await bothLogIn(['-i', k.path], {}, { fp: k.fp, label: 'ED25519' });
    expect(tsh.stderr).toBe('');
  });

  it('uses IdentityFile from the config file, like ssh', async () => {
    const k = keyPair(keys, 'id_cfg', 'ed25519');
    authorize(sshd, [k.pub]);
    const cfg = join(home.ssh, 'config');
    writeFileSync(cfg, `Host 127.0.0.1\n  IdentityFile ${k.path}\n  IdentitiesOnly yes\n`, { mode: 0o600 });
    try {
      const log = logSince(sshd);
      const args = (prog: Prog): string[] => [
        ...(prog === 'ssh' ? ['-F', cfg] : []),
        '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`,
        '-p', String(sshd.port), '-o', 'BatchMode=yes', `${LOGIN}@127.0.0.1`, 'echo in',
      ];
      const t = await runProg('tsh', args('tsh'), home.home);
      const s = await runProg('ssh', args('ssh'), home.home);
      expect(t.stdout).toBe('in\n');
      expect(t.code).toBe(0);
      expect(t.stderr).toBe(asTsh(s.stderr));
      expect(s.code).toBe(0);
      expectTwoLogins(log(), k.fp, 'ED25519');
    } finally {
      writeFileSync(cfg, '');
    }
  });

  it('signs with an rsa key using rsa-sha2-256/512 (sshd refuses ssh-rsa), like ssh', async () => {
    const k = keyPair(keys, 'id_rsa', 'rsa');
    // At LogLevel DEBUG1 (Match: after the user is known) sshd names each attempt's algorithm.
    const debug = await startSshd({ authorizedKeys: [k.pub], config: ['Match all', 'LogLevel DEBUG1'] });
    try {
      trustSshd(home, debug);
      const args = [...common(['-i', k.path]).slice(0, -1).map((a) => (a === String(sshd.port) ? String(debug.port) : a)), `${LOGIN}@127.0.0.1`, 'true'];
      const log = logSince(debug);
      const t = await runProg('tsh', args, home.home);
      expect(t.code).toBe(0);
      const tshLog = log();
      expect(tshLog).toMatch(accepted(k.fp, 'RSA'));
      expect(tshLog).toMatch(/userauth_pubkey: publickey test pkalg rsa-sha2-(256|512) /);
      expect(tshLog).not.toMatch(/pkalg ssh-rsa /);
      const sshLog = logSince(debug);
      const s = await runProg('ssh', args, home.home);
      expect(s.code).toBe(0);
      expect(t.stderr).toBe(asTsh(s.stderr));
      // ssh picks rsa-sha2-512; ssh2 (under tsh) picks rsa-sha2-256 when the server offers both.
      expect(sshLog()).toMatch(/userauth_pubkey: publickey test pkalg rsa-sha2-512 /);
    } finally {
      trustSshd(home, sshd);
      await debug.stop();
    }
  });

  for (const [type, label] of [['ecdsa', 'ECDSA'], ['ed25519', 'ED25519']] as const) {
    it(`logs in with an ${type} key, like ssh`, async () => {
      const k = keyPair(keys, `id_${type}_x`, type);
      authorize(sshd, [k.pub]);
      await bothLogIn(['-i', k.path], {}, { fp: k.fp, label });
    });
  }

  it('tries the next key after one the server refuses', async () => {
    const a = keyPair(keys, 'id_refused', 'ed25519');
    const b = keyPair(keys, 'id_accepted', 'ecdsa');
    authorize(sshd, [b.pub]);
    await bothLogIn(['-i', a.path, '-i', b.path], {}, { fp: b.fp, label: 'ECDSA' });
  });

  it('warns about a missing -i file and still tries the others, like ssh', async () => {
    const k = keyPair(keys, 'id_other', 'ed25519');
    authorize(sshd, [k.pub]);
    const missing = join(keys, 'no-such-key');
    const { tsh } = await bothLogIn(['-i', missing, '-i', k.path]);
    expect(tsh.stderr).toBe(`Warning: Identity file ${missing} not accessible: No such file or directory.\n`);
  });

  it('reports a missing IdentityFile given with -o ("no such identity") and tries the next, like ssh', async () => {
    const k = keyPair(keys, 'id_after_missing', 'ed25519');
    authorize(sshd, [k.pub]);
    const missing = join(keys, 'no-such-identity');
    const { tsh } = await bothLogIn(['-o', `IdentityFile=${missing}`, '-i', k.path]);
    expect(tsh.stderr).toBe(`no such identity: ${missing}: No such file or directory\r\n`);
  });

  it('a missing default identity file is not reported, like ssh', async () => {
    // ~/.ssh holds only id_ed25519: id_rsa, id_ecdsa... are missing and tried silently.
    authorize(sshd, [home.pub]);
    const r = await runProg('tsh', ['-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`, '-p', String(sshd.port), '-o', 'BatchMode=yes', `${LOGIN}@127.0.0.1`, 'echo in'], home.home);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('stops at sshd\'s MaxAuthTries with "Too many authentication failures", like ssh', async () => {
    const many = Array.from({ length: 7 }, (_, i) => keyPair(keys, `id_many_${i}`, 'ed25519'));
    const good = keyPair(keys, 'id_many_good', 'ed25519');
    authorize(sshd, [good.pub]);
    const args = [...common([...many.flatMap((k) => ['-i', k.path]), '-i', good.path]), 'echo in'];
    const { tsh, ssh } = await both(args, home.home);
    expect(ssh.stderr).toMatch(/^Received disconnect from 127\.0\.0\.1 port \d+:2: Too many authentication failures\r\nDisconnected from 127\.0\.0\.1 port \d+\r\n$/);
    expect(tsh.stderr).toBe(asTsh(ssh.stderr));
    expect(tsh.code).toBe(255);
    expect(ssh.code).toBe(255);
  });

  it('fails with "Permission denied (publickey)." and exit 255 when no key is accepted, like ssh', async () => {
    const k = keyPair(keys, 'id_unknown', 'ed25519');
    authorize(sshd, [home.pub]);
    await bothDenied(['-i', k.path, '-o', 'IdentitiesOnly=yes']);
  });

  it('fails the same way with no identity at all (PubkeyAuthentication no), like ssh', async () => {
    await bothDenied(['-o', 'PubkeyAuthentication=no']);
  });
});

describe('encrypted keys', () => {
  const PASS = 'correct horse';
  const ask = (k: { path: string }): string => `Enter passphrase for key '${k.path}': `;

  /** Runs tsh and ssh through the same terminal dialog and expects the same screen from both. */
  async function sameDialog(extra: readonly string[], steps: readonly Step[]): Promise<Dialog> {
    const args = [...common(extra, false), 'echo LOGGED-IN'];
    const s = await dialog('ssh', args, home.home, steps);
    const t = await dialog('tsh', args, home.home, steps);
    expect(t.output).toBe(s.output);
    expect(t.code).toBe(s.code);
    return t;
  }

  it('asks for the passphrase on the terminal and logs in with it, like ssh', async () => {
    const k = keyPair(keys, 'id_enc_ok', 'ed25519', PASS);
    authorize(sshd, [k.pub]);
    const log = logSince(sshd);
    const t = await sameDialog(['-i', k.path], [[ask(k), PASS]]);
    expect(t.output).toBe(`${ask(k)}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expectTwoLogins(log(), k.fp, 'ED25519');
  });

  it('asks again after a wrong passphrase, NumberOfPasswordPrompts (3) times, then gives up on the key, like ssh', async () => {
    const k = keyPair(keys, 'id_enc_bad', 'ed25519', PASS);
    authorize(sshd, [k.pub]);
    const t = await sameDialog(['-i', k.path, '-o', 'IdentitiesOnly=yes'], [[ask(k), 'wrong'], [ask(k), 'wrong'], [ask(k), 'wrong']]);
    expect(t.output).toBe(`${ask(k)}\n${ask(k)}\n${ask(k)}\n${LOGIN}@127.0.0.1: Permission denied (publickey).\n`);
    expect(t.code).toBe(255);
  });

  it('takes the right passphrase on a retry, and honours NumberOfPasswordPrompts=2, like ssh', async () => {
    const k = keyPair(keys, 'id_enc_retry', 'ed25519', PASS);
    authorize(sshd, [k.pub]);
    const t = await sameDialog(['-i', k.path, '-o', 'NumberOfPasswordPrompts=2'], [[ask(k), 'wrong'], [ask(k), PASS]]);
    expect(t.output).toBe(`${ask(k)}\n${ask(k)}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    const u = await sameDialog(['-i', k.path, '-o', 'NumberOfPasswordPrompts=2', '-o', 'IdentitiesOnly=yes'], [[ask(k), 'wrong'], [ask(k), 'wrong']]);
    expect(u.output).toBe(`${ask(k)}\n${ask(k)}\n${LOGIN}@127.0.0.1: Permission denied (publickey).\n`);
  });

  it('skips the key on an empty answer and tries the next one, like ssh', async () => {
    const enc = keyPair(keys, 'id_enc_skip', 'ed25519', PASS);
    const plain = keyPair(keys, 'id_plain_after', 'ecdsa');
    authorize(sshd, [enc.pub, plain.pub]);
    const log = logSince(sshd);
    const t = await sameDialog(['-i', enc.path, '-i', plain.path], [[ask(enc), '']]);
    expect(t.output).toBe(`${ask(enc)}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expectTwoLogins(log(), plain.fp, 'ECDSA');
  });

  it('does not ask for the passphrase of a key the server would refuse, like ssh', async () => {
    const enc = keyPair(keys, 'id_enc_refused', 'ed25519', PASS);
    authorize(sshd, [home.pub]);
    const t = await sameDialog(['-i', enc.path, '-o', 'IdentitiesOnly=yes'], []);
    expect(t.output).toBe(`${LOGIN}@127.0.0.1: Permission denied (publickey).\n`);
    expect(t.code).toBe(255);
  });

  it('loads an encrypted PEM key without a .pub file before offering it ("Trying private key"), like ssh', async () => {
    const d = tempDir('tsh-auth-pem-');
    try {
      const path = join(d.path, 'id_pem');
      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-m', 'PEM', '-N', PASS, '-f', path]);
      const pub = readFileSync(`${path}.pub`, 'utf8').trim();
      rmSync(`${path}.pub`);
      authorize(sshd, [pub]);
      const t = await sameDialog(['-i', path, '-o', 'IdentitiesOnly=yes'], [[ask({ path }), PASS]]);
      expect(t.output).toBe(`${ask({ path })}\nLOGGED-IN\n`);
      expect(t.code).toBe(0);
    } finally {
      d.cleanup();
    }
  });

  it('BatchMode=yes never asks: the encrypted key is skipped, like ssh', async () => {
    const k = keyPair(keys, 'id_enc_batch', 'ed25519', PASS);
    authorize(sshd, [k.pub]);
    await bothDenied(['-i', k.path, '-o', 'IdentitiesOnly=yes']);
  });

  it('refuses a private key file others can read (0644) with OpenSSH\'s warning, and skips it, like ssh', async () => {
    const open = keyPair(keys, 'id_open', 'ed25519');
    chmodSync(open.path, 0o644);
    const good = keyPair(keys, 'id_good', 'ecdsa');
    authorize(sshd, [open.pub, good.pub]);
    const { tsh } = await bothLogIn(['-i', open.path, '-i', good.path], {}, { fp: good.fp, label: 'ECDSA' });
    expect(tsh.stderr).toBe(
      [
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        '@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @',
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
        `Permissions 0644 for '${open.path}' are too open.`,
        'It is required that your private key files are NOT accessible by others.',
        'This private key will be ignored.',
        `Load key "${open.path}": bad permissions`,
        '',
      ].join('\r\n'),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The agent.

describe('agent', () => {
  let agent: ChildProcess;
  let sock: string;
  let agentKey: KeyFiles;
  let cleanupAgentDir: () => void;

  beforeAll(async () => {
    const d = tempDir('tsh-auth-agent-');
    cleanupAgentDir = d.cleanup;
    sock = join(d.path, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    await until(() => existsSync(sock), 'ssh-agent socket');
    // The agent holds a key that is nowhere in ~/.ssh: only the agent can sign with it.
    agentKey = keyPair(d.path, 'agent_key', 'ed25519');
    execFileSync('ssh-add', ['-q', agentKey.path], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const gone = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
      agent.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
    }
    cleanupAgentDir?.();
  });

  it('logs in with a key from SSH_AUTH_SOCK, like ssh', async () => {
    authorize(sshd, [agentKey.pub]);
    const { tsh } = await bothLogIn([], { SSH_AUTH_SOCK: sock }, { fp: agentKey.fp, label: 'ED25519' });
    expect(tsh.stderr).toBe('');
  });

  it('logs in with IdentityAgent naming the socket (no SSH_AUTH_SOCK), like ssh', async () => {
    authorize(sshd, [agentKey.pub]);
    await bothLogIn(['-o', `IdentityAgent=${sock}`], {}, { fp: agentKey.fp, label: 'ED25519' });
  });

  it('goes on with the identity files when SSH_AUTH_SOCK leads nowhere, like ssh', async () => {
    authorize(sshd, [home.pub]);
    const { tsh } = await bothLogIn(['-i', join(home.ssh, 'id_ed25519')], { SSH_AUTH_SOCK: join(keys, 'no-agent.sock') });
    expect(tsh.stderr).toBe('');
  });

  it('IdentityAgent none ignores SSH_AUTH_SOCK, like ssh', async () => {
    authorize(sshd, [agentKey.pub]);
    await bothDenied(['-o', 'IdentityAgent=none'], { SSH_AUTH_SOCK: sock });
  });

  it('IdentitiesOnly=yes with an -i file not in the agent does not offer the agent\'s keys, like ssh', async () => {
    const other = keyPair(keys, 'id_not_in_agent', 'ed25519');
    authorize(sshd, [agentKey.pub]);
    const log = logSince(sshd);
    await bothDenied(['-o', 'IdentitiesOnly=yes', '-i', other.path], { SSH_AUTH_SOCK: sock });
    // sshd logs every refused key ("Failed publickey ... FP"): only `other`, twice.
    expect(log()).not.toContain(agentKey.fp);
    expect(log().split(`ED25519 ${other.fp}`)).toHaveLength(3);
    // Without IdentitiesOnly the agent's key is offered after nothing else matched, and works.
    const r = await runProg('tsh', [...common(['-i', other.path]), 'echo in'], home.home, { SSH_AUTH_SOCK: sock });
    expect(r.stdout).toBe('in\n');
    expect(r.code).toBe(0);
  });

  it('does not ask for the passphrase of an encrypted -i key the agent holds, like ssh', async () => {
    const d = tempDir('tsh-auth-agentenc-');
    try {
      // The same key as the agent's, encrypted on disk.
      const enc = join(d.path, 'id_enc');
      copyFileSync(agentKey.path, enc);
      chmodSync(enc, 0o600);
      execFileSync('ssh-keygen', ['-q', '-p', '-N', 'secret words', '-f', enc]);
      writeFileSync(`${enc}.pub`, `${agentKey.pub}\n`);
      authorize(sshd, [agentKey.pub]);
      const args = [...common(['-o', 'IdentitiesOnly=yes', '-i', enc], false), 'echo LOGGED-IN'];
      const s = await dialog('ssh', args, home.home, [], { SSH_AUTH_SOCK: sock });
      const t = await dialog('tsh', args, home.home, [], { SSH_AUTH_SOCK: sock });
      expect(t.output).toBe('LOGGED-IN\n');
      expect(t.output).toBe(s.output);
      expect(t.code).toBe(0);
    } finally {
      d.cleanup();
    }
  });

  it('IdentitiesOnly=yes still uses the agent to sign for an -i key the agent holds', async () => {
    // The public half is enough on disk: the private key lives only in the agent.
    const d = tempDir('tsh-auth-agentpub-');
    try {
      const pubOnly = join(d.path, 'id_agent');
      writeFileSync(pubOnly, '', { mode: 0o600 });
      writeFileSync(`${pubOnly}.pub`, `${agentKey.pub}\n`);
      authorize(sshd, [agentKey.pub]);
      await bothLogIn(['-o', 'IdentitiesOnly=yes', '-i', pubOnly], { SSH_AUTH_SOCK: sock }, { fp: agentKey.fp, label: 'ED25519' });
    } finally {
      d.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Password and keyboard-interactive, for a real system user created for these tests.

describe('password and keyboard-interactive', () => {
  const USER = `tshauth${process.pid}`;
  const PASSWORD = 'Pw-for-tsh-auth-1';
  let created = false;
  /** PasswordAuthentication (sshd checks /etc/shadow itself: UsePAM no). */
  let pw: Sshd;
  /** keyboard-interactive through PAM (UsePAM yes). */
  let pam: Sshd;
  /** AuthenticationMethods publickey,password. */
  let keyThenPw: Sshd;
  /** AuthenticationMethods password,publickey. */
  let pwThenKey: Sshd;
  let userKey: KeyFiles;

  const userArgs = (server: Sshd, extra: readonly string[] = []): string[] => [
    '-F', '/dev/null',
    '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`,
    '-p', String(server.port),
    ...extra,
    `${USER}@127.0.0.1`,
    'echo LOGGED-IN',
  ];
  const pwPrompt = `${USER}@127.0.0.1's password: `;
  const kbdPrompt = `(${USER}@127.0.0.1) Password: `;

  /** Runs tsh and ssh through the same dialog; expects the same screen and exit status. */
  async function sameDialog(server: Sshd, extra: readonly string[], steps: readonly Step[]): Promise<Dialog> {
    const args = userArgs(server, extra);
    const s = await dialog('ssh', args, home.home, steps);
    const t = await dialog('tsh', args, home.home, steps);
    expect(t.output).toBe(s.output);
    expect(t.code).toBe(s.code);
    return t;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('password and keyboard-interactive tests create a system user and must run as root (CI runs them as root)');
    }
    execFileSync('useradd', ['-m', '-s', '/bin/sh', USER], { stdio: 'pipe' });
    created = true;
    execFileSync('chpasswd', [], { input: `${USER}:${PASSWORD}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
    userKey = keyPair(keys, 'id_user', 'ed25519');
    // sshd reads authorized keys as the user, who cannot read the helper's root-only directory.
    const ssh = join('/home', USER, '.ssh');
    execFileSync('install', ['-d', '-m', '700', '-o', USER, '-g', USER, ssh]);
    writeFileSync(join(ssh, 'authorized_keys'), `${userKey.pub}\n`, { mode: 0o600 });
    execFileSync('chown', [`${USER}:${USER}`, join(ssh, 'authorized_keys')]);
    const userKeys = 'AuthorizedKeysFile .ssh/authorized_keys';
    pw = await startSshd();
    await reconfigure(pw, ['PasswordAuthentication yes', userKeys]);
    pam = await startSshd();
    await reconfigure(pam, ['UsePAM yes', 'KbdInteractiveAuthentication yes', userKeys]);
    // sshd checks AuthenticationMethods against the globally enabled methods at start-up.
    keyThenPw = await startSshd();
    await reconfigure(keyThenPw, ['PasswordAuthentication yes', 'AuthenticationMethods publickey,password', userKeys]);
    pwThenKey = await startSshd();
    await reconfigure(pwThenKey, ['PasswordAuthentication yes', 'AuthenticationMethods password,publickey', userKeys]);
    const lines = [pw, pam, keyThenPw, pwThenKey].flatMap((s) => (['ed25519', 'ecdsa', 'rsa'] as const).map((t) => `[127.0.0.1]:${s.port} ${s.hostKeys[t].split(' ').slice(0, 2).join(' ')}\n`));
    writeFileSync(join(home.ssh, 'known_hosts'), `${readFileSync(join(home.ssh, 'known_hosts'), 'utf8')}${lines.join('')}`);
  });

  afterAll(async () => {
    await pw?.stop();
    await pam?.stop();
    await keyThenPw?.stop();
    await pwThenKey?.stop();
    if (created) {
      try {
        execFileSync('userdel', ['-r', '-f', USER], { stdio: 'pipe' });
      } catch (err) {
        // "mail spool not found" makes userdel exit 12 after it removed the user and home.
        const e = err as { status?: number; stderr?: Buffer };
        if (e.status !== 12) throw new Error(`userdel -r ${USER} failed: ${e.stderr?.toString() ?? String(err)}`);
      }
    }
  });

  it('asks "USER@127.0.0.1\'s password: " and logs in with the password, like ssh', async () => {
    const log = logSince(pw);
    const t = await sameDialog(pw, [], [[pwPrompt, PASSWORD]]);
    expect(t.output).toBe(`${pwPrompt}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expect(log().match(new RegExp(`Accepted password for ${USER} from 127\\.0\\.0\\.1`, 'g'))).toHaveLength(2);
  });

  it('says "Permission denied, please try again." after a wrong password and asks again, like ssh', async () => {
    const t = await sameDialog(pw, [], [[pwPrompt, 'wrong'], [pwPrompt, PASSWORD]]);
    expect(t.output).toBe(`${pwPrompt}\nPermission denied, please try again.\n${pwPrompt}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
  });

  it('gives up after NumberOfPasswordPrompts wrong passwords with exit 255, like ssh', async () => {
    const t = await sameDialog(pw, [], [[pwPrompt, 'wrong1'], [pwPrompt, 'wrong2'], [pwPrompt, 'wrong3']]);
    const again = 'Permission denied, please try again.\n';
    expect(t.output).toBe(`${pwPrompt}\n${again}${pwPrompt}\n${again}${pwPrompt}\n${USER}@127.0.0.1: Permission denied (publickey,password).\n`);
    expect(t.code).toBe(255);
    const u = await sameDialog(pw, ['-o', 'NumberOfPasswordPrompts=1'], [[pwPrompt, 'wrong1']]);
    expect(u.output).toBe(`${pwPrompt}\n${USER}@127.0.0.1: Permission denied (publickey,password).\n`);
  });

  it('BatchMode=yes does not ask for a password, like ssh', async () => {
    const { tsh, ssh } = await both(userArgs(pw, ['-o', 'BatchMode=yes']), home.home);
    expect(tsh.stderr).toBe(`${USER}@127.0.0.1: Permission denied (publickey,password).\r\n`);
    expect(tsh.stderr).toBe(asTsh(ssh.stderr));
    expect(tsh.code).toBe(255);
  });

  it('PreferredAuthentications=password skips the keys the server would accept, like ssh', async () => {
    const log = logSince(pw);
    const t = await sameDialog(pw, ['-i', userKey.path, '-o', 'PreferredAuthentications=password'], [[pwPrompt, PASSWORD]]);
    expect(t.output).toBe(`${pwPrompt}\nLOGGED-IN\n`);
    expect(log()).not.toMatch(/publickey/);
    expect(log().match(/Accepted password for /g)).toHaveLength(2);
    // In the default order the key comes first, and no password is asked for.
    const k = await sameDialog(pw, ['-i', userKey.path], []);
    expect(k.output).toBe('LOGGED-IN\n');
    expect(log().match(/Accepted publickey for /g)).toHaveLength(2);
  });

  it('keyboard-interactive through PAM: "(USER@HOST) Password: ", retries, and success, like ssh', async () => {
    const log = logSince(pam);
    const t = await sameDialog(pam, [], [[kbdPrompt, 'wrong'], [kbdPrompt, PASSWORD]]);
    expect(t.output).toBe(`${kbdPrompt}\n${kbdPrompt}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expect(log().match(new RegExp(`Accepted keyboard-interactive/pam for ${USER} from 127\\.0\\.0\\.1`, 'g'))).toHaveLength(2);
  }, 60_000);

  it('keyboard-interactive gives up after NumberOfPasswordPrompts failures, like ssh', async () => {
    const t = await sameDialog(pam, ['-o', 'NumberOfPasswordPrompts=2'], [[kbdPrompt, 'wrong1'], [kbdPrompt, 'wrong2']]);
    expect(t.output).toBe(`${kbdPrompt}\n${kbdPrompt}\n${USER}@127.0.0.1: Permission denied (publickey,keyboard-interactive).\n`);
    expect(t.code).toBe(255);
  }, 60_000);

  it('AuthenticationMethods publickey,password: a key, then the password (partial success), like ssh', async () => {
    const log = logSince(keyThenPw);
    const t = await sameDialog(keyThenPw, ['-i', userKey.path], [[pwPrompt, PASSWORD]]);
    expect(t.output).toBe(`${pwPrompt}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expect(log().match(new RegExp(`Partial publickey for ${USER} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 ${userKey.fp.replace(/[+/]/g, '\\$&')}`, 'g'))).toHaveLength(2);
    expect(log().match(new RegExp(`Accepted password for ${USER} from 127\\.0\\.0\\.1`, 'g'))).toHaveLength(2);
  });

  it('AuthenticationMethods password,publickey: the password, then a key, like ssh', async () => {
    const log = logSince(pwThenKey);
    const t = await sameDialog(pwThenKey, ['-i', userKey.path], [[pwPrompt, PASSWORD]]);
    expect(t.output).toBe(`${pwPrompt}\nLOGGED-IN\n`);
    expect(t.code).toBe(0);
    expect(log().match(new RegExp(`Partial password for ${USER} from 127\\.0\\.0\\.1`, 'g'))).toHaveLength(2);
    expect(log().match(new RegExp(`Accepted publickey for ${USER} from 127\\.0\\.0\\.1`, 'g'))).toHaveLength(2);
  });

  it('AuthenticationMethods publickey,password: the password alone is not enough, like ssh', async () => {
    const other = keyPair(keys, 'id_user_other', 'ed25519');
    const t = await sameDialog(keyThenPw, ['-i', other.path, '-o', 'IdentitiesOnly=yes'], []);
    expect(t.output).toBe(`${USER}@127.0.0.1: Permission denied (publickey).\n`);
    expect(t.code).toBe(255);
  });
});
