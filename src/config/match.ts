/** `Match` criteria (readconf.c match_cfg_line). */
import { TshError } from '../errors.js';
import { matchHostname, matchPatternList } from '../pattern.js';
import type { Options } from './options.js';
import { connectionHash, expandTokens } from './tokens.js';

export interface MatchContext {
  /** The destination as given on the command line (%n, `originalhost`). */
  originalHost: string;
  localUser: string;
  home: string;
  uid: number;
  /** gethostname() of this machine (%l; %L is its first label). */
  thisHost: string;
  finalPass: boolean;
  /** Set when a `Match final` (or `canonical`) criterion is seen, so a second pass runs. */
  wantFinalPass: { value: boolean } | null;
  /** Runs a `Match exec` command through the shell; returns its exit status, or -1 if it died. */
  exec: (command: string) => number;
}

/** Returns 1 (matched), 0 (not matched) or -1 (bad line, with the error lines to print). */
export function matchCfgLine(o: Options, args: string[], ctx: MatchContext, file: string, line: number): { result: number; errors: string[] } {
  const port = o.ints.get('port') ?? 22;
  const ruser = o.strs.get('user') ?? ctx.localUser;
  const hostArg = ctx.originalHost;
  let host: string;
  const hn = o.strs.get('hostname');
  if (ctx.finalPass) host = hn ?? hostArg;
  else if (hn !== undefined) host = expandTokens(hn, { h: hostArg }, null);
  else host = hostArg;

  let result = 1;
  let attributes = 0;
  const errors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const oattrib = args[i]!;
    if (oattrib.startsWith('#')) break;
    const negate = oattrib.startsWith('!');
    const attrib = (negate ? oattrib.slice(1) : oattrib).toLowerCase();
    if (attrib === 'all') {
      const arg = args[i + 1];
      if (attributes > 1 || (arg !== undefined && arg !== '' && !arg.startsWith('#'))) {
        errors.push(`${file} line ${line}: '${oattrib}' cannot be combined with other Match attributes`);
        return { result: -1, errors };
      }
      if (result) result = negate ? 0 : 1;
      return { result, errors };
    }
    attributes++;
    if (attrib === 'canonical' || attrib === 'final') {
      if (attrib === 'final' && ctx.wantFinalPass) ctx.wantFinalPass.value = true;
      const r = ctx.finalPass;
      if (r === negate) result = 0;
      continue;
    }
    const arg = args[i + 1];
    if (arg === undefined || arg === '' || arg.startsWith('#')) {
      errors.push(`Missing Match criteria for ${attrib}`);
      return { result: -1, errors };
    }
    i++;
    let r: boolean;
    if (attrib === 'host') r = matchHostname(host, arg) === 1;
    else if (attrib === 'originalhost') r = matchHostname(hostArg, arg) === 1;
    else if (attrib === 'user') r = matchPatternList(ruser, arg, false) === 1;
    else if (attrib === 'localuser') r = matchPatternList(ctx.localUser, arg, false) === 1;
    else if (attrib === 'exec') {
      const shortHost = ctx.thisHost.split('.')[0]!;
      const portStr = String(port);
      const cmd = expandTokens(
        arg,
        {
          C: connectionHash(ctx.thisHost, host, portStr, ruser),
          L: shortHost,
          d: ctx.home,
          h: host,
          k: o.strs.get('hostkeyalias') ?? host,
          l: ctx.thisHost,
          n: hostArg,
          p: portStr,
          r: ruser,
          u: ctx.localUser,
          i: String(ctx.uid),
        },
        null,
      );
      // A failed earlier criterion skips the command entirely.
      if (result !== 1) continue;
      const status = ctx.exec(cmd);
      if (status === -1) throw new TshError(`${file} line ${line}: match exec '${cmd.slice(0, 100)}' error`);
      r = status === 0;
    } else {
      errors.push(`Unsupported Match attribute ${attrib}`);
      return { result: -1, errors };
    }
    if (r === negate) result = 0;
  }
  if (attributes === 0) {
    errors.push('One or more attributes required for Match');
    return { result: -1, errors };
  }
  return { result, errors };
}
