/**
 * The mutable option state of one resolution (readconf.c `Options` after initialize_options()):
 * `undefined` means "not set yet", so the first value wins.
 */
import type { Forward } from './forward.js';

export interface PermittedCname {
  source: string;
  target: string;
}

export interface Options {
  /** Yes/no and multi-state keywords, integers and times, by opcode. */
  ints: Map<string, number>;
  /** Single-string keywords by opcode (user, hostname, ciphers, proxycommand, ...). */
  strs: Map<string, string>;
  identityFiles: { path: string; userProvided: boolean }[];
  certificateFiles: { path: string; userProvided: boolean }[];
  systemHostfiles: string[];
  userHostfiles: string[];
  localForwards: Forward[];
  remoteForwards: Forward[];
  permittedRemoteOpens: string[];
  sendEnv: string[];
  setEnv: string[];
  logVerbose: string[];
  canonicalDomains: string[];
  permittedCnames: PermittedCname[];
  forwardAgentSockPath?: string;
  addKeysToAgent?: number;
  addKeysToAgentLifespan?: number;
  controlPersist?: number;
  controlPersistTimeout?: number;
  tunLocal?: number;
  tunRemote?: number;
  escapeChar?: number;
  ipQosInteractive?: string;
  ipQosBulk?: string;
  rekeyLimit?: number;
  rekeyInterval?: number;
  streamLocalBindMask?: number;
  logFacility?: string;
  logLevel?: string;
  fingerprintHash?: string;
  jumpUser?: string | null;
  jumpHost?: string;
  jumpPort?: number;
  jumpExtra?: string | null;
}

export function newOptions(): Options {
  return {
    ints: new Map(),
    strs: new Map(),
    identityFiles: [],
    certificateFiles: [],
    systemHostfiles: [],
    userHostfiles: [],
    localForwards: [],
    remoteForwards: [],
    permittedRemoteOpens: [],
    sendEnv: [],
    setEnv: [],
    logVerbose: [],
    canonicalDomains: [],
    permittedCnames: [],
  };
}
