/**
 * The mutable option state of one sshd_config pass (servconf.c ServerOptions after
 * initialize_server_options()): `undefined` means "not set", so the first value wins where
 * sshd says so. Multi-state values are kept as their canonical names ("prohibit-password").
 */
import type { LogLevel } from './values.js';

export interface Subsystem {
  readonly name: string;
  /** The program (first word). */
  readonly command: string;
  /** The whole command line: program and arguments joined by single spaces. */
  readonly args: string;
}

export interface ListenSpec {
  /** The address or host name as configured; null means the wildcard (no ListenAddress). */
  readonly host: string | null;
  /** 0: every configured Port. */
  readonly port: number;
  readonly rdomain: string | null;
}

export interface PenaltyOptions {
  enabled?: boolean;
  crash?: number;
  authfail?: number;
  noauth?: number;
  grace?: number;
  max?: number;
  min?: number;
  maxSources4?: number;
  maxSources6?: number;
  overflow?: 'permissive' | 'deny-all';
  overflow6?: 'permissive' | 'deny-all';
}

/** Yes/no keywords (opcode → field). */
export const FLAG_FIELDS = {
  usepam: 'usePam',
  hostbasedauthentication: 'hostbasedAuthentication',
  hostbasedusesnamefrompacketonly: 'hostbasedUsesNameFromPacketOnly',
  pubkeyauthentication: 'pubkeyAuthentication',
  kerberosauthentication: 'kerberosAuthentication',
  kerberosorlocalpasswd: 'kerberosOrLocalPasswd',
  kerberosticketcleanup: 'kerberosTicketCleanup',
  gssapiauthentication: 'gssapiAuthentication',
  gssapicleanupcredentials: 'gssapiCleanupCredentials',
  gssapistrictacceptorcheck: 'gssapiStrictAcceptorCheck',
  gssapikeyexchange: 'gssapiKeyExchange',
  gssapistorecredentialsonrekey: 'gssapiStoreCredentialsOnRekey',
  passwordauthentication: 'passwordAuthentication',
  kbdinteractiveauthentication: 'kbdInteractiveAuthentication',
  printmotd: 'printMotd',
  printlastlog: 'printLastLog',
  ignoreuserknownhosts: 'ignoreUserKnownHosts',
  x11forwarding: 'x11Forwarding',
  x11uselocalhost: 'x11UseLocalhost',
  strictmodes: 'strictModes',
  permitemptypasswords: 'permitEmptyPasswords',
  tcpkeepalive: 'tcpKeepAlive',
  allowagentforwarding: 'allowAgentForwarding',
  usedns: 'useDns',
  permittty: 'permitTty',
  permituserrc: 'permitUserRc',
  streamlocalbindunlink: 'streamLocalBindUnlink',
  disableforwarding: 'disableForwarding',
  exposeauthinfo: 'exposeAuthInfo',
  debianbanner: 'debianBanner',
} as const;
export type FlagField = (typeof FLAG_FIELDS)[keyof typeof FLAG_FIELDS];

/** Multi-state keywords (opcode → field); their tables are in keywords.ts. */
export const MULTI_FIELDS = {
  addressfamily: 'addressFamily',
  permitrootlogin: 'permitRootLogin',
  ignorerhosts: 'ignoreRhosts',
  compression: 'compression',
  gatewayports: 'gatewayPorts',
  allowtcpforwarding: 'allowTcpForwarding',
  allowstreamlocalforwarding: 'allowStreamLocalForwarding',
} as const;
export type MultiField = (typeof MULTI_FIELDS)[keyof typeof MULTI_FIELDS];

/** Integer keywords (atoi_err). */
export const INT_FIELDS = {
  x11displayoffset: 'x11DisplayOffset',
  maxauthtries: 'maxAuthTries',
  maxsessions: 'maxSessions',
  clientalivecountmax: 'clientAliveCountMax',
  requiredrsasize: 'requiredRsaSize',
} as const;
export type IntField = (typeof INT_FIELDS)[keyof typeof INT_FIELDS];

/** Time keywords (convtime). */
export const TIME_FIELDS = {
  logingracetime: 'loginGraceTime',
  clientaliveinterval: 'clientAliveInterval',
} as const;
export type TimeField = (typeof TIME_FIELDS)[keyof typeof TIME_FIELDS];

/** Path keywords (parse_filename: `~` and cwd-relative paths made absolute, first wins). */
export const PATH_FIELDS = {
  pidfile: 'pidFile',
  modulifile: 'moduliFile',
  xauthlocation: 'xauthLocation',
  banner: 'banner',
  trustedusercakeys: 'trustedUserCaKeys',
  revokedkeys: 'revokedKeys',
  passwordfile: 'passwordFile',
} as const;
export type PathField = (typeof PATH_FIELDS)[keyof typeof PATH_FIELDS];

/** Plain single-string keywords (first wins, stored as written). */
export const STRING_FIELDS = {
  chrootdirectory: 'chrootDirectory',
  authorizedkeyscommanduser: 'authorizedKeysCommandUser',
  authorizedprincipalscommanduser: 'authorizedPrincipalsCommandUser',
  gssapikexalgorithms: 'gssapiKexAlgorithms',
  persourcepenaltyexemptlist: 'perSourcePenaltyExemptList',
} as const;
export type StringField = (typeof STRING_FIELDS)[keyof typeof STRING_FIELDS];

/** Algorithm-list keywords (first wins; `+`, `-`, `^` resolved by assemble_algorithms). */
export const ALGO_FIELDS = {
  ciphers: 'ciphers',
  macs: 'macs',
  kexalgorithms: 'kexAlgorithms',
  hostkeyalgorithms: 'hostKeyAlgorithms',
  hostbasedacceptedalgorithms: 'hostbasedAcceptedAlgorithms',
  pubkeyacceptedalgorithms: 'pubkeyAcceptedAlgorithms',
  casignaturealgorithms: 'caSignatureAlgorithms',
} as const;
export type AlgoField = (typeof ALGO_FIELDS)[keyof typeof ALGO_FIELDS];

/** Keywords whose later lines add to the list (allowusers, acceptenv, ...). */
export const APPEND_FIELDS = {
  allowusers: 'allowUsers',
  denyusers: 'denyUsers',
  allowgroups: 'allowGroups',
  denygroups: 'denyGroups',
  acceptenv: 'acceptEnv',
} as const;
export type AppendField = (typeof APPEND_FIELDS)[keyof typeof APPEND_FIELDS];

/** Keywords whose first line sets the whole list (authorizedkeysfile, setenv, ...). */
export const FIRST_LIST_FIELDS = {
  authorizedkeysfile: 'authorizedKeysFiles',
  setenv: 'setEnv',
  authenticationmethods: 'authenticationMethods',
  logverbose: 'logVerbose',
  channeltimeout: 'channelTimeouts',
  permitopen: 'permitOpen',
  permitlisten: 'permitListen',
} as const;
export type FirstListField = (typeof FIRST_LIST_FIELDS)[keyof typeof FIRST_LIST_FIELDS];

export type ServerOptions = {
  [K in FlagField]?: boolean;
} & {
  [K in IntField | TimeField]?: number;
} & {
  [K in PathField | StringField | AlgoField]?: string;
} & {
  [K in AppendField | FirstListField]: string[];
} & {
  addressFamily?: string;
  permitRootLogin?: string;
  ignoreRhosts?: string;
  compression?: string;
  gatewayPorts?: string;
  allowTcpForwarding?: string;
  allowStreamLocalForwarding?: string;
  ports: number[];
  portsFromCmdline: boolean;
  listen: ListenSpec[];
  hostKeys: string[];
  hostCertificates: string[];
  hostKeyAgent?: string;
  logLevel?: LogLevel;
  syslogFacility?: string;
  fingerprintHash?: string;
  securityKeyProvider?: string;
  authorizedPrincipalsFile?: string;
  forceCommand?: string;
  versionAddendum?: string;
  authorizedKeysCommand?: string;
  authorizedPrincipalsCommand?: string;
  routingDomain?: string;
  permitUserEnvironment?: boolean;
  permitUserEnvironmentAllowlist?: string;
  pubkeyAuthOptions?: { touchRequired: boolean; verifyRequired: boolean };
  rekeyLimit?: bigint;
  rekeyInterval?: number;
  maxStartups?: { begin?: number; rate?: number; full?: number };
  perSourceMaxStartups?: number;
  perSourceNetBlockSize?: { ipv4: number; ipv6: number };
  permitTunnel?: string;
  ipQos?: { interactive: string; bulk: string };
  streamLocalBindMask?: number;
  unusedConnectionTimeout?: number;
  subsystems: Subsystem[];
  perSourcePenalties: PenaltyOptions;
};

export function newServerOptions(): ServerOptions {
  const lists = (fields: Record<string, string>): Record<string, string[]> =>
    Object.fromEntries(Object.values(fields).map((f) => [f, []]));
  return {
    ...(lists(APPEND_FIELDS) as Record<AppendField, string[]>),
    ...(lists(FIRST_LIST_FIELDS) as Record<FirstListField, string[]>),
    ports: [],
    portsFromCmdline: false,
    listen: [],
    hostKeys: [],
    hostCertificates: [],
    subsystems: [],
    perSourcePenalties: {},
  };
}

/** A deep copy (option values are plain data). */
export function cloneServerOptions(o: ServerOptions): ServerOptions {
  return structuredClone(o);
}
