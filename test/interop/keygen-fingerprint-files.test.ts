// tsh-keygen -l/-lv/-B over authorized_keys and known_hosts files prints exactly what OpenSSH's
// ssh-keygen prints: options before keys, host lists, [host]:port, hashed hosts, @markers,
// comments, broken lines, and ssh-keygen's carried-over "comment" for keys that have none.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/run.js';
import { SSH_KEYGEN, sameAsSshKeygen as same } from '../helpers/keygen.js';


describe('tsh-keygen -l on authorized_keys and known_hosts, compared with ssh-keygen', () => {
  let dir: ReturnType<typeof tempDir>;
  let d: string;
  beforeAll(() => {
    dir = tempDir('tsh-kff-');
    d = dir.path;
    const pub: Record<string, string> = {};
    for (const [name, args] of [
      ['ed', ['-t', 'ed25519']],
      ['ec', ['-t', 'ecdsa']],
      ['ec384', ['-t', 'ecdsa', '-b', '384']],
      ['rsa', ['-t', 'rsa', '-b', '1024']],
    ] as const) {
      execFileSync(SSH_KEYGEN, ['-q', '-N', '', '-C', `${name}@example`, '-f', join(d, name), ...args]);
      pub[name] = readFileSync(join(d, `${name}.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
    }
    writeFileSync(
      join(d, 'authorized_keys'),
      [
        '# authorized keys',
        `${pub.ed} plain key comment`,
        `command="echo \\"hi there\\"",no-pty,from="10.0.0.1, 10.0.0.2" ${pub.ec} restricted key`,
        `restrict,pty ${pub.rsa}`,
        'this line is broken',
        `no-agent-forwarding ssh-ed25519 AAAAnotbase64!! broken key`,
        '',
        `   ${pub.ec384}\tindented, tab before comment  `,
        `${pub.ed} #not a comment`,
        `${pub.ed}`,
        'rsa-sha2-512 ' + pub.rsa!.split(' ')[1] + ' signature-name type',
      ].join('\n') + '\n',
    );
    const hashedSource = join(d, 'to-hash');
    writeFileSync(hashedSource, `hashed.example.org ${pub.ec}\n`);
    execFileSync(SSH_KEYGEN, ['-H', '-f', hashedSource], { stdio: 'ignore' });
    const hashed = readFileSync(hashedSource, 'utf8').trim();
    writeFileSync(
      join(d, 'known_hosts'),
      [
        '# known hosts',
        `example.com,192.0.2.1 ${pub.ed}`,
        `[example.net]:2222,[192.0.2.2]:2222 ${pub.ec} with a comment`,
        hashed,
        `@cert-authority *.example.com ${pub.ed} ca`,
        `@revoked revoked.example.com ${pub.rsa}`,
        `two.example  ${pub.ec384} two blanks after host`,
        `!neg.example,*.wild ${pub.ec384}`,
        'garbage',
        `${pub.rsa}`,
      ].join('\n') + '\n',
    );
    // CRLF line ends, non-ASCII and control bytes in comments.
    writeFileSync(join(d, 'odd.pub'), Buffer.from(`${pub.ed} caf\u00e9 \x01\x7f end\r\n${pub.ec} crlf\r\n`, 'utf8'));
    writeFileSync(join(d, 'latin1.pub'), Buffer.concat([Buffer.from(`${pub.ed} `), Buffer.from([0xe9, 0xff]), Buffer.from('\n')]));
  });
  afterAll(() => dir?.cleanup());

  it('walks an authorized_keys file like ssh-keygen (-l, -E md5, -lv, -B)', async () => {
    const r = await same(d, ['-l', '-f', 'authorized_keys']);
    expect(r.stdout).toContain(' restricted key (ECDSA)\n');
    expect(r.stdout).toContain(' restrict,pty (RSA)\n');
    await same(d, ['-l', '-E', 'md5', '-f', 'authorized_keys']);
    const v = await same(d, ['-lv', '-f', 'authorized_keys']);
    expect(v.stderr).toContain('debug1: authorized_keys:5: not a public key\r\n');
    await same(d, ['-B', '-f', 'authorized_keys']);
    await same(d, ['-Bv', '-E', 'md5', '-f', 'authorized_keys']);
  });

  it('walks a known_hosts file like ssh-keygen (host lists, ports, hashed, markers)', async () => {
    const r = await same(d, ['-l', '-f', 'known_hosts']);
    expect(r.stdout).toContain(' example.com,192.0.2.1 (ED25519)\n');
    expect(r.stdout).toMatch(/ \|1\|[^ ]+ \(ECDSA\)\n/);
    await same(d, ['-l', '-E', 'md5', '-f', 'known_hosts']);
    const v = await same(d, ['-lv', '-f', 'known_hosts']);
    expect(v.stderr).toContain('debug1: known_hosts:5: not a public key\r\n');
    await same(d, ['-B', '-f', 'known_hosts']);
  });

  it('reads standard input with -f -', async () => {
    const kh = readFileSync(join(d, 'known_hosts'));
    const r = await same(d, ['-l', '-f', '-'], kh);
    expect(r.stdout).toContain('example.com,192.0.2.1');
    await same(d, ['-lv', '-f', '-'], readFileSync(join(d, 'authorized_keys')));
    const empty = await same(d, ['-l', '-f', '-'], '# nothing\n');
    expect(empty.stderr).toBe('(stdin) is not a public key file.\r\n');
    // A private key is not read from standard input.
    await same(d, ['-l', '-f', '-'], readFileSync(join(d, 'ed')));
  });

  it('escapes comment bytes as ssh-keygen does in the C and UTF-8 locales', async () => {
    await same(d, ['-l', '-f', 'odd.pub']);
    await same(d, ['-l', '-f', 'latin1.pub']);
    const theirs = await run(SSH_KEYGEN, ['-l', '-f', 'odd.pub'], { cwd: d, env: { LC_ALL: 'C.UTF-8' } });
    const ours = await run('tsh-keygen', ['-l', '-f', 'odd.pub'], { cwd: d, env: { LC_ALL: 'C.UTF-8' } });
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toContain('caf\u00e9 \\001\\177 end\r');
  });
});
