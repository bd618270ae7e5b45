/**
 * The -m argument: ssh-keygen accepts RFC4716 (alias ssh2), PKCS8 and PEM in any case and stops
 * with "Unsupported conversion format" for anything else, whatever the operation.
 */
import type { Io } from '../../io.js';
import type { KeygenOptions } from './options.js';
import { fatal } from './ssh-log.js';

export type ConvertFormat = 'RFC4716' | 'PKCS8' | 'PEM';

/** The -m format (default RFC4716); fatal for an unknown name. */
export function checkKeyFormat(opts: KeygenOptions, io: Io): ConvertFormat {
  const m = opts.keyFormat;
  if (m === undefined) return 'RFC4716';
  const lower = m.toLowerCase();
  if (lower === 'rfc4716' || lower === 'ssh2') return 'RFC4716';
  if (lower === 'pkcs8') return 'PKCS8';
  if (lower === 'pem') return 'PEM';
  fatal(io, `Unsupported conversion format "${m}"`);
}
