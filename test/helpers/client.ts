/**
 * A client side for interop tests: a temporary HOME whose ~/.ssh holds an ed25519 key (authorized
 * by the sshd the test starts) and, optionally, known_hosts lines for that sshd.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tempHome } from './run.js';
import { afterAll, beforeAll } from 'vitest';
import { startSshd, type Sshd } from './sshd.js';

export interface ClientHome {
  readonly home: string;
  readonly ssh: string;
  /** The public key line of ~/.ssh/id_ed25519. */
  readonly pub: string;
  cleanup(): void;
}

/** A HOME with ~/.ssh/id_ed25519 (no passphrase unless given). */
export function clientHome(opts: { passphrase?: string; type?: string } = {}): ClientHome {
  const h = tempHome();
  const type = opts.type ?? 'ed25519';
  const key = join(h.ssh, `id_${type}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', opts.passphrase ?? '', '-C', 'tsh-test', '-f', key]);
  return { ...h, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}

/** Writes ~/.ssh/known_hosts with `sshd`'s host keys under [127.0.0.1]:PORT. */
export function trustSshd(home: ClientHome, sshd: Sshd, types: readonly ('ed25519' | 'ecdsa' | 'rsa')[] = ['ed25519', 'ecdsa', 'rsa']): string {
  const path = join(home.ssh, 'known_hosts');
  const lines = types.map((t) => `[127.0.0.1]:${sshd.port} ${sshd.hostKeys[t].split(' ').slice(0, 2).join(' ')}\n`);
  writeFileSync(path, lines.join(''), { mode: 0o644 });
  return path;
}

/** The user tests log in as: whoever runs them (root in CI). */
export const LOGIN = userInfo().username;

/** tsh/ssh arguments for `sshd` with batch mode (no prompt can hang a test). */
export function target(sshd: Sshd, extra: readonly string[] = []): string[] {
  return ['-p', String(sshd.port), '-o', 'BatchMode=yes', ...extra, `${LOGIN}@127.0.0.1`];
}

/**
 * OpenSSH's ssh finds ~/.ssh through the passwd entry, not $HOME (tsh uses $HOME): arguments that
 * point a real `ssh` at the test HOME's known_hosts and key instead of the real ~/.ssh.
 */
export function sshHomeArgs(home: string, key = 'id_ed25519'): string[] {
  return ['-o', `UserKnownHostsFile=${home}/.ssh/known_hosts`, '-o', `IdentityFile=${home}/.ssh/${key}`, '-o', 'IdentitiesOnly=yes'];
}

/**
 * For a test file (or a describe block): a client HOME with a key, and an OpenSSH sshd that
 * authorizes it and is in the HOME's known_hosts; started before the tests, removed after them.
 * Read `.home` and `.sshd` inside tests and hooks.
 */
export function useSshdClient(): { readonly home: ClientHome; readonly sshd: Sshd } {
  const fx = {} as { home: ClientHome; sshd: Sshd };
  beforeAll(async () => {
    fx.home = clientHome();
    fx.sshd = await startSshd({ authorizedKeys: [fx.home.pub] });
    trustSshd(fx.home, fx.sshd);
  });
  afterAll(async () => {
    await fx.sshd?.stop();
    fx.home?.cleanup();
  });
  return fx;
}
