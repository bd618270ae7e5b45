/**
 * Every manual page of the toolset, by file name under man/, rendered from the descriptions in
 * this directory. scripts/gen-man.mjs writes them; a unit test compares man/ with them.
 */
import { TSH_CONFIG_HELP, TSHD_CONFIG_HELP } from './config-pages.js';
import { renderRoff } from './roff.js';
import { TSH_HELP } from './tsh.js';
import { KEYGEN_HELP } from './tsh-keygen.js';
import { SFTP_HELP } from './tsh-sftp.js';
import { TSHD_HELP } from './tshd.js';
import type { PageHelp, ToolHelp } from './types.js';

export const TOOL_HELP: readonly ToolHelp[] = [TSH_HELP, TSHD_HELP, SFTP_HELP, KEYGEN_HELP];
export const PAGES: readonly PageHelp[] = [...TOOL_HELP, TSH_CONFIG_HELP, TSHD_CONFIG_HELP];

/** File name (e.g. "tsh.1") → roff text. */
export function manPages(): Map<string, string> {
  return new Map(PAGES.map((p) => [`${p.name}.${p.section}`, renderRoff(p)]));
}
