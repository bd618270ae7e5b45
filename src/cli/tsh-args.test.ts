import { describe, expect, it } from 'vitest';
import { TSH_USAGE, TshArgError, parseSshUri, parseTshArgs, quoteArg, type ParseEnv, type TshArgs } from './tsh-args.js';

function env(warnings: string[] = []): ParseEnv {
  return {
    env: {},
    home: '/home/me',
    statError: (p) => (p.includes('missing') ? 'No such file or directory' : null),
    warn: (t) => warnings.push(t),
  };
}

function args(argv: string[]): TshArgs {
  const inv = parseTshArgs(argv, env());
  if (inv.kind !== 'connect') throw new Error(`not a connect: ${inv.kind}`);
  return inv.args;
}

function failure(argv: string[]): string {
  try {
    parseTshArgs(argv, env());
  } catch (err) {
    if (err instanceof TshArgError) return err.output;
    throw err;
  }
  throw new Error('no error');
}

const q = quoteArg;

describe('parseTshArgs: destination, command and overrides', () => {
  const table: { argv: string[]; host: string; command?: string | null; overrides?: string[] }[] = [
    { argv: ['h'], host: 'h', command: null, overrides: [] },
    { argv: ['u@h'], host: 'h', overrides: [`User ${q('u')}`] },
    { argv: ['a@b@h'], host: 'h', overrides: [`User ${q('a@b')}`] },
    { argv: ['h', 'ls', '-l'], host: 'h', command: 'ls -l' },
    { argv: ['h', '-p', '99', 'ls'], host: 'h', command: 'ls', overrides: ['Port 99'] },
    { argv: ['-p', '1', 'h', '-p', '2'], host: 'h', command: null, overrides: ['Port 1'] },
    { argv: ['--', 'h', '-p', '3'], host: 'h', command: '-p 3', overrides: [] },
    { argv: ['h', '--', '-p', '3'], host: 'h', command: '-p 3', overrides: [] },
    { argv: ['ssh://u@h:2022'], host: 'h', overrides: [`User ${q('u')}`, 'Port 2022'] },
    { argv: ['ssh://h/'], host: 'h', overrides: [] },
    { argv: ['ssh://a%20b;x=y@h'], host: 'h', overrides: [`User ${q('a b')}`] },
    { argv: ['-l', 'bob', 'alice@h'], host: 'h', overrides: [`User ${q('bob')}`, `User ${q('alice')}`] },
    { argv: ['-i', 'k1', '-i', '~/k2', '-i', 'missing', 'h'], host: 'h', overrides: [`IdentityFile ${q('k1')}`, `IdentityFile ${q('/home/me/k2')}`] },
    { argv: ['-o', 'Port=5', '-p', '0', 'h'], host: 'h', overrides: ['Port=5'] },
    { argv: ['-J', 'a@j:22,b', 'h'], host: 'h', overrides: ['ProxyJump a@j:22,b'] },
    { argv: ['-L', '8080:localhost:80', 'h'], host: 'h', overrides: [`LocalForward ${q('8080')} ${q('localhost:80')}`] },
    { argv: ['-L', '[::1]:81:h:80', 'h'], host: 'h', overrides: [`LocalForward ${q('[::1]')} ${q('81:h:80')}`] },
    { argv: ['-R', '9090:x:90', '-R', '1080', 'h'], host: 'h', overrides: [`RemoteForward ${q('9090')} ${q('x:90')}`, `RemoteForward ${q('1080')}`] },
    { argv: ['-D', 'localhost:1081', 'h'], host: 'h', overrides: [`DynamicForward ${q('localhost:1081')}`] },
    { argv: ['-C', '-4', 'h'], host: 'h', overrides: ['Compression yes', 'AddressFamily inet'] },
    { argv: ['-4', '-6', 'h'], host: 'h', overrides: ['AddressFamily inet6'] },
    { argv: ['-c', 'aes128-ctr', '-m', 'hmac-sha1', 'h'], host: 'h', overrides: [`Ciphers ${q('aes128-ctr')}`, `MACs ${q('hmac-sha1')}`] },
    { argv: ['-A', '-a', 'h'], host: 'h', overrides: ['ForwardAgent no'] },
    { argv: ['-q', 'h'], host: 'h', overrides: ['LogLevel QUIET'] },
    { argv: ['-vvv', 'h'], host: 'h', overrides: ['LogLevel DEBUG3'] },
    { argv: ['-vvvv', 'h'], host: 'h', overrides: ['LogLevel DEBUG3'] },
    { argv: ['-v', '-q', '-v', 'h'], host: 'h', overrides: ['LogLevel FATAL'] },
    { argv: ['-o', 'LogLevel=ERROR', '-v', 'h'], host: 'h', overrides: ['LogLevel DEBUG1', 'LogLevel=ERROR'] },
    { argv: ['-e', '^]', 'h'], host: 'h', overrides: [`EscapeChar ${q('^]')}`] },
    { argv: ['-t', 'h'], host: 'h', overrides: ['RequestTTY yes'] },
    { argv: ['-tt', 'h'], host: 'h', overrides: ['RequestTTY force'] },
    { argv: ['-o', 'RequestTTY=yes', '-t', 'h'], host: 'h', overrides: ['RequestTTY force', 'RequestTTY=yes'] },
    { argv: ['-T', 'h'], host: 'h', overrides: ['RequestTTY no'] },
    { argv: ['-N', 'h'], host: 'h', overrides: ['SessionType none', 'RequestTTY no'] },
    { argv: ['-s', 'h', 'sftp'], host: 'h', command: 'sftp', overrides: ['SessionType subsystem'] },
    { argv: ['-n', '-f', 'h', 'x'], host: 'h', overrides: ['StdinNull yes', 'ForkAfterAuthentication yes'] },
    { argv: ['-x', '-X', '-Y', 'h'], host: 'h', overrides: ['ForwardX11 yes', 'ForwardX11Trusted yes'] },
    { argv: ['-g', '-k', '-K', 'h'], host: 'h', overrides: ['GatewayPorts yes', 'GSSAPIDelegateCredentials yes', 'GSSAPIAuthentication yes'] },
    { argv: ['-M', '-M', 'h'], host: 'h', overrides: ['ControlMaster ask'] },
    { argv: ['-b', '127.0.0.1', '-B', 'lo', '-S', '/tmp/cp', '-I', '/p.so', 'h'], host: 'h', overrides: [`BindAddress ${q('127.0.0.1')}`, `BindInterface ${q('lo')}`, `ControlPath ${q('/tmp/cp')}`, `PKCS11Provider ${q('/p.so')}`] },
    { argv: ['-w', '1:2', 'h'], host: 'h', overrides: [`TunnelDevice ${q('1:2')}`, 'Tunnel point-to-point'] },
    { argv: ['-W', 'x:22', 'h'], host: 'h', overrides: ['RequestTTY no', 'SessionType none', 'ClearAllForwardings yes', 'ExitOnForwardFailure yes'] },
    { argv: ['-P', '-2', '-y', 'h'], host: 'h', overrides: [] },
  ];
  for (const row of table) {
    it(row.argv.join(' '), () => {
      const a = args(row.argv);
      expect(a.host).toBe(row.host);
      if (row.command !== undefined) expect(a.command).toBe(row.command);
      if (row.overrides) expect(a.overrides).toEqual(row.overrides);
    });
  }

  it('keeps -F, -G, -E, -O, -W and -v for later use', () => {
    const a = args(['-G', '-F', 'cfg', '-E', 'log', '-O', 'check', '-vv', 'h']);
    expect(a).toMatchObject({ configFile: 'cfg', configTest: true, logFile: 'log', muxCommand: 'check', verbose: 2 });
    expect(args(['-W', '[::1]:22', 'h']).stdioForward).toEqual({ host: '::1', port: 22 });
    expect(a.options.map((o) => o.opt)).toEqual(['G', 'F', 'E', 'O', 'v', 'v']);
  });

  it('warns about an inaccessible -i file and goes on', () => {
    const w: string[] = [];
    parseTshArgs(['-i', 'missing', 'h'], env(w));
    expect(w).toEqual(['Warning: Identity file missing not accessible: No such file or directory.\n']);
  });

  it('-V, -Q and --help act while parsing', () => {
    expect(parseTshArgs(['-V', 'h'], env())).toEqual({ kind: 'version' });
    expect(parseTshArgs(['-Q', 'cipher'], env())).toEqual({ kind: 'query', query: 'cipher' });
    expect(parseTshArgs(['--help'], env())).toEqual({ kind: 'help' });
    expect(failure(['-p', '0', '-V'])).toBe("Bad port '0'\n");
  });
});

describe('parseTshArgs: errors as ssh prints them', () => {
  const U = `${TSH_USAGE}\n`;
  const table: [string[], string][] = [
    [[], U],
    [['-p'], `option requires an argument -- p\r\n${U}`],
    [['-Z', 'h'], `unknown option -- Z\r\n${U}`],
    [['@h'], U],
    [['ssh://h/path'], U],
    [['ssh://@h'], U],
    [['ssh://h:0'], U],
    [['-p', '0', 'h'], "Bad port '0'\n"],
    [['h', '-p', 'x'], "Bad port 'x'\n"],
    [['-o', 'Foo=bar', 'h'], 'command-line: line 0: Bad configuration option: foo\r\n'],
    [['-J', 'a', '-J', 'b', 'h'], 'Only a single -J option is permitted (use commas to separate multiple jump hops)\r\n'],
    [['-o', 'ProxyCommand=x', '-J', 'b', 'h'], 'Cannot specify -J with ProxyCommand\r\n'],
    [['-J', 'a@', 'h'], 'Invalid -J argument\r\n'],
    [['-1', 'h'], 'SSH protocol v.1 is no longer supported\r\n'],
    [['-O', 'bogus', 'h'], 'Invalid multiplex command.\r\n'],
    [['-O', 'stop', '-W', 'a:1', 'h'], 'Cannot specify stdio forward with -O\r\n'],
    [['-W', 'a:1', '-O', 'stop', 'h'], 'Cannot specify multiplexing command with -W\r\n'],
    [['-e', 'ab', 'h'], "Bad escape character 'ab'.\n"],
    [['-c', 'foo', 'h'], "Unknown cipher type 'foo'\n"],
    [['-m', '+hmac-md5', 'h'], "Unknown mac type '+hmac-md5'\n"],
    [['-L', '1', 'h'], "Bad local forwarding specification '1'\n"],
    [['-R', 'x', 'h'], "Bad remote forwarding specification 'x'\n"],
    [['-D', 'x:y:z', 'h'], "Bad dynamic forwarding specification 'x:y:z'\n"],
    [['-W', 'x', 'h'], "Bad stdio forwarding specification 'x'\n"],
    [['-w', 'x', 'h'], "Bad tun device 'x'\n"],
    [['-N', '-s', 'h'], 'Cannot specify -s with -N/SessionType\r\n'],
    [['-s', '-N', 'h'], 'Cannot specify -N with -s/SessionType\r\n'],
    [['-s', 'h'], `You must specify a subsystem to invoke.\n${U}`],
    [['-y', '-E', 'f', 'h'], "Can't specify both -y and -E\r\n"],
  ];
  for (const [argv, out] of table) {
    it(argv.join(' ') || '(no arguments)', () => {
      expect(failure(argv)).toBe(out);
    });
  }
});

describe('parseSshUri', () => {
  it('parses user, host and port; rejects paths and bad hosts', () => {
    expect(parseSshUri('host')).toBe(1);
    expect(parseSshUri('ssh://u@[h]:22')).toEqual({ user: 'u', host: 'h', port: 22 });
    expect(parseSshUri('ssh://-h')).toBe(-1);
    expect(parseSshUri('ssh://h%zz@h')).toBe(-1);
    expect(parseSshUri('ssh://u%40x@h')).toEqual({ user: 'u@x', host: 'h', port: -1 });
  });
  it('--json goes with -G, before or after the destination, never inside the command', () => {
    expect(args(['-G', '--json', 'host'])).toMatchObject({ configTest: true, json: true, host: 'host' });
    expect(args(['host', '-G', '--json'])).toMatchObject({ configTest: true, json: true, command: null });
    expect(args(['-G', 'host', 'echo', '--json'])).toMatchObject({ json: false, command: 'echo --json' });
    expect(args(['-G', 'host'])).toMatchObject({ json: false });
    expect(failure(['--json', 'host'])).toBe('--json is only available with -G\r\n');
    expect(failure(['--jsonx', 'host'])).toBe(`unknown option -- -\r\n${TSH_USAGE}\n`);
  });
});
