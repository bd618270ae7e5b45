/**
 * The sshd_config keyword table: servconf.c keywords[] of OpenSSH 9.2p1 as Debian 12 builds it
 * (USE_PAM, KRB5 without AFS, GSSAPI with Debian's key-exchange patch, no routing domains),
 * plus the keywords that exist only in tshd.
 *
 * Every name maps to an opcode; the opcode's dump name (`sshd -T`) is the first name in the
 * table with that opcode, as lookup_opcode_name() does. `match` is servconf.c's SSHCFG_MATCH:
 * the keyword may appear inside a Match block. `tshd` says what tshd does with it:
 *
 * - `honoured`: tshd acts on the value (the daemon's contract).
 * - `inert`: tshd has no such feature (GSSAPI, Kerberos, host-based auth, X11, certificates,
 *   security keys, ...). The value is parsed, checked and dumped exactly as sshd does, and
 *   ignored: every such setting only enables something tshd never offers, so ignoring it fails
 *   closed.
 * - `refused`: ignoring the value would be unsafe or would silently lose what the administrator
 *   asked for, so tshd refuses the configuration unless the value is one of `allowed`
 *   (e.g. RevokedKeys: ignoring it would accept revoked keys).
 * - `deprecated`, `ignore`, `unsupported`: sshd's own classes (a log line, or nothing, and the
 *   line is skipped).
 * - `tshd-only`: not an sshd 9.2 keyword. `sshd -T` never prints these.
 */

export type KeywordStatus = 'honoured' | 'inert' | 'refused' | 'deprecated' | 'ignore' | 'unsupported' | 'tshd-only';

export interface KeywordInfo {
  /** Lowercase name as written in the table. */
  readonly name: string;
  /** Canonical opcode: the dump name of the keyword this one stands for. */
  readonly op: string;
  /** Allowed inside Match (SSHCFG_MATCH). */
  readonly match: boolean;
  readonly tshd: KeywordStatus;
  /** For `refused`: the values (lowercase, first argument) tshd accepts. */
  readonly allowed?: readonly string[];
}

type Row = readonly [name: string, op: string, where: 'G' | 'A', status: KeywordStatus, allowed?: readonly string[]];

// [name, opcode, G = global only / A = also in Match, tshd status]; order as in servconf.c.
const ROWS: readonly Row[] = [
  ['usepam', 'usepam', 'G', 'honoured'],
  ['pamauthenticationviakbdint', 'deprecated', 'G', 'deprecated'],
  ['port', 'port', 'G', 'honoured'],
  ['hostkey', 'hostkey', 'G', 'honoured'],
  ['hostdsakey', 'hostkey', 'G', 'honoured'],
  ['hostkeyagent', 'hostkeyagent', 'G', 'refused', ['none']],
  ['pidfile', 'pidfile', 'G', 'honoured'],
  ['modulifile', 'modulifile', 'G', 'inert'],
  ['serverkeybits', 'deprecated', 'G', 'deprecated'],
  ['logingracetime', 'logingracetime', 'G', 'honoured'],
  ['keyregenerationinterval', 'deprecated', 'G', 'deprecated'],
  ['permitrootlogin', 'permitrootlogin', 'A', 'honoured'],
  ['syslogfacility', 'syslogfacility', 'G', 'honoured'],
  ['loglevel', 'loglevel', 'A', 'honoured'],
  ['logverbose', 'logverbose', 'A', 'honoured'],
  ['rhostsauthentication', 'deprecated', 'G', 'deprecated'],
  ['rhostsrsaauthentication', 'deprecated', 'A', 'deprecated'],
  ['hostbasedauthentication', 'hostbasedauthentication', 'A', 'inert'],
  ['hostbasedusesnamefrompacketonly', 'hostbasedusesnamefrompacketonly', 'A', 'inert'],
  ['hostbasedacceptedalgorithms', 'hostbasedacceptedalgorithms', 'A', 'inert'],
  ['hostbasedacceptedkeytypes', 'hostbasedacceptedalgorithms', 'A', 'inert'],
  ['hostkeyalgorithms', 'hostkeyalgorithms', 'G', 'honoured'],
  ['rsaauthentication', 'deprecated', 'A', 'deprecated'],
  ['pubkeyauthentication', 'pubkeyauthentication', 'A', 'honoured'],
  ['pubkeyacceptedalgorithms', 'pubkeyacceptedalgorithms', 'A', 'honoured'],
  ['pubkeyacceptedkeytypes', 'pubkeyacceptedalgorithms', 'A', 'honoured'],
  ['pubkeyauthoptions', 'pubkeyauthoptions', 'A', 'inert'],
  ['dsaauthentication', 'pubkeyauthentication', 'G', 'honoured'],
  // Kerberos password checking replaces the local password check: ignoring it would accept
  // local passwords where only Kerberos ones were meant to work.
  ['kerberosauthentication', 'kerberosauthentication', 'A', 'refused', ['no']],
  ['kerberosorlocalpasswd', 'kerberosorlocalpasswd', 'G', 'inert'],
  ['kerberosticketcleanup', 'kerberosticketcleanup', 'G', 'inert'],
  ['kerberosgetafstoken', 'unsupported', 'G', 'unsupported'],
  ['kerberostgtpassing', 'unsupported', 'G', 'unsupported'],
  ['afstokenpassing', 'unsupported', 'G', 'unsupported'],
  ['gssapiauthentication', 'gssapiauthentication', 'A', 'inert'],
  ['gssapicleanupcredentials', 'gssapicleanupcredentials', 'G', 'inert'],
  ['gssapicleanupcreds', 'gssapicleanupcredentials', 'G', 'inert'],
  ['gssapistrictacceptorcheck', 'gssapistrictacceptorcheck', 'G', 'inert'],
  ['gssapikeyexchange', 'gssapikeyexchange', 'G', 'inert'],
  ['gssapistorecredentialsonrekey', 'gssapistorecredentialsonrekey', 'G', 'inert'],
  ['gssapikexalgorithms', 'gssapikexalgorithms', 'G', 'inert'],
  ['gssusesessionccache', 'unsupported', 'G', 'unsupported'],
  ['gssapiusesessioncredcache', 'unsupported', 'G', 'unsupported'],
  ['passwordauthentication', 'passwordauthentication', 'A', 'honoured'],
  ['kbdinteractiveauthentication', 'kbdinteractiveauthentication', 'A', 'honoured'],
  ['challengeresponseauthentication', 'kbdinteractiveauthentication', 'A', 'honoured'],
  ['skeyauthentication', 'kbdinteractiveauthentication', 'A', 'honoured'],
  ['checkmail', 'deprecated', 'G', 'deprecated'],
  ['listenaddress', 'listenaddress', 'G', 'honoured'],
  ['addressfamily', 'addressfamily', 'G', 'honoured'],
  ['printmotd', 'printmotd', 'G', 'honoured'],
  ['printlastlog', 'printlastlog', 'G', 'honoured'],
  ['ignorerhosts', 'ignorerhosts', 'A', 'inert'],
  ['ignoreuserknownhosts', 'ignoreuserknownhosts', 'G', 'inert'],
  ['x11forwarding', 'x11forwarding', 'A', 'inert'],
  ['x11displayoffset', 'x11displayoffset', 'A', 'inert'],
  ['x11uselocalhost', 'x11uselocalhost', 'A', 'inert'],
  ['xauthlocation', 'xauthlocation', 'G', 'inert'],
  ['strictmodes', 'strictmodes', 'G', 'honoured'],
  ['permitblacklistedkeys', 'deprecated', 'G', 'deprecated'],
  ['permitemptypasswords', 'permitemptypasswords', 'A', 'honoured'],
  ['permituserenvironment', 'permituserenvironment', 'G', 'honoured'],
  ['uselogin', 'deprecated', 'G', 'deprecated'],
  ['compression', 'compression', 'G', 'honoured'],
  ['rekeylimit', 'rekeylimit', 'A', 'honoured'],
  ['tcpkeepalive', 'tcpkeepalive', 'G', 'honoured'],
  ['keepalive', 'tcpkeepalive', 'G', 'honoured'],
  ['allowtcpforwarding', 'allowtcpforwarding', 'A', 'honoured'],
  ['allowagentforwarding', 'allowagentforwarding', 'A', 'honoured'],
  ['allowusers', 'allowusers', 'A', 'honoured'],
  ['denyusers', 'denyusers', 'A', 'honoured'],
  ['allowgroups', 'allowgroups', 'A', 'honoured'],
  ['denygroups', 'denygroups', 'A', 'honoured'],
  ['ciphers', 'ciphers', 'G', 'honoured'],
  ['macs', 'macs', 'G', 'honoured'],
  ['protocol', 'ignore', 'G', 'ignore'],
  ['gatewayports', 'gatewayports', 'A', 'honoured'],
  ['subsystem', 'subsystem', 'G', 'honoured'],
  ['maxstartups', 'maxstartups', 'G', 'honoured'],
  ['persourcemaxstartups', 'persourcemaxstartups', 'G', 'honoured'],
  ['persourcenetblocksize', 'persourcenetblocksize', 'G', 'honoured'],
  ['maxauthtries', 'maxauthtries', 'A', 'honoured'],
  ['maxsessions', 'maxsessions', 'A', 'honoured'],
  ['banner', 'banner', 'A', 'honoured'],
  ['usedns', 'usedns', 'G', 'honoured'],
  ['verifyreversemapping', 'deprecated', 'G', 'deprecated'],
  ['reversemappingcheck', 'deprecated', 'G', 'deprecated'],
  ['clientaliveinterval', 'clientaliveinterval', 'A', 'honoured'],
  ['clientalivecountmax', 'clientalivecountmax', 'A', 'honoured'],
  ['authorizedkeysfile', 'authorizedkeysfile', 'A', 'honoured'],
  ['authorizedkeysfile2', 'deprecated', 'A', 'deprecated'],
  ['useprivilegeseparation', 'deprecated', 'G', 'deprecated'],
  ['acceptenv', 'acceptenv', 'A', 'honoured'],
  ['setenv', 'setenv', 'A', 'honoured'],
  ['permittunnel', 'permittunnel', 'A', 'inert'],
  ['permittty', 'permittty', 'A', 'honoured'],
  ['permituserrc', 'permituserrc', 'A', 'inert'],
  ['match', 'match', 'A', 'honoured'],
  ['permitopen', 'permitopen', 'A', 'honoured'],
  ['permitlisten', 'permitlisten', 'A', 'honoured'],
  ['forcecommand', 'forcecommand', 'A', 'honoured'],
  ['chrootdirectory', 'chrootdirectory', 'A', 'honoured'],
  ['hostcertificate', 'hostcertificate', 'G', 'inert'],
  ['revokedkeys', 'revokedkeys', 'A', 'refused', ['none']],
  ['trustedusercakeys', 'trustedusercakeys', 'A', 'inert'],
  ['authorizedprincipalsfile', 'authorizedprincipalsfile', 'A', 'inert'],
  ['kexalgorithms', 'kexalgorithms', 'G', 'honoured'],
  ['include', 'include', 'A', 'honoured'],
  ['ipqos', 'ipqos', 'A', 'honoured'],
  // The command supplies the keys; without it nobody it serves could log in.
  ['authorizedkeyscommand', 'authorizedkeyscommand', 'A', 'refused', ['none']],
  ['authorizedkeyscommanduser', 'authorizedkeyscommanduser', 'A', 'inert'],
  ['authorizedprincipalscommand', 'authorizedprincipalscommand', 'A', 'inert'],
  ['authorizedprincipalscommanduser', 'authorizedprincipalscommanduser', 'A', 'inert'],
  ['versionaddendum', 'versionaddendum', 'G', 'honoured'],
  ['authenticationmethods', 'authenticationmethods', 'A', 'honoured'],
  ['streamlocalbindmask', 'streamlocalbindmask', 'A', 'honoured'],
  ['streamlocalbindunlink', 'streamlocalbindunlink', 'A', 'honoured'],
  ['allowstreamlocalforwarding', 'allowstreamlocalforwarding', 'A', 'honoured'],
  ['fingerprinthash', 'fingerprinthash', 'G', 'honoured'],
  ['disableforwarding', 'disableforwarding', 'A', 'honoured'],
  ['exposeauthinfo', 'exposeauthinfo', 'A', 'inert'],
  // Debian's sshd has no routing-domain support: "setting RDomain not supported".
  ['rdomain', 'rdomain', 'A', 'refused', []],
  ['casignaturealgorithms', 'casignaturealgorithms', 'A', 'inert'],
  ['securitykeyprovider', 'securitykeyprovider', 'G', 'inert'],
  ['requiredrsasize', 'requiredrsasize', 'A', 'honoured'],
  ['channeltimeout', 'channeltimeout', 'A', 'honoured'],
  ['unusedconnectiontimeout', 'unusedconnectiontimeout', 'A', 'honoured'],
  ['debianbanner', 'debianbanner', 'G', 'inert'],
  // tshd's own keywords (not in sshd 9.2).
  // PerSourcePenalties / PerSourcePenaltyExemptList: OpenSSH 9.8's syntax and defaults.
  ['persourcepenalties', 'persourcepenalties', 'G', 'tshd-only'],
  ['persourcepenaltyexemptlist', 'persourcepenaltyexemptlist', 'G', 'tshd-only'],
  // PasswordFile: password hashes for the non-root embedded mode (the daemon defines the format).
  ['passwordfile', 'passwordfile', 'G', 'tshd-only'],
];

export const SERVER_KEYWORDS: ReadonlyMap<string, KeywordInfo> = new Map(
  ROWS.map(([name, op, where, tshd, allowed]) => [name, { name, op, match: where === 'A', tshd, ...(allowed ? { allowed } : {}) }]),
);

/** The keywords that exist only in tshd (never printed by `sshd -T`). */
export const TSHD_ONLY_KEYWORDS: readonly string[] = ROWS.filter((r) => r[3] === 'tshd-only').map((r) => r[0]);

/** lookup_opcode_name(): the first table name with this opcode. */
export function opcodeName(op: string): string {
  return ROWS.find((r) => r[1] === op)?.[0] ?? 'UNKNOWN';
}

/** Multi-state value tables (servconf.c multistate_*): name → canonical value; first name is the printed one. */
export type ServerMultistate = ReadonlyArray<readonly [string, string]>;

export const MS_YESNO: ServerMultistate = [['yes', 'yes'], ['no', 'no']];
export const MS_IGNORE_RHOSTS: ServerMultistate = [['yes', 'yes'], ['no', 'no'], ['shosts-only', 'shosts-only']];
export const MS_ADDRESS_FAMILY: ServerMultistate = [['inet', 'inet'], ['inet6', 'inet6'], ['any', 'any']];
export const MS_PERMIT_ROOT_LOGIN: ServerMultistate = [
  ['without-password', 'prohibit-password'], ['prohibit-password', 'prohibit-password'],
  ['forced-commands-only', 'forced-commands-only'], ['yes', 'yes'], ['no', 'no'],
];
export const MS_COMPRESSION: ServerMultistate = [['yes', 'yes'], ['delayed', 'yes'], ['no', 'no']];
export const MS_GATEWAY_PORTS: ServerMultistate = [['clientspecified', 'clientspecified'], ['yes', 'yes'], ['no', 'no']];
export const MS_TCP_FWD: ServerMultistate = [['yes', 'yes'], ['all', 'yes'], ['no', 'no'], ['remote', 'remote'], ['local', 'local']];

/** The printed name of a canonical value (fmt_multistate_int). */
export function msName(value: string, table: ServerMultistate): string {
  return table.find(([, v]) => v === value)?.[0] ?? 'UNKNOWN';
}
