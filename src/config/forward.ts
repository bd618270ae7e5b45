/** Port-forwarding specifications (readconf.c parse_forward / dump_cfg_forwards). */
import { a2port, dollarExpand } from './tokens.js';

/** Marks a Unix-socket end (PORT_STREAMLOCAL). */
export const PORT_STREAMLOCAL = -2;

export interface Forward {
  readonly listenHost: string | null;
  readonly listenPort: number;
  readonly listenPath: string | null;
  readonly connectHost: string | null;
  readonly connectPort: number;
  readonly connectPath: string | null;
}

interface Field {
  arg: string;
  isPath: boolean;
}

/** parse_fwd_field(): one colon-separated field, `[...]` taken literally, `\` escapes. */
function nextField(s: string, pos: number): { field: Field; next: number | null } | null {
  if (pos >= s.length) return null;
  if (s[pos] === '[') {
    let ep = pos + 1;
    let isPath = false;
    while (ep < s.length && s[ep] !== ']') {
      if (s[ep] === '/') isPath = true;
      ep++;
    }
    if (s[ep] !== ']' || (s[ep + 1] !== ':' && ep + 1 < s.length)) return null;
    const arg = s.slice(pos + 1, ep);
    const next = ep + 1 < s.length ? ep + 2 : s.length;
    return { field: { arg, isPath }, next };
  }
  let arg = '';
  let isPath = false;
  let i = pos;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      if (i >= s.length) return null;
      arg += s[i];
      continue;
    }
    if (c === '/') isPath = true;
    if (c === ':') return { field: { arg, isPath }, next: i + 1 };
    arg += c;
  }
  return { field: { arg, isPath }, next: s.length };
}

/** parse_forward(): null when the specification is invalid. */
export function parseForward(spec: string, dynamic: boolean, remote: boolean, env: Readonly<Record<string, string | undefined>>): Forward | null {
  let s: string;
  try {
    s = dollarExpand(spec, env);
  } catch {
    return null;
  }
  let pos = 0;
  while (pos < s.length && /\s/.test(s[pos]!)) pos++;
  const f: Field[] = [];
  let ended = false;
  for (let i = 0; i < 4; i++) {
    const r = nextField(s, pos);
    if (r === null) {
      ended = pos >= s.length;
      break;
    }
    f.push(r.field);
    pos = r.next ?? s.length;
  }
  if (!ended && pos < s.length) return null;
  let fwd: Forward | null = null;
  const n = f.length;
  const [a, b, c, d] = f;
  if (n === 1) {
    fwd = a!.isPath
      ? { listenHost: null, listenPort: PORT_STREAMLOCAL, listenPath: a!.arg, connectHost: 'socks', connectPort: 0, connectPath: null }
      : { listenHost: null, listenPort: a2port(a!.arg), listenPath: null, connectHost: 'socks', connectPort: 0, connectPath: null };
  } else if (n === 2) {
    if (a!.isPath && b!.isPath) {
      fwd = { listenHost: null, listenPort: PORT_STREAMLOCAL, listenPath: a!.arg, connectHost: null, connectPort: PORT_STREAMLOCAL, connectPath: b!.arg };
    } else if (b!.isPath) {
      fwd = { listenHost: null, listenPort: a2port(a!.arg), listenPath: null, connectHost: null, connectPort: PORT_STREAMLOCAL, connectPath: b!.arg };
    } else {
      fwd = { listenHost: a!.arg, listenPort: a2port(b!.arg), listenPath: null, connectHost: 'socks', connectPort: 0, connectPath: null };
    }
  } else if (n === 3) {
    if (a!.isPath) {
      fwd = { listenHost: null, listenPort: PORT_STREAMLOCAL, listenPath: a!.arg, connectHost: b!.arg, connectPort: a2port(c!.arg), connectPath: null };
    } else if (c!.isPath) {
      fwd = { listenHost: a!.arg, listenPort: a2port(b!.arg), listenPath: null, connectHost: null, connectPort: PORT_STREAMLOCAL, connectPath: c!.arg };
    } else {
      fwd = { listenHost: null, listenPort: a2port(a!.arg), listenPath: null, connectHost: b!.arg, connectPort: a2port(c!.arg), connectPath: null };
    }
  } else if (n === 4) {
    fwd = { listenHost: a!.arg, listenPort: a2port(b!.arg), listenPath: null, connectHost: c!.arg, connectPort: a2port(d!.arg), connectPath: null };
  }
  if (!fwd) return null;
  if (dynamic) {
    if (!(n === 1 || n === 2)) return null;
  } else {
    if (!(n === 3 || n === 4) && fwd.connectPath === null && fwd.listenPath === null) return null;
    if (fwd.connectPort <= 0 && fwd.connectPath === null) return null;
  }
  if ((fwd.listenPort < 0 && fwd.listenPath === null) || (!remote && fwd.listenPort === 0)) return null;
  if ((fwd.connectHost?.length ?? 0) >= 1025 || (fwd.listenHost?.length ?? 0) >= 1025) return null;
  return fwd;
}

export function forwardEquals(a: Forward, b: Forward): boolean {
  return (
    a.listenHost === b.listenHost && a.listenPort === b.listenPort && a.listenPath === b.listenPath &&
    a.connectHost === b.connectHost && a.connectPort === b.connectPort && a.connectPath === b.connectPath
  );
}

/** The arguments of one dump line: listen side, then (unless dynamic) connect side. */
export function formatForward(fwd: Forward, dynamic: boolean): string {
  let s: string;
  if (fwd.listenPort === PORT_STREAMLOCAL) s = fwd.listenPath ?? '';
  else if (fwd.listenHost === null) s = String(fwd.listenPort);
  else s = `[${fwd.listenHost}]:${fwd.listenPort}`;
  if (!dynamic) {
    if (fwd.connectPort === PORT_STREAMLOCAL) s += ` ${fwd.connectPath ?? ''}`;
    else if (fwd.connectHost === null) s += ` ${fwd.connectPort}`;
    else s += ` [${fwd.connectHost}]:${fwd.connectPort}`;
  }
  return s;
}
