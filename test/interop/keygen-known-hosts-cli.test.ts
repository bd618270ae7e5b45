/**
 * tsh-keygen -F / -R / -H against ssh-keygen 9.2 on the same known_hosts files: same stdout,
 * stderr, exit code, resulting file, FILE.old and mode. Hashing uses random salts, so -H results
 * are compared structurally and every hashed line is checked with the other program's -F.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir, type RunResult } from '../helpers/run.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const HASHED = /\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+/g;

let tmp: { path: string; cleanup: () => void };
let fixture: string;
const pub: Record<string, string> = {};

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`failed: ${r.stderr}`);
  return r;
}

beforeAll(async () => {
  tmp = tempDir('tsh-kh-interop-');
  for (const [name, type] of [
    ['a', 'ed25519'],
    ['b', 'ed25519'],
    ['c', 'ed25519'],
    ['d', 'ed25519'],
    ['e', 'ecdsa'],
  ] as const) {
    const f = join(tmp.path, `key-${name}`);
    await ok(run(SSH_KEYGEN, ['-q', '-t', type, '-N', '', '-C', `c-${name}`, '-f', f]));
    pub[name] = readFileSync(`${f}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  }
  // Lines hashed by OpenSSH itself, so tsh reads OpenSSH-written hashes.
  const toHash = join(tmp.path, 'to-hash');
  writeFileSync(toHash, `hashed-one ${pub.a}\n[hashed-two]:2200 ${pub.e}\n`);
  await ok(run(SSH_KEYGEN, ['-H', '-f', toHash]));
  const hashed = readFileSync(toHash, 'utf8');
  fixture = [
    '# known hosts for tests',
    `alpha ${pub.a} comment one`,
    '',
    `beta,gamma,Delta ${pub.b}`,
    `[alpha]:2222 ${pub.c}`,
    `*.example.com,!bad.example.com ${pub.d}`,
    `@revoked alpha ${pub.d}`,
    `@cert-authority *.corp ${pub.e}`,
    `alpha ${pub.e}`,
    '   # indented comment',
    `host?.lan ${pub.a}`,
    `omega ssh-ed25519 AAAAbroken`,
  ].join('\n') + `\n${hashed}`;
}, 60_000);

afterAll(() => tmp?.cleanup());

let caseNo = 0;
/** Two directories holding the same file `known_hosts` (so messages name the same path). */
function twin(text: string, mode = 0o644): { ssh: string; tsh: string } {
  const base = join(tmp.path, `case${caseNo++}`);
  const dirs = { ssh: join(base, 'ssh'), tsh: join(base, 'tsh') };
  for (const d of Object.values(dirs)) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'known_hosts'), text);
    chmodSync(join(d, 'known_hosts'), mode);
  }
  return dirs;
}

async function both(args: string[], dirs: { ssh: string; tsh: string }): Promise<{ ssh: RunResult; tsh: RunResult }> {
  const [ssh, tsh] = await Promise.all([
    run(SSH_KEYGEN, args, { cwd: dirs.ssh, home: dirs.ssh }),
    run('tsh-keygen', args, { cwd: dirs.tsh, home: dirs.tsh }),
  ]);
  return { ssh, tsh };
}

const same = (r: { ssh: RunResult; tsh: RunResult }): void => {
  expect({ code: r.tsh.code, stdout: r.tsh.stdout, stderr: r.tsh.stderr }).toEqual({
    code: r.ssh.code,
    stdout: r.ssh.stdout,
    stderr: r.ssh.stderr,
  });
};

const read = (dir: string, name = 'known_hosts'): string | null =>
  existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null;

describe('tsh-keygen -F matches ssh-keygen -F', () => {
  const hosts = ['alpha', 'ALPHA', 'alpha:2222', '[alpha]:2222', 'beta', 'delta', 'x.example.com', 'bad.example.com',
    'h.corp', 'host1.lan', 'host12.lan', 'omega', 'hashed-one', 'HASHED-ONE', '[hashed-two]:2200', 'nothere', ''];
  for (const opts of [[], ['-l'], ['-lv'], ['-l', '-E', 'md5'], ['-q'], ['-v']]) {
    it(`-F <host> ${opts.join(' ')}`, async () => {
      const dirs = twin(fixture);
      const results = await Promise.all(hosts.map((h) => both(['-F', h, ...opts, '-f', 'known_hosts'], dirs)));
      results.forEach(same);
    });
  }

  it('-F -H prints the found entries hashed (structurally the same; hashes match the host)', async () => {
    const dirs = twin(fixture);
    for (const h of ['alpha', 'beta', 'x.example.com', 'hashed-one']) {
      const r = await both(['-F', h, '-H', '-f', 'known_hosts'], dirs);
      expect(r.tsh.code).toBe(r.ssh.code);
      expect(r.tsh.stderr).toBe(r.ssh.stderr);
      expect(r.tsh.stdout.replace(HASHED, 'HASH')).toBe(r.ssh.stdout.replace(HASHED, 'HASH'));
    }
  });

  it('missing file, directory, bad combination of options', async () => {
    const dirs = twin(fixture);
    same(await both(['-F', 'alpha', '-f', 'nonexistent'], dirs));
    same(await both(['-F', 'alpha', '-f', '.'], dirs));
    const r = await both(['-F', 'alpha', '-l', '-H', '-f', 'known_hosts'], dirs);
    expect(r.tsh.code).toBe(1);
    expect(r.tsh.stderr.split('\n')[0]).toBe(r.ssh.stderr.split('\n')[0]);
  });
});

describe('tsh-keygen -R matches ssh-keygen -R', () => {
  for (const host of ['alpha', 'beta', '[alpha]:2222', 'x.example.com', 'hashed-one', '[hashed-two]:2200', 'h.corp', 'nothere']) {
    it(`-R ${host}: same output, file, FILE.old and mode`, async () => {
      const dirs = twin(fixture, 0o640);
      same(await both(['-R', host, '-f', 'known_hosts'], dirs));
      expect(read(dirs.tsh)).toBe(read(dirs.ssh));
      expect(read(dirs.tsh, 'known_hosts.old')).toBe(read(dirs.ssh, 'known_hosts.old'));
      expect(statSync(join(dirs.tsh, 'known_hosts')).mode & 0o7777).toBe(statSync(join(dirs.ssh, 'known_hosts')).mode & 0o7777);
    });
  }

  it('-q, and -F together with -R', async () => {
    const dirs = twin(fixture);
    same(await both(['-q', '-R', 'alpha', '-f', 'known_hosts'], dirs));
    expect(read(dirs.tsh)).toBe(read(dirs.ssh));
    const d2 = twin(fixture);
    same(await both(['-F', 'alpha', '-R', 'alpha', '-f', 'known_hosts'], d2));
    expect(read(d2.tsh)).toBe(fixture);
  });
});

describe('tsh-keygen -H matches ssh-keygen -H', () => {
  it('hashes plain entries, keeps the rest, FILE.old, mode & 0644; hashes are found by the other program', async () => {
    const dirs = twin(fixture, 0o755);
    same(await both(['-H', '-f', 'known_hosts'], dirs));
    const sshOut = read(dirs.ssh)!.split('\n');
    const tshOut = read(dirs.tsh)!.split('\n');
    expect(tshOut).toHaveLength(sshOut.length);
    tshOut.forEach((l, i) => {
      if (HASHED.test(sshOut[i]!)) expect(l.replace(HASHED, 'H')).toBe(sshOut[i]!.replace(HASHED, 'H'));
      else expect(l).toBe(sshOut[i]);
      HASHED.lastIndex = 0;
    });
    expect(read(dirs.tsh, 'known_hosts.old')).toBe(fixture);
    expect(statSync(join(dirs.tsh, 'known_hosts')).mode & 0o7777).toBe(0o644);
    for (const h of ['alpha', 'beta', 'gamma', 'delta', '[alpha]:2222', 'omega', 'hashed-one']) {
      const bySsh = await run(SSH_KEYGEN, ['-F', h, '-f', join(dirs.tsh, 'known_hosts')]);
      const byTsh = await run('tsh-keygen', ['-F', h, '-f', join(dirs.ssh, 'known_hosts')]);
      expect(bySsh.code, h).toBe(0);
      expect(byTsh.code, h).toBe(0);
      expect(bySsh.stdout.replace(HASHED, 'H')).toBe(byTsh.stdout.replace(HASHED, 'H'));
    }
  });

  it('hashing an already hashed file rewrites it the same way', async () => {
    const dirs = twin(fixture);
    await both(['-H', '-f', 'known_hosts'], dirs);
    const before = read(dirs.tsh);
    same(await both(['-H', '-f', 'known_hosts'], dirs));
    expect(read(dirs.tsh)).toBe(before);
  });
});

describe('bad input leaves files unchanged', () => {
  const badText = (): string => [
    fixture.trimEnd(),
    'badline',
    'host ssh-ed25519',
    '@bogus host ssh-ed25519 AAAA',
    'host foo-type AAAA',
    '|1|abc|def ssh-ed25519 AAAA',
    '',
  ].join('\n');

  for (const args of [['-R', 'alpha'], ['-R', 'host'], ['-H'], ['-vvv', '-R', 'alpha'], ['-F', 'host'], ['-vv', '-F', 'host']]) {
    it(`${args.join(' ')} on a file with invalid lines`, async () => {
      const bad = badText();
      const dirs = twin(bad);
      same(await both([...args, '-f', 'known_hosts'], dirs));
      expect(read(dirs.tsh)).toBe(bad);
      expect(existsSync(join(dirs.tsh, 'known_hosts.old'))).toBe(false);
      expect(read(dirs.ssh)).toBe(bad);
    });
  }

  it('missing file for -R and -H', async () => {
    const dirs = twin(fixture);
    same(await both(['-R', 'alpha', '-f', 'missing'], dirs));
    same(await both(['-H', '-f', 'missing'], dirs));
    expect(existsSync(join(dirs.tsh, 'missing'))).toBe(false);
  });

  it('-l with -R is refused before anything is read', async () => {
    const dirs = twin(fixture);
    const r = await both(['-l', '-R', 'alpha', '-f', 'known_hosts'], dirs);
    expect(r.tsh.code).toBe(r.ssh.code);
    expect(r.tsh.stderr.split('\n')[0]).toBe('Cannot use -l with -H or -R.\r');
    expect(read(dirs.tsh)).toBe(fixture);
  });
});

describe('default file', () => {
  it('-F and -R use ~/.ssh/known_hosts', async () => {
    const home = join(tmp.path, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(join(twin(fixture).tsh, 'known_hosts'), join(home, '.ssh', 'known_hosts'));
    const f = await run('tsh-keygen', ['-F', 'beta'], { home });
    expect(f.code).toBe(0);
    expect(f.stdout).toBe(`# Host beta found: line 4 \nbeta,gamma,Delta ${pub.b}\n`);
    const r = await run('tsh-keygen', ['-R', 'beta'], { home });
    const path = join(home, '.ssh', 'known_hosts');
    expect(r.stdout).toBe(`# Host beta found: line 4\n${path} updated.\nOriginal contents retained as ${path}.old\n`);
    const missing = await run('tsh-keygen', ['-F', 'beta'], { home: join(tmp.path, 'nohome'), cwd: tmp.path });
    expect(missing.code).toBe(255);
    expect(missing.stderr).toBe(`Cannot stat ${join(tmp.path, 'nohome', '.ssh', 'known_hosts')}: No such file or directory\r\n`);
  });
});
