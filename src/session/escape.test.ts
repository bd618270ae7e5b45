import { describe, expect, it } from 'vitest';
import { LOG_LEVELS } from './log.js';
import {
  BREAK_LENGTH_MS,
  COMMAND_LINE_PROMPT,
  EscapeFilter,
  commandLineHelp,
  escapeHelpText,
  logLevelName,
  parseCommandLine,
  type EscapeAction,
  type EscapeOptions,
} from './escape.js';

/** Actions in a compact, comparable form: byte strings as latin1. */
type Shown = string | [string, string | number];
function show(actions: EscapeAction[]): Shown[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'send':
        return ['send', a.data.toString('latin1')];
      case 'local':
        return ['local', a.data.toString('latin1')];
      case 'loglevel':
        return ['loglevel', a.level];
      case 'break':
        return ['break', a.lengthMs];
      default:
        return a.type;
    }
  });
}

function filter(opts: Partial<EscapeOptions> = {}): EscapeFilter {
  return new EscapeFilter({ escapeChar: '~', ...opts });
}

/** Feeds each chunk in turn and returns everything, compacted. */
function run(f: EscapeFilter, ...chunks: string[]): Shown[] {
  return chunks.flatMap((c) => show(f.feed(Buffer.from(c, 'latin1'))));
}

/** All bytes sent to the channel, whatever the chunking. */
function sent(f: EscapeFilter, ...chunks: string[]): string {
  return chunks
    .flatMap((c) => f.feed(Buffer.from(c, 'latin1')))
    .filter((a): a is Extract<EscapeAction, { type: 'send' }> => a.type === 'send')
    .map((a) => a.data.toString('latin1'))
    .join('');
}

// print_escape_help() output of OpenSSH_9.2p1 Debian-2+deb12u10, captured from `ssh -tt` in a pty
// ("~?" typed at the start of a line), default EnableEscapeCommandline=no:
const HELP_9_2 =
  '~?\r\nSupported escape sequences:\r\n' +
  ' ~.   - terminate connection (and any multiplexed sessions)\r\n' +
  ' ~B   - send a BREAK to the remote system\r\n' +
  ' ~R   - request rekey\r\n' +
  ' ~V/v - decrease/increase verbosity (LogLevel)\r\n' +
  ' ~^Z  - suspend ssh\r\n' +
  ' ~#   - list forwarded connections\r\n' +
  ' ~&   - background ssh (when waiting for connections to terminate)\r\n' +
  ' ~?   - this message\r\n' +
  ' ~~   - send the escape character by typing it twice\r\n' +
  '(Note that escapes are only recognized immediately after newline.)\r\n';
// The same with -o EnableEscapeCommandline=yes: the ~C line appears after ~B
// ({"C", "open a command line", SUPPRESS_MUXCLIENT|SUPPRESS_NOCMDLINE}).
const HELP_9_2_CMDLINE = HELP_9_2.replace(
  ' ~R   - request rekey\r\n',
  ' ~C   - open a command line\r\n ~R   - request rekey\r\n',
);

describe('EscapeFilter: recognising escapes', () => {
  it('passes ordinary bytes through unchanged, in one send', () => {
    const f = filter();
    expect(run(f, 'ls -la\r')).toEqual([['send', 'ls -la\r']]);
    expect(run(f, 'a~b~\x00\xff')).toEqual([['send', 'a~b~\x00\xff']]);
    expect(f.feed(Buffer.alloc(0))).toEqual([]);
  });

  it('recognises an escape at the very start of the session', () => {
    expect(run(filter(), '~.')).toEqual(['disconnect']);
  });

  it('recognises an escape only right after \\r or \\n', () => {
    expect(run(filter(), 'x~.')).toEqual([['send', 'x~.']]);
    expect(run(filter(), 'x\r~.')).toEqual([['send', 'x\r'], 'disconnect']);
    expect(run(filter(), 'x\n~.')).toEqual([['send', 'x\n'], 'disconnect']);
    expect(run(filter(), 'x\r\n~#')).toEqual([['send', 'x\r\n'], ['local', '~#\r\n'], 'list-connections']);
    // Other control characters do not start a line.
    expect(run(filter(), 'x\x03~.')).toEqual([['send', 'x\x03~.']]);
    expect(run(filter(), 'x\x04~.')).toEqual([['send', 'x\x04~.']]);
  });

  it('sends one escape character for two, and the pair does not start a line', () => {
    const f = filter();
    expect(run(f, '~~')).toEqual([['send', '~']]);
    expect(run(f, '~.')).toEqual([['send', '~.']]);
    expect(sent(filter(), '~~~.')).toBe('~~.');
    expect(sent(filter(), '\r~~\r~~')).toBe('\r~\r~');
  });

  it('sends the escape character and the byte after it when that is no command', () => {
    expect(run(filter(), '~x')).toEqual([['send', '~x']]);
    expect(run(filter(), 'ab\r~xyz')).toEqual([['send', 'ab\r~xyz']]);
    expect(sent(filter(), '~b~c')).toBe('~b~c'); // commands are case-sensitive: 'B', not 'b'
    expect(sent(filter(), '~\x1b[A')).toBe('~\x1b[A');
  });

  it('keeps the line start when the byte after the escape character is a newline', () => {
    // "~\r" is sent as typed (bash then runs "~"); last_was_cr is set again by the "\r".
    const f = filter();
    expect(run(f, '~\r')).toEqual([['send', '~\r']]);
    expect(run(f, '~.')).toEqual(['disconnect']);
    expect(sent(filter(), '~\n~x')).toBe('~\n~x');
  });

  it('holds the escape character across a chunk boundary until the next byte decides', () => {
    const f = filter();
    expect(run(f, 'echo\r~')).toEqual([['send', 'echo\r']]);
    expect(f.pending).toBe(true);
    expect(run(f, 'x')).toEqual([['send', '~x']]);
    expect(f.pending).toBe(false);

    const g = filter();
    expect(run(g, '~')).toEqual([]);
    expect(run(g, '?')).toEqual([['local', HELP_9_2]]);
    expect(run(g, '\r', '~', '~', 'y')).toEqual([['send', '\r'], ['send', '~'], ['send', 'y']]);

    const h = filter();
    expect(run(h, 'a\r', '~', '.', 'ignored')).toEqual([['send', 'a\r'], 'disconnect']);
  });

  it('gives the same bytes whatever the chunking', () => {
    const input = 'ls\r~x~~\r~~~\rcat\n~?~%\r~~.z';
    const whole = sent(filter(), input);
    expect(whole).toBe('ls\r~x~~\r~~\rcat\n~%\r~.z'); // "~%" right after ~? is still at a line start
    for (let cut = 0; cut <= input.length; cut++) {
      expect(sent(filter(), input.slice(0, cut), input.slice(cut))).toBe(whole);
    }
    expect(sent(filter(), ...input.split(''))).toBe(whole);
  });

  it('stays at the start of a line after a handled escape, as last_was_cr is not touched', () => {
    expect(run(filter(), '~#~x')).toEqual([['local', '~#\r\n'], 'list-connections', ['send', '~x']]);
    const f = filter();
    expect(run(f, '~?')).toEqual([['local', HELP_9_2]]);
    expect(run(f, '~.')).toEqual(['disconnect']);
  });

  it('passes everything through when EscapeChar is none', () => {
    const f = filter({ escapeChar: null });
    const chunk = Buffer.from('~.\r~?~~');
    const out = f.feed(chunk);
    expect(out).toEqual([{ type: 'send', data: chunk }]);
    expect(run(f, '\r~.')).toEqual([['send', '\r~.']]);
    expect(f.stopped).toBe(false);
  });

  it('uses a control character set as ^X', () => {
    const f = filter({ escapeChar: '\x01' });
    expect(run(f, '~.')).toEqual([['send', '~.']]);
    expect(run(f, '\r\x01\x01')).toEqual([['send', '\r\x01']]);
    expect(run(filter({ escapeChar: '\x01' }), '\x01.')).toEqual(['disconnect']);
  });

  it('checks the commands before the escape character itself, like the C switch', () => {
    // EscapeChar "." (captured: `ssh -e .`, typing ".." at a line start disconnects).
    expect(run(filter({ escapeChar: '.' }), '..')).toEqual(['disconnect']);
    expect(run(filter({ escapeChar: 'B' }), 'BB')).toEqual([['local', 'BB\r\n'], ['break', 1000]]);
    expect(run(filter({ escapeChar: 'x' }), 'xx')).toEqual([['send', 'x']]);
  });

  it('handles an escape character above 0x7f as one byte', () => {
    const f = filter({ escapeChar: '\xe9' });
    const out = f.feed(Buffer.from([0xe9, 0x23]));
    expect(out[0]).toEqual({ type: 'local', data: Buffer.from([0xe9, 0x23, 0x0d, 0x0a]) });
    expect(f.feed(Buffer.from([0x0d, 0xe9, 0xe9]))).toEqual([{ type: 'send', data: Buffer.from([0x0d, 0xe9]) }]);
  });

  it('refuses an escape character that is not one byte', () => {
    expect(() => filter({ escapeChar: '' })).toThrow(RangeError);
    expect(() => filter({ escapeChar: '~~' })).toThrow(RangeError);
    expect(() => filter({ escapeChar: '\u0100' })).toThrow(RangeError);
  });

  it('does not copy a plain chunk', () => {
    const chunk = Buffer.from('hello');
    const out = filter().feed(chunk);
    expect(out).toHaveLength(1);
    const a = out[0]!;
    expect(a.type === 'send' && a.data.buffer === chunk.buffer).toBe(true);
  });
});

describe('EscapeFilter: commands', () => {
  it('~. disconnects without printing, and the filter stops', () => {
    // Captured: OpenSSH queues "~.\r\n" for stderr but quits before writing it.
    const f = filter();
    expect(run(f, 'pwd\r~.rest')).toEqual([['send', 'pwd\r'], 'disconnect']);
    expect(f.stopped).toBe(true);
    expect(run(f, 'more\r~?')).toEqual([]);
  });

  it('~? prints the help exactly as OpenSSH 9.2 does', () => {
    expect(run(filter(), '~?')).toEqual([['local', HELP_9_2]]);
    expect(run(filter({ enableEscapeCommandline: true }), '~?')).toEqual([['local', HELP_9_2_CMDLINE]]);
    expect(escapeHelpText('~')).toBe(HELP_9_2);
    expect(escapeHelpText('~', { enableEscapeCommandline: true })).toBe(HELP_9_2_CMDLINE);
  });

  it('~? substitutes the escape character everywhere', () => {
    // Captured with `ssh -e '^A'`.
    const help = run(filter({ escapeChar: '\x01' }), '\x01?');
    expect(help).toEqual([['local', HELP_9_2.replaceAll('~', '\x01')]]);
    expect(escapeHelpText('\x01')).toContain(' \x01\x01   - send the escape character by typing it twice\r\n');
  });

  it('~? lists the same escapes when logging goes to a file or syslog (no SUPPRESS_SYSLOG entries)', () => {
    expect(escapeHelpText('~', { logOnStderr: false })).toBe(HELP_9_2);
  });

  it('~? in a multiplexed client session shows the mux-client set', () => {
    expect(escapeHelpText('~', { muxClient: true, enableEscapeCommandline: true })).toBe(
      '~?\r\nSupported escape sequences:\r\n' +
        ' ~.   - terminate session\r\n' +
        ' ~B   - send a BREAK to the remote system\r\n' +
        ' ~R   - request rekey\r\n' +
        ' ~#   - list forwarded connections\r\n' +
        ' ~?   - this message\r\n' +
        ' ~~   - send the escape character by typing it twice\r\n' +
        '(Note that escapes are only recognized immediately after newline.)\r\n',
    );
  });

  it('~B prints "~B" and asks for a 1000 ms break', () => {
    expect(BREAK_LENGTH_MS).toBe(1000);
    expect(run(filter(), '~B')).toEqual([['local', '~B\r\n'], ['break', 1000]]);
  });

  it('~R asks for a rekey and prints nothing', () => {
    expect(run(filter(), '~R')).toEqual(['rekey']);
  });

  it('~# prints "~#" and asks for the connection list', () => {
    expect(run(filter(), '~#')).toEqual([['local', '~#\r\n'], 'list-connections']);
  });

  it('~C says "commandline disabled" unless EnableEscapeCommandline', () => {
    expect(run(filter(), '~C')).toEqual([['local', 'commandline disabled\r\n']]);
    expect(run(filter({ enableEscapeCommandline: true }), '~C')).toEqual(['command-line']);
    expect(run(filter({ enableEscapeCommandline: true }), 'x\r~Cy')).toEqual([['send', 'x\r'], 'command-line', ['send', 'y']]);
    expect(COMMAND_LINE_PROMPT).toBe('\r\nssh> ');
  });

  it('~v / ~V step the LogLevel within QUIET..DEBUG3 and name it as Debian 9.2 does', () => {
    // Captured from LogLevel=ERROR: ~v ~v ~V, then ~V five times in one write.
    const f = filter({ logLevel: LOG_LEVELS.ERROR });
    expect(run(f, '~v', '~v', '~V', '~V~V~V~V~V')).toEqual([
      ['loglevel', 3], ['local', '~v [LogLevel INFO]\r\n'],
      ['loglevel', 4], ['local', '~v [LogLevel VERBOSE]\r\n'],
      ['loglevel', 3], ['local', '~V [LogLevel INFO]\r\n'],
      ['loglevel', 2], ['local', '~V [LogLevel ERROR]\r\n'],
      ['loglevel', 1], ['local', '~V [LogLevel FATAL]\r\n'],
      ['loglevel', 0], ['local', '~V [LogLevel SILENT]\r\n'],
      ['loglevel', 0], ['local', '~V [LogLevel SILENT]\r\n'],
      ['loglevel', 0], ['local', '~V [LogLevel SILENT]\r\n'],
    ]);
    expect(f.logLevel).toBe(LOG_LEVELS.QUIET);
    // Captured from LogLevel=INFO: ~v six times.
    const g = filter();
    const names = run(g, '~v~v~v~v~v~v').filter((x) => x[0] === 'local');
    expect(names).toEqual(['VERBOSE', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG3', 'DEBUG3'].map((n) => ['local', `~v [LogLevel ${n}]\r\n`]));
    expect(g.logLevel).toBe(LOG_LEVELS.DEBUG3);
  });

  it('~v / ~V only report "Logging to syslog" when the log is not on stderr', () => {
    // Captured with `-E file`: "~v [Logging to syslog]".
    const f = filter({ logOnStderr: false, logLevel: LOG_LEVELS.INFO });
    expect(run(f, '~v~V')).toEqual([['local', '~v [Logging to syslog]\r\n'], ['local', '~V [Logging to syslog]\r\n']]);
    expect(f.logLevel).toBe(LOG_LEVELS.INFO);
  });

  it('logLevelName follows log.c with Debian\'s SILENT', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(logLevelName)).toEqual(['SILENT', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG2', 'DEBUG3']);
  });

  it('~^Z prints "[suspend ssh]", drops what this chunk queued before it, and goes on', () => {
    // Captured: writing "echo aaa\r~^Zecho bbb\r" at once runs only "echo bbb" (client_suspend_self
    // resets the channel input buffer).
    expect(run(filter(), 'echo aaa\r~\x1aecho bbb\r')).toEqual([
      ['local', '~^Z [suspend ssh]\r\n'],
      'suspend',
      ['send', 'echo bbb\r'],
    ]);
    expect(run(filter(), 'a\r~?b\r~\x1a')).toEqual([['local', HELP_9_2], ['local', '~^Z [suspend ssh]\r\n'], 'suspend']);
    // Bytes of earlier chunks were already handed out.
    const f = filter();
    expect(run(f, 'a\r', '~\x1a', '~.')).toEqual([['send', 'a\r'], ['local', '~^Z [suspend ssh]\r\n'], 'suspend', 'disconnect']);
  });

  it('~& backgrounds, prints "[backgrounded]" with a bare \\n, sends ^D and stops', () => {
    const f = filter();
    expect(run(f, 'x\r~&after')).toEqual([['send', 'x\r'], 'background', ['local', '~& [backgrounded]\n'], ['send', '\x04']]);
    expect(f.stopped).toBe(true);
    expect(run(f, '\r~.')).toEqual([]);
  });

  it('refuses ~^Z, ~V, ~v, ~& and ~C in a multiplexed client session', () => {
    const f = filter({ muxClient: true, enableEscapeCommandline: true });
    expect(run(f, '~\x1a~V~v~&~C')).toEqual([
      ['local', '~^Z escape not available to multiplexed sessions\r\n'],
      ['local', '~V escape not available to multiplexed sessions\r\n'],
      ['local', '~v escape not available to multiplexed sessions\r\n'],
      ['local', '~& escape not available to multiplexed sessions\r\n'],
      ['local', '~C escape not available to multiplexed sessions\r\n'],
    ]);
    expect(f.logLevel).toBe(LOG_LEVELS.INFO);
    // In a mux client, "~.\r\n" does reach the user before the session closes.
    expect(run(filter({ muxClient: true }), '~.')).toEqual([['local', '~.\r\n'], 'disconnect']);
  });
});

describe('parseCommandLine (~C)', () => {
  const env = { HOME: '/root', PORT: '8080' };
  const no = { permitLocalCommand: false, env };
  const yes = { permitLocalCommand: true, env };

  // Captured `ssh> help` with PermitLocalCommand=yes, as the terminal showed it (logit writes
  // "\r\n", the tty's onlcr adds "\r" while the prompt has raw mode off); the "!args" line is
  // printed only under PermitLocalCommand.
  const SHOWN =
    'Commands:\r\r\n' +
    '      -L[bind_address:]port:host:hostport    Request local forward\r\r\n' +
    '      -R[bind_address:]port:host:hostport    Request remote forward\r\r\n' +
    '      -D[bind_address:]port                  Request dynamic forward\r\r\n' +
    '      -KL[bind_address:]port                 Cancel local forward\r\r\n' +
    '      -KR[bind_address:]port                 Cancel remote forward\r\r\n' +
    '      -KD[bind_address:]port                 Cancel dynamic forward\r\r\n' +
    '      !args                                  Execute local command\r\r\n';
  const HELP_ALL = SHOWN.split('\r\r\n').slice(0, -1);
  const HELP = HELP_ALL.slice(0, -1);
  const HELP_LOCAL = HELP_ALL.at(-1)!;

  it('prints help for h, H, ? (after an optional -), with !args only under PermitLocalCommand', () => {
    for (const l of ['help', 'h', 'H', '?', '-h', '  -?', 'hello there']) {
      expect(parseCommandLine(l, no)).toEqual({ type: 'help', lines: HELP });
    }
    expect(parseCommandLine('?', yes)).toEqual({ type: 'help', lines: [...HELP, HELP_LOCAL] });
    expect(commandLineHelp(false)).toEqual(HELP);
    expect(commandLineHelp(true)).toEqual([...HELP, HELP_LOCAL]);
  });

  it('does nothing for an empty line, a lone "-" or EOF', () => {
    for (const l of ['', '   ', '-', ' \t-']) expect(parseCommandLine(l, no)).toEqual({ type: 'none' });
    expect(parseCommandLine(null, no)).toEqual({ type: 'none' });
  });

  it('runs !command only under PermitLocalCommand', () => {
    expect(parseCommandLine('!echo hi', yes)).toEqual({ type: 'local-command', command: 'echo hi' });
    expect(parseCommandLine(' -! ls -l ', yes)).toEqual({ type: 'local-command', command: ' ls -l ' });
    expect(parseCommandLine('!', yes)).toEqual({ type: 'none' });
    expect(parseCommandLine('!echo hi', no)).toEqual({ type: 'error', message: 'Invalid command.' });
  });

  it('says "Invalid command." as OpenSSH does', () => {
    for (const l of ['bogus', 'K', 'KX 1', 'l 1:a:2', '  -  hx', '--L 1:a:2', 'X']) {
      expect(parseCommandLine(l, no)).toEqual({ type: 'error', message: 'Invalid command.' });
    }
  });

  it('parses -L, -D and -R forwards', () => {
    expect(parseCommandLine('-L 8080:localhost:80', no)).toEqual({
      type: 'forward',
      kind: 'local',
      forward: { listenHost: null, listenPort: 8080, listenPath: null, connectHost: 'localhost', connectPort: 80, connectPath: null },
    });
    expect(parseCommandLine('L127.0.0.1:${PORT}:h:22', no)).toMatchObject({
      type: 'forward',
      kind: 'local',
      forward: { listenHost: '127.0.0.1', listenPort: 8080, connectHost: 'h', connectPort: 22 },
    });
    expect(parseCommandLine('-D 1080', no)).toMatchObject({ type: 'forward', kind: 'dynamic', forward: { listenPort: 1080, connectHost: 'socks' } });
    expect(parseCommandLine('-R 9000:localhost:22', no)).toMatchObject({
      type: 'forward',
      kind: 'remote',
      forward: { listenPort: 9000, connectHost: 'localhost', connectPort: 22 },
    });
    // "-R specs can be both dynamic or not": one field is a remote dynamic forward; port 0 is
    // allowed remotely (captured: "R 0" -> "Forwarding port.").
    expect(parseCommandLine('R 0', no)).toMatchObject({ type: 'forward', kind: 'remote', forward: { listenPort: 0, connectHost: 'socks' } });
  });

  it('reports bad specifications in OpenSSH\'s words', () => {
    const bad = (message: string) => ({ type: 'error', message });
    // Captured: "-L xx", "L 0:a:1" and "L" -> "Bad local forwarding specification."
    expect(parseCommandLine('-L xx', no)).toEqual(bad('Bad local forwarding specification.'));
    expect(parseCommandLine('L 0:a:1', no)).toEqual(bad('Bad local forwarding specification.'));
    expect(parseCommandLine('L', no)).toEqual(bad('Bad local forwarding specification.'));
    expect(parseCommandLine('-D 1:2:3', no)).toEqual(bad('Bad local forwarding specification.'));
    expect(parseCommandLine('-R x:y:z:w', no)).toEqual(bad('Bad remote forwarding specification.'));
    expect(parseCommandLine('-R', no)).toEqual(bad('Bad remote forwarding specification.'));
    // Captured: "KL 0" -> "Bad forwarding close specification."
    expect(parseCommandLine('KL 0', no)).toEqual(bad('Bad forwarding close specification.'));
    expect(parseCommandLine('-KD 1:a:2', no)).toEqual(bad('Bad forwarding close specification.'));
  });

  it('parses -KL, -KR and -KD cancellations as one or two fields', () => {
    expect(parseCommandLine('-KL 8080', no)).toMatchObject({ type: 'cancel', kind: 'local', forward: { listenHost: null, listenPort: 8080 } });
    expect(parseCommandLine('KR 1234', no)).toMatchObject({ type: 'cancel', kind: 'remote', forward: { listenPort: 1234 } });
    expect(parseCommandLine('-KD localhost:1080', no)).toMatchObject({ type: 'cancel', kind: 'dynamic', forward: { listenHost: 'localhost', listenPort: 1080 } });
  });
});
