// tsh-keygen -A: the missing host keys appear (ssh-keygen -l accepts them), existing ones stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir } from '../helpers/run.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('tsh-keygen -A', () => {
  it('creates RSA, ECDSA and ED25519 host keys under PREFIX/etc/tsh and keeps existing ones', async () => {
    const ours = join(dir.path, 'ours');
    const theirs = join(dir.path, 'theirs');
    mkdirSync(join(ours, 'etc', 'tsh'), { recursive: true });
    mkdirSync(join(theirs, 'etc', 'ssh'), { recursive: true });
    const r = await run('tsh-keygen', ['-A', '-f', ours], { home: dir.path });
    const o = await run(SSH_KEYGEN, ['-A', '-f', theirs], { home: dir.path });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(o.stdout.replace('ssh-keygen:', 'tsh-keygen:'));
    expect(r.stdout).toBe('tsh-keygen: generating new host keys: RSA ECDSA ED25519 \n');
    const keys: Record<string, string> = {};
    for (const [type, label, bits] of [['rsa', 'RSA', '3072'], ['ecdsa', 'ECDSA', '256'], ['ed25519', 'ED25519', '256']] as const) {
      const f = join(ours, 'etc', 'tsh', `ssh_host_${type}_key`);
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(statSync(`${f}.pub`).mode & 0o777).toBe(0o644);
      const l = await run(SSH_KEYGEN, ['-l', '-f', f], { home: dir.path });
      expect(l.code, l.stderr).toBe(0);
      expect(l.stdout).toMatch(new RegExp(`^${bits} SHA256:\\S+ \\S+@\\S+ \\(${label}\\)\\n$`));
      const y = await run(SSH_KEYGEN, ['-y', '-f', f], { home: dir.path });
      expect(y.stdout).toBe(readFileSync(`${f}.pub`, 'utf8'));
      keys[type] = readFileSync(f, 'latin1');
    }
    // Existing keys are left alone; only a missing one is made.
    const again = await run('tsh-keygen', ['-A', '-f', ours], { home: dir.path });
    expect(again).toMatchObject({ code: 0, stdout: '', stderr: '' });
    rmSync(join(ours, 'etc', 'tsh', 'ssh_host_ecdsa_key'));
    const one = await run('tsh-keygen', ['-A', '-f', ours], { home: dir.path });
    expect(one.stdout).toBe('tsh-keygen: generating new host keys: ECDSA \n');
    expect(readFileSync(join(ours, 'etc', 'tsh', 'ssh_host_rsa_key'), 'latin1')).toBe(keys.rsa);
    expect(readFileSync(join(ours, 'etc', 'tsh', 'ssh_host_ed25519_key'), 'latin1')).toBe(keys.ed25519);
    expect(readFileSync(join(ours, 'etc', 'tsh', 'ssh_host_ecdsa_key'), 'latin1')).not.toBe(keys.ecdsa);
  });
});
