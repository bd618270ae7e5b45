/**
 * The local terminal during an interactive session, as OpenSSH's sshtty.c enter_raw_mode() /
 * leave_raw_mode(): raw input, no echo, no signals from keys, and no output post-processing
 * (`stty -opost`, which Node's setRawMode leaves on, so the remote's "\r\n" would print as
 * "\r\r\n"). Also what the pty-req carries from it, as clientloop.c client_session2_setup():
 * the window size of standard input (TIOCGWINSZ) and the terminal modes saved before raw mode
 * (ttymodes.c ssh_tty_make_modes()).
 *
 * Node has no tcgetattr() or TIOCGWINSZ on standard input, so both are read with stty(1), which
 * acts on its standard input: ours, inherited.
 *
 * Restoring: setRawMode(false) puts back the whole termios libuv saved before raw mode (opost
 * included), and Node itself resets the terminal when the process exits, crashes included.
 */
import { spawnSync } from 'node:child_process';
import type { ReadStream } from 'node:tty';

export interface WindowSize {
  readonly cols: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
}

/** Runs stty on our standard input; its output, or null when it fails. */
function stty(args: readonly string[]): string | null {
  const r = spawnSync('stty', args, { stdio: ['inherit', 'pipe', 'ignore'], timeout: 5000, encoding: 'utf8' });
  return r.status === 0 && typeof r.stdout === 'string' ? r.stdout.trim() : null;
}

/**
 * The window size of standard input, as ssh reads it (ioctl(fileno(stdin), TIOCGWINSZ)); all
 * zeros when standard input is not a terminal, as ssh sends then. Pixel sizes are not known (0).
 */
export function windowSize(stdinIsTTY: boolean): WindowSize {
  const zero = { cols: 0, rows: 0, width: 0, height: 0 };
  if (!stdinIsTTY) return zero;
  const m = /^(\d+) (\d+)$/.exec(stty(['size']) ?? '');
  if (!m) return zero;
  return { rows: Number(m[1]), cols: Number(m[2]), width: 0, height: 0 };
}

// Linux termios bits (asm-generic/termbits.h) and c_cc indexes.
const CC = { VINTR: 0, VQUIT: 1, VERASE: 2, VKILL: 3, VEOF: 4, VSTART: 8, VSTOP: 9, VSUSP: 10, VEOL: 11, VREPRINT: 12, VDISCARD: 13, VWERASE: 14, VLNEXT: 15, VEOL2: 16 } as const;
const CBAUD = 0o10017;

/** speed_to_baud(): Linux speed codes to bits per second; 9600 for the rest, as ssh. */
const SPEEDS: Readonly<Record<number, number>> = {
  0: 0, 1: 50, 2: 75, 3: 110, 4: 134, 5: 150, 6: 200, 7: 300, 8: 600, 9: 1200, 10: 1800, 11: 2400, 12: 4800,
  13: 9600, 14: 19200, 15: 38400, 0o10001: 57600, 0o10002: 115200, 0o10003: 230400,
};

type Field = 'iflag' | 'oflag' | 'cflag' | 'lflag';

/** GNU stty -g on Linux: "iflag:oflag:cflag:lflag:cc0:cc1:..." in hex; null for anything else. */
function parseStty(sttyG: string): { flags: Record<Field, number>; cc: number[] } | null {
  const parts = sttyG.trim().split(':');
  if (parts.length < 4 + 17 || !parts.every((p) => /^[0-9a-f]+$/i.test(p))) return null;
  const n = parts.map((p) => parseInt(p, 16));
  return { flags: { iflag: n[0]!, oflag: n[1]!, cflag: n[2]!, lflag: n[3]! }, cc: n.slice(4) };
}

// ttymodes.h, in its order, with what Linux defines (no VDSUSP, VFLUSH, VSWTCH, VSTATUS).
const CHARS: readonly (readonly [opcode: number, index: number])[] = [
  [1, CC.VINTR], [2, CC.VQUIT], [3, CC.VERASE], [4, CC.VKILL], [5, CC.VEOF], [6, CC.VEOL], [7, CC.VEOL2],
  [8, CC.VSTART], [9, CC.VSTOP], [10, CC.VSUSP], [12, CC.VREPRINT], [13, CC.VWERASE], [14, CC.VLNEXT],
  [18, CC.VDISCARD],
];
const FLAGS: readonly (readonly [opcode: number, field: Field, bit: number])[] = [
  [30, 'iflag', 0o4], // IGNPAR
  [31, 'iflag', 0o10], // PARMRK
  [32, 'iflag', 0o20], // INPCK
  [33, 'iflag', 0o40], // ISTRIP
  [34, 'iflag', 0o100], // INLCR
  [35, 'iflag', 0o200], // IGNCR
  [36, 'iflag', 0o400], // ICRNL
  [37, 'iflag', 0o1000], // IUCLC
  [38, 'iflag', 0o2000], // IXON
  [39, 'iflag', 0o4000], // IXANY
  [40, 'iflag', 0o10000], // IXOFF
  [41, 'iflag', 0o20000], // IMAXBEL
  [42, 'iflag', 0o40000], // IUTF8
  [50, 'lflag', 0o1], // ISIG
  [51, 'lflag', 0o2], // ICANON
  [52, 'lflag', 0o4], // XCASE
  [53, 'lflag', 0o10], // ECHO
  [54, 'lflag', 0o20], // ECHOE
  [55, 'lflag', 0o40], // ECHOK
  [56, 'lflag', 0o100], // ECHONL
  [57, 'lflag', 0o200], // NOFLSH
  [58, 'lflag', 0o400], // TOSTOP
  [59, 'lflag', 0o100000], // IEXTEN
  [60, 'lflag', 0o1000], // ECHOCTL
  [61, 'lflag', 0o4000], // ECHOKE
  [62, 'lflag', 0o40000], // PENDIN
  [70, 'oflag', 0o1], // OPOST
  [71, 'oflag', 0o2], // OLCUC
  [72, 'oflag', 0o4], // ONLCR
  [73, 'oflag', 0o10], // OCRNL
  [74, 'oflag', 0o20], // ONOCR
  [75, 'oflag', 0o40], // ONLRET
  // ssh tests `c_cflag & CS7` as a mask, so a CS8 terminal sends CS7 1 as well.
  [90, 'cflag', 0o40], // CS7
  [91, 'cflag', 0o60], // CS8
  [92, 'cflag', 0o400], // PARENB
  [93, 'cflag', 0o1000], // PARODD
];
const TTY_OP_END = 0;
const TTY_OP_ISPEED = 128;
const TTY_OP_OSPEED = 129;

/**
 * The encoded terminal modes of a pty-req (RFC 4254 8), byte for byte as ssh_tty_make_modes()
 * builds them, from the settings GNU stty -g printed on Linux ("iflag:oflag:cflag:lflag:cc0:..."
 * in hex). null when the text is not in that form (ssh sends no modes when it has none).
 */
export function encodeTerminalModes(sttyG: string): Buffer | null {
  const t = parseStty(sttyG);
  if (t === null) return null;
  const { flags, cc } = t;
  const out: number[] = [];
  const put = (op: number, v: number): void => {
    out.push(op, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  };
  const baud = SPEEDS[flags.cflag & CBAUD] ?? 9600;
  put(TTY_OP_OSPEED, baud);
  put(TTY_OP_ISPEED, baud);
  // special_char_encode(): _POSIX_VDISABLE ('\0' on Linux) is sent as 255.
  for (const [op, i] of CHARS) put(op, cc[i] === 0 ? 255 : (cc[i] ?? 255));
  for (const [op, field, bit] of FLAGS) put(op, (flags[field] & bit) !== 0 ? 1 : 0);
  out.push(TTY_OP_END);
  return Buffer.from(out);
}

/** The editing keys of a terminal's cooked mode (byte values; -1 when disabled). */
export interface EditKeys {
  readonly erase: number;
  readonly kill: number;
  readonly werase: number;
  readonly intr: number;
  readonly eof: number;
}

/** The usual keys: ^? ^U ^W ^C ^D. */
export const DEFAULT_EDIT_KEYS: EditKeys = { erase: 0x7f, kill: 0x15, werase: 0x17, intr: 0x03, eof: 0x04 };

/**
 * One line typed on a terminal held in raw mode, edited and echoed as the kernel's cooked mode
 * (icanon echo echoe echoke echoctl iutf8) would do it for ssh's `ssh>` prompt, which
 * read_passphrase(RP_ECHO) reads in cooked mode. feed() returns undefined until the line ends,
 * then the line, or null when it was cancelled: ^C (its echo "^C"; ssh ignores SIGINT there and
 * gets no line) or ^D on an empty line. The terminal's own key settings are used when known.
 */
export class LineEditor {
  readonly #bytes: number[] = [];
  readonly #echo: (b: Buffer) => void;
  readonly #keys: EditKeys;

  constructor(echo: (b: Buffer) => void, keys: EditKeys = DEFAULT_EDIT_KEYS) {
    this.#echo = echo;
    this.#keys = keys;
  }

  #rubout(): boolean {
    const b = this.#bytes;
    if (b.length === 0) return false;
    // IUTF8: one character, however many bytes.
    let i = b.length - 1;
    while (i > 0 && (b[i]! & 0xc0) === 0x80) i--;
    const width = b[i]! < 0x20 || b[i] === 0x7f ? 2 : 1; // ^X takes two columns
    b.length = i;
    this.#echo(Buffer.from('\b \b'.repeat(width), 'latin1'));
    return true;
  }

  feed(chunk: Buffer): { line: string | null } | undefined {
    const k = this.#keys;
    for (const c of chunk) {
      if (c === 0x0d || c === 0x0a) {
        this.#echo(Buffer.from('\r\n', 'latin1'));
        return { line: Buffer.from(this.#bytes).toString('utf8') };
      }
      if (c === k.intr) {
        this.#echo(Buffer.from(`^${String.fromCharCode(c ^ 0x40)}`, 'latin1'));
        return { line: null };
      }
      if (c === k.eof) {
        if (this.#bytes.length === 0) return { line: null };
        continue;
      }
      if (c === k.erase) {
        this.#rubout();
        continue;
      }
      if (c === k.kill) {
        while (this.#rubout());
        continue;
      }
      if (c === k.werase) {
        const space = (): boolean => this.#bytes[this.#bytes.length - 1] === 0x20 || this.#bytes[this.#bytes.length - 1] === 0x09;
        while (this.#bytes.length > 0 && space()) this.#rubout();
        while (this.#bytes.length > 0 && !space()) this.#rubout();
        continue;
      }
      this.#bytes.push(c);
      if (c < 0x20 && c !== 0x09) this.#echo(Buffer.from(`^${String.fromCharCode(c ^ 0x40)}`, 'latin1'));
      else if (c === 0x7f) this.#echo(Buffer.from('^?', 'latin1'));
      else this.#echo(Buffer.of(c));
    }
    return undefined;
  }
}

export class RawTerminal {
  private active = false;
  private saved: string | null = null;
  constructor(private readonly input: ReadStream) {}

  enter(): void {
    if (this.active || !this.input.isTTY) return;
    // The settings before raw mode, as enter_raw_mode() saves them (get_saved_tio()). Read once:
    // leaving raw mode puts them back, and keys typed while stty runs would echo.
    this.saved ??= stty(['-g']);
    this.input.setRawMode(true);
    stty(['-opost']);
    this.active = true;
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    try {
      this.input.setRawMode(false);
    } catch {
      // the terminal is gone
    }
  }

  get isRaw(): boolean {
    return this.active;
  }

  /** The cooked-mode editing keys of the settings saved when raw mode was entered. */
  keys(): EditKeys {
    const t = parseStty(this.saved ?? '');
    if (t === null) return DEFAULT_EDIT_KEYS;
    const key = (i: number): number => (t.cc[i] ? t.cc[i]! : -1);
    return { erase: key(CC.VERASE), kill: key(CC.VKILL), werase: key(CC.VWERASE), intr: key(CC.VINTR), eof: key(CC.VEOF) };
  }

  /**
   * The terminal modes for pty-req: those saved when raw mode was entered, or the current ones
   * before that; null when they cannot be read.
   */
  modes(): Buffer | null {
    const g = this.saved ?? (this.input.isTTY ? stty(['-g']) : null);
    return g === null ? null : encodeTerminalModes(g);
  }
}
