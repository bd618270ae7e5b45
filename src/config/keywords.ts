/**
 * The ssh_config keyword table (readconf.c keywords[] of OpenSSH 9.2p1 as Debian builds it):
 * each accepted name maps to an opcode; the opcode's dump name is its first name in the table.
 */

/** Keyword name (lowercase) → opcode. Aliases map to the opcode of the keyword they stand for. */
export const KEYWORDS: ReadonlyMap<string, string> = new Map<string, string>([
  // Deprecated: accepted and ignored (debug message only).
  ['protocol', 'ignore'],
  ['cipher', 'deprecated'],
  ['fallbacktorsh', 'deprecated'],
  ['globalknownhostsfile2', 'deprecated'],
  ['rhostsauthentication', 'deprecated'],
  ['userknownhostsfile2', 'deprecated'],
  ['useroaming', 'deprecated'],
  ['usersh', 'deprecated'],
  ['useprivilegedport', 'deprecated'],
  // Unsupported: an error message, but not fatal.
  ['afstokenpassing', 'unsupported'],
  ['kerberosauthentication', 'unsupported'],
  ['kerberostgtpassing', 'unsupported'],
  ['rsaauthentication', 'unsupported'],
  ['rhostsrsaauthentication', 'unsupported'],
  ['compressionlevel', 'unsupported'],
  ['gssapiauthentication', 'gssapiauthentication'],
  ['gssapikeyexchange', 'gssapikeyexchange'],
  ['gssapidelegatecredentials', 'gssapidelegatecredentials'],
  ['gssapitrustdns', 'gssapitrustdns'],
  ['gssapiclientidentity', 'gssapiclientidentity'],
  ['gssapiserveridentity', 'gssapiserveridentity'],
  ['gssapirenewalforcesrekey', 'gssapirenewalforcesrekey'],
  ['gssapikexalgorithms', 'gssapikexalgorithms'],
  ['pkcs11provider', 'pkcs11provider'],
  ['smartcarddevice', 'pkcs11provider'],
  ['forwardagent', 'forwardagent'],
  ['forwardx11', 'forwardx11'],
  ['forwardx11trusted', 'forwardx11trusted'],
  ['forwardx11timeout', 'forwardx11timeout'],
  ['exitonforwardfailure', 'exitonforwardfailure'],
  ['xauthlocation', 'xauthlocation'],
  ['gatewayports', 'gatewayports'],
  ['passwordauthentication', 'passwordauthentication'],
  ['kbdinteractiveauthentication', 'kbdinteractiveauthentication'],
  ['kbdinteractivedevices', 'kbdinteractivedevices'],
  ['challengeresponseauthentication', 'kbdinteractiveauthentication'],
  ['skeyauthentication', 'kbdinteractiveauthentication'],
  ['tisauthentication', 'kbdinteractiveauthentication'],
  ['pubkeyauthentication', 'pubkeyauthentication'],
  ['dsaauthentication', 'pubkeyauthentication'],
  ['hostbasedauthentication', 'hostbasedauthentication'],
  ['identityfile', 'identityfile'],
  ['identityfile2', 'identityfile'],
  ['identitiesonly', 'identitiesonly'],
  ['certificatefile', 'certificatefile'],
  ['addkeystoagent', 'addkeystoagent'],
  ['identityagent', 'identityagent'],
  ['hostname', 'hostname'],
  ['hostkeyalias', 'hostkeyalias'],
  ['proxycommand', 'proxycommand'],
  ['port', 'port'],
  ['ciphers', 'ciphers'],
  ['macs', 'macs'],
  ['remoteforward', 'remoteforward'],
  ['localforward', 'localforward'],
  ['permitremoteopen', 'permitremoteopen'],
  ['user', 'user'],
  ['host', 'host'],
  ['match', 'match'],
  ['escapechar', 'escapechar'],
  ['globalknownhostsfile', 'globalknownhostsfile'],
  ['userknownhostsfile', 'userknownhostsfile'],
  ['connectionattempts', 'connectionattempts'],
  ['batchmode', 'batchmode'],
  ['checkhostip', 'checkhostip'],
  ['stricthostkeychecking', 'stricthostkeychecking'],
  ['compression', 'compression'],
  ['tcpkeepalive', 'tcpkeepalive'],
  ['keepalive', 'tcpkeepalive'],
  ['numberofpasswordprompts', 'numberofpasswordprompts'],
  ['syslogfacility', 'syslogfacility'],
  ['loglevel', 'loglevel'],
  ['logverbose', 'logverbose'],
  ['dynamicforward', 'dynamicforward'],
  ['preferredauthentications', 'preferredauthentications'],
  ['hostkeyalgorithms', 'hostkeyalgorithms'],
  ['casignaturealgorithms', 'casignaturealgorithms'],
  ['bindaddress', 'bindaddress'],
  ['bindinterface', 'bindinterface'],
  ['clearallforwardings', 'clearallforwardings'],
  ['enablesshkeysign', 'enablesshkeysign'],
  ['verifyhostkeydns', 'verifyhostkeydns'],
  ['nohostauthenticationforlocalhost', 'nohostauthenticationforlocalhost'],
  ['rekeylimit', 'rekeylimit'],
  ['connecttimeout', 'connecttimeout'],
  ['addressfamily', 'addressfamily'],
  ['serveraliveinterval', 'serveraliveinterval'],
  ['serveralivecountmax', 'serveralivecountmax'],
  ['sendenv', 'sendenv'],
  ['setenv', 'setenv'],
  ['controlpath', 'controlpath'],
  ['controlmaster', 'controlmaster'],
  ['controlpersist', 'controlpersist'],
  ['hashknownhosts', 'hashknownhosts'],
  ['include', 'include'],
  ['tunnel', 'tunnel'],
  ['tunneldevice', 'tunneldevice'],
  ['localcommand', 'localcommand'],
  ['permitlocalcommand', 'permitlocalcommand'],
  ['remotecommand', 'remotecommand'],
  ['visualhostkey', 'visualhostkey'],
  ['kexalgorithms', 'kexalgorithms'],
  ['ipqos', 'ipqos'],
  ['requesttty', 'requesttty'],
  ['sessiontype', 'sessiontype'],
  ['stdinnull', 'stdinnull'],
  ['forkafterauthentication', 'forkafterauthentication'],
  ['proxyusefdpass', 'proxyusefdpass'],
  ['canonicaldomains', 'canonicaldomains'],
  ['canonicalizefallbacklocal', 'canonicalizefallbacklocal'],
  ['canonicalizehostname', 'canonicalizehostname'],
  ['canonicalizemaxdots', 'canonicalizemaxdots'],
  ['canonicalizepermittedcnames', 'canonicalizepermittedcnames'],
  ['streamlocalbindmask', 'streamlocalbindmask'],
  ['streamlocalbindunlink', 'streamlocalbindunlink'],
  ['revokedhostkeys', 'revokedhostkeys'],
  ['fingerprinthash', 'fingerprinthash'],
  ['updatehostkeys', 'updatehostkeys'],
  ['hostbasedacceptedalgorithms', 'hostbasedacceptedalgorithms'],
  ['hostbasedkeytypes', 'hostbasedacceptedalgorithms'],
  ['pubkeyacceptedalgorithms', 'pubkeyacceptedalgorithms'],
  ['pubkeyacceptedkeytypes', 'pubkeyacceptedalgorithms'],
  ['ignoreunknown', 'ignoreunknown'],
  ['proxyjump', 'proxyjump'],
  ['securitykeyprovider', 'securitykeyprovider'],
  ['knownhostscommand', 'knownhostscommand'],
  ['requiredrsasize', 'requiredrsasize'],
  ['enableescapecommandline', 'enableescapecommandline'],
]);

/** Multi-state value tables (readconf.c multistate_*); the first key with a value is its printed name. */
export type Multistate = ReadonlyArray<readonly [string, number]>;

export const MS_FLAG: Multistate = [['true', 1], ['false', 0], ['yes', 1], ['no', 0]];
export const MS_YESNOASK: Multistate = [...MS_FLAG, ['ask', 2]];
export const MS_YESNOASKCONFIRM: Multistate = [...MS_YESNOASK, ['confirm', 3]];
export const STRICT = { off: 0, new: 1, yes: 2, ask: 3 } as const;
export const MS_STRICT_HOSTKEY: Multistate = [
  ['true', STRICT.yes], ['false', STRICT.off], ['yes', STRICT.yes], ['no', STRICT.off],
  ['ask', STRICT.ask], ['off', STRICT.off], ['accept-new', STRICT.new],
];
export const MS_ADDRESSFAMILY: Multistate = [['inet', 2], ['inet6', 10], ['any', 0]];
export const MS_CONTROLMASTER: Multistate = [
  ['true', 1], ['yes', 1], ['false', 0], ['no', 0], ['auto', 2], ['ask', 3], ['autoask', 4],
];
export const TUN_DEFAULT = 0x7fffffff;
export const MS_TUNNEL: Multistate = [
  ['ethernet', 2], ['point-to-point', 1], ['true', 1], ['yes', 1], ['false', 0], ['no', 0],
];
export const MS_REQUESTTTY: Multistate = [['true', 1], ['yes', 1], ['false', 0], ['no', 0], ['force', 3], ['auto', 2]];
export const MS_SESSIONTYPE: Multistate = [['none', 0], ['subsystem', 1], ['default', 2]];
export const MS_CANONICALIZEHOSTNAME: Multistate = [['true', 1], ['false', 0], ['yes', 1], ['no', 0], ['always', 2]];
export const MS_PUBKEY_AUTH: Multistate = [
  ['true', 3], ['false', 0], ['yes', 3], ['no', 0], ['unbound', 1], ['host-bound', 2],
];
export const MS_COMPRESSION: Multistate = [['yes', 1], ['no', 0]];

/** Simple yes/no and multi-state keywords: opcode → value table. */
export const MULTISTATE_KEYWORDS: ReadonlyMap<string, Multistate> = new Map<string, Multistate>([
  ['forwardx11', MS_FLAG], ['forwardx11trusted', MS_FLAG], ['gatewayports', MS_FLAG],
  ['exitonforwardfailure', MS_FLAG], ['passwordauthentication', MS_FLAG],
  ['kbdinteractiveauthentication', MS_FLAG], ['pubkeyauthentication', MS_PUBKEY_AUTH],
  ['hostbasedauthentication', MS_FLAG], ['gssapiauthentication', MS_FLAG],
  ['gssapikeyexchange', MS_FLAG], ['gssapidelegatecredentials', MS_FLAG], ['gssapitrustdns', MS_FLAG],
  ['gssapirenewalforcesrekey', MS_FLAG], ['batchmode', MS_FLAG], ['checkhostip', MS_FLAG],
  ['verifyhostkeydns', MS_YESNOASK], ['stricthostkeychecking', MS_STRICT_HOSTKEY],
  ['compression', MS_COMPRESSION], ['tcpkeepalive', MS_FLAG], ['nohostauthenticationforlocalhost', MS_FLAG],
  ['clearallforwardings', MS_FLAG], ['addressfamily', MS_ADDRESSFAMILY], ['enablesshkeysign', MS_FLAG],
  ['identitiesonly', MS_FLAG], ['controlmaster', MS_CONTROLMASTER], ['hashknownhosts', MS_FLAG],
  ['tunnel', MS_TUNNEL], ['permitlocalcommand', MS_FLAG], ['visualhostkey', MS_FLAG],
  ['requesttty', MS_REQUESTTTY], ['sessiontype', MS_SESSIONTYPE], ['stdinnull', MS_FLAG],
  ['forkafterauthentication', MS_FLAG], ['proxyusefdpass', MS_FLAG],
  ['canonicalizehostname', MS_CANONICALIZEHOSTNAME], ['canonicalizefallbacklocal', MS_FLAG],
  ['streamlocalbindunlink', MS_FLAG], ['updatehostkeys', MS_YESNOASK], ['enableescapecommandline', MS_FLAG],
]);

/** Integer keywords (atoi_err). */
export const INT_KEYWORDS: ReadonlySet<string> = new Set([
  'numberofpasswordprompts', 'connectionattempts', 'serveralivecountmax', 'canonicalizemaxdots', 'requiredrsasize',
]);

/** Time keywords (convtime, or "none"). */
export const TIME_KEYWORDS: ReadonlySet<string> = new Set(['connecttimeout', 'forwardx11timeout', 'serveraliveinterval']);

/** Single-string keywords (first value wins). */
export const STRING_KEYWORDS: ReadonlySet<string> = new Set([
  'kbdinteractivedevices', 'xauthlocation', 'user', 'hostname', 'hostkeyalias', 'preferredauthentications',
  'bindaddress', 'bindinterface', 'pkcs11provider', 'securitykeyprovider', 'controlpath', 'ignoreunknown',
  'revokedhostkeys', 'gssapiclientidentity', 'gssapiserveridentity', 'gssapikexalgorithms',
]);

/** Keywords whose whole remaining line is one command string. */
export const COMMAND_KEYWORDS: ReadonlySet<string> = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand']);

/** Name from the multi-state table for a value (fmt_multistate_int), or yes/no for plain flags. */
export function fmtMultistate(value: number, table: Multistate): string {
  for (const [k, v] of table) if (v === value) return k;
  return 'UNKNOWN';
}
