/**
 * Is this host key known? A pure lookup over parsed entries with the rules of OpenSSH 9.2
 * (hostfile.c check_key_in_hostkeys, sshconnect.c check_host_key):
 *
 * - The name looked up is HostKeyAlias if set, else `host` for port 22 and `[host]:port` for any
 *   other port. ssh 9.2 never falls back to a bare-host entry for a non-standard port
 *   (get_hostfile_hostname_ipaddr uses put_host_port only), so neither do we.
 * - Plain-name patterns are matched case-insensitively; hashed names are compared exactly, so
 *   callers pass the host lowercased, as ssh does.
 * - @revoked wins over everything: the key, or a certificate's CA key, listed as revoked.
 * - A certificate is `ok` through a @cert-authority line holding its CA key (the caller must still
 *   verify the certificate itself: signature, validity, principals). Without one, ssh retries the
 *   certificate as its plain key, and so does this.
 * - A plain key is `ok` only through an unmarked line with the same key: @cert-authority lines
 *   never vouch for plain keys.
 * - `changed` when some unmarked line for the name holds another key. ssh 9.2 reports a changed
 *   host key even when the known key is of another type (checked against ssh 9.2 with
 *   HostKeyAlgorithms forcing another type: "Offending ECDSA key" for an ED25519 host key), so
 *   `known` lists every such line, in file order; ssh names the last one as "Offending".
 * - Otherwise `unknown`. `otherKeys` would be the keys of other types ssh's show_other_keys()
 *   mentions; under the rule above such keys make the verdict `changed`, so it is always empty.
 */
import type { PublicKey } from '../keys/public-key.js';
import { certSignatureKey } from './cert.js';
import { matchHashed } from './hash.js';
import { matchHostname } from '../pattern.js';
import { hostPatternFor } from './names.js';
import type { KnownHostEntry } from './parse.js';

export interface HostQuery {
  readonly host: string;
  readonly port?: number;
  readonly key: PublicKey;
  readonly hostKeyAlias?: string;
}

export type HostKeyVerdict =
  | { readonly status: 'ok'; readonly entry: KnownHostEntry }
  | { readonly status: 'unknown'; readonly otherKeys: KnownHostEntry[] }
  | { readonly status: 'changed'; readonly known: KnownHostEntry[] }
  | { readonly status: 'revoked'; readonly entry: KnownHostEntry };

/** The name ssh looks up in known_hosts for this query. */
export function lookupName(q: Pick<HostQuery, 'host' | 'port' | 'hostKeyAlias'>): string {
  return q.hostKeyAlias ?? hostPatternFor(q.host, q.port);
}

/** match_maybe_hashed() == 1 for one entry. */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts' | 'hashed'>, name: string): boolean {
  if (entry.hashed) return matchHashed(name, entry.hosts) === 'match';
  return matchHostname(name, entry.hosts) === 1;
}

/** Entries whose host field matches `name`, in order. */
export function entriesFor(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => entryMatches(e, name));
}

/** sshkey_equal_public(): same plain key, certificate or not. */
function samePublic(a: PublicKey, b: PublicKey): boolean {
  return a.plainBlob.equals(b.plainBlob);
}

export function check(entries: readonly KnownHostEntry[], q: HostQuery): HostKeyVerdict {
  const found = entriesFor(entries, lookupName(q));
  const ca = q.key.isCert ? certSignatureKey(q.key) : null;
  const revoked = found.find(
    (e) => e.marker === 'revoked' && (samePublic(e.key, q.key) || (ca !== null && samePublic(e.key, ca))),
  );
  if (revoked) return { status: 'revoked', entry: revoked };
  if (ca) {
    const authority = found.find((e) => e.marker === 'cert-authority' && samePublic(e.key, ca));
    if (authority) return { status: 'ok', entry: authority };
  }
  const plain = found.filter((e) => e.marker === 'none');
  const match = plain.find((e) => !e.key.isCert && e.key.blob.equals(q.key.plainBlob));
  if (match) return { status: 'ok', entry: match };
  if (plain.length > 0) return { status: 'changed', known: plain };
  // Any unmarked key for the name made it `changed` above, so no key of another type is left.
  return { status: 'unknown', otherKeys: [] };
}
