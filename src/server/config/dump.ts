/**
 * `tshd -T`: the effective configuration in the exact format and order of `sshd -T`
 * (servconf.c dump_config() of OpenSSH 9.2p1 as Debian builds it), then the lines of tshd's
 * own keywords, which sshd does not have.
 */
import {
  MS_ADDRESS_FAMILY, MS_GATEWAY_PORTS, MS_IGNORE_RHOSTS, MS_PERMIT_ROOT_LOGIN, MS_TCP_FWD, msName,
} from './keywords.js';
import type { ListenAddress } from './listen.js';
import type { ResolvedServerConfig } from './types.js';
import { logLevelName } from './values.js';

const yn = (b: boolean): string => (b ? 'yes' : 'no');

/** The text `sshd -T` prints for this configuration, newline-terminated. */
export function dumpServerConfig(c: ResolvedServerConfig, listen: readonly ListenAddress[]): string {
  const out: string[] = [];
  const line = (k: string, v: string | number | null): void => {
    out.push(`${k} ${v ?? 'none'}`);
  };
  const each = (k: string, vals: readonly (string | null)[]): void => {
    // printf("%s", NULL) prints "(null)": what sshd shows for "HostKey none".
    for (const v of vals) out.push(`${k} ${v ?? '(null)'}`);
  };

  for (const p of c.ports) line('port', p);
  line('addressfamily', msName(c.addressFamily, MS_ADDRESS_FAMILY));
  for (const l of listen) {
    const addr = l.family === 6 ? `[${l.address}]` : l.address;
    out.push(`listenaddress ${addr}:${l.port}${l.rdomain === null ? '' : ` rdomain ${l.rdomain}`}`);
  }

  line('usepam', yn(c.usePam));
  line('logingracetime', c.loginGraceTime);
  line('x11displayoffset', c.x11DisplayOffset);
  line('maxauthtries', c.maxAuthTries);
  line('maxsessions', c.maxSessions);
  line('clientaliveinterval', c.clientAliveInterval);
  line('clientalivecountmax', c.clientAliveCountMax);
  line('requiredrsasize', c.requiredRsaSize);
  line('streamlocalbindmask', `0${c.streamLocalBindMask.toString(8)}`);
  line('unusedconnectiontimeout', c.unusedConnectionTimeout === 0 ? 'none' : c.unusedConnectionTimeout);

  line('permitrootlogin', msName(c.permitRootLogin, MS_PERMIT_ROOT_LOGIN));
  line('ignorerhosts', msName(c.ignoreRhosts, MS_IGNORE_RHOSTS));
  line('ignoreuserknownhosts', yn(c.ignoreUserKnownHosts));
  line('hostbasedauthentication', yn(c.hostbasedAuthentication));
  line('hostbasedusesnamefrompacketonly', yn(c.hostbasedUsesNameFromPacketOnly));
  line('pubkeyauthentication', yn(c.pubkeyAuthentication));
  line('kerberosauthentication', yn(c.kerberosAuthentication));
  line('kerberosorlocalpasswd', yn(c.kerberosOrLocalPasswd));
  line('kerberosticketcleanup', yn(c.kerberosTicketCleanup));
  line('gssapiauthentication', yn(c.gssapiAuthentication));
  line('gssapicleanupcredentials', yn(c.gssapiCleanupCredentials));
  line('gssapikeyexchange', yn(c.gssapiKeyExchange));
  line('gssapistrictacceptorcheck', yn(c.gssapiStrictAcceptorCheck));
  line('gssapistorecredentialsonrekey', yn(c.gssapiStoreCredentialsOnRekey));
  line('gssapikexalgorithms', c.gssapiKexAlgorithms);
  line('passwordauthentication', yn(c.passwordAuthentication));
  line('kbdinteractiveauthentication', yn(c.kbdInteractiveAuthentication));
  line('printmotd', yn(c.printMotd));
  line('printlastlog', yn(c.printLastLog));
  line('x11forwarding', yn(c.x11Forwarding));
  line('x11uselocalhost', yn(c.x11UseLocalhost));
  line('permittty', yn(c.permitTty));
  line('permituserrc', yn(c.permitUserRc));
  line('strictmodes', yn(c.strictModes));
  line('tcpkeepalive', yn(c.tcpKeepAlive));
  line('permitemptypasswords', yn(c.permitEmptyPasswords));
  line('compression', yn(c.compression));
  line('gatewayports', msName(c.gatewayPorts, MS_GATEWAY_PORTS));
  line('usedns', yn(c.useDns));
  line('allowtcpforwarding', msName(c.allowTcpForwarding, MS_TCP_FWD));
  line('allowagentforwarding', yn(c.allowAgentForwarding));
  line('disableforwarding', yn(c.disableForwarding));
  line('allowstreamlocalforwarding', msName(c.allowStreamLocalForwarding, MS_TCP_FWD));
  line('streamlocalbindunlink', yn(c.streamLocalBindUnlink));
  line('fingerprinthash', c.fingerprintHash);
  line('exposeauthinfo', yn(c.exposeAuthInfo));

  line('pidfile', c.pidFile);
  line('modulifile', c.moduliFile);
  line('xauthlocation', c.xauthLocation);
  line('ciphers', c.ciphers);
  line('macs', c.macs);
  line('banner', c.banner);
  line('forcecommand', c.forceCommand);
  line('chrootdirectory', c.chrootDirectory);
  line('trustedusercakeys', c.trustedUserCaKeys);
  line('revokedkeys', c.revokedKeys);
  line('securitykeyprovider', c.securityKeyProvider);
  line('authorizedprincipalsfile', c.authorizedPrincipalsFile);
  line('versionaddendum', c.versionAddendum === '' ? null : c.versionAddendum);
  line('authorizedkeyscommand', c.authorizedKeysCommand);
  line('authorizedkeyscommanduser', c.authorizedKeysCommandUser);
  line('authorizedprincipalscommand', c.authorizedPrincipalsCommand);
  line('authorizedprincipalscommanduser', c.authorizedPrincipalsCommandUser);
  line('hostkeyagent', c.hostKeyAgent);
  line('kexalgorithms', c.kexAlgorithms);
  line('casignaturealgorithms', c.caSignatureAlgorithms);
  line('hostbasedacceptedalgorithms', c.hostbasedAcceptedAlgorithms);
  line('hostkeyalgorithms', c.hostKeyAlgorithms);
  line('pubkeyacceptedalgorithms', c.pubkeyAcceptedAlgorithms);

  line('loglevel', logLevelName(c.logLevel));
  line('syslogfacility', c.syslogFacility);

  if (c.authorizedKeysFiles.length > 0) out.push(`authorizedkeysfile ${c.authorizedKeysFiles.join(' ')}`);
  each('hostkey', c.hostKeys);
  each('hostcertificate', c.hostCertificates);
  each('allowusers', c.allowUsers);
  each('denyusers', c.denyUsers);
  each('allowgroups', c.allowGroups);
  each('denygroups', c.denyGroups);
  each('acceptenv', c.acceptEnv);
  each('setenv', c.setEnv);
  out.push(`authenticationmethods ${c.authenticationMethods.length ? c.authenticationMethods.join(' ') : 'any'}`);
  if (c.logVerbose.length > 0) out.push(`logverbose ${c.logVerbose.join(' ')}`);
  if (c.channelTimeouts.length > 0) out.push(`channeltimeout ${c.channelTimeouts.join(' ')}`);

  for (const s of c.subsystems) out.push(`subsystem ${s.name} ${s.args}`);
  out.push(`maxstartups ${c.maxStartups.begin}:${c.maxStartups.rate}:${c.maxStartups.full}`);
  line('persourcemaxstartups', c.perSourceMaxStartups);
  out.push(`persourcenetblocksize ${c.perSourceNetBlockSize.ipv4}:${c.perSourceNetBlockSize.ipv6}`);
  line('permittunnel', c.permitTunnel);
  out.push(`ipqos ${c.ipQos.interactive} ${c.ipQos.bulk}`);
  out.push(`rekeylimit ${c.rekeyLimit.bytes} ${c.rekeyLimit.seconds}`);
  out.push(`permitopen ${c.permitOpen.length ? c.permitOpen.join(' ') : 'any'}`);
  out.push(`permitlisten ${c.permitListen.length ? c.permitListen.join(' ') : 'any'}`);
  const pue = c.permitUserEnvironment;
  line('permituserenvironment', pue.allowlist ?? yn(pue.enabled));
  const pk = c.pubkeyAuthOptions;
  const pkOpts = [pk.touchRequired ? 'touch-required' : '', pk.verifyRequired ? 'verify-required' : ''].filter(Boolean);
  line('pubkeyauthoptions', pkOpts.length ? pkOpts.join(' ') : null);

  // tshd's own keywords (OpenSSH 9.8's format for PerSourcePenalties).
  const p = c.perSourcePenalties;
  line(
    'persourcepenalties',
    p === null
      ? 'no'
      : `crash:${p.crash} authfail:${p.authfail} noauth:${p.noauth} grace-exceeded:${p.graceExceeded} max:${p.max} ` +
          `min:${p.min} max-sources4:${p.maxSources4} max-sources6:${p.maxSources6} overflow:${p.overflow} ` +
          `overflow6:${p.overflow6}`,
  );
  line('persourcepenaltyexemptlist', c.perSourcePenaltyExemptList);
  line('passwordfile', c.passwordFile);
  return out.join('\n') + '\n';
}
