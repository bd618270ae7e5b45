/**
 * Interop: resolveClientConfig + dumpClientConfig against the real `ssh -G -F <cfg> <host>`
 * (OpenSSH 9.2p1, no connection is made) on a corpus of configurations.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, dumpClientConfig, fsLoader, resolveClientConfig } from '../../src/config/index.js';
import { run, tempHome } from '../helpers/run.js';

/**
 * Keywords whose dump lines are not compared, each with the reason. Everything else ssh -G
 * prints must be identical.
 */
const EXCLUDED: Record<string, string> = {};

interface Case {
  name: string;
  config: string;
  host?: string;
  /** -o options (and flags expressed as options). */
  options?: string[];
  /** Files under the temp HOME (relative path → text). */
  homeFiles?: Record<string, string>;
  env?: Record<string, string>;
}

const CORPUS: Case[] = [
  { name: 'empty config, defaults', config: '' },
  { name: 'LogLevel QUIET dumps as SILENT', config: 'Host a\n  LogLevel QUIET\n', host: 'a' },
  { name: 'LogLevel silent is accepted', config: 'Host *\n  LogLevel silent\n' },
  { name: 'Tunnel yes means point-to-point', config: 'Host *\n  Tunnel yes\n' },
  {
    name: 'basic host block',
    config: 'Host foo\n  HostName Bar.Example.COM\n  User alice\n  Port 2200\n  IdentityFile ~/.ssh/k1\n  IdentityFile ~/.ssh/k2\n  IdentitiesOnly yes\n',
  },
  {
    name: 'first value wins across blocks',
    config: 'Host foo\n  Port 1111\nHost *\n  Port 2222\n  User bob\n  User carol\nHost f*\n  User dave\n',
  },
  {
    name: 'wildcards, negation and lists',
    config:
      'Host !foo *.example.com\n  User neg\nHost f?o,bar\n  User comma\nHost x* f??\n  Port 3333\nHost !bar *\n  Compression yes\n',
  },
  {
    name: 'negated host skips the block',
    host: 'db1.internal',
    config: 'Host *.internal !db1.internal\n  User wrong\nHost db?.internal\n  User right\n',
  },
  {
    name: 'key=value, quotes, comments, case-insensitive keywords',
    config:
      '# comment\n\n  PORT=2022\nuser = "al ice"\nHostKeyAlias   MyAlias # trailing comment\nSetEnv FOO="a b" BAR=c\nSendEnv LANG LC_*\nSendEnv -LC_*\n',
  },
  {
    name: 'algorithms: replace, +, -, ^ and wildcards',
    config:
      'Ciphers aes256-gcm@openssh.com,aes128-ctr\nMACs +hmac-md5\nKexAlgorithms -curve25519*\nHostKeyAlgorithms ^ssh-rsa\nPubkeyAcceptedAlgorithms ssh-ed25519*,rsa-sha2-*\nCASignatureAlgorithms -rsa*\nHostbasedAcceptedAlgorithms +ssh-dss\n',
  },
  {
    name: 'auth and behaviour keywords',
    config: [
      'PreferredAuthentications publickey,keyboard-interactive',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication host-bound',
      'BatchMode yes',
      'NumberOfPasswordPrompts 1',
      'ConnectTimeout 1m30s',
      'ConnectionAttempts 4',
      'ServerAliveInterval 15',
      'ServerAliveCountMax 5',
      'TCPKeepAlive no',
      'RequestTTY force',
      'EscapeChar ^]',
      'LogLevel debug',
      'Compression yes',
      'AddressFamily inet6',
      'BindAddress 127.0.0.1',
      'StrictHostKeyChecking accept-new',
      'HashKnownHosts yes',
      'CheckHostIP yes',
      'GlobalKnownHostsFile /etc/ssh/kh1 /etc/ssh/kh2',
      'UserKnownHostsFile ~/.ssh/known_%h %d/kh2',
      'UpdateHostKeys ask',
      'AddKeysToAgent confirm 10m',
      'IdentityAgent ~/agent-%r.sock',
      'CertificateFile ~/.ssh/id_ed25519-cert.pub',
      'ControlMaster auto',
      'ControlPath ~/.ssh/cm-%C',
      'ControlPersist 5m',
      '',
    ].join('\n'),
  },
  {
    name: 'forwarding',
    config: [
      'ForwardAgent yes',
      'LocalForward 8080 localhost:80',
      'LocalForward 127.0.0.1:8081 [::1]:81',
      'LocalForward /tmp/l.sock /tmp/r-%h.sock',
      'RemoteForward 9090 localhost:90',
      'RemoteForward 9091',
      'DynamicForward 1080',
      'DynamicForward localhost:1081',
      'LocalForward 8080 localhost:80',
      'ExitOnForwardFailure yes',
      'GatewayPorts yes',
      'PermitRemoteOpen host:22 other:*',
      '',
    ].join('\n'),
  },
  {
    name: 'ClearAllForwardings drops forwards and tunnels',
    config: 'ClearAllForwardings yes\nLocalForward 8080 localhost:80\nTunnel yes\nTunnelDevice 1:2\n',
  },
  {
    name: 'ProxyJump with user, port and chain',
    // With a proxy, CNAME rules need no DNS lookup.
    config:
      'Host foo\n  ProxyJump a@j1:2200,b@[10.0.0.1]:22,c@j3\n  ProxyCommand ignored %h\n  CanonicalizePermittedCNAMEs *.a.example.com:*.b.example.com,*.c.example.com\n',
  },
  {
    name: 'ProxyCommand and RemoteCommand tokens',
    config:
      'ProxyCommand nc %h %p\nRemoteCommand echo %h %p %r %u %n %l %L %C %i %% %d %k\nHostName real-%h.example\nUser ruser\nLocalCommand echo %h\nKnownHostsCommand /bin/kh %h\n',
  },
  {
    name: 'Match host/originalhost/user/localuser with negation',
    config: [
      'Host foo',
      '  HostName target.example',
      'Match host target.example user nobody',
      '  Port 1',
      'Match originalhost foo !user nobody',
      '  Port 2',
      'Match localuser *',
      '  User matched',
      'Match host !target.example',
      '  Compression yes',
      '',
    ].join('\n'),
  },
  {
    name: 'Match all, exec and canonical',
    config: [
      'Match exec "test %h = foo"',
      '  User execd',
      'Match !exec "true"',
      '  Port 7',
      'Match canonical',
      '  Port 8',
      'Match all',
      '  Port 9',
      '',
    ].join('\n'),
  },
  {
    name: 'Match final second pass sees the HostName',
    config: [
      'Host foo',
      '  HostName real.example',
      'Host real.example',
      '  User from-final-pass',
      'Match final host real.example',
      '  Port 4444',
      'Match !final',
      '  IdentityFile ~/.ssh/first-pass',
      '',
    ].join('\n'),
  },
  {
    name: 'Include with glob, relative to ~/.ssh, nested',
    config: 'Include conf.d/*.conf\nHost foo\n  Port 2\n',
    homeFiles: {
      '.ssh/conf.d/10-a.conf': 'Host foo\n  User inc-a\nInclude ~/.ssh/nested.conf\n',
      '.ssh/conf.d/20-b.conf': 'User inc-b\nPort 20\n',
      '.ssh/nested.conf': 'Compression yes\n',
    },
  },
  {
    name: 'Include inside an inactive Host block is parse-only',
    config: 'Host other\n  Include ~/.ssh/inc.conf\nHost *\n  Port 5\n',
    homeFiles: { '.ssh/inc.conf': 'User never\n' },
  },
  {
    name: 'IgnoreUnknown, deprecated and unsupported keywords',
    config: 'IgnoreUnknown UseKeychain,AddKeys*\nUseKeychain yes\nProtocol 2\nCipher blowfish\nRSAAuthentication yes\nUsePrivilegedPort no\n',
  },
  {
    name: '-o overrides beat files',
    config: 'Host foo\n  Port 22\n  User fileuser\n  Ciphers aes128-ctr\n',
    options: ['Port 2022', 'User=cli', 'Ciphers=+aes128-cbc'],
  },
  {
    name: '${ENV} in paths',
    config: 'ControlPath /tmp/${TSH_TEST_X}/%r\nUserKnownHostsFile ${TSH_TEST_X}/kh\nIdentityAgent ${TSH_TEST_X}/agent\n',
    env: { TSH_TEST_X: 'envval' },
  },
  {
    name: 'multistate and misc keywords',
    config: [
      'CanonicalizeHostname no',
      'CanonicalDomains example.com example.org',
      'CanonicalizeMaxDots 2',
      'FingerprintHash md5',
      'VerifyHostKeyDNS ask',
      'VisualHostKey yes',
      'SessionType none',
      'StdinNull yes',
      'ForkAfterAuthentication yes',
      'IPQoS af11 cs1',
      'RekeyLimit 1G 1h',
      'StreamLocalBindMask 0077',
      'StreamLocalBindUnlink yes',
      'SyslogFacility AUTH',
      'LogVerbose kex.c:*',
      'ForwardX11 yes',
      'ForwardX11Trusted no',
      'ForwardX11Timeout 10m',
      'XAuthLocation /opt/xauth',
      'RevokedHostKeys /etc/ssh/revoked',
      'EnableEscapeCommandline yes',
      'RequiredRSASize 2048',
      'GSSAPIAuthentication yes',
      'PKCS11Provider none',
      'SecurityKeyProvider /usr/lib/sk.so',
      'ProxyUseFdpass yes',
      'PermitLocalCommand yes',
      'NoHostAuthenticationForLocalhost yes',
      'HostbasedAuthentication yes',
      'EnableSSHKeysign yes',
      'BindInterface lo',
      'KbdInteractiveDevices pam',
      '',
    ].join('\n'),
  },
  {
    name: 'address host is not lowercased; HostName %% and %h',
    host: 'FE80::1',
    config: 'Host FE80::1\n  User v6\n',
  },
  {
    name: 'hostname lowercased, host key alias lowercased',
    host: 'MixedCase',
    config: 'Host MixedCase\n  HostKeyAlias ALIAS\n  HostName %h.EXAMPLE.%%\n',
  },
];

let home: { home: string; ssh: string; cleanup: () => void };
const pwHome = userInfo().homedir;
const localUser = userInfo().username;

beforeAll(() => {
  home = tempHome();
});
afterAll(() => home.cleanup());

function writeCase(c: Case, idx: number): string {
  const dir = join(home.home, `case${idx}`);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'config');
  writeFileSync(cfg, c.config, { mode: 0o600 });
  for (const [rel, text] of Object.entries(c.homeFiles ?? {})) {
    const p = join(home.home, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, 0o600);
  }
  return cfg;
}

function ours(c: Case, cfg: string): string {
  const resolved = resolveClientConfig({
    host: c.host ?? 'foo',
    overrides: c.options ?? [],
    files: [{ path: cfg, required: true }],
    loader: fsLoader,
    env: { HOME: home.home, ...c.env },
    localUser,
    home: pwHome,
    uid: process.getuid?.() ?? 0,
    thisHost: hostname(),
    exec: (cmd) => {
      const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: 'ignore', timeout: 5000 });
      return r.status ?? -1;
    },
  });
  return dumpClientConfig(resolved);
}

function filterLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !(l.split(' ')[0]! in EXCLUDED));
}

describe('ssh -G interop', () => {
  CORPUS.forEach((c, idx) => {
    it(c.name, async () => {
      const cfg = writeCase(c, idx);
      const args = ['-G', '-F', cfg];
      for (const o of c.options ?? []) args.push('-o', o);
      args.push(c.host ?? 'foo');
      const real = await run('/usr/bin/ssh', args, { home: home.home, env: c.env, timeoutMs: 10_000 });
      expect(real.code, real.stderr).toBe(0);
      expect(filterLines(ours(c, cfg))).toEqual(filterLines(real.stdout));
    });
  });

  it('the corpus is large enough', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(15);
  });
});

describe('ssh -G errors', () => {
  const errorCases: { name: string; config: string }[] = [
    { name: 'unknown keywords', config: 'Foo bar\nPort 22\nBaz 1\n' },
    { name: 'bad values', config: 'Port abc\nUser a b\nStrictHostKeyChecking maybe\n' },
    { name: 'missing argument and bad quotes', config: 'Port\nUser "x\n' },
    { name: 'bad Match', config: 'Match all host x\nMatch foo\n' },
  ];
  errorCases.forEach((c, idx) => {
    it(c.name, async () => {
      const cfg = writeCase({ name: c.name, config: c.config }, 100 + idx);
      const real = await run('/usr/bin/ssh', ['-G', '-F', cfg, 'foo'], { home: home.home, timeoutMs: 10_000 });
      expect(real.code).toBe(255);
      let err: unknown;
      try {
        ours({ name: c.name, config: c.config }, cfg);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      // OpenSSH writes log lines to stderr with \r\n.
      const want = real.stderr.replace(/\r/g, '').split('\n').filter((l) => l !== '' && !l.startsWith('Pseudo-terminal'));
      expect((err as ConfigError).lines).toEqual(want);
    });
  });
});
