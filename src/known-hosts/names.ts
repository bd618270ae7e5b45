/** Host names as known_hosts stores them (misc.c put_host_port). */

/** `host` for port 22 (or no port), else `[host]:port`. */
export function hostPatternFor(host: string, port?: number): string {
  if (port === undefined || port === 0 || port === 22) return host;
  return `[${host}]:${port}`;
}
