/** The resolved client configuration: every field has a value once defaults are applied. */
import type { Forward } from './forward.js';

export type { Forward } from './forward.js';

export interface ProxyJumpSpec {
  readonly user: string | null;
  readonly host: string;
  /** -1 when not given. */
  readonly port: number;
  /** Earlier hops ("a,b" of "a,b,c"), or null. */
  readonly extra: string | null;
}

export interface ResolvedClientConfig {
  /** The destination as given (host_arg). */
  readonly host: string;
  readonly user: string;
  /** HostName after %h expansion, lowercased unless an address. */
  readonly hostname: string;
  readonly port: number;
  readonly addressFamily: 'any' | 'inet' | 'inet6';
  readonly batchMode: boolean;
  readonly canonicalizeFallbackLocal: boolean;
  readonly canonicalizeHostname: 'false' | 'true' | 'always';
  readonly checkHostIp: boolean;
  readonly compression: boolean;
  readonly controlMaster: 'false' | 'true' | 'auto' | 'ask' | 'autoask';
  readonly enableSshKeysign: boolean;
  readonly clearAllForwardings: boolean;
  readonly exitOnForwardFailure: boolean;
  readonly fingerprintHash: 'MD5' | 'SHA1' | 'SHA256' | 'SHA384' | 'SHA512';
  readonly forwardX11: boolean;
  readonly forwardX11Trusted: boolean;
  readonly gatewayPorts: boolean;
  readonly gssapiAuthentication: boolean;
  readonly gssapiKeyExchange: boolean;
  readonly gssapiDelegateCredentials: boolean;
  readonly gssapiTrustDns: boolean;
  readonly gssapiRenewalForcesRekey: boolean;
  readonly gssapiClientIdentity: string | null;
  readonly gssapiServerIdentity: string | null;
  readonly gssapiKexAlgorithms: string;
  readonly hashKnownHosts: boolean;
  readonly hostbasedAuthentication: boolean;
  readonly identitiesOnly: boolean;
  readonly kbdInteractiveAuthentication: boolean;
  readonly noHostAuthenticationForLocalhost: boolean;
  readonly passwordAuthentication: boolean;
  readonly permitLocalCommand: boolean;
  readonly proxyUseFdpass: boolean;
  readonly pubkeyAuthentication: 'true' | 'false' | 'unbound' | 'host-bound';
  readonly requestTty: 'auto' | 'true' | 'false' | 'force';
  readonly sessionType: 'default' | 'none' | 'subsystem';
  readonly stdinNull: boolean;
  readonly forkAfterAuthentication: boolean;
  readonly streamLocalBindUnlink: boolean;
  readonly strictHostKeyChecking: 'true' | 'false' | 'ask' | 'accept-new';
  readonly tcpKeepAlive: boolean;
  readonly tunnel: 'false' | 'point-to-point' | 'ethernet';
  readonly verifyHostKeyDns: 'false' | 'true' | 'ask';
  readonly visualHostKey: boolean;
  readonly updateHostKeys: 'false' | 'true' | 'ask';
  readonly enableEscapeCommandline: boolean;
  readonly canonicalizeMaxDots: number;
  readonly connectionAttempts: number;
  readonly forwardX11Timeout: number;
  readonly numberOfPasswordPrompts: number;
  readonly serverAliveCountMax: number;
  readonly serverAliveInterval: number;
  readonly requiredRsaSize: number;
  readonly bindAddress: string | null;
  readonly bindInterface: string | null;
  readonly ciphers: string;
  /** Expanded (~, %-tokens, ${ENV}). */
  readonly controlPath: string | null;
  readonly hostKeyAlgorithms: string;
  /**
   * HostKeyAlgorithms was not set, or only appended to / removed from (`+...`, `-...`): ssh then
   * puts the algorithms of the host's known_hosts keys first (sshconnect2.c ssh_kex2).
   */
  readonly hostKeyAlgorithmsOrderFromKnownHosts: boolean;
  readonly hostKeyAlias: string | null;
  readonly hostbasedAcceptedAlgorithms: string;
  /** Expanded (~, %-tokens, ${ENV}); "none" and "SSH_AUTH_SOCK" are kept as written. */
  readonly identityAgent: string | null;
  readonly ignoreUnknown: string | null;
  readonly kbdInteractiveDevices: string | null;
  readonly kexAlgorithms: string;
  readonly caSignatureAlgorithms: string;
  /** Unexpanded: OpenSSH expands it after forwarding is set up. */
  readonly localCommand: string | null;
  /** Expanded %-tokens. */
  readonly remoteCommand: string | null;
  /** DEBUG is DEBUG1 (OpenSSH prints a level by its first name). */
  readonly logLevel: 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG' | 'DEBUG2' | 'DEBUG3';
  readonly macs: string;
  readonly pkcs11Provider: string | null;
  readonly securityKeyProvider: string | null;
  readonly preferredAuthentications: string | null;
  readonly pubkeyAcceptedAlgorithms: string;
  readonly revokedHostKeys: string | null;
  readonly xauthLocation: string;
  readonly knownHostsCommand: string | null;
  /** LocalForward and DynamicForward entries (dynamic ones have connectHost "socks"). */
  readonly localForwards: readonly Forward[];
  readonly remoteForwards: readonly Forward[];
  /** As written (ssh -G prints them so). */
  readonly identityFiles: readonly string[];
  /** IdentityFile after ~, %-token and ${ENV} expansion: the paths the client loads. */
  readonly identityFilesExpanded: readonly string[];
  readonly certificateFiles: readonly string[];
  readonly certificateFilesExpanded: readonly string[];
  readonly canonicalDomains: readonly string[];
  readonly globalKnownHostsFiles: readonly string[];
  /** Expanded (~, %-tokens, ${ENV}); empty for "none". */
  readonly userKnownHostsFiles: readonly string[];
  readonly sendEnv: readonly string[];
  readonly setEnv: readonly string[];
  readonly logVerbose: readonly string[];
  /** Empty means "any". */
  readonly permitRemoteOpen: readonly string[];
  readonly addKeysToAgent: 'false' | 'true' | 'ask' | 'confirm';
  /** Seconds; 0 = no limit. */
  readonly addKeysToAgentLifespan: number;
  readonly forwardAgent: boolean;
  /** ForwardAgent given as a socket path (expanded), or null. */
  readonly forwardAgentSocket: string | null;
  /** Seconds, or null for none. */
  readonly connectTimeout: number | null;
  readonly tunnelDevice: { readonly local: number | 'any'; readonly remote: number | 'any' };
  readonly canonicalizePermittedCnames: readonly { readonly source: string; readonly target: string }[];
  readonly controlPersist: boolean;
  /** Seconds; 0 = forever (when controlPersist). */
  readonly controlPersistTimeout: number;
  /** The escape character, or null for "none". */
  readonly escapeChar: string | null;
  readonly ipQos: readonly [string, string];
  readonly rekeyLimit: number;
  readonly rekeyInterval: number;
  readonly streamLocalBindMask: number;
  readonly syslogFacility: string;
  /** Null when unset, "none", or replaced by ProxyJump. */
  readonly proxyCommand: string | null;
  readonly proxyJump: ProxyJumpSpec | null;
}
