/** `ssh -G` output (readconf.c dump_client_config as built by Debian's OpenSSH 9.2p1). */
import { formatForward } from './forward.js';
import type { ResolvedClientConfig } from './types.js';

const yn = (b: boolean): string => (b ? 'yes' : 'no');

/** vis(VIS_WHITE) of one character, as the escapechar line shows it. */
function visChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === ' ') return '\\040';
  if (c === '\t') return '\\t';
  if (c === '\n') return '\\n';
  if (c === '\\') return '\\\\';
  if (code < 32) return `\\^${String.fromCharCode(code + 64)}`;
  if (code === 127) return '\\^?';
  if (code > 127) {
    const low = code & 0x7f;
    if (low < 32) return `\\M^${String.fromCharCode(low + 64)}`;
    if (low === 127) return '\\M^?';
    return `\\M-${String.fromCharCode(low)}`;
  }
  return c;
}

/** The text `ssh -G` prints for this configuration, newline-terminated. */
export function dumpClientConfig(c: ResolvedClientConfig): string {
  const out: string[] = [];
  const line = (k: string, v: string | number | null): void => {
    if (v !== null) out.push(`${k} ${v}`);
  };
  const oneline = (k: string, vals: readonly string[]): void => {
    out.push(vals.length ? `${k} ${vals.join(' ')}` : `${k} none`);
  };
  line('host', c.host);
  line('user', c.user);
  line('hostname', c.hostname);
  line('port', c.port);

  line('addressfamily', c.addressFamily);
  line('batchmode', yn(c.batchMode));
  line('canonicalizefallbacklocal', yn(c.canonicalizeFallbackLocal));
  line('canonicalizehostname', c.canonicalizeHostname);
  line('checkhostip', yn(c.checkHostIp));
  line('compression', yn(c.compression));
  line('controlmaster', c.controlMaster);
  line('enablesshkeysign', yn(c.enableSshKeysign));
  line('clearallforwardings', yn(c.clearAllForwardings));
  line('exitonforwardfailure', yn(c.exitOnForwardFailure));
  line('fingerprinthash', c.fingerprintHash);
  line('forwardx11', yn(c.forwardX11));
  line('forwardx11trusted', yn(c.forwardX11Trusted));
  line('gatewayports', yn(c.gatewayPorts));
  line('gssapiauthentication', yn(c.gssapiAuthentication));
  line('gssapikeyexchange', yn(c.gssapiKeyExchange));
  line('gssapidelegatecredentials', yn(c.gssapiDelegateCredentials));
  line('gssapitrustdns', yn(c.gssapiTrustDns));
  line('gssapirenewalforcesrekey', yn(c.gssapiRenewalForcesRekey));
  line('gssapiclientidentity', c.gssapiClientIdentity);
  line('gssapiserveridentity', c.gssapiServerIdentity);
  line('gssapikexalgorithms', c.gssapiKexAlgorithms);
  line('hashknownhosts', yn(c.hashKnownHosts));
  line('hostbasedauthentication', yn(c.hostbasedAuthentication));
  line('identitiesonly', yn(c.identitiesOnly));
  line('kbdinteractiveauthentication', yn(c.kbdInteractiveAuthentication));
  line('nohostauthenticationforlocalhost', yn(c.noHostAuthenticationForLocalhost));
  line('passwordauthentication', yn(c.passwordAuthentication));
  line('permitlocalcommand', yn(c.permitLocalCommand));
  line('proxyusefdpass', yn(c.proxyUseFdpass));
  line('pubkeyauthentication', c.pubkeyAuthentication);
  line('requesttty', c.requestTty);
  line('sessiontype', c.sessionType);
  line('stdinnull', yn(c.stdinNull));
  line('forkafterauthentication', yn(c.forkAfterAuthentication));
  line('streamlocalbindunlink', yn(c.streamLocalBindUnlink));
  line('stricthostkeychecking', c.strictHostKeyChecking);
  line('tcpkeepalive', yn(c.tcpKeepAlive));
  line('tunnel', c.tunnel);
  line('verifyhostkeydns', c.verifyHostKeyDns);
  line('visualhostkey', yn(c.visualHostKey));
  line('updatehostkeys', c.updateHostKeys);
  line('enableescapecommandline', yn(c.enableEscapeCommandline));

  line('canonicalizemaxdots', c.canonicalizeMaxDots);
  line('connectionattempts', c.connectionAttempts);
  line('forwardx11timeout', c.forwardX11Timeout);
  line('numberofpasswordprompts', c.numberOfPasswordPrompts);
  line('serveralivecountmax', c.serverAliveCountMax);
  line('serveraliveinterval', c.serverAliveInterval);
  line('requiredrsasize', c.requiredRsaSize);

  line('bindaddress', c.bindAddress);
  line('bindinterface', c.bindInterface);
  line('ciphers', c.ciphers);
  line('controlpath', c.controlPath);
  line('hostkeyalgorithms', c.hostKeyAlgorithms);
  line('hostkeyalias', c.hostKeyAlias);
  line('hostbasedacceptedalgorithms', c.hostbasedAcceptedAlgorithms);
  line('identityagent', c.identityAgent);
  line('ignoreunknown', c.ignoreUnknown);
  line('kbdinteractivedevices', c.kbdInteractiveDevices);
  line('kexalgorithms', c.kexAlgorithms);
  line('casignaturealgorithms', c.caSignatureAlgorithms);
  line('localcommand', c.localCommand);
  line('remotecommand', c.remoteCommand);
  line('loglevel', c.logLevel === 'QUIET' ? 'SILENT' : c.logLevel);
  line('macs', c.macs);
  line('pkcs11provider', c.pkcs11Provider);
  line('securitykeyprovider', c.securityKeyProvider);
  line('preferredauthentications', c.preferredAuthentications);
  line('pubkeyacceptedalgorithms', c.pubkeyAcceptedAlgorithms);
  line('revokedhostkeys', c.revokedHostKeys);
  line('xauthlocation', c.xauthLocation);
  line('knownhostscommand', c.knownHostsCommand);

  // OpenSSH's filter: anything whose connect host is unset or "socks" also prints as dynamic.
  for (const f of c.localForwards) {
    if (f.connectHost === null || f.connectHost === 'socks') line('dynamicforward', formatForward(f, true));
  }
  for (const f of c.localForwards) if (f.connectHost !== 'socks') line('localforward', formatForward(f, false));
  for (const f of c.remoteForwards) line('remoteforward', formatForward(f, false));

  for (const f of c.identityFiles) line('identityfile', f);
  oneline('canonicaldomains', c.canonicalDomains);
  for (const f of c.certificateFiles) line('certificatefile', f);
  oneline('globalknownhostsfile', c.globalKnownHostsFiles);
  oneline('userknownhostsfile', c.userKnownHostsFiles);
  for (const e of c.sendEnv) line('sendenv', e);
  for (const e of c.setEnv) line('setenv', e);
  oneline('logverbose', c.logVerbose);

  if (c.permitRemoteOpen.length === 0) line('permitremoteopen', 'any');
  else oneline('permitremoteopen', c.permitRemoteOpen);
  if (c.addKeysToAgentLifespan <= 0) line('addkeystoagent', c.addKeysToAgent);
  else out.push(`addkeystoagent${c.addKeysToAgent === 'confirm' ? ' confirm' : ''} ${c.addKeysToAgentLifespan}`);
  if (c.forwardAgentSocket === null) line('forwardagent', yn(c.forwardAgent));
  else line('forwardagent', c.forwardAgentSocket);
  line('connecttimeout', c.connectTimeout === null ? 'none' : c.connectTimeout);
  line('tunneldevice', `${c.tunnelDevice.local}:${c.tunnelDevice.remote}`);
  oneline('canonicalizePermittedcnames', c.canonicalizePermittedCnames.map((p) => `${p.source}:${p.target}`));
  line('controlpersist', !c.controlPersist || c.controlPersistTimeout === 0 ? yn(c.controlPersist) : c.controlPersistTimeout);
  line('escapechar', c.escapeChar === null ? 'none' : visChar(c.escapeChar));
  line('ipqos', `${c.ipQos[0]} ${c.ipQos[1]}`);
  line('rekeylimit', `${c.rekeyLimit} ${c.rekeyInterval}`);
  line('streamlocalbindmask', `0${c.streamLocalBindMask.toString(8)}`);
  line('syslogfacility', c.syslogFacility);
  if (c.proxyJump === null) line('proxycommand', c.proxyCommand);
  else {
    const j = c.proxyJump;
    const numeric = j.host.includes(':') || /^[0-9.]*$/.test(j.host);
    out.push(
      `proxyjump ${j.extra === null ? '' : `${j.extra},`}${j.user === null ? '' : `${j.user}@`}` +
        `${numeric ? '[' : ''}${j.host}${numeric ? ']' : ''}${j.port <= 0 ? '' : `:${j.port}`}`,
    );
  }
  return out.join('\n') + '\n';
}
