/** known_hosts: parse, match, hash, check (pure) and atomic edits. */
export { parseKnownHosts, type KnownHostEntry, type KnownHostsFile, type InvalidLine } from './parse.js';
export { check, lookupName, entriesFor, entryMatches, type HostQuery, type HostKeyVerdict } from './check.js';
export { hashHostName, extractSalt, matchHashed } from './hash.js';
export { hostPatternFor } from './names.js';
export { scanKnownHosts, type Marker, type ScannedLine, type ScanOptions, type ScanDiagnostic } from './scan.js';
export { knownHostsForeach, outText, type ForeachJob, type ForeachResult, type ForeachOutput } from './foreach.js';
export { addKnownHost, removeKnownHost, hashKnownHostsFile, entryLines, readKnownHostsFile } from './edit.js';
export { loadKnownHostsFiles } from './load.js';
