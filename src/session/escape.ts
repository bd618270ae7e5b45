/**
 * The client's escape sequences (`~.`, `~?`, `~C`, ...), as OpenSSH 9.2's clientloop.c
 * process_escapes() handles them, and the `~C` command line (process_cmdline()).
 *
 * Pure and synchronous: EscapeFilter.feed() turns the bytes read from the local terminal into an
 * ordered list of actions (bytes for the session channel, text for the local terminal, and
 * requests such as disconnect or suspend) that the caller carries out in order. OpenSSH installs
 * the filter only on the session channel and only when a pty was requested
 * (`client_loop(ssh, tty_flag, tty_flag ? options.escape_char : SSH_ESCAPECHAR_NONE, id)`).
 */
import type { Forward } from '../config/forward.js';
import { parseForward } from '../config/forward.js';
import { LOG_LEVELS } from './log.js';

export interface EscapeOptions {
  /** One byte (char code 0-255), e.g. '~' or '\x01' for `^A`; null = EscapeChar none. */
  readonly escapeChar: string | null;
  /** EnableEscapeCommandline: whether `~C` opens the `ssh>` prompt (and `~?` lists it). */
  readonly enableEscapeCommandline?: boolean;
  /** The current LogLevel on the LOG_LEVELS scale (QUIET 0 .. DEBUG3 7); default INFO. */
  readonly logLevel?: number;
  /** log_is_on_stderr(): false when logging goes to syslog or an -E file; default true. */
  readonly logOnStderr?: boolean;
  /** A multiplexing client session (OpenSSH: c->ctl_chan != -1); default false. */
  readonly muxClient?: boolean;
}

export type EscapeAction =
  /** Bytes to write to the session channel. */
  | { readonly type: 'send'; readonly data: Buffer }
  /**
   * Bytes to write to the local terminal (stderr), with "\r\n" line ends as ssh writes them in
   * raw mode. Buffer, not string: the escape character may be a byte above 0x7f.
   */
  | { readonly type: 'local'; readonly data: Buffer }
  /**
   * `~.`: end the connection. OpenSSH queues "~.\r\n" but quits before flushing it, so nothing
   * is shown; the caller prints "Connection to HOST closed." (pty and LogLevel >= INFO) and
   * exits 255 unless the remote exit status already arrived. The filter stops.
   */
  | { readonly type: 'disconnect' }
  /**
   * `~^Z`: leave raw mode, stop the process (SIGTSTP), re-enter raw mode and resend the window
   * size when continued. Like client_suspend_self(), which empties the channel's input buffer,
   * the bytes of this chunk before the escape are not sent.
   */
  | { readonly type: 'suspend' }
  /**
   * `~&`: leave raw mode, stop listening for new forwarded connections and go to the background
   * (the parent exits 0); the remaining process sends the following ^D and serves open
   * connections until they end. The filter stops after the ^D.
   */
  | { readonly type: 'background' }
  /** `~#`: print channel_open_message() ("The following connections are open:\r\n..."). */
  | { readonly type: 'list-connections' }
  /**
   * `~C`: leave raw mode, ignore SIGINT, prompt COMMAND_LINE_PROMPT on the tty with echo, pass
   * the line to parseCommandLine(), carry it out, then re-enter raw mode.
   */
  | { readonly type: 'command-line' }
  /** `~R`: start a key re-exchange ("Server does not support re-keying" for SSH_BUG_NOREKEY peers). */
  | { readonly type: 'rekey' }
  /** `~B`: send a "break" channel request (want-reply false) of `lengthMs` milliseconds. */
  | { readonly type: 'break'; readonly lengthMs: number }
  /** `~V` / `~v`: the new LogLevel (LOG_LEVELS scale), possibly unchanged at either end. */
  | { readonly type: 'loglevel'; readonly level: number };

/** channel_request_start(ssh, c->self, "break", 0); sshpkt_put_u32(ssh, 1000). */
export const BREAK_LENGTH_MS = 1000;

/** The `~C` prompt, as read_passphrase("\r\nssh> ", RP_ECHO) writes it. */
export const COMMAND_LINE_PROMPT = '\r\nssh> ';

/** What the caller logs (logit, i.e. at INFO) after carrying out a `~C` command. */
export const COMMAND_LINE_MESSAGES = {
  forwarding: 'Forwarding port.',
  forwardingFailed: 'Port forwarding failed.',
  canceled: 'Canceled forwarding.',
  unknownForwarding: 'Unknown port forwarding.',
} as const;

/**
 * log_level_name() of Debian's OpenSSH 9.2 (the oracle): the first name in log.c's table, where
 * Debian lists SILENT before QUIET and DEBUG before DEBUG1.
 */
const LEVEL_NAMES = ['SILENT', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG2', 'DEBUG3'] as const;

export function logLevelName(level: number): string {
  return LEVEL_NAMES[level] ?? 'UNKNOWN';
}

// clientloop.c (9.2):
//   #define SUPPRESS_NEVER      0  /* never suppress, always show */
//   #define SUPPRESS_MUXCLIENT  1  /* don't show in mux client sessions */
//   #define SUPPRESS_MUXMASTER  2  /* don't show in mux master sessions */
//   #define SUPPRESS_SYSLOG     4  /* don't show when logging to syslog */
//   #define SUPPRESS_NOCMDLINE  8  /* don't show when cmdline disabled*/
const SUPPRESS_NEVER = 0;
const SUPPRESS_MUXCLIENT = 1;
const SUPPRESS_MUXMASTER = 2;
const SUPPRESS_SYSLOG = 4;
const SUPPRESS_NOCMDLINE = 8;

// static struct escape_help_text esc_txt[] = {
//     {".",  "terminate session", SUPPRESS_MUXMASTER},
//     {".",  "terminate connection (and any multiplexed sessions)", SUPPRESS_MUXCLIENT},
//     {"B",  "send a BREAK to the remote system", SUPPRESS_NEVER},
//     {"C",  "open a command line", SUPPRESS_MUXCLIENT|SUPPRESS_NOCMDLINE},
//     {"R",  "request rekey", SUPPRESS_NEVER},
//     {"V/v",  "decrease/increase verbosity (LogLevel)", SUPPRESS_MUXCLIENT},
//     {"^Z", "suspend ssh", SUPPRESS_MUXCLIENT},
//     {"#",  "list forwarded connections", SUPPRESS_NEVER},
//     {"&",  "background ssh (when waiting for connections to terminate)", SUPPRESS_MUXCLIENT},
//     {"?", "this message", SUPPRESS_NEVER},
// };
const ESC_TXT: readonly { cmd: string; text: string; flags: number }[] = [
  { cmd: '.', text: 'terminate session', flags: SUPPRESS_MUXMASTER },
  { cmd: '.', text: 'terminate connection (and any multiplexed sessions)', flags: SUPPRESS_MUXCLIENT },
  { cmd: 'B', text: 'send a BREAK to the remote system', flags: SUPPRESS_NEVER },
  { cmd: 'C', text: 'open a command line', flags: SUPPRESS_MUXCLIENT | SUPPRESS_NOCMDLINE },
  { cmd: 'R', text: 'request rekey', flags: SUPPRESS_NEVER },
  { cmd: 'V/v', text: 'decrease/increase verbosity (LogLevel)', flags: SUPPRESS_MUXCLIENT },
  { cmd: '^Z', text: 'suspend ssh', flags: SUPPRESS_MUXCLIENT },
  { cmd: '#', text: 'list forwarded connections', flags: SUPPRESS_NEVER },
  { cmd: '&', text: 'background ssh (when waiting for connections to terminate)', flags: SUPPRESS_MUXCLIENT },
  { cmd: '?', text: 'this message', flags: SUPPRESS_NEVER },
];

export interface EscapeHelpOptions {
  readonly enableEscapeCommandline?: boolean;
  readonly logOnStderr?: boolean;
  readonly muxClient?: boolean;
}

/**
 * print_escape_help(): the text `~?` prints, starting with the echo "~?\r\n". Each char of the
 * result is one byte (the escape character may be above 0x7f): write it as latin1.
 */
export function escapeHelpText(escapeChar: string, opts: EscapeHelpOptions = {}): string {
  const e = escapeChar;
  const suppress =
    (opts.muxClient ? SUPPRESS_MUXCLIENT : SUPPRESS_MUXMASTER) |
    (opts.logOnStderr === false ? SUPPRESS_SYSLOG : 0) |
    (opts.enableEscapeCommandline ? 0 : SUPPRESS_NOCMDLINE);
  let s = `${e}?\r\nSupported escape sequences:\r\n`;
  for (const t of ESC_TXT) {
    if (t.flags & suppress) continue;
    s += ` ${e}${t.cmd.padEnd(3)} - ${t.text}\r\n`; // " %c%-3s - %s\r\n"
  }
  s += ` ${e}${e}   - send the escape character by typing it twice\r\n`;
  s += '(Note that escapes are only recognized immediately after newline.)\r\n';
  return s;
}

// process_cmdline(), on "h", "H" or "?":
//   logit("Commands:");
//   logit("      -L[bind_address:]port:host:hostport    Request local forward");
//   logit("      -R[bind_address:]port:host:hostport    Request remote forward");
//   logit("      -D[bind_address:]port                  Request dynamic forward");
//   logit("      -KL[bind_address:]port                 Cancel local forward");
//   logit("      -KR[bind_address:]port                 Cancel remote forward");
//   logit("      -KD[bind_address:]port                 Cancel dynamic forward");
//   if (!options.permit_local_command) goto out;
//   logit("      !args                                  Execute local command");
const COMMAND_LINE_HELP = [
  'Commands:',
  '      -L[bind_address:]port:host:hostport    Request local forward',
  '      -R[bind_address:]port:host:hostport    Request remote forward',
  '      -D[bind_address:]port                  Request dynamic forward',
  '      -KL[bind_address:]port                 Cancel local forward',
  '      -KR[bind_address:]port                 Cancel remote forward',
  '      -KD[bind_address:]port                 Cancel dynamic forward',
] as const;
const COMMAND_LINE_HELP_LOCAL = '      !args                                  Execute local command';

/** The `ssh> help` lines, each to be logged with logit (INFO, "\r\n" appended by the logger). */
export function commandLineHelp(permitLocalCommand: boolean): string[] {
  return permitLocalCommand ? [...COMMAND_LINE_HELP, COMMAND_LINE_HELP_LOCAL] : [...COMMAND_LINE_HELP];
}

export type ForwardKind = 'local' | 'remote' | 'dynamic';

export type CommandLineResult =
  /** Empty line, a lone "-", an empty "!" or no line (EOF): nothing to do. */
  | { readonly type: 'none' }
  /** "h...", "H...", "?...": log these lines at INFO. */
  | { readonly type: 'help'; readonly lines: readonly string[] }
  /** "!args" with PermitLocalCommand: run `args` with the user's shell (ssh_local_cmd). */
  | { readonly type: 'local-command'; readonly command: string }
  /**
   * -L/-R/-D: set up the forward, then log "Forwarding port." or "Port forwarding failed.".
   * A -R spec of one or two fields is a remote dynamic forward (connectHost "socks").
   */
  | { readonly type: 'forward'; readonly kind: ForwardKind; readonly forward: Forward }
  /**
   * -KL/-KR/-KD: cancel it (parsed as a 1-2 field spec), then log "Canceled forwarding." or
   * "Unknown port forwarding.".
   */
  | { readonly type: 'cancel'; readonly kind: ForwardKind; readonly forward: Forward }
  /** A message in OpenSSH's words, logged with logit (INFO). */
  | { readonly type: 'error'; readonly message: string };

export interface CommandLineOptions {
  readonly permitLocalCommand: boolean;
  /** For ${VAR} expansion in forwarding specs (parse_forward uses dollar_expand). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** C isspace() in the "C" locale. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** process_cmdline() without the I/O: what the `ssh>` line asks for. */
export function parseCommandLine(line: string | null, opts: CommandLineOptions): CommandLineResult {
  if (line === null) return { type: 'none' };
  let i = 0;
  while (isSpace(line[i])) i++;
  if (line[i] === '-') i++; // Skip cmdline '-', if any
  if (i >= line.length) return { type: 'none' };
  const c = line[i];
  if (c === 'h' || c === 'H' || c === '?') return { type: 'help', lines: commandLineHelp(opts.permitLocalCommand) };
  if (c === '!' && opts.permitLocalCommand) {
    const command = line.slice(i + 1);
    // ssh_local_cmd() does nothing for an empty command.
    return command === '' ? { type: 'none' } : { type: 'local-command', command };
  }
  let cancel = false;
  if (line[i] === 'K') {
    cancel = true;
    i++;
  }
  const k = line[i];
  const kind: ForwardKind | null = k === 'L' ? 'local' : k === 'R' ? 'remote' : k === 'D' ? 'dynamic' : null;
  if (kind === null) return { type: 'error', message: 'Invalid command.' };
  i++;
  while (isSpace(line[i])) i++;
  const spec = line.slice(i);
  if (cancel) {
    // "We pass 1 for dynamicfwd to restrict to 1 or 2 fields."
    const fwd = parseForward(spec, true, false, opts.env);
    if (!fwd) return { type: 'error', message: 'Bad forwarding close specification.' };
    return { type: 'cancel', kind, forward: fwd };
  }
  if (kind === 'remote') {
    // "-R specs can be both dynamic or not, so check both."
    const fwd = parseForward(spec, false, true, opts.env) ?? parseForward(spec, true, true, opts.env);
    if (!fwd) return { type: 'error', message: 'Bad remote forwarding specification.' };
    return { type: 'forward', kind, forward: fwd };
  }
  const fwd = parseForward(spec, kind === 'dynamic', false, opts.env);
  if (!fwd) return { type: 'error', message: 'Bad local forwarding specification.' };
  return { type: 'forward', kind, forward: fwd };
}

const CR = 0x0d;
const LF = 0x0a;
const CTRL_Z = 0x1a; // 'Z' - 64

/**
 * The escape filter of one session channel. Like OpenSSH, an escape is recognised only as the
 * first byte after "\r" or "\n" typed by the user, or at the start of the session (last_was_cr
 * starts at 1); the escape character is held until the next byte decides.
 */
export class EscapeFilter {
  readonly #esc: number | null;
  readonly #cmdline: boolean;
  readonly #logOnStderr: boolean;
  readonly #mux: boolean;
  #level: number;
  #pending = false;
  #lastWasCr = true;
  #stopped = false;

  constructor(opts: EscapeOptions) {
    if (opts.escapeChar !== null) {
      const code = opts.escapeChar.charCodeAt(0);
      if (opts.escapeChar.length !== 1 || code > 0xff) {
        throw new RangeError(`escape character must be one byte, got ${JSON.stringify(opts.escapeChar)}`);
      }
      this.#esc = code;
    } else {
      this.#esc = null;
    }
    this.#cmdline = opts.enableEscapeCommandline ?? false;
    this.#logOnStderr = opts.logOnStderr ?? true;
    this.#mux = opts.muxClient ?? false;
    this.#level = opts.logLevel ?? LOG_LEVELS.INFO;
  }

  /** The LogLevel after any `~V` / `~v` so far. */
  get logLevel(): number {
    return this.#level;
  }

  /** True while an escape character waits for the next byte. */
  get pending(): boolean {
    return this.#pending;
  }

  /** True after `~.` or `~&`: OpenSSH stops reading the terminal; feed() returns nothing. */
  get stopped(): boolean {
    return this.#stopped;
  }

  feed(chunk: Buffer): EscapeAction[] {
    if (this.#stopped || chunk.length === 0) return [];
    const esc = this.#esc;
    if (esc === null) return [{ type: 'send', data: chunk }];
    const e = String.fromCharCode(esc);

    let actions: EscapeAction[] = [];
    let parts: Buffer[] = []; // bytes for the channel not yet turned into an action
    let runStart = -1; // start of the current run of plain bytes in chunk
    const endRun = (end: number): void => {
      if (runStart >= 0 && end > runStart) parts.push(chunk.subarray(runStart, end));
      runStart = -1;
    };
    const flushSend = (): void => {
      if (parts.length === 0) return;
      actions.push({ type: 'send', data: parts.length === 1 ? parts[0]! : Buffer.concat(parts) });
      parts = [];
    };
    const local = (text: string): void => {
      flushSend();
      actions.push({ type: 'local', data: Buffer.from(text, 'latin1') });
    };
    const act = (a: EscapeAction): void => {
      flushSend();
      actions.push(a);
    };
    const noEscape = (ch: number): void => {
      const b = ch === CTRL_Z ? '^Z' : String.fromCharCode(ch);
      local(`${e}${b} escape not available to multiplexed sessions\r\n`);
    };

    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.#pending) {
        // We have previously seen an escape character.
        this.#pending = false;
        let handled = true;
        switch (ch) {
          case 0x2e: // '.'
            if (this.#mux) local(`${e}.\r\n`);
            act({ type: 'disconnect' });
            this.#stopped = true;
            return actions;
          case CTRL_Z:
            if (this.#mux) {
              noEscape(ch);
              break;
            }
            local(`${e}^Z [suspend ssh]\r\n`);
            // client_suspend_self() resets the channel's input buffer.
            parts = [];
            actions = actions.filter((a) => a.type !== 'send');
            act({ type: 'suspend' });
            break;
          case 0x42: // 'B'
            local(`${e}B\r\n`);
            act({ type: 'break', lengthMs: BREAK_LENGTH_MS });
            break;
          case 0x52: // 'R'
            act({ type: 'rekey' });
            break;
          case 0x56: // 'V'
          case 0x76: // 'v'
            if (this.#mux) {
              noEscape(ch);
              break;
            }
            if (!this.#logOnStderr) {
              local(`${e}${String.fromCharCode(ch)} [Logging to syslog]\r\n`);
              break;
            }
            if (ch === 0x56 && this.#level > LOG_LEVELS.QUIET) this.#level--;
            if (ch === 0x76 && this.#level < LOG_LEVELS.DEBUG3) this.#level++;
            act({ type: 'loglevel', level: this.#level });
            local(`${e}${String.fromCharCode(ch)} [LogLevel ${logLevelName(this.#level)}]\r\n`);
            break;
          case 0x26: // '&'
            if (this.#mux) {
              noEscape(ch);
              break;
            }
            act({ type: 'background' });
            local(`${e}& [backgrounded]\n`); // raw mode already left: "\n" only
            act({ type: 'send', data: Buffer.of(4) }); // fake EOF on stdin
            this.#stopped = true;
            return actions;
          case 0x3f: // '?'
            local(escapeHelpText(e, { enableEscapeCommandline: this.#cmdline, logOnStderr: this.#logOnStderr, muxClient: this.#mux }));
            break;
          case 0x23: // '#'
            local(`${e}#\r\n`);
            act({ type: 'list-connections' });
            break;
          case 0x43: // 'C'
            if (this.#mux) {
              noEscape(ch);
              break;
            }
            if (!this.#cmdline) {
              local('commandline disabled\r\n');
              break;
            }
            act({ type: 'command-line' });
            break;
          default:
            handled = false;
            // The escape character followed by anything else is sent as typed; twice sends one.
            if (ch !== esc) parts.push(Buffer.of(esc));
        }
        if (handled) continue;
      } else if (this.#lastWasCr && ch === esc) {
        endRun(i);
        this.#pending = true;
        continue;
      }
      // A normal character: record whether it was a newline, and send it.
      this.#lastWasCr = ch === CR || ch === LF;
      if (runStart < 0) runStart = i;
    }
    endRun(chunk.length);
    flushSend();
    return actions;
  }
}
