/** ssh_config evaluation for the tsh client: parse, resolve (first value wins), dump (-G). */
export { parseClientConfig, ConfigError, type ConfigEntry } from './parse.js';
export { resolveClientConfig, type ResolveClientOptions, type ConfigSource } from './resolve.js';
export { dumpClientConfig } from './dump.js';
export { fsLoader, memoryLoader, type ConfigLoader } from './load.js';
export { PORT_STREAMLOCAL, type Forward } from './forward.js';
export type { ResolvedClientConfig, ProxyJumpSpec } from './types.js';
export { expandTokens, tildeExpand, connectionHash } from './tokens.js';
export * as algorithms from './algorithms.js';
