/**
 * The configuration keywords of ssh_config and sshd_config as their manuals spell them: the code's
 * keyword tables (src/config/keywords.ts, src/server/config/keywords.ts) hold lowercase names, and
 * the manuals list them with these capitals. A unit test keeps this list and the tables equal.
 */
const NAMES: readonly string[] = [
  'AcceptEnv', 'AddKeysToAgent', 'AddressFamily', 'AFSTokenPassing', 'AllowAgentForwarding',
  'AllowGroups', 'AllowStreamLocalForwarding', 'AllowTcpForwarding', 'AllowUsers',
  'AuthenticationMethods', 'AuthorizedKeysCommand', 'AuthorizedKeysCommandUser',
  'AuthorizedKeysFile', 'AuthorizedKeysFile2', 'AuthorizedPrincipalsCommand',
  'AuthorizedPrincipalsCommandUser', 'AuthorizedPrincipalsFile', 'Banner', 'BatchMode',
  'BindAddress', 'BindInterface', 'CanonicalDomains', 'CanonicalizeFallbackLocal',
  'CanonicalizeHostname', 'CanonicalizeMaxDots', 'CanonicalizePermittedCNAMEs',
  'CASignatureAlgorithms', 'CertificateFile', 'ChallengeResponseAuthentication', 'ChannelTimeout',
  'CheckHostIP', 'CheckMail', 'ChrootDirectory', 'Cipher', 'Ciphers', 'ClearAllForwardings',
  'ClientAliveCountMax', 'ClientAliveInterval', 'Compression', 'CompressionLevel',
  'ConnectionAttempts', 'ConnectTimeout', 'ControlMaster', 'ControlPath', 'ControlPersist',
  'DebianBanner', 'DenyGroups', 'DenyUsers', 'DisableForwarding', 'DSAAuthentication',
  'DynamicForward', 'EnableEscapeCommandline', 'EnableSSHKeysign', 'EscapeChar',
  'ExitOnForwardFailure', 'ExposeAuthInfo', 'FallBackToRsh', 'FingerprintHash', 'ForceCommand',
  'ForkAfterAuthentication', 'ForwardAgent', 'ForwardX11', 'ForwardX11Timeout', 'ForwardX11Trusted',
  'GatewayPorts', 'GlobalKnownHostsFile', 'GlobalKnownHostsFile2', 'GSSAPIAuthentication',
  'GSSAPICleanupCredentials', 'GSSAPICleanupCreds', 'GSSAPIClientIdentity',
  'GSSAPIDelegateCredentials', 'GSSAPIKexAlgorithms', 'GSSAPIKeyExchange',
  'GSSAPIRenewalForcesRekey', 'GSSAPIServerIdentity', 'GSSAPIStoreCredentialsOnRekey',
  'GSSAPIStrictAcceptorCheck', 'GSSAPITrustDns', 'GSSAPIUseSessionCredCache', 'GSSUseSessionCCache',
  'HashKnownHosts', 'Host', 'HostbasedAcceptedAlgorithms', 'HostbasedAcceptedKeyTypes',
  'HostbasedAuthentication', 'HostbasedKeyTypes', 'HostbasedUsesNameFromPacketOnly',
  'HostCertificate', 'HostDSAKey', 'HostKey', 'HostKeyAgent', 'HostKeyAlgorithms', 'HostKeyAlias',
  'Hostname', 'IdentitiesOnly', 'IdentityAgent', 'IdentityFile', 'IdentityFile2', 'IgnoreRhosts',
  'IgnoreUnknown', 'IgnoreUserKnownHosts', 'Include', 'IPQoS', 'KbdInteractiveAuthentication',
  'KbdInteractiveDevices', 'KeepAlive', 'KerberosAuthentication', 'KerberosGetAFSToken',
  'KerberosOrLocalPasswd', 'KerberosTGTPassing', 'KerberosTicketCleanup', 'KexAlgorithms',
  'KeyRegenerationInterval', 'KnownHostsCommand', 'ListenAddress', 'LocalCommand', 'LocalForward',
  'LoginGraceTime', 'LogLevel', 'LogVerbose', 'MACs', 'Match', 'MaxAuthTries', 'MaxSessions',
  'MaxStartups', 'ModuliFile', 'NoHostAuthenticationForLocalhost', 'NumberOfPasswordPrompts',
  'PAMAuthenticationViaKbdInt', 'PasswordAuthentication', 'PasswordFile', 'PermitBlacklistedKeys',
  'PermitEmptyPasswords', 'PermitListen', 'PermitLocalCommand', 'PermitOpen', 'PermitRemoteOpen',
  'PermitRootLogin', 'PermitTTY', 'PermitTunnel', 'PermitUserEnvironment', 'PermitUserRC',
  'PerSourceMaxStartups', 'PerSourceNetBlockSize', 'PerSourcePenalties',
  'PerSourcePenaltyExemptList', 'PidFile', 'PKCS11Provider', 'Port', 'PreferredAuthentications',
  'PrintLastLog', 'PrintMotd', 'Protocol', 'ProxyCommand', 'ProxyJump', 'ProxyUseFdpass',
  'PubkeyAcceptedAlgorithms', 'PubkeyAcceptedKeyTypes', 'PubkeyAuthentication', 'PubkeyAuthOptions',
  'RDomain', 'RekeyLimit', 'RemoteCommand', 'RemoteForward', 'RequestTTY', 'RequiredRSASize',
  'ReverseMappingCheck', 'RevokedHostKeys', 'RevokedKeys', 'RhostsAuthentication',
  'RhostsRSAAuthentication', 'RSAAuthentication', 'SecurityKeyProvider', 'SendEnv',
  'ServerAliveCountMax', 'ServerAliveInterval', 'ServerKeyBits', 'SessionType', 'SetEnv',
  'SkeyAuthentication', 'SmartcardDevice', 'StdinNull', 'StreamLocalBindMask',
  'StreamLocalBindUnlink', 'StrictHostKeyChecking', 'StrictModes', 'Subsystem', 'SyslogFacility',
  'TCPKeepAlive', 'TISAuthentication', 'TrustedUserCAKeys', 'Tunnel', 'TunnelDevice',
  'UnusedConnectionTimeout', 'UpdateHostKeys', 'UseDNS', 'UseLogin', 'UsePAM', 'UsePrivilegedPort',
  'UsePrivilegeSeparation', 'User', 'UserKnownHostsFile', 'UserKnownHostsFile2', 'UseRoaming',
  'UseRsh', 'VerifyHostKeyDNS', 'VerifyReverseMapping', 'VersionAddendum', 'VisualHostKey',
  'X11DisplayOffset', 'X11Forwarding', 'X11UseLocalhost', 'XAuthLocation',
];

const BY_LOWER: ReadonlyMap<string, string> = new Map(NAMES.map((n) => [n.toLowerCase(), n]));

/** Every spelled name, lowercase (for the drift test). */
export const SPELLED_KEYWORDS: readonly string[] = [...BY_LOWER.keys()];

/** The manual's spelling of a lowercase keyword (the name itself when none is known). */
export function spellKeyword(lower: string): string {
  return BY_LOWER.get(lower) ?? lower;
}
