import { describe, expect, it } from 'vitest';
import { parseTshdArgs, TshdUsageError, type TshdArgs } from './tshd-args.js';

function args(argv: string[]): TshdArgs {
  const inv = parseTshdArgs(argv);
  if (inv.kind !== 'run') throw new Error(`expected run, got ${inv.kind}`);
  return inv.args;
}

function usageError(argv: string[]): TshdUsageError {
  try {
    parseTshdArgs(argv);
  } catch (err) {
    if (err instanceof TshdUsageError) return err;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('tshd argv', () => {
  it('maps every flag', () => {
    const table: [string[], Partial<TshdArgs>][] = [
      [[], { mode: 'daemon', configFile: undefined, commandLine: [], connection: null }],
      [['-t'], { mode: 'check' }],
      [['-T'], { mode: 'dump' }],
      [['-T', '-t'], { mode: 'check' }],
      [['-f', '/x/cfg'], { configFile: '/x/cfg' }],
      [['-f/x/cfg'], { configFile: '/x/cfg' }],
      [['-E', '/log'], { logFile: '/log', logToStderr: true }],
      [['-e'], { logToStderr: true }],
      [['-D', '-i'], { foreground: true, inetd: true }],
      [['-4'], { commandLine: [{ kind: 'addressFamily', family: 'inet' }] }],
      [['-6'], { commandLine: [{ kind: 'addressFamily', family: 'inet6' }] }],
      [['-p', '2222', '-p2223'], { commandLine: [{ kind: 'port', port: 2222 }, { kind: 'port', port: 2223 }] }],
      [['-h', 'k', '-g', '1m30s'], { commandLine: [{ kind: 'hostKey', path: 'k' }, { kind: 'loginGraceTime', seconds: 90 }] }],
      [['-o', 'Port 1', '-o', 'PasswordAuthentication=no'], {
        commandLine: [{ kind: 'option', line: 'Port 1' }, { kind: 'option', line: 'PasswordAuthentication=no' }],
      }],
      [['-q'], { quiet: true, commandLine: [{ kind: 'logLevel', level: 'QUIET' }] }],
      [['-d', '-d', '-ddd'], {
        debug: 5,
        commandLine: (['DEBUG1', 'DEBUG2', 'DEBUG3', 'DEBUG3', 'DEBUG3'] as const).map((level) => ({ kind: 'logLevel', level }) as const),
      }],
      [['-q', '-d'], { quiet: false }],
      [['-T', '-C', 'user=u,host=h', '-C', 'addr=1.2.3.4,lport=22'], { connection: { user: 'u', host: 'h', addr: '1.2.3.4', lport: 22 } }],
      [['-T', 'extra', 'more'], { extra: ['extra', 'more'] }],
    ];
    for (const [argv, want] of table) expect(args(argv), argv.join(' ')).toMatchObject(want);
  });

  it('keeps -o, -p, -h and the others in argv order', () => {
    expect(args(['-o', 'Port 1', '-p', '2', '-4', '-o', 'Port 3']).commandLine).toEqual([
      { kind: 'option', line: 'Port 1' },
      { kind: 'port', port: 2 },
      { kind: 'addressFamily', family: 'inet' },
      { kind: 'option', line: 'Port 3' },
    ]);
  });

  it('answers --help, --version and -V', () => {
    expect(parseTshdArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseTshdArgs(['-t', '--help'])).toEqual({ kind: 'help' });
    expect(parseTshdArgs(['--version'])).toEqual({ kind: 'version' });
    expect(parseTshdArgs(['-t', '-V'])).toEqual({ kind: 'version' });
  });

  it('refuses bad options and values like sshd (exit 1)', () => {
    const cases: [string[], RegExp][] = [
      [['-Z'], /^unknown option -- Z\r\ntshd .*\nusage: tshd \[-46DdeiqTtV\]/],
      [['-f'], /^option requires an argument -- f\r\n/],
      [['-p', '0'], /^Bad port number\.\n$/],
      [['-p', 'x'], /^Bad port number\.\n$/],
      [['-g', '1x'], /^Invalid login grace time\.\n$/],
      [['-C', 'user=x,foo=1'], /^Invalid test mode specification foo=1\n$/],
      [['-C', 'lport=abc'], /^Invalid port 'abc' in test mode specification lport=abc\n$/],
    ];
    for (const [argv, re] of cases) {
      const err = usageError(argv);
      expect(err.output, argv.join(' ')).toMatch(re);
      expect(err.exitCode).toBe(1);
    }
    expect(usageError(Array.from({ length: 257 }, () => '-p1')).output).toBe('too many ports.\n');
  });
});
