/**
 * What tsh does with each ssh_config keyword of src/config/keywords.ts, for tsh_config(5).
 * The evaluator parses and checks every keyword exactly as ssh does (and `tsh -G` prints them);
 * this table says which ones the client then acts on. A unit test fails when the keyword table
 * gains an opcode this table does not classify, so the manual cannot fall behind the code.
 *
 * - `honoured`: tsh acts on the value.
 * - `inert`: the feature is not in tsh (X11, GSSAPI, ControlMaster, certificates, ...): the value
 *   is parsed, checked and shown by `tsh -G`, and has no effect.
 */
import { KEYWORDS } from '../../config/keywords.js';

export type ClientKeywordStatus = 'honoured' | 'inert' | 'deprecated' | 'ignore' | 'unsupported';

const HONOURED = [
  'host', 'match', 'include', 'ignoreunknown', 'hostname', 'port', 'user', 'proxycommand', 'proxyjump',
  'addressfamily', 'bindaddress', 'connecttimeout', 'connectionattempts', 'tcpkeepalive', 'serveraliveinterval',
  'serveralivecountmax', 'ciphers', 'macs', 'kexalgorithms', 'hostkeyalgorithms', 'compression',
  'stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile', 'hostkeyalias', 'hashknownhosts',
  'nohostauthenticationforlocalhost', 'visualhostkey', 'fingerprinthash', 'batchmode', 'preferredauthentications',
  'pubkeyauthentication', 'pubkeyacceptedalgorithms', 'identityfile', 'identitiesonly', 'identityagent',
  'passwordauthentication', 'kbdinteractiveauthentication', 'numberofpasswordprompts', 'loglevel',
  'localforward', 'remoteforward', 'dynamicforward', 'gatewayports', 'exitonforwardfailure',
  'clearallforwardings', 'permitremoteopen', 'streamlocalbindmask', 'streamlocalbindunlink', 'forwardagent',
  'requesttty', 'sessiontype', 'stdinnull', 'forkafterauthentication', 'remotecommand', 'sendenv', 'setenv',
  'escapechar', 'enableescapecommandline', 'permitlocalcommand',
];

const INERT = [
  'gssapiauthentication', 'gssapikeyexchange', 'gssapidelegatecredentials', 'gssapitrustdns',
  'gssapiclientidentity', 'gssapiserveridentity', 'gssapirenewalforcesrekey', 'gssapikexalgorithms',
  'pkcs11provider', 'securitykeyprovider', 'forwardx11', 'forwardx11trusted', 'forwardx11timeout', 'xauthlocation',
  'kbdinteractivedevices', 'hostbasedauthentication', 'hostbasedacceptedalgorithms', 'certificatefile',
  'casignaturealgorithms', 'addkeystoagent', 'checkhostip', 'verifyhostkeydns', 'knownhostscommand',
  'revokedhostkeys', 'updatehostkeys', 'requiredrsasize', 'enablesshkeysign', 'syslogfacility', 'logverbose',
  'bindinterface', 'rekeylimit', 'ipqos', 'controlpath', 'controlmaster', 'controlpersist', 'tunnel',
  'tunneldevice', 'localcommand', 'proxyusefdpass', 'canonicaldomains', 'canonicalizefallbacklocal',
  'canonicalizehostname', 'canonicalizemaxdots', 'canonicalizepermittedcnames',
];

const STATUS: ReadonlyMap<string, ClientKeywordStatus> = new Map<string, ClientKeywordStatus>([
  ...HONOURED.map((op) => [op, 'honoured'] as const),
  ...INERT.map((op) => [op, 'inert'] as const),
  ['deprecated', 'deprecated'],
  ['ignore', 'ignore'],
  ['unsupported', 'unsupported'],
]);

export interface ClientKeyword {
  /** Lowercase name, as in the keyword table. */
  readonly name: string;
  /** The opcode (the keyword this name stands for). */
  readonly op: string;
  /** undefined when the table has an opcode this module does not classify (the test catches it). */
  readonly status: ClientKeywordStatus | undefined;
}

/** Every name of the ssh_config keyword table with its status, in table order. */
export function clientKeywords(): ClientKeyword[] {
  return [...KEYWORDS].map(([name, op]) => ({ name, op, status: STATUS.get(op) }));
}

/** Opcodes this module classifies (for the drift test). */
export const CLASSIFIED_CLIENT_OPCODES: readonly string[] = [...STATUS.keys()];
