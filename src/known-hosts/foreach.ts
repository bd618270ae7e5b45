/**
 * ssh-keygen's known_hosts pass (ssh-keygen.c do_known_hosts with its callbacks
 * known_hosts_find_delete and known_hosts_hash), as a pure function: text in, the lines it would
 * print or write out. Used by tsh-keygen -F/-R/-H and by the file editor (remove, hash).
 */
import { hashHostName } from './hash.js';
import { asciiLower } from '../pattern.js';
import { scanEvents, type ScanDiagnostic, type ScannedLine } from './scan.js';

export interface ForeachJob {
  /** The name given to -F / -R. */
  readonly host?: string;
  /** -F: report matching lines (to stdout). */
  readonly find?: boolean;
  /** -R: drop matching unmarked lines. */
  readonly remove?: boolean;
  /** -H: hash plain host names. */
  readonly hash?: boolean;
  /** -q: no "# Host ... found" lines. */
  readonly quiet?: boolean;
  /** -l with -F: report found keys for fingerprinting instead of their lines (decodes keys). */
  readonly fingerprint?: boolean;
  /** Decode keys even without -l (the ssh client's editor does, ssh-keygen -R does not). */
  readonly parseKey?: boolean;
}

export type ForeachOutput =
  /** printf to stdout. */
  | { readonly to: 'stdout'; readonly text: string }
  /** A line for ctx->out: stdout with -F, else the new file. */
  | { readonly to: 'out'; readonly text: string }
  /** logit()/error() to stderr. */
  | { readonly to: 'log'; readonly text: string }
  /** A found key to print as a fingerprint (-F -l). */
  | { readonly to: 'fingerprint'; readonly line: ScannedLine }
  | { readonly to: 'diagnostic'; readonly diagnostic: ScanDiagnostic };

export interface ForeachResult {
  readonly outputs: ForeachOutput[];
  /** The host was found (-F) or removed (-R). */
  readonly found: boolean;
  /** Line numbers found (-F) or removed (-R). */
  readonly foundLines: number[];
  /** The file had invalid lines where it matters (-R, -H): ssh-keygen then refuses to rewrite it. */
  readonly invalid: boolean;
  /** -H hashed at least one plain name. */
  readonly hasUnhashed: boolean;
}

const WILDCARD = /[*?!]/;

export function knownHostsForeach(text: string, path: string, job: ForeachJob): ForeachResult {
  const outputs: ForeachOutput[] = [];
  const foundLines: number[] = [];
  let invalid = false;
  let hasUnhashed = false;
  const out = (t: string): void => void outputs.push({ to: 'out', text: t });
  const log = (t: string): void => void outputs.push({ to: 'log', text: t });

  const hashLine = (l: ScannedLine): void => {
    const hosts = l.hosts;
    switch (l.status) {
      case 'ok':
      case 'matched': {
        const hasWild = hosts !== undefined && WILDCARD.test(hosts);
        const wasHashed = hosts !== undefined && hosts.startsWith('|');
        if (hosts === undefined || wasHashed || hasWild || l.marker !== 'none') {
          out(l.raw);
          if (hasWild && !job.find) {
            log(`${path}:${l.lineNumber}: ignoring host name with wildcard: ${hosts!.slice(0, 64)}`);
          }
          return;
        }
        // Each name of a list gets its own line; like strsep(), stop at an empty name.
        for (const name of hosts.split(',')) {
          if (name === '') break;
          out(`${hashHostName(asciiLower(name))} ${l.rawKey ?? ''}`);
          hasUnhashed = true;
        }
        return;
      }
      case 'invalid':
        invalid = true;
        log(`${path}:${l.lineNumber}: invalid line`);
        out(l.raw);
        return;
      default:
        out(l.raw);
    }
  };

  const findDelete = (l: ScannedLine): void => {
    if (l.status === 'matched') {
      if (job.remove) {
        if (l.marker !== 'none') {
          out(l.raw); // CA and revocation lines are never removed
        } else {
          foundLines.push(l.lineNumber);
          if (!job.quiet) outputs.push({ to: 'stdout', text: `# Host ${job.host} found: line ${l.lineNumber}` });
        }
        return;
      }
      if (job.find) {
        foundLines.push(l.lineNumber);
        if (!job.quiet) {
          const tag = l.marker === 'cert-authority' ? 'CA' : l.marker === 'revoked' ? 'REVOKED' : '';
          outputs.push({ to: 'stdout', text: `# Host ${job.host} found: line ${l.lineNumber} ${tag}` });
        }
        if (job.hash) hashLine(l);
        else if (job.fingerprint) outputs.push({ to: 'fingerprint', line: l });
        else out(l.raw);
      }
      return;
    }
    if (job.remove) {
      if (l.status === 'invalid') {
        invalid = true;
        log(`${path}:${l.lineNumber}: invalid line`);
      }
      out(l.raw);
    }
  };

  const visit = job.find || !job.hash ? findDelete : hashLine;
  const events = scanEvents(text, path, {
    host: job.host,
    wantMatch: Boolean(job.find),
    parseKey: Boolean(job.fingerprint || job.parseKey),
  });
  for (const ev of events) {
    if (ev.kind === 'diagnostic') outputs.push({ to: 'diagnostic', diagnostic: ev.diagnostic });
    else visit(ev.line);
  }
  return { outputs, found: foundLines.length > 0, foundLines, invalid, hasUnhashed };
}

/** The 'out' lines of a pass as file text (each line newline-terminated). */
export function outText(result: ForeachResult): string {
  return result.outputs
    .filter((o): o is { to: 'out'; text: string } => o.to === 'out')
    .map((o) => `${o.text}\n`)
    .join('');
}
