/**
 * OpenSSH's log.c passes every message through strnvis(VIS_SAFE|VIS_OCTAL) before writing it to
 * stderr: a backslash is doubled and bytes that are not printable become \ooo. sftp's errors name
 * user-supplied paths, so tsh-sftp's messages get the same treatment.
 */
import type { Logger } from '../../session/log.js';

export function strvis(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c) out += '\\\\';
    else if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x08 || b === 0x07) out += String.fromCharCode(b);
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

export function visLogger(log: Logger): Logger {
  return {
    level: log.level,
    fatal: (m) => log.fatal(strvis(m)),
    error: (m) => log.error(strvis(m)),
    info: (m) => log.info(strvis(m)),
    verbose: (m) => log.verbose(strvis(m)),
    debug1: (m) => log.debug1(strvis(m)),
    debug2: (m) => log.debug2(strvis(m)),
    debug3: (m) => log.debug3(strvis(m)),
  };
}
