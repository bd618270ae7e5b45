// --json for scripts: `tsh-keygen -l --json` lists the same keys as `ssh-keygen -l` (key files, .pub,
// authorized_keys, known_hosts), and `tsh -G --json` holds exactly the lines `tsh -G` prints.
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempHome } from '../helpers/run.js';
import { SSH_KEYGEN } from '../helpers/keygen.js';

let home: ReturnType<typeof tempHome>;

interface Rec {
  bits: number;
  fingerprint: string;
  type: string;
  algorithm: string;
  comment: string | null;
  host?: string;
  options?: string;
  randomart?: string;
}

/** ssh-keygen's -l lines as {bits, fingerprint, rest, type}. */
function sshLines(text: string): { bits: number; fingerprint: string; rest: string; type: string }[] {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\d+) (\S+) (.*) \(([A-Z0-9-]+)\)$/.exec(l);
      if (!m) throw new Error(`not a -l line: ${l}`);
      return { bits: Number(m[1]), fingerprint: m[2]!, rest: m[3]!, type: m[4]! };
    });
}

async function both(args: string[]): Promise<{ ours: Rec[]; theirs: ReturnType<typeof sshLines> }> {
  const [t, s] = await Promise.all([
    run('tsh-keygen', ['-l', '--json', ...args], { home: home.home }),
    run(SSH_KEYGEN, ['-l', ...args], { home: home.home }),
  ]);
  expect(t.stderr).toBe('');
  expect(t.code).toBe(0);
  expect(s.code).toBe(0);
  return { ours: JSON.parse(t.stdout) as Rec[], theirs: sshLines(s.stdout) };
}

beforeAll(async () => {
  home = tempHome();
  const k = (type: string, file: string, comment: string, bits?: string): Promise<unknown> =>
    run(SSH_KEYGEN, ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', comment, '-f', join(home.ssh, file)], { home: home.home });
  await Promise.all([k('ed25519', 'id_ed25519', 'me@laptop'), k('rsa', 'id_rsa', '', '2048'), k('ecdsa', 'id_ecdsa', 'ec key', '384')]);
  const pub = (f: string): string => readFileSync(join(home.ssh, `${f}.pub`), 'utf8').trim();
  const [, edBlob] = pub('id_ed25519').split(' ');
  const [, ecBlob] = pub('id_ecdsa').split(' ');
  writeFileSync(
    join(home.ssh, 'authorized_keys'),
    [
      '# a comment line',
      pub('id_ed25519'),
      `from="127.0.0.1",no-pty ssh-ed25519 ${edBlob} with options`,
      `restrict,command="echo \\"hi there\\"" ecdsa-sha2-nistp384 ${ecBlob}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home.ssh, 'known_hosts'),
    [`alpha,10.0.0.1 ssh-ed25519 ${edBlob}`, `[beta]:2222 ecdsa-sha2-nistp384 ${ecBlob} a trailing comment`, pub('id_rsa').replace(/^/, 'gamma ')].join('\n') + '\n',
  );
  writeFileSync(join(home.ssh, 'known_hosts_hashed'), readFileSync(join(home.ssh, 'known_hosts')));
  chmodSync(join(home.ssh, 'known_hosts_hashed'), 0o600);
  const h = await run(SSH_KEYGEN, ['-H', '-f', join(home.ssh, 'known_hosts_hashed')], { home: home.home });
  expect(h.code).toBe(0);
});

afterAll(() => home.cleanup());

describe('tsh-keygen -l --json', () => {
  it('a .pub file and a private key file: the key ssh-keygen -l shows, with its comment', async () => {
    for (const f of ['id_ed25519.pub', 'id_ed25519', 'id_ecdsa.pub', 'id_rsa']) {
      const { ours, theirs } = await both(['-f', join(home.ssh, f)]);
      expect(ours).toHaveLength(1);
      const [o, s] = [ours[0]!, theirs[0]!];
      expect([o.bits, o.fingerprint, o.type], f).toEqual([s.bits, s.fingerprint, s.type]);
      expect(o.comment ?? 'no comment', f).toBe(s.rest);
      expect(o.host).toBeUndefined();
    }
    const { ours } = await both(['-f', join(home.ssh, 'id_ecdsa.pub')]);
    expect(ours[0]).toMatchObject({ bits: 384, type: 'ECDSA', algorithm: 'ecdsa-sha2-nistp384', comment: 'ec key' });
  });

  it('authorized_keys: every key, options apart from the comment', async () => {
    const { ours, theirs } = await both(['-f', join(home.ssh, 'authorized_keys')]);
    expect(ours.map((o) => [o.bits, o.fingerprint, o.type])).toEqual(theirs.map((s) => [s.bits, s.fingerprint, s.type]));
    expect(ours.map((o) => [o.comment, o.options])).toEqual([
      ['me@laptop', undefined],
      ['with options', 'from="127.0.0.1",no-pty'],
      [null, 'restrict,command="echo \\"hi there\\""'],
    ]);
  });

  it('known_hosts, plain and hashed: the host names in `host`, the comment apart', async () => {
    for (const file of ['known_hosts', 'known_hosts_hashed']) {
      const { ours, theirs } = await both(['-f', join(home.ssh, file)]);
      expect(ours.map((o) => [o.bits, o.fingerprint, o.type])).toEqual(theirs.map((s) => [s.bits, s.fingerprint, s.type]));
      // ssh-keygen prints the host field where the comment would be, unless a comment follows.
      ours.forEach((o, i) => expect(o.comment ?? o.host).toBe(theirs[i]!.rest));
      if (file === 'known_hosts') {
        expect(ours.map((o) => [o.host, o.comment])).toEqual([['alpha,10.0.0.1', null], ['[beta]:2222', 'a trailing comment'], ['gamma', null]]);
      } else {
        for (const o of ours) expect(o.host).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
      }
    }
  });

  it('-E md5, -v (random art as -lv draws it) and standard input', async () => {
    const md5 = await both(['-E', 'md5', '-f', join(home.ssh, 'id_ed25519.pub')]);
    expect(md5.ours[0]!.fingerprint).toBe(md5.theirs[0]!.fingerprint);
    expect(md5.ours[0]!.fingerprint).toMatch(/^MD5:/);
    const v = await run('tsh-keygen', ['-lv', '--json', '-f', join(home.ssh, 'id_ed25519.pub')], { home: home.home });
    const text = await run(SSH_KEYGEN, ['-lv', '-f', join(home.ssh, 'id_ed25519.pub')], { home: home.home });
    const art = text.stdout.split('\n').slice(1).join('\n').trimEnd();
    expect((JSON.parse(v.stdout) as Rec[])[0]!.randomart).toBe(art);
    const stdin = await run('tsh-keygen', ['-l', '--json', '-f', '-'], { home: home.home, input: readFileSync(join(home.ssh, 'known_hosts')) });
    expect(stdin.code).toBe(0);
    expect((JSON.parse(stdin.stdout) as Rec[]).map((r) => r.host)).toEqual(['alpha,10.0.0.1', '[beta]:2222', 'gamma']);
  });

  it('a file without keys fails as -l does; --json without -l is a usage error', async () => {
    writeFileSync(join(home.home, 'empty'), '# nothing\n');
    const [r, text] = await Promise.all([
      run('tsh-keygen', ['-l', '--json', '-f', 'empty'], { home: home.home }),
      run('tsh-keygen', ['-l', '-f', 'empty'], { home: home.home }),
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([text.code, '', text.stderr]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^empty is not a public key file\.\r?\n$/);
    const u = await run('tsh-keygen', ['--json', '-f', 'empty'], { home: home.home });
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^--json needs -l/);
  });
});

describe('tsh -G --json', () => {
  it('holds every line tsh -G prints: arrays for repeated and list keywords, numbers for integers', async () => {
    const cfg = join(home.home, 'cfg');
    writeFileSync(
      cfg,
      [
        'Host db',
        '  HostName db.example.com',
        '  Port 2222',
        '  User alice',
        '  IdentityFile ~/.ssh/id_ed25519',
        '  IdentityFile ~/.ssh/id_rsa',
        '  LocalForward 8080 localhost:80',
        '  SendEnv LANG LC_*',
        '  ConnectTimeout 7',
        '  ProxyCommand nc %h %p',
        '',
      ].join('\n'),
    );
    const [text, json] = await Promise.all([
      run('tsh', ['-G', '-F', cfg, 'db'], { home: home.home }),
      run('tsh', ['-G', '--json', '-F', cfg, 'db'], { home: home.home }),
    ]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(text.stderr);
    const obj = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(obj).toMatchObject({
      host: 'db',
      hostname: 'db.example.com',
      port: 2222,
      user: 'alice',
      connecttimeout: 7,
      identityfile: ['~/.ssh/id_ed25519', '~/.ssh/id_rsa'],
      localforward: [expect.stringMatching(/^8080 .*:80$/)],
      sendenv: ['LANG', 'LC_*'],
      remoteforward: [],
      userknownhostsfile: [`${home.home}/.ssh/known_hosts`, `${home.home}/.ssh/known_hosts2`],
      proxycommand: 'nc %h %p',
      batchmode: 'no',
    });
    // Rebuilt as -G lines, the object gives back exactly what tsh -G printed.
    const lines: string[] = [];
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v)) {
        if (['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv'].includes(k)) {
          for (const x of v) lines.push(`${k} ${x}`);
        } else lines.push(`${k} ${v.length ? v.join(' ') : 'none'}`);
      } else lines.push(`${k} ${v === null ? 'none' : String(v)}`);
    }
    const printed = text.stdout.trimEnd().split('\n').map((l) => l.replace(/^\S+/, (k) => k.toLowerCase()));
    expect(lines.sort()).toEqual(printed.sort());
  });

  it('without -G, --json is refused (exit 255)', async () => {
    const r = await run('tsh', ['--json', '-F', 'none', 'host', 'true'], { home: home.home });
    expect([r.code, r.stderr]).toEqual([255, '--json is only available with -G\r\n']);
  });
});
