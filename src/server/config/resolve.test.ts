import { describe, expect, it } from 'vitest';
import { memoryLoader } from '../../config/load.js';
import { dumpServerConfig } from './dump.js';
import { resolveListenAddresses } from './listen.js';
import { ServerConfigError, resolveServerConfig, type ServerConfigOptions } from './resolve.js';
import { expandAuthorizedKeysFiles } from './system.js';

const MAIN = '/etc/tsh/tshd_config';

interface Run {
  set: ReturnType<typeof resolveServerConfig>;
  lines: string[];
}

function resolve(text: string, extra: Partial<ServerConfigOptions> & { files?: Record<string, string> } = {}): Run {
  const lines: string[] = [];
  const { files, ...rest } = extra;
  const set = resolveServerConfig({
    file: MAIN,
    loader: memoryLoader({ [MAIN]: text, ...files }),
    cwd: '/work',
    home: '/root',
    root: true,
    groups: (u) => ({ alice: ['alice', 'staff', 'wheel'], bob: ['bob', 'users'] })[u] ?? null,
    log: (l) => lines.push(l),
    ...rest,
  });
  return { set, lines };
}

/** The ServerConfigError a configuration ends with, and every line printed before it. */
function failure(text: string, extra: Parameters<typeof resolve>[1] = {}): { err: ServerConfigError; lines: string[] } {
  const lines: string[] = [];
  try {
    resolve(text, { ...extra, log: (l) => lines.push(l) });
  } catch (err) {
    if (err instanceof ServerConfigError) return { err, lines };
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('defaults', () => {
  it('are sshd 9.2 (Debian) defaults, with tshd state paths as root', () => {
    const g = resolve('').set.global;
    expect(g.ports).toEqual([22]);
    expect(g.listen).toEqual([{ host: null, port: 22, rdomain: null }]);
    expect(g.hostKeys).toEqual(['/etc/tsh/ssh_host_ed25519_key', '/etc/tsh/ssh_host_ecdsa_key', '/etc/tsh/ssh_host_rsa_key']);
    expect(g.pidFile).toBe('/run/tshd.pid');
    expect(g.permitRootLogin).toBe('prohibit-password');
    expect(g.authorizedKeysFiles).toEqual(['.ssh/authorized_keys', '.ssh/authorized_keys2']);
    expect(g.maxStartups).toEqual({ begin: 10, rate: 30, full: 100 });
    expect(g.ipQos).toEqual({ interactive: 'lowdelay', bulk: 'throughput' });
    expect(g.kbdInteractiveAuthentication).toBe(true);
    expect(g.usePam).toBe(false);
    expect(g.perSourcePenalties?.crash).toBe(90);
    expect(g.passwordFile).toBeNull();
    expect(Object.isFrozen(g) && Object.isFrozen(g.hostKeys)).toBe(true);
  });

  it('put host keys and the pid file under ~/.tsh and listen on 2222 for a non-root user', () => {
    const g = resolve('', { root: false, home: '/home/u' }).set.global;
    expect(g.hostKeys).toEqual(['/home/u/.tsh/ssh_host_ed25519_key', '/home/u/.tsh/ssh_host_ecdsa_key', '/home/u/.tsh/ssh_host_rsa_key']);
    expect(g.pidFile).toBe('/home/u/.tsh/tshd.pid');
    expect(g.ports).toEqual([2222]);
  });

  it('apply without a file (file: null)', () => {
    expect(resolve('', { file: null }).set.global.maxAuthTries).toBe(6);
  });
});

describe('parsing', () => {
  it('takes keywords in any case, key=value, quotes and comments', () => {
    const g = resolve('# comment\n\n  PORT=2022\nbanner "/a b/c"\nMaxAuthTries\t4 # trailing\nPermitRootLogin = no\n').set.global;
    expect(g.ports).toEqual([2022]);
    expect(g.banner).toBe('/a b/c');
    expect(g.maxAuthTries).toBe(4);
    expect(g.permitRootLogin).toBe('no');
  });

  it('keeps the first value of most keywords, and sshd 9.2 last-value exceptions', () => {
    const g = resolve(
      'MaxAuthTries 3\nMaxAuthTries 4\nMaxStartups 5:10:20\nMaxStartups 7\nIPQoS af11\nIPQoS cs1 cs2\n' +
        'FingerprintHash md5\nFingerprintHash sha1\nPerSourceMaxStartups 3\nPerSourceMaxStartups 4\n' +
        'StreamLocalBindMask 022\nStreamLocalBindMask 077\nUnusedConnectionTimeout 1h\nUnusedConnectionTimeout none\n',
    ).set.global;
    expect(g.maxAuthTries).toBe(3);
    expect(g.maxStartups).toEqual({ begin: 7, rate: 10, full: 7 });
    expect(g.ipQos).toEqual({ interactive: 'cs1', bulk: 'cs2' });
    expect(g.fingerprintHash).toBe('SHA1');
    expect(g.perSourceMaxStartups).toBe(4);
    expect(g.streamLocalBindMask).toBe(0o77);
    expect(g.unusedConnectionTimeout).toBe(0);
  });

  it('accumulates Port, HostKey, AllowUsers and AcceptEnv; SetEnv and AuthorizedKeysFile take the first line', () => {
    const g = resolve(
      'Port 1\nPort 2\nHostKey /k1\nHostKey k2\nAllowUsers a b@10.0.0.0/8\nAllowUsers c\nAcceptEnv LANG\nAcceptEnv LC_*\n' +
        'SetEnv A=1 A=2 B=3\nSetEnv C=1\nAuthorizedKeysFile ~/ak %h/x\nAuthorizedKeysFile /other\n',
    ).set.global;
    expect(g.ports).toEqual([1, 2]);
    expect(g.hostKeys).toEqual(['/k1', '/work/k2']);
    expect(g.allowUsers).toEqual(['a', 'b@10.0.0.0/8', 'c']);
    expect(g.acceptEnv).toEqual(['LANG', 'LC_*']);
    expect(g.setEnv).toEqual(['A=1', 'B=3']);
    expect(g.authorizedKeysFiles).toEqual(['/root/ak', '%h/x']);
  });

  it('parses listen addresses, subsystems, forwarding permissions and algorithm edits', () => {
    const g = resolve(
      'Port 2\nPort 3\nListenAddress 10.0.0.1\nListenAddress [::1]:99\nListenAddress fe80::1\n' +
        'Subsystem sftp /usr/lib/openssh/sftp-server -l INFO\nPermitListen 8080 h:1\nPermitOpen [::1]:*\n' +
        'Ciphers ^aes128-ctr\nMACs -hmac-sha1*\nKexAlgorithms +diffie-hellman-group1-sha1\n',
    ).set.global;
    expect(g.listen).toEqual([
      { host: '10.0.0.1', port: 2, rdomain: null },
      { host: '10.0.0.1', port: 3, rdomain: null },
      { host: '::1', port: 99, rdomain: null },
      { host: 'fe80::1', port: 2, rdomain: null },
      { host: 'fe80::1', port: 3, rdomain: null },
    ]);
    expect(g.subsystems).toEqual([{ name: 'sftp', command: '/usr/lib/openssh/sftp-server', args: '/usr/lib/openssh/sftp-server -l INFO' }]);
    expect(g.permitListen).toEqual(['*:8080', 'h:1']);
    expect(g.permitOpen).toEqual(['[::1]:*']);
    expect(g.ciphers.split(',')[0]).toBe('aes128-ctr');
    expect(g.macs).not.toMatch(/hmac-sha1/);
    expect(g.kexAlgorithms.endsWith(',diffie-hellman-group1-sha1')).toBe(true);
  });

  it('reports deprecated and unsupported keywords and keeps going', () => {
    const { lines } = resolve('UseLogin no\nKerberosGetAFSToken no\nProtocol 2\n');
    expect(lines).toEqual([`${MAIN} line 1: Deprecated option UseLogin`, `${MAIN} line 2: Unsupported option KerberosGetAFSToken`]);
  });
});

describe('errors name the file and line', () => {
  it('unknown keywords: every one, then "terminating"', () => {
    const { err, lines } = failure('FooBar yes\nPort 22\nBaz 1\n');
    expect(lines).toEqual([
      `${MAIN}: line 1: Bad configuration option: FooBar`,
      `${MAIN}: line 3: Bad configuration option: Baz`,
      `${MAIN}: terminating, 2 bad configuration options`,
    ]);
    expect(err.exitCode).toBe(255);
  });

  it('bad values stop at once, with sshd messages', () => {
    const cases: [string, string][] = [
      ['Port abc', 'Badly formatted port number.'],
      ['PermitRootLogin maybe', 'unsupported option "maybe".'],
      ['MaxAuthTries x', 'MaxAuthTries integer value invalid.'],
      ['LoginGraceTime 1x', 'invalid time value.'],
      ['Ciphers foo', "Bad SSH2 cipher spec 'foo'."],
      ['MaxStartups 30:10:20', 'Invalid MaxStartups spec.'],
      ['ListenAddress 1.2.3.4:0', 'bad port number'],
      ['PermitOpen a', 'PermitOpen bad port number'],
      ['RekeyLimit 10x', "Bad RekeyLimit number '10x': Invalid argument"],
      ['AcceptEnv A=b', 'Invalid environment name.'],
    ];
    for (const [line, msg] of cases) {
      const { err } = failure(`# c\n${line}\n`);
      expect(err.fatalLine).toBe(`${MAIN} line 2: ${msg}`);
      expect(err.line).toBe(2);
    }
  });

  it('a keyword not allowed inside Match, exactly like sshd', () => {
    const { err } = failure('Match User x\n  Port 22\n');
    expect(err.fatalLine).toBe(`${MAIN} line 2: Directive 'Port' is not allowed within a Match block`);
  });

  it('bad Match lines', () => {
    expect(failure('Match Foo x\n').lines).toEqual(['Unsupported Match attribute Foo', `${MAIN} line 1: Bad Match condition`]);
    expect(failure('Match User\n').lines).toEqual(['Missing Match criteria for User', `${MAIN} line 1: Bad Match condition`]);
    expect(failure('Match all User x\n').lines[0]).toBe("'all' cannot be combined with other Match attributes");
    expect(failure('Match\n').lines).toEqual([`${MAIN} line 1: no argument after keyword "Match"`, `${MAIN}: terminating, 1 bad configuration options`]);
  });

  it('errors inside an included file name that file', () => {
    const { err } = failure('Include /etc/tsh/bad.conf\n', { files: { '/etc/tsh/bad.conf': '\nPort x\n' } });
    expect(err.fatalLine).toBe('/etc/tsh/bad.conf line 2: Badly formatted port number.');
  });

  it('a missing -f file exits 1 with perror() wording', () => {
    const { err } = failure('', { file: '/nope' });
    expect(err.fatalLine).toBe('/nope: No such file or directory');
    expect(err.exitCode).toBe(1);
  });

  it('-o errors: bad lines exit 1, fatal ones 255', () => {
    const bad = failure('', { commandLine: [{ kind: 'option', line: 'Foo 1' }] });
    expect(bad.lines).toEqual(['command-line: line 0: Bad configuration option: Foo']);
    expect(bad.err.exitCode).toBe(1);
    const fatal = failure('', { commandLine: [{ kind: 'option', line: 'Port abc' }] });
    expect(fatal.err.fatalLine).toBe('command-line line 0: Badly formatted port number.');
    expect(fatal.err.exitCode).toBe(255);
    expect(failure('', { commandLine: [{ kind: 'option', line: 'Match all' }] }).err.fatalLine).toBe(
      'Match directive not supported as a command-line option',
    );
  });

  it('checks made after defaults: AuthenticationMethods that cannot be satisfied', () => {
    const { lines } = failure('PasswordAuthentication no\nAuthenticationMethods password\n');
    expect(lines).toEqual([
      'Disabled method "password" in AuthenticationMethods list "password"',
      'AuthenticationMethods cannot be satisfied by enabled authentication methods',
    ]);
  });
});

describe('Match', () => {
  const text =
    'MaxAuthTries 5\nAllowUsers g1\nMatch User bob\n  MaxAuthTries 3\n  PasswordAuthentication no\nMatch User b*,!root\n' +
    '  MaxAuthTries 2\n  AllowUsers a\nMatch Group wheel\n  X11Forwarding yes\nMatch Address 10.0.0.0/8,!10.1.0.0/16 LocalPort 22\n' +
    '  Banner /b1\nMatch Host *.example.com\n  PermitTTY no\nMatch LocalAddress 192.168.0.0/16\n  ForceCommand /bin/false\n' +
    'Match RDomain vrf*\n  MaxSessions 1\nMatch all\n  AllowUsers c d\n';

  it('applies the first matching block per keyword over the global value; arrays replace', () => {
    const { set } = resolve(text);
    expect(set.global.maxAuthTries).toBe(5);
    expect(set.global.allowUsers).toEqual(['g1', 'c', 'd']);
    const bob = set.forConnection({ user: 'bob', lport: 22 });
    expect(bob.maxAuthTries).toBe(3);
    expect(bob.passwordAuthentication).toBe(false);
    expect(bob.allowUsers).toEqual(['a', 'c', 'd']);
    expect(bob.x11Forwarding).toBe(false);
  });

  it('tests groups, addresses, hosts, local address/port and routing domain', () => {
    const { set } = resolve(text);
    const c = set.forConnection({ user: 'alice', host: 'A.Example.COM', addr: '10.2.3.4', laddr: '192.168.1.1', lport: 22, rdomain: 'vrf1' });
    expect(c.x11Forwarding).toBe(true);
    expect(c.banner).toBe('/b1');
    expect(c.permitTty).toBe(false);
    expect(c.forceCommand).toBe('/bin/false');
    expect(c.maxSessions).toBe(1);
    expect(set.forConnection({ user: 'carol', lport: 22 }, () => ['wheel']).x11Forwarding).toBe(true);
    const other = set.forConnection({ user: 'carol', addr: '10.1.0.1', lport: 22 });
    expect(other.banner).toBeNull();
    expect(other.maxSessions).toBe(10);
  });

  it('`Match all` applies in the first pass too (global-only keywords included)', () => {
    const g = resolve('Match all\n  Port 2222\n  MaxAuthTries 3\n').set.global;
    expect(g.ports).toEqual([2222]);
    expect(g.maxAuthTries).toBe(3);
  });

  it('LocalPort without lport in the connection is fatal, as in sshd -T', () => {
    const { set } = resolve('Match LocalPort 22\n  MaxSessions 1\n');
    expect(() => set.forConnection({ user: 'x' })).toThrow(/'Match LocalPort' in configuration but 'lport' not in connection test specification\./);
  });

  it('"none" from a Match block clears ForceCommand and ChrootDirectory', () => {
    const { set } = resolve('ForceCommand /a\nChrootDirectory /c\nMatch User x\n  ForceCommand none\n  ChrootDirectory NONE\n');
    const c = set.forConnection({ user: 'x' });
    expect([c.forceCommand, c.chrootDirectory]).toEqual([null, null]);
  });

  it('re-reads deprecated keywords inside Match as "reprocess config"', () => {
    const { set, lines } = resolve('RSAAuthentication yes\n');
    set.forConnection({});
    expect(lines).toEqual([`${MAIN} line 1: Deprecated option RSAAuthentication`, 'reprocess config line 1: Deprecated option RSAAuthentication']);
  });
});

describe('Include', () => {
  const files = {
    '/etc/tsh/conf.d/a.conf': 'MaxAuthTries 2\nMatch User inc\n  Banner /inc\n',
    '/etc/tsh/conf.d/b.conf': 'PermitRootLogin no\n',
    '/etc/tsh/leak.conf': 'Match User a\n  MaxSessions 3\n',
  };

  it('is relative to the including file, globbed in order, and Match inside cannot leak', () => {
    const { set } = resolve('Include conf.d/*.conf leak.conf\nMaxSessions 7\nMatch User a\n  Include /etc/tsh/leak.conf\n', { files });
    expect(set.global.maxAuthTries).toBe(2);
    expect(set.global.permitRootLogin).toBe('no');
    expect(set.global.maxSessions).toBe(7);
    expect(set.forConnection({ user: 'inc' }).banner).toBe('/inc');
    expect(set.forConnection({ user: 'a' }).maxSessions).toBe(3);
  });

  it('can be pointed at a fixed directory (sshd: /etc/ssh)', () => {
    const { set } = resolve('Include b.conf\n', { files, includeDir: '/etc/tsh/conf.d' });
    expect(set.global.permitRootLogin).toBe('no');
  });

  it('ignores a pattern that matches nothing, and stops recursion at depth 16', () => {
    expect(resolve('Include /none/*.conf\n').set.global.maxAuthTries).toBe(6);
    const { err } = failure('Include /etc/tsh/self.conf\n', { files: { '/etc/tsh/self.conf': 'Include /etc/tsh/self.conf\n' } });
    expect(err.fatalLine).toBe('Too many recursive configuration includes');
  });
});

describe('tshd-only and refused keywords', () => {
  it('PasswordFile and PerSourcePenalties (OpenSSH 9.8 syntax)', () => {
    const g = resolve('PasswordFile pw\nPerSourcePenalties crash:2m authfail:10 overflow:deny-all max-sources6:5\nPerSourcePenaltyExemptList 10.0.0.0/8\n').set.global;
    expect(g.passwordFile).toBe('/work/pw');
    expect(g.perSourcePenalties).toMatchObject({ crash: 120, authfail: 10, overflow: 'deny-all', maxSources6: 5, noauth: 1 });
    expect(g.perSourcePenaltyExemptList).toBe('10.0.0.0/8');
    expect(resolve('PerSourcePenalties no\n').set.global.perSourcePenalties).toBeNull();
    expect(failure('PerSourcePenalties crash:x\n').err.fatalLine).toBe(`${MAIN} line 1: invalid PerSourcePenalties time value.`);
    expect(failure('PerSourcePenalties yes crash:1\n').err.fatalLine).toBe(
      `${MAIN} line 1: keyword PerSourcePenalties "yes" argument must appear alone.`,
    );
  });

  it('refuses settings tshd cannot honour safely, accepts their harmless values', () => {
    expect(failure('RevokedKeys /etc/ssh/revoked\n').err.fatalLine).toBe(`${MAIN} line 1: RevokedKeys /etc/ssh/revoked is not supported by tshd`);
    expect(failure('Match User x\n  KerberosAuthentication yes\n').err.fatalLine).toBe(
      `${MAIN} line 2: KerberosAuthentication yes is not supported by tshd`,
    );
    expect(failure('RDomain x\n').err.fatalLine).toBe(`${MAIN} line 1: setting RDomain not supported on this platform.`);
    const g = resolve('RevokedKeys none\nAuthorizedKeysCommand none\nHostKeyAgent none\nGSSAPIAuthentication yes\n').set.global;
    expect([g.revokedKeys, g.authorizedKeysCommand, g.hostKeyAgent, g.gssapiAuthentication]).toEqual([null, null, null, true]);
  });
});

describe('token expansion and output', () => {
  it('expands AuthorizedKeysFile tokens against the user', () => {
    const files = resolve('AuthorizedKeysFile .ssh/k %h/x /etc/keys/%u /u/%U/%% none\n').set.global.authorizedKeysFiles;
    expect(expandAuthorizedKeysFiles(files, { name: 'bob', uid: 1001, home: '/home/bob' })).toEqual([
      '/home/bob/.ssh/k', '/home/bob/x', '/etc/keys/bob', '/u/1001/%',
    ]);
  });

  it('dumps like sshd -T, listen addresses in sshd order', async () => {
    const g = resolve('Port 1\nPort 2\nListenAddress 10.0.0.1\nListenAddress ::1\nHostKey none\nSubsystem s /bin/s -x\n').set.global;
    const addrs = await resolveListenAddresses(g);
    const out = dumpServerConfig(g, addrs);
    expect(out).toMatch(/^port 1\nport 2\naddressfamily any\nlistenaddress 10\.0\.0\.1:1\nlistenaddress 10\.0\.0\.1:2\nlistenaddress \[::1\]:1\nlistenaddress \[::1\]:2\nusepam no\n/);
    expect(out).toContain('\nhostkey (null)\n');
    expect(out).toContain('\nsubsystem s /bin/s -x\n');
    expect(out).toContain('\npermitopen any\npermitlisten any\npermituserenvironment no\npubkeyauthoptions none\n');
    expect(out.endsWith('persourcepenaltyexemptlist none\npasswordfile none\n')).toBe(true);
  });

  it('resolves names with the lookup given, reversed per lookup as sshd prints them', async () => {
    const g = resolve('ListenAddress host\n').set.global;
    const lookup = async (): Promise<{ address: string; family: number }[]> => [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ];
    expect((await resolveListenAddresses(g, lookup)).map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    const v4only = resolve('AddressFamily inet\nListenAddress ::1\n').set.global;
    await expect(resolveListenAddresses(v4only)).rejects.toThrow('bad addr or host: ::1 (Address family for hostname not supported)');
    const wild = resolve('').set.global;
    expect((await resolveListenAddresses(wild)).map((a) => a.address)).toEqual(['::', '0.0.0.0']);
  });
});
