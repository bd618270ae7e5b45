/**
 * tsh's interactive sessions on a real OpenSSH sshd, driven through a PTY and compared with the
 * real `ssh` in the same PTY: the remote pty (TERM, size, SIGWINCH), output not post-processed
 * twice, ^C and ^D reaching the remote shell, the local terminal restored however the session
 * ends (exit, SIGTERM, connection lost), -t/-T/-tt, escape sequences (~. ~? ~~ -e ~# ~C ~^Z),
 * what pty-req carries (terminal modes, the size of stdin, SetEnv's TERM), and SendEnv/SetEnv.
 *
 * Every wait is on an output marker the remote computes (so the echo of the typed line never
 * matches it), bounded by PtySession.expect's timeout.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, run, runPty, tempDir, type PtySession } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { clientHome, trustSshd, LOGIN, type ClientHome } from '../helpers/client.js';

type Prog = 'tsh' | 'ssh';
const PROGS: readonly Prog[] = ['ssh', 'tsh'];
const TERM = 'xterm-256color';
const COLS = 91;
const ROWS = 27;
const CLOSED = 'Connection to 127.0.0.1 closed.';
/**
 * The same line as the terminal shows it, as a RegExp source: ssh leaves raw mode before printing
 * it, so opost/onlcr turn its "\r\n" into "\r\r\n" (output() keeps one "\r").
 */
const CLOSED_RE = 'Connection to 127\\.0\\.0\\.1 closed\\.\\r\\n';

let sshd: Sshd;
let home: ClientHome;

beforeAll(async () => {
  home = clientHome();
  sshd = await startSshd({ authorizedKeys: [home.pub], config: ['AcceptEnv FOO BAR'] });
  trustSshd(home, sshd);
});
afterAll(async () => {
  await sshd?.stop();
  home?.cleanup();
});

/**
 * The same arguments for both programs. ssh finds ~ through getpwuid(), not $HOME, so the key,
 * known_hosts and config are named explicitly (-F /dev/null also keeps Debian's SendEnv away).
 */
function args(extra: readonly string[] = [], command: readonly string[] = []): string[] {
  return [
    '-F', '/dev/null',
    '-i', join(home.ssh, 'id_ed25519'),
    '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`,
    '-p', String(sshd.port),
    ...extra,
    `${LOGIN}@127.0.0.1`,
    ...command,
  ];
}

/** The command line running `prog` (env sets TERM: node-pty would force its own name). */
function argv(prog: Prog, extra: readonly string[] = [], command: readonly string[] = []): string[] {
  const p = prog === 'tsh' ? [process.execPath, binPath('tsh')] : ['/usr/bin/ssh'];
  return [`TERM=${TERM}`, ...p, ...args(extra, command)];
}

function start(prog: Prog, extra: readonly string[] = [], command: readonly string[] = []): PtySession {
  return runPty('/usr/bin/env', argv(prog, extra, command), { home: home.home, cols: COLS, rows: ROWS });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

let markers = 0;
/**
 * Runs `line` in the remote shell and waits until it printed a fresh marker and the shell shows
 * its prompt again (readline reads the terminal again, so keys typed next reach it). The marker
 * is computed remotely, so the echo of the typed line never matches it.
 */
async function shell(s: PtySession, line: string): Promise<string> {
  const n = ++markers;
  const mark = `M${n}K`;
  s.write(`${line}; echo M$((${n}+0))K\r`);
  await s.expect(new RegExp(`${mark}\\n[^]*[#$] $`));
  return mark;
}

/**
 * Types `keys` (ending in "\r") at a remote `read`, once it runs (keys typed before may be
 * flushed when bash hands the terminal over), and waits for what it read, shown as `<got>`.
 */
async function readBack(s: PtySession, keys: string, got: string): Promise<void> {
  const n = ++markers;
  s.write(`echo R$((${n}+0))R; read v; echo "<$v>"\r`);
  await s.expect(`R${n}R\n`);
  s.write(keys);
  await s.expect(`<${got}>\n`);
}

/** The output without bash's bracketed-paste switches. */
const clean = (out: string): string => out.replace(/\x1b\[\?2004h|\x1b\[\?2004l\r/g, '');

/** What the remote printed after the line `from` up to the marker line `to` (both printed remotely). */
function between(s: PtySession, from: string, to: string): string {
  const out = clean(s.output());
  const end = out.lastIndexOf(`\n${to}\n`);
  const start = out.lastIndexOf(`${from}\n`, end);
  return out.slice(start + from.length + 1, end + 1);
}

/** What each program showed in one scenario, recorded by its test for a comparison test. */
type Seen = Partial<Record<Prog, string>>;

/** tsh showed exactly what ssh showed (both tests ran; they run in file order). */
function sameAsSsh(...records: readonly Seen[]): void {
  for (const r of records) {
    expect(r.ssh).toBeDefined();
    expect(r.tsh).toBe(r.ssh);
  }
}

describe('the remote pty', () => {
  for (const prog of PROGS) {
    it(`${prog}: a shell gets a pty with TERM and the window size, and follows resizes`, async () => {
      const s = start(prog);
      try {
        await shell(s, 'true');
        const m1 = await shell(s, 'echo B$((0))B; tty; echo "T=$TERM"; stty size');
        const lines1 = between(s, 'B0B', m1).split('\n');
        expect(lines1[0]).toMatch(/^\/dev\/pts\/\d+$/);
        expect(lines1.slice(1)).toEqual([`T=${TERM}`, `${ROWS} ${COLS}`, '']);
        s.resize(120, 40);
        // The remote readline redraws its line when the window-change arrives (SIGWINCH there).
        await s.expect(new RegExp(`${m1}\\n[^]*\\x1b\\[K[^\\n]*[#$] $`));
        const m2 = await shell(s, 'echo C$((0))C; stty size');
        expect(between(s, 'C0C', m2)).toBe('40 120\n');
        s.write('\x04');
        await s.expect(new RegExp(`logout\\n${CLOSED_RE}$`));
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });
  }
});

describe('output', () => {
  for (const prog of PROGS) {
    it(`${prog}: the remote's "\\r\\n" reaches the terminal once, not as "\\r\\r\\n" (opost off)`, async () => {
      const s = start(prog);
      try {
        const first = await shell(s, 'true');
        const m = await shell(s, "printf 'D%sD\\n' 0; printf 'a\\nb\\n'");
        expect(between(s, 'D0D', m)).toBe('a\nb\n');
        // output() turns "\r\n" into "\n": any "\r\n" left was "\r\r\n" on the wire. (sshd's
        // "Last login" line before the first marker has its own "\r\r\n", with ssh too.)
        const out = s.output();
        expect(out.slice(out.indexOf(`${first}\n`))).not.toContain('\r\n');
        s.write('exit\r');
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });
  }
});

describe('keys reach the remote', () => {
  for (const prog of PROGS) {
    it(`${prog}: ^C interrupts a remote sleep and the shell lives on; ^D ends it`, async () => {
      const s = start(prog);
      try {
        await shell(s, 'true');
        // The marker comes from the foreground job itself: once it shows, ^C reaches that job
        // (sent between bash's fork and its tcsetpgrp(), it would reach no one).
        s.write(`sh -c 'echo S$((1+1))S; exec sleep 30'; echo "slept $?"\r`);
        await s.expect('S2S\n');
        const t0 = Date.now();
        s.write('\x03');
        // Keys typed before the shell reads again may be dropped: wait for its prompt.
        await s.expect(/S2S\n\^C\n[^]*[#$] $/);
        const m = await shell(s, 'echo "after $?"');
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(s.output()).not.toMatch(/slept \d/);
        expect(between(s, 'S2S', m)).toMatch(/\^C\n[^]*after 130\n$/);
        s.write('\x04');
        await s.expect(new RegExp(`logout\\n${CLOSED_RE}$`));
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });
  }
});

/**
 * Runs the client inside `sh -c` on a PTY, saving `stty -g` before and after it, and its exit
 * status. `during` acts on the running session (the client's pid is known by then).
 */
async function sttyAround(prog: Prog, during: (s: PtySession, pid: () => number) => Promise<void>): Promise<{ before: string; after: string; rc: number; out: string }> {
  const dir = tempDir('tsh-pty-');
  try {
    const cmd = argv(prog).map(quote).join(' ');
    // The shell waits for a last key after its last line, which could be lost if it exited at once.
    const script = `stty -g > before; echo $$ > shpid; env ${cmd}; echo "rc=$?"; stty -g > after; echo EN$((1+1))D; read x`;
    const s = runPty('/bin/sh', ['-c', script], { home: home.home, cwd: dir.path, cols: COLS, rows: ROWS });
    try {
      const pid = (): number => {
        const sh = Number(readFileSync(join(dir.path, 'shpid'), 'utf8'));
        for (const p of readdirSync('/proc')) {
          if (!/^\d+$/.test(p)) continue;
          try {
            const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid === sh) return Number(p);
          } catch {
            // gone
          }
        }
        throw new Error('client process not found');
      };
      await during(s, pid);
      await s.expect('EN2D', 15_000);
      s.write('\r');
      expect(await s.exit()).toBe(0);
      const rc = /rc=(\d+)/.exec(s.output());
      return {
        before: readFileSync(join(dir.path, 'before'), 'utf8'),
        after: readFileSync(join(dir.path, 'after'), 'utf8'),
        rc: Number(rc?.[1]),
        out: s.output(),
      };
    } finally {
      s.kill();
    }
  } finally {
    dir.cleanup();
  }
}

describe('the local terminal is restored', () => {
  // How the session ends, the exit status, and what the client printed last (ssh prints nothing
  // when killed: "Killed by signal 15." is verbose).
  const endings: readonly { how: string; end: (s: PtySession, pid: () => number) => void; rc: number; last: string }[] = [
    { how: 'after the shell exits', end: (s) => s.write('exit\r'), rc: 0, last: `logout\\n${CLOSED_RE}` },
    { how: 'after SIGTERM', end: (_s, pid) => process.kill(pid(), 'SIGTERM'), rc: 255, last: '[#$] ' },
    {
      how: 'after the connection drops',
      end: (s) => s.write('kill -9 $PPID\r'),
      rc: 255,
      last: `Connection to 127\\.0\\.0\\.1 closed by remote host\\.\\r\\n${CLOSED_RE}`,
    },
  ];
  for (const prog of PROGS) {
    for (const e of endings) {
      it(`${prog}: ${e.how}`, async () => {
        const r = await sttyAround(prog, async (s, pid) => {
          await shell(s, 'true');
          e.end(s, pid);
        });
        expect(r.after).toBe(r.before);
        expect(r.rc).toBe(e.rc);
        expect(r.out).toMatch(new RegExp(`${e.last}rc=${e.rc}\\n`));
      });
    }
  }
});

describe('-t and -T', () => {
  for (const prog of PROGS) {
    it(`${prog}: -t gives a command a pty, -T does not`, async () => {
      const t = start(prog, ['-t'], ['tty']);
      try {
        await t.expect(new RegExp(`^/dev/pts/\\d+\\n${CLOSED_RE}$`));
        expect(await t.exit()).toBe(0);
      } finally {
        t.kill();
      }
      const T = start(prog, ['-T'], ['tty']);
      try {
        await T.expect(/^not a tty\n$/);
        expect(await T.exit()).toBe(1);
      } finally {
        T.kill();
      }
    });

    it(`${prog}: with stdin not a terminal, -t is refused with ssh's note and -tt forces it`, async () => {
      const file = prog === 'tsh' ? 'tsh' : '/usr/bin/ssh';
      const plain = await run(file, args([], ['tty']), { home: home.home });
      expect(plain).toMatchObject({ code: 1, stdout: 'not a tty\n', stderr: '' });
      const t = await run(file, args(['-t'], ['tty']), { home: home.home });
      expect(t).toMatchObject({ code: 1, stdout: 'not a tty\n', stderr: 'Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n' });
      const tt = await run(file, args(['-tt'], ['tty']), { home: home.home });
      expect(tt.code).toBe(0);
      expect(tt.stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
      expect(tt.stderr).toBe(`${CLOSED}\r\n`);
    });
  }
});

/** Types a disconnect escape at the prompt: ssh's message right after it, and exit status 255. */
async function disconnects(s: PtySession, keys: string): Promise<void> {
  s.write(keys);
  await s.expect(new RegExp(`[#$] ${CLOSED_RE}$`));
  expect(await s.exit()).toBe(255);
}

/** The text `~?` printed (from its echo to the last help line). */
function helpText(out: string, esc: string): string {
  const last = '(Note that escapes are only recognized immediately after newline.)\n';
  const from = out.lastIndexOf(`${esc}?\n`);
  const end = out.indexOf(last, from);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(from);
  return out.slice(from, end + last.length);
}

describe('escape sequences', () => {
  const help: Seen = {};
  const helpA: Seen = {};

  for (const prog of PROGS) {
    it(`${prog}: ~& goes to the background: "~& [backgrounded]" and exit 0`, async () => {
      const s = start(prog);
      try {
        await shell(s, 'true');
        // A fresh line first: keys typed before the client entered raw mode may leave it mid-line.
        s.write('\r~&');
        // ssh prints the text from the forked child, which may come after the parent's exit (or
        // not reach this pty at all): only tsh's text is waited for.
        if (prog === 'tsh') await s.expect('~& [backgrounded]');
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });

    it(`${prog}: ~B sends a break request to the server`, async () => {
      // A separate sshd at DEBUG1 (in a Match: the helper's defaults come first) logs "req break";
      // its debug lines also reach the session, so no other test uses it.
      const debugSshd = await startSshd({ authorizedKeys: [home.pub], config: ['Match all', 'LogLevel DEBUG1'] });
      const kh = join(home.home, `kh-${prog}`);
      writeFileSync(kh, `[127.0.0.1]:${debugSshd.port} ${debugSshd.hostKeys.ed25519.split(' ').slice(0, 2).join(' ')}\n`);
      const p = prog === 'tsh' ? [process.execPath, binPath('tsh')] : ['/usr/bin/ssh'];
      const s = runPty('/usr/bin/env', [`TERM=${TERM}`, ...p, '-F', '/dev/null', '-i', join(home.ssh, 'id_ed25519'), '-o', `UserKnownHostsFile=${kh}`, '-p', String(debugSshd.port), `${LOGIN}@127.0.0.1`], { home: home.home, cols: COLS, rows: ROWS });
      try {
        await shell(s, 'true');
        s.write('~B');
        const deadline = Date.now() + 10_000;
        while (!/req break/.test(debugSshd.log()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(debugSshd.log()).toMatch(/req break/);
      } finally {
        s.kill();
        await debugSshd.stop();
      }
    });

    it(`${prog}: ~. after a newline disconnects`, async () => {
      const s = start(prog);
      try {
        await shell(s, 'true');
        await disconnects(s, '~.');
      } finally {
        s.kill();
      }
    });

    it(`${prog}: ~? prints the help, ~~ sends one ~, ~ elsewhere is sent as typed`, async () => {
      const s = start(prog);
      try {
        await shell(s, 'true');
        s.write('~?');
        await s.expect('escapes are only recognized');
        help[prog] = helpText(s.output(), '~');
        await readBack(s, '~~x\r', '~x');
        await shell(s, 'echo "<a~.b~?c>"');
        expect(clean(s.output())).toContain('\n<a~.b~?c>\n');
        s.write('exit\r');
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });

    it(`${prog}: -e none sends ~. on; -e ^A makes ^A the escape character`, async () => {
      const n = start(prog, ['-e', 'none']);
      try {
        await shell(n, 'true');
        await readBack(n, '~.\r', '~.');
        n.write('~?\r');
        await n.expect('~?: command not found');
        n.write('exit 0\r');
        expect(await n.exit()).toBe(0);
      } finally {
        n.kill();
      }
      const a = start(prog, ['-e', '^A']);
      try {
        await shell(a, 'true');
        await readBack(a, '~.\r', '~.');
        await shell(a, 'true');
        a.write('\x01?');
        await a.expect('escapes are only recognized');
        helpA[prog] = helpText(a.output(), '\x01');
        await shell(a, 'true');
        await disconnects(a, '\x01.');
      } finally {
        a.kill();
      }
    });
  }

  it('tsh prints the same help as ssh, byte for byte', () => {
    sameAsSsh(help, helpA);
  });
});

/**
 * Output to compare between ssh and tsh: the markers' numbers (which differ between runs) taken
 * out, and so are lines that are only the local echo of a command typed while the client was
 * briefly out of raw mode (after a suspend or the ssh> prompt: the test types faster than a user).
 */
const comparable = (out: string): string =>
  out
    .replace(/M\$\(\(\d+\+0\)\)K/g, 'M$((n+0))K')
    .replace(/M\d+K/g, 'MnK')
    .replace(/^[^\n]*; echo M\$\(\(n\+0\)\)K\n/gm, '');

describe('more escapes, compared with ssh byte for byte', () => {
  const seen: Seen = {};
  const suspended: Seen = {};

  for (const prog of PROGS) {
    it(`${prog}: ~# lists the session; ~C opens the ssh> command line (EnableEscapeCommandline)`, async () => {
      const s = start(prog, ['-o', 'EnableEscapeCommandline=yes']);
      try {
        const first = await shell(s, 'true');
        s.write('~#');
        await s.expect(/client-session .*\)\n/);
        await shell(s, 'true');
        // Typed, erased with ^U and with DEL, then "help".
        s.write('~C');
        await s.expect(/ssh> $/);
        s.write('junk\x15helpx\x7f\r');
        await s.expect(/Cancel dynamic forward\r\n/);
        await shell(s, 'true');
        s.write('~C');
        await s.expect(/ssh> $/);
        s.write('-L 0:127.0.0.1:1\r');
        await s.expect('Bad local forwarding specification.');
        await shell(s, 'echo E$((0))E');
        const out = s.output();
        seen[prog] = comparable(out.slice(out.indexOf(`${first}\n`)));
        s.write('exit 0\r');
        expect(await s.exit()).toBe(0);
      } finally {
        s.kill();
      }
    });

    it(`${prog}: ~^Z suspends with the terminal restored; fg resumes in raw mode with the new size`, async () => {
      const dir = tempDir('tsh-pty-');
      const s = runPty('/bin/bash', ['--norc', '--noprofile', '-i'], { home: home.home, cwd: dir.path, cols: COLS, rows: ROWS, env: { PS1: 'L> ' } });
      try {
        await s.expect('L> ');
        s.write(`stty -g > before; env ${argv(prog).map(quote).join(' ')}\r`);
        const first = await shell(s, 'true');
        s.write('~\x1a');
        await s.expect(/Stopped[^]*L> $/);
        // Resized while stopped: the size is sent again on SIGCONT (client_suspend_self()).
        s.resize(100, 33);
        s.write('stty -g > stopped; echo "<$(stty size)>"; fg\r');
        // The remote shell redraws its line on the window change, sent after raw mode is back.
        await s.expect(/<33 100>\n[^]*\x1b\[K[^\n]*[#$] $/);
        await shell(s, 'echo S$((0))S; stty size');
        s.write('exit 0\r');
        await s.expect(new RegExp(`${CLOSED_RE}[^]*L> $`));
        s.write('stty -g > after; exit 0\r');
        expect(await s.exit()).toBe(0);
        const before = readFileSync(join(dir.path, 'before'), 'utf8');
        expect(readFileSync(join(dir.path, 'stopped'), 'utf8')).toBe(before);
        expect(readFileSync(join(dir.path, 'after'), 'utf8')).toBe(before);
        expect(clean(s.output())).toMatch(/\nS0S\n33 100\n/);
        const out = s.output();
        suspended[prog] = comparable(out.slice(out.indexOf(`${first}\n`))).replaceAll(prog === 'tsh' ? `${process.execPath}' '${binPath('tsh')}` : '/usr/bin/ssh', 'CLIENT');
      } finally {
        s.kill();
        dir.cleanup();
      }
    });
  }

  it('tsh shows what ssh shows', () => {
    sameAsSsh(seen, suspended);
  });
});

describe('what the pty request carries', () => {
  const remote: Seen = {};
  const piped: Seen = {};

  for (const prog of PROGS) {
    it(`${prog}: the local terminal's modes and the size of stdin (stdout and stderr redirected), TERM from SetEnv`, async () => {
      const dir = tempDir('tsh-pty-');
      try {
        const cmd = argv(prog, ['-t', '-o', 'SetEnv=TERM=vt220'], ['stty size; echo "$TERM"; stty -g']).map(quote).join(' ');
        const script = `stty erase ^H intr ^G -ixany -imaxbel; env ${cmd} >out 2>err; echo "rc=$?"`;
        const s = runPty('/bin/sh', ['-c', script], { home: home.home, cwd: dir.path, cols: COLS, rows: ROWS });
        try {
          await s.expect('rc=0');
          expect(await s.exit()).toBe(0);
        } finally {
          s.kill();
        }
        const out = readFileSync(join(dir.path, 'out'), 'utf8');
        expect(readFileSync(join(dir.path, 'err'), 'utf8')).toBe(`${CLOSED}\r\n`);
        const m = /^(\d+ \d+)\r\n(.*)\r\n([0-9a-f:]+)\r\n$/.exec(out);
        expect(m, out).not.toBeNull();
        expect(m![1]).toBe(`${ROWS} ${COLS}`);
        expect(m![2]).toBe('vt220');
        // iflag icrnl ixon iutf8 (no ixany, imaxbel); intr ^G, erase ^H (c_cc 0 and 2).
        const g = m![3]!.split(':');
        expect(g[0]).toBe('4500');
        expect([g[4], g[6]]).toEqual(['7', '8']);
        remote[prog] = m![3];
      } finally {
        dir.cleanup();
      }
    });

    it(`${prog}: -tt with stdin not a terminal: size 0x0 and sshd's default modes`, async () => {
      const file = prog === 'tsh' ? 'tsh' : '/usr/bin/ssh';
      const r = await run(file, args(['-tt'], ['stty size; stty -g']), { home: home.home });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`${CLOSED}\r\n`);
      expect(r.stdout).toMatch(/^0 0\r\n[0-9a-f:]+\r\n$/);
      piped[prog] = r.stdout;
    });
  }

  it('tsh sends what ssh sends', () => {
    sameAsSsh(remote, piped);
  });
});

describe('SendEnv and SetEnv', () => {
  for (const prog of PROGS) {
    it(`${prog}: the variables reach the remote`, async () => {
      const file = prog === 'tsh' ? 'tsh' : '/usr/bin/ssh';
      const r = await run(file, args(['-o', 'SendEnv=FOO', '-o', 'SetEnv=BAR=x'], ['echo "<$FOO><$BAR>"']), {
        home: home.home,
        env: { FOO: 'foo value' },
      });
      expect(r).toMatchObject({ code: 0, stdout: '<foo value><x>\n', stderr: '' });
    });
  }
});
