/**
 * Interop: `tshd -T` against the real `sshd -T` (OpenSSH 9.2p1, Debian) on a corpus of
 * configurations, with and without -C connection specs, Includes and command-line options.
 * Both outputs are filtered to the keywords below and must be equal line for line; stderr and
 * the exit code must be equal too. sshd -T only runs as root: elsewhere this test fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_KEYWORDS } from '../../src/server/config/keywords.js';
import { run, tempDir } from '../helpers/run.js';
import { SSHD, requireOpenSsh } from '../helpers/sshd.js';

/** Keywords tshd acts on: their `sshd -T` lines are compared. */
const HONOURED = [
  'port', 'addressfamily', 'listenaddress', 'usepam', 'logingracetime', 'maxauthtries', 'maxsessions',
  'clientaliveinterval', 'clientalivecountmax', 'requiredrsasize', 'streamlocalbindmask', 'unusedconnectiontimeout',
  'permitrootlogin', 'pubkeyauthentication', 'passwordauthentication', 'kbdinteractiveauthentication', 'printmotd',
  'printlastlog', 'permittty', 'strictmodes', 'tcpkeepalive', 'permitemptypasswords', 'compression', 'gatewayports',
  'usedns', 'allowtcpforwarding', 'allowagentforwarding', 'disableforwarding', 'allowstreamlocalforwarding',
  'streamlocalbindunlink', 'fingerprinthash', 'pidfile', 'ciphers', 'macs', 'banner', 'forcecommand', 'chrootdirectory',
  'versionaddendum', 'kexalgorithms', 'hostkeyalgorithms', 'pubkeyacceptedalgorithms', 'loglevel', 'syslogfacility',
  'authorizedkeysfile', 'hostkey', 'allowusers', 'denyusers', 'allowgroups', 'denygroups', 'acceptenv', 'setenv',
  'authenticationmethods', 'logverbose', 'channeltimeout', 'subsystem', 'maxstartups', 'persourcemaxstartups',
  'persourcenetblocksize', 'ipqos', 'rekeylimit', 'permitopen', 'permitlisten', 'permituserenvironment',
  // Refused unless "none" (so only "none" is ever printed): compared all the same.
  'revokedkeys', 'authorizedkeyscommand', 'hostkeyagent', 'kerberosauthentication',
];
/** Keywords tshd parses, checks and prints like sshd, but has no feature for (see keywords.ts). */
const INERT = [
  'x11displayoffset', 'ignorerhosts', 'ignoreuserknownhosts', 'hostbasedauthentication', 'hostbasedusesnamefrompacketonly',
  'kerberosorlocalpasswd', 'kerberosticketcleanup', 'gssapiauthentication', 'gssapicleanupcredentials',
  'gssapikeyexchange', 'gssapistrictacceptorcheck', 'gssapistorecredentialsonrekey', 'gssapikexalgorithms',
  'x11forwarding', 'x11uselocalhost', 'permituserrc', 'exposeauthinfo', 'modulifile', 'xauthlocation',
  'trustedusercakeys', 'securitykeyprovider', 'authorizedprincipalsfile', 'authorizedkeyscommanduser',
  'authorizedprincipalscommand', 'authorizedprincipalscommanduser', 'casignaturealgorithms',
  'hostbasedacceptedalgorithms', 'hostcertificate', 'permittunnel', 'pubkeyauthoptions',
];
const COMPARED = new Set([...HONOURED, ...INERT]);

/** tshd's deliberate default differences, as sshd's line → tshd's line. */
const DELIBERATE: Record<string, string> = { 'pidfile /run/sshd.pid': 'pidfile /run/tshd.pid' };

interface Case {
  name: string;
  /** The configuration; HOSTKEY and DIR are replaced by the temp host key and directory. */
  config: string;
  /** sshd/tshd arguments after `-T -f <config>`. */
  args?: string[];
}

const CORPUS: Case[] = [
  { name: 'defaults', config: '' },
  { name: 'ports and listen addresses', config: 'Port 2222\nPort 2223\nListenAddress 127.0.0.1\nListenAddress [::1]:2200\nListenAddress 10.1.2.3:99\nAddressFamily any\n' },
  {
    name: 'listen address forms',
    config: 'ListenAddress 127.1:2222\nListenAddress 0:0::1\nListenAddress [::ffff:1.2.3.4]:5\nListenAddress ::FFFF:0102:0304\nListenAddress localhost\n',
  },
  { name: 'address family inet6', config: 'AddressFamily inet6\nPort 7\n' },
  { name: 'authentication switches', config: 'PermitRootLogin yes\nPubkeyAuthentication no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitEmptyPasswords yes\nUsePAM yes\n' },
  { name: 'root login forms and aliases', config: 'PermitRootLogin forced-commands-only\nChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n' },
  { name: 'authentication methods', config: 'AuthenticationMethods publickey,password publickey,keyboard-interactive:pam\nMaxAuthTries 3\n' },
  { name: 'authentication methods: a disabled method is reported', config: 'PasswordAuthentication no\nAuthenticationMethods password publickey keyboard-interactive\n' },
  {
    name: 'authorized keys and access lists',
    config: 'AuthorizedKeysFile .ssh/authorized_keys %h/.ssh/k2 /etc/keys/%u /x/%U/%%\nStrictModes no\nAllowUsers alice bob@10.0.0.0/8 *@host\nAllowUsers carol\nDenyUsers eve\nAllowGroups wheel staff\nDenyGroups bad\n',
  },
  { name: 'limits and times', config: 'MaxSessions 2\nMaxStartups 5:50:20\nLoginGraceTime 1m30s\nPerSourceMaxStartups 4\nPerSourceNetBlockSize 24:56\nClientAliveInterval 2m\nClientAliveCountMax 5\n' },
  { name: 'last-value keywords', config: 'MaxStartups 5:10:20\nMaxStartups 7\nIPQoS af11\nIPQoS cs1 cs2\nPerSourceMaxStartups 3\nPerSourceMaxStartups none\nPerSourceNetBlockSize 24\nFingerprintHash md5\nFingerprintHash sha1\nStreamLocalBindMask 0\nUnusedConnectionTimeout 1h\nUnusedConnectionTimeout none\n' },
  { name: 'session settings', config: 'Banner /etc/issue.net\nPrintMotd no\nPrintLastLog no\nPermitTTY no\nAcceptEnv LANG LC_*\nAcceptEnv XMODIFIERS\nSetEnv A=1 B="x y" A=2\nSetEnv C=1\nPermitUserEnvironment yes\n' },
  { name: 'forced command, chroot, env allowlist', config: 'PermitUserEnvironment LANG,LC_*\nForceCommand /bin/echo hi   there # not a comment\nChrootDirectory /srv/%u\nVersionAddendum hello # kept\n' },
  { name: 'subsystems', config: 'Subsystem sftp /usr/lib/openssh/sftp-server -f AUTHPRIV -l INFO\nSubsystem x "/bin/my prog" \'a b\'\n' },
  {
    name: 'forwarding',
    config: 'AllowTcpForwarding local\nAllowStreamLocalForwarding remote\nGatewayPorts clientspecified\nPermitOpen host:22 [::1]:*\nPermitListen 8080 localhost:9090\nAllowAgentForwarding no\nX11Forwarding yes\nDisableForwarding yes\n',
  },
  { name: 'first PermitOpen line wins', config: 'PermitOpen none\nPermitOpen a:2\nPermitListen any\nAllowTcpForwarding all\n' },
  { name: 'daemon files and logging', config: 'PidFile /var/run/x.pid\nLogLevel VERBOSE\nSyslogFacility LOCAL3\nLogVerbose kex.c:*:1000 packet.c:*\n' },
  {
    name: 'algorithms: replace, +, -, ^',
    config: 'Ciphers aes256-gcm@openssh.com,aes128-ctr\nMACs +hmac-md5\nKexAlgorithms -curve25519*\nHostKeyAlgorithms ^ssh-rsa\nPubkeyAcceptedAlgorithms ssh-ed25519*,rsa-sha2-*\n',
  },
  {
    name: 'algorithms: more edits and obsolete names',
    config: 'Ciphers +aes128-cbc\nMACs ^hmac-sha1\nKexAlgorithms diffie-hellman-group14-sha256,\nHostKeyAlgorithms -ssh-rsa*,rsa-*\nPubkeyAcceptedKeyTypes +ssh-dss\nCASignatureAlgorithms -rsa*\nHostbasedAcceptedAlgorithms +ssh-rsa\n',
  },
  { name: 'an empty algorithm list falls back to the defaults in -T', config: 'Ciphers -*\nPubkeyAcceptedAlgorithms -*\n' },
  { name: 'transport', config: 'TCPKeepAlive no\nUseDNS yes\nCompression no\nPermitTunnel point-to-point\nProtocol 2\nRekeyLimit 1G 1h\nIPQoS af11 cs1\n' },
  { name: 'obsolete aliases', config: 'Compression delayed\nPermitTunnel ethernet\nKeepAlive no\nDSAAuthentication no\nHostDSAKey HOSTKEY\n' },
  {
    name: 'stream forwarding, channel timeouts',
    config: 'StreamLocalBindMask 022\nStreamLocalBindUnlink yes\nRequiredRSASize 2048\nChannelTimeout session=5m global=1h\nUnusedConnectionTimeout 10m\nFingerprintHash md5\nExposeAuthInfo yes\n',
  },
  {
    name: 'inert: X11, rhosts, host-based',
    config: 'X11DisplayOffset 20\nX11UseLocalhost no\nXAuthLocation /opt/xauth\nPermitUserRC no\nIgnoreRhosts shosts-only\nIgnoreUserKnownHosts yes\nHostbasedAuthentication yes\nHostbasedUsesNameFromPacketOnly yes\n',
  },
  {
    name: 'inert: GSSAPI and Kerberos',
    config: 'GSSAPIAuthentication yes\nGSSAPICleanupCredentials no\nGSSAPIStrictAcceptorCheck no\nGSSAPIKeyExchange yes\nGSSAPIStoreCredentialsOnRekey yes\nGSSAPIKexAlgorithms gss-group14-sha256-,gss-gex-sha1-\nKerberosOrLocalPasswd no\nKerberosTicketCleanup no\nKerberosAuthentication no\n',
  },
  {
    name: 'inert: certificates and security keys',
    config: 'TrustedUserCAKeys /etc/ssh/ca.pub\nAuthorizedPrincipalsFile /etc/ssh/p/%u\nAuthorizedPrincipalsCommand /bin/p %u\nAuthorizedPrincipalsCommandUser nobody\nHostCertificate DIR/host-cert.pub\nSecurityKeyProvider internal\nPubkeyAuthOptions touch-required verify-required\nModuliFile /etc/ssh/m2\nDebianBanner no\nAuthorizedKeysCommandUser nobody\n',
  },
  { name: 'refused keywords at their harmless values', config: 'RevokedKeys none\nAuthorizedKeysCommand none\nHostKeyAgent none\nKerberosAuthentication no\n' },
  {
    name: 'relative paths, ~ and none',
    config: 'HostKey rel/k\nPidFile rel.pid\nBanner rel\nXAuthLocation none\nAuthorizedKeysFile ~/ak %h/.ssh/x none\nTrustedUserCAKeys ~/ca\nAuthorizedPrincipalsFile ~/p\nSecurityKeyProvider lib.so\nModuliFile none\nChrootDirectory ~/c\n',
  },
  { name: 'syntax: case, key=value, quotes, comments', config: '  port=2022\nPERMITROOTLOGIN = no\nbanner "/a b/c"\n# comment\n\nMaxAuthTries\t4 # trailing\n' },
  { name: 'deprecated and unsupported keywords', config: 'UseLogin no\nRSAAuthentication yes\nKerberosGetAFSToken no\nUsePrivilegeSeparation sandbox\n' },
  {
    name: 'Match User: first matching block wins, arrays replace',
    config: 'MaxAuthTries 5\nAllowUsers g1\nMatch User bob\n  MaxAuthTries 3\n  PasswordAuthentication no\nMatch User b*\n  MaxAuthTries 2\n  AllowUsers a\nMatch all\n  AllowUsers c d\n',
    args: ['-C', 'user=bob'],
  },
  {
    name: 'Match Address, LocalPort, Host',
    config: 'MaxAuthTries 5\nMatch User bob\n  MaxAuthTries 3\nMatch Address 10.0.0.0/8,!10.1.0.0/16 LocalPort 22\n  Banner /b1\nMatch Host *.example.com\n  X11Forwarding yes\n',
    args: ['-C', 'user=alice,host=a.example.com,addr=10.2.3.4,laddr=1.1.1.1,lport=22'],
  },
  {
    name: 'Match Group, LocalAddress, RDomain, negated lists',
    config: 'Match User !nobody,r* Group root\n  PermitTTY no\nMatch Group nosuchgroupx\n  MaxSessions 1\nMatch LocalAddress 192.168.0.0/16\n  ForceCommand /bin/false\nMatch RDomain vrf*\n  MaxSessions 3\nMatch Host !*.bad,*.good\n  GatewayPorts yes\n',
    args: ['-C', 'user=root,laddr=192.168.1.1,rdomain=vrf0,host=x.good'],
  },
  {
    name: 'Match blocks that do not apply',
    config: 'Match Group root\n  PermitTTY no\nMatch Address 10.*\n  MaxSessions 1\nMatch User=x\n  Banner /x\n',
    args: ['-C', 'user=bob,addr=192.0.2.1'],
  },
  {
    name: 'Match: every keyword allowed in Match',
    config:
      'Match User x\n  ChannelTimeout a=1\n  UnusedConnectionTimeout 5\n  LogVerbose x\n  RequiredRSASize 2048\n  PubkeyAuthOptions verify-required\n' +
      '  IgnoreRhosts no\n  RekeyLimit 5M\n  IPQoS ef\n  StreamLocalBindMask 0\n  X11DisplayOffset 3\n  PermitTunnel yes\n  AllowTcpForwarding remote\n' +
      '  ClientAliveInterval 3\n  ClientAliveCountMax 0\n  DenyUsers z\n  AcceptEnv Q\n  SetEnv K=V\n  AuthorizedKeysFile /k/%u\n  PermitOpen h:1\n' +
      '  PermitListen 5\n  PubkeyAcceptedAlgorithms +ssh-rsa\n  HostbasedAcceptedAlgorithms -ssh-ed25519*\n  CASignatureAlgorithms ^ssh-ed25519\n' +
      '  LogLevel ERROR\n  AuthenticationMethods password\n  PasswordAuthentication no\n  ForceCommand none\n  ChrootDirectory NONE\n',
    args: ['-C', 'user=x'],
  },
  {
    name: 'Match all and "none" values',
    config: 'ForceCommand /a\nChrootDirectory /c\nMatch all\n  ChannelTimeout none\n  AuthenticationMethods any\n  Banner none\n  ForceCommand none\n  Port 2200\n',
  },
  {
    name: 'Include: globs, Match inside, included twice',
    config: 'Include DIR/conf.d/*.conf DIR/none*.conf\nMatch User x\n  Include DIR/m.conf\nMatch all\nInclude DIR/m.conf\n',
    args: ['-C', 'user=inc'],
  },
  {
    name: 'Include: blocks cannot leak out of an included file',
    config: 'Include DIR/leak.conf\nMaxSessions 7\nMatch User a\n  Include DIR/leak.conf\n  X11Forwarding yes\n',
    args: ['-C', 'user=a'],
  },
  {
    name: 'command line: -o, -p, -h, -4, -g',
    config: 'X11Forwarding yes\nPort 1\n',
    args: ['-o', 'Port 2200', '-p', '2201', '-o', 'Port=9', '-h', 'HOSTKEY', '-4', '-g', '1m', '-o', 'PasswordAuthentication no'],
  },
  { name: 'command line: -o before the file wins, Match still overrides it', config: 'MaxAuthTries 2\nMatch all\n  PasswordAuthentication yes\n', args: ['-o', 'MaxAuthTries 9', '-o', 'PasswordAuthentication no', '-6'] },
];

/** Lines the generated configurations are made of (global or inside Match blocks). */
const POOL = [
  'Port 2200', 'ListenAddress 127.0.0.1', 'ListenAddress [::1]:9', 'AddressFamily inet', 'PermitRootLogin no', 'PermitRootLogin bogus',
  'PubkeyAuthentication no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'ChallengeResponseAuthentication yes',
  'PermitEmptyPasswords yes', 'AuthenticationMethods publickey', 'AuthenticationMethods password,publickey keyboard-interactive',
  'AuthenticationMethods any', 'AuthorizedKeysFile /a/%u', 'AuthorizedKeysFile none', 'StrictModes no', 'AllowUsers a b', 'AllowUsers c@10.*',
  'DenyUsers x', 'AllowGroups g', 'DenyGroups h', 'MaxAuthTries 2', 'MaxAuthTries x', 'MaxSessions 0', 'MaxStartups 3:40:9', 'MaxStartups 4',
  'LoginGraceTime 2h', 'PerSourceMaxStartups 2', 'PerSourceNetBlockSize 16:48', 'ClientAliveInterval 10', 'ClientAliveCountMax 1',
  'Banner none', 'Banner /etc/b', 'PrintMotd no', 'PermitTTY no', 'AcceptEnv A B*', 'SetEnv X=1 Y=2', 'PermitUserEnvironment LC_*',
  'ForceCommand /bin/x y', 'ForceCommand none', 'ChrootDirectory /c', 'ChrootDirectory none', 'Subsystem s1 /bin/s1 a',
  'AllowTcpForwarding remote', 'AllowStreamLocalForwarding local', 'GatewayPorts yes', 'PermitOpen h:1 h:2', 'PermitOpen none',
  'PermitListen 22', 'AllowAgentForwarding no', 'X11Forwarding yes', 'UsePAM yes', 'LogLevel DEBUG3', 'LogLevel QUIET',
  'SyslogFacility USER', 'Ciphers aes128-ctr', 'Ciphers -aes*', 'MACs hmac-sha2-256', 'KexAlgorithms +diffie-hellman-group14-sha1',
  'HostKeyAlgorithms ssh-ed25519', 'PubkeyAcceptedAlgorithms -ssh-rsa*', 'CASignatureAlgorithms ^rsa-sha2-256', 'TCPKeepAlive no',
  'UseDNS yes', 'Compression no', 'PermitTunnel yes', 'RekeyLimit 100M 5m', 'RekeyLimit default none', 'IPQoS throughput',
  'StreamLocalBindMask 0', 'FingerprintHash md5', 'DisableForwarding yes', 'VersionAddendum x y', 'X11DisplayOffset 1',
  'PermitUserRC no', 'IgnoreRhosts no', 'HostbasedAuthentication yes', 'RequiredRSASize 3072', 'ChannelTimeout *=1m',
  'ChannelTimeout none', 'UnusedConnectionTimeout 1m', 'LogVerbose a.c:*', 'GSSAPIAuthentication yes', 'PubkeyAuthOptions verify-required',
  'UseLogin yes', 'RSAAuthentication no', 'Foo bar', 'Match User alice', 'Match Group staff', 'Match Address 10.0.0.0/8',
  'Match Host *.example.com', 'Match LocalAddress 192.168.0.1', 'Match LocalPort 22', 'Match all', 'Match User alice Address 10.1.*',
  'Match User !alice,*',
];
const SPECS = ['user=alice,host=h.example.com,addr=10.1.2.3,laddr=192.168.0.1,lport=22', 'user=root,addr=192.0.2.7,lport=2222,host=x'];

/** Configurations from a fixed-seed generator: good ones and broken ones alike. */
function generated(count: number): Case[] {
  let seed = 20250101;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const lines = Array.from({ length: 3 + rnd(10) }, () => `${rnd(3) === 0 ? '  ' : ''}${POOL[rnd(POOL.length)]}`);
    return { name: `generated #${i}`, config: `${lines.join('\n')}\n`, args: ['-C', SPECS[rnd(2)]!] };
  });
}

let dir = '';
let cleanup = (): void => undefined;
let hostKey = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('sshd -T only runs as root: run the interop tests as root (CI does)');
  requireOpenSsh();
  ({ path: dir, cleanup } = tempDir('tshd-dump-'));
  hostKey = join(dir, 'host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
  execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-h', '-I', 'host', '-n', 'localhost', `${hostKey}.pub`]);
  execFileSync('cp', [`${hostKey}-cert.pub`, join(dir, 'host-cert.pub')]);
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'rel'));
  execFileSync('cp', [hostKey, join(dir, 'rel', 'k')]);
  writeFileSync(join(dir, 'conf.d', 'a.conf'), 'MaxAuthTries 2\nMatch User inc\n  Banner /inc\n');
  writeFileSync(join(dir, 'conf.d', 'b.conf'), 'PermitRootLogin no\nAllowUsers fromb\n');
  writeFileSync(join(dir, 'm.conf'), 'X11Forwarding yes\nMatch all\n  PermitTTY no\n');
  writeFileSync(join(dir, 'leak.conf'), 'Match User a\n  MaxSessions 3\nMatch all\n  PermitTTY no\n');
});

afterAll(() => cleanup());

const fill = (s: string): string => s.replaceAll('HOSTKEY', hostKey).replaceAll('DIR', dir);

function keywordOf(line: string): string {
  return line.split(' ')[0]!;
}

function compared(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && COMPARED.has(keywordOf(l)));
}

describe('tshd -T matches sshd -T', () => {
  it('the corpus uses every keyword it compares', () => {
    const text = CORPUS.map((c) => c.config).join('\n').toLowerCase();
    const missing = [...COMPARED].filter((k) => {
      const names = [...SERVER_KEYWORDS.values()].filter((i) => i.op === k).map((i) => i.name);
      return !names.some((n) => new RegExp(`(^|\\n)\\s*${n}[ =]`).test(text)) && !['listenaddress', 'port', 'hostkey'].includes(k);
    });
    expect(missing).toEqual([]);
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  const compare = async (c: Case, mustSucceed: boolean): Promise<void> => {
    const cfg = join(dir, `sshd_config_${c.name.replace(/\W+/g, '_')}`);
    writeFileSync(cfg, `HostKey ${hostKey}\n${fill(c.config)}`);
    const args = ['-T', '-f', cfg, ...(c.args ?? []).map(fill)];
    const [theirs, ours] = await Promise.all([run(SSHD, args, { cwd: dir }), run('tshd', args, { cwd: dir })]);
    if (mustSucceed) expect(theirs.code, theirs.stderr).toBe(0);
    const sshdLines = compared(theirs.stdout).map((l) => DELIBERATE[l] ?? l);
    // Every line sshd prints is one tshd compares, or the list above is out of date.
    expect(theirs.stdout.split('\n').filter((l) => l !== '' && !COMPARED.has(keywordOf(l)))).toEqual([]);
    expect(compared(ours.stdout)).toEqual(sshdLines);
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.code, ours.stderr).toBe(theirs.code);
  };

  for (const c of CORPUS) it(c.name, () => compare(c, true));
  for (const c of generated(60)) it(`${c.name}: ${JSON.stringify(c.config)}`, () => compare(c, false));
});
