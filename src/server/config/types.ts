/**
 * The effective tshd configuration: every sshd_config value after defaults (and, for a
 * connection, after its Match blocks), frozen. Field values are what `sshd -T` prints, in
 * typed form; `null` stands for sshd's "none".
 */
import type { ListenSpec, Subsystem } from './options.js';
import type { LogLevel } from './values.js';

export type { ListenSpec, Subsystem, LogLevel };

export type YesNo = 'yes' | 'no';
export type Forwarding = 'yes' | 'no' | 'local' | 'remote';

/** PerSourcePenalties (tshd's own keyword, OpenSSH 9.8 semantics); times in seconds. */
export interface PerSourcePenalties {
  readonly crash: number;
  readonly authfail: number;
  readonly noauth: number;
  readonly graceExceeded: number;
  readonly max: number;
  readonly min: number;
  readonly maxSources4: number;
  readonly maxSources6: number;
  readonly overflow: 'permissive' | 'deny-all';
  readonly overflow6: 'permissive' | 'deny-all';
}

export interface ResolvedServerConfig {
  // Listening.
  readonly ports: readonly number[];
  readonly addressFamily: 'any' | 'inet' | 'inet6';
  /** One entry per address lookup sshd makes, in its order; see resolveListenAddresses(). */
  readonly listen: readonly ListenSpec[];
  /** Absolute paths; null where the configuration said "none". */
  readonly hostKeys: readonly (string | null)[];
  readonly hostCertificates: readonly (string | null)[];
  readonly hostKeyAgent: string | null;
  readonly pidFile: string | null;
  readonly usePam: boolean;
  readonly loginGraceTime: number;
  readonly maxStartups: { readonly begin: number; readonly rate: number; readonly full: number };
  /** null: no per-source limit ("none"). */
  readonly perSourceMaxStartups: number | null;
  readonly perSourceNetBlockSize: { readonly ipv4: number; readonly ipv6: number };
  readonly perSourcePenalties: PerSourcePenalties | null;
  readonly perSourcePenaltyExemptList: string | null;
  readonly versionAddendum: string;
  readonly debianBanner: boolean;
  readonly compression: boolean;
  readonly tcpKeepAlive: boolean;
  readonly useDns: boolean;
  readonly ipQos: { readonly interactive: string; readonly bulk: string };
  readonly rekeyLimit: { readonly bytes: bigint; readonly seconds: number };
  readonly logLevel: LogLevel;
  readonly logVerbose: readonly string[];
  readonly syslogFacility: string;
  readonly fingerprintHash: string;
  readonly moduliFile: string | null;

  // Algorithms: comma lists after +, -, ^ against sshd 9.2's defaults.
  readonly ciphers: string;
  readonly macs: string;
  readonly kexAlgorithms: string;
  readonly hostKeyAlgorithms: string;
  readonly pubkeyAcceptedAlgorithms: string;
  readonly hostbasedAcceptedAlgorithms: string;
  readonly caSignatureAlgorithms: string;
  readonly gssapiKexAlgorithms: string;

  // Authentication.
  readonly permitRootLogin: 'yes' | 'no' | 'prohibit-password' | 'forced-commands-only';
  readonly pubkeyAuthentication: boolean;
  readonly pubkeyAuthOptions: { readonly touchRequired: boolean; readonly verifyRequired: boolean };
  readonly passwordAuthentication: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly permitEmptyPasswords: boolean;
  /** Lists of comma-separated method chains; empty means "any". */
  readonly authenticationMethods: readonly string[];
  /** As configured (tokens %h %u %U %% not expanded; see expandAuthorizedKeysFile()). */
  readonly authorizedKeysFiles: readonly string[];
  readonly authorizedKeysCommand: string | null;
  readonly authorizedKeysCommandUser: string | null;
  readonly authorizedPrincipalsFile: string | null;
  readonly authorizedPrincipalsCommand: string | null;
  readonly authorizedPrincipalsCommandUser: string | null;
  readonly trustedUserCaKeys: string | null;
  readonly revokedKeys: string | null;
  readonly securityKeyProvider: string | null;
  readonly strictModes: boolean;
  readonly maxAuthTries: number;
  readonly requiredRsaSize: number;
  readonly allowUsers: readonly string[];
  readonly denyUsers: readonly string[];
  readonly allowGroups: readonly string[];
  readonly denyGroups: readonly string[];
  readonly hostbasedAuthentication: boolean;
  readonly hostbasedUsesNameFromPacketOnly: boolean;
  readonly ignoreRhosts: 'yes' | 'no' | 'shosts-only';
  readonly ignoreUserKnownHosts: boolean;
  readonly kerberosAuthentication: boolean;
  readonly kerberosOrLocalPasswd: boolean;
  readonly kerberosTicketCleanup: boolean;
  readonly gssapiAuthentication: boolean;
  readonly gssapiCleanupCredentials: boolean;
  readonly gssapiKeyExchange: boolean;
  readonly gssapiStrictAcceptorCheck: boolean;
  readonly gssapiStoreCredentialsOnRekey: boolean;
  /** tshd's own: the password file of the non-root embedded mode. */
  readonly passwordFile: string | null;

  // Sessions.
  readonly maxSessions: number;
  readonly clientAliveInterval: number;
  readonly clientAliveCountMax: number;
  /** Seconds; 0 means none. */
  readonly unusedConnectionTimeout: number;
  /** "type=interval" entries as configured. */
  readonly channelTimeouts: readonly string[];
  readonly banner: string | null;
  readonly printMotd: boolean;
  readonly printLastLog: boolean;
  readonly permitTty: boolean;
  readonly permitUserRc: boolean;
  readonly acceptEnv: readonly string[];
  readonly setEnv: readonly string[];
  /** PermitUserEnvironment: off, on, or on for the names matching `allowlist`. */
  readonly permitUserEnvironment: { readonly enabled: boolean; readonly allowlist: string | null };
  readonly forceCommand: string | null;
  readonly chrootDirectory: string | null;
  readonly subsystems: readonly Subsystem[];
  readonly exposeAuthInfo: boolean;
  readonly x11Forwarding: boolean;
  readonly x11DisplayOffset: number;
  readonly x11UseLocalhost: boolean;
  readonly xauthLocation: string | null;
  readonly permitTunnel: 'no' | 'point-to-point' | 'ethernet' | 'yes';
  readonly routingDomain: string | null;

  // Forwarding.
  readonly allowTcpForwarding: Forwarding;
  readonly allowStreamLocalForwarding: Forwarding;
  readonly allowAgentForwarding: boolean;
  readonly disableForwarding: boolean;
  readonly gatewayPorts: 'no' | 'yes' | 'clientspecified';
  /** Empty: any. Otherwise "host:port" entries, or exactly ["any"] / ["none"]. */
  readonly permitOpen: readonly string[];
  readonly permitListen: readonly string[];
  readonly streamLocalBindMask: number;
  readonly streamLocalBindUnlink: boolean;
}
