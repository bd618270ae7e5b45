import { describe, expect, it } from 'vitest';
import { SftpArgError, parseSftpArgs, parseSftpUri } from './args.js';

const BASE = ['-oForwardX11 no', '-oPermitLocalCommand no', '-oClearAllForwardings yes'];

function run(argv: string[]) {
  const inv = parseSftpArgs(argv);
  if (inv.kind !== 'run') throw new Error(inv.kind);
  return inv.args;
}

describe('parseSftpArgs (sftp.c main)', () => {
  it('builds the ssh command line sftp runs', () => {
    expect(run(['host']).sshArgv).toEqual([...BASE, '-oForwardAgent no', '-s', '--', 'host', 'sftp']);
    expect(run(['-P', '2222', '-i', 'k', '-o', 'A=b', '-F', 'cfg', '-J', 'j', '-C', '-4', 'me@host']).sshArgv).toEqual([
      ...BASE, '-i', 'k', '-o', 'A=b', '-F', 'cfg', '-J', 'j', '-C', '-4', '-oForwardAgent no', '-oPort 2222', '-l', 'me', '-s', '--', 'host', 'sftp',
    ]);
    expect(run(['-b', 'f', '-q', '-vv', 'h']).sshArgv).toEqual([...BASE, '-obatchmode yes', '-q', '-v', '-v', '-oForwardAgent no', '-s', '--', 'h', 'sftp']);
  });
  it('sets the session flags', () => {
    const a = run(['-a', '-f', '-p', '-r', '-B', '65536', '-R', '16', '-l', '800', '-b', '-', 'h']);
    expect(a.global).toEqual({ a: true, f: true, p: true, r: true });
    expect(a.bufferLen).toBe(65536);
    expect(a.numRequests).toBe(16);
    expect(a.limitBps).toBe(102400);
    expect(a.batchFile).toBe('-');
    expect(a.quiet).toBe(true);
    expect(a.showProgress).toBe(false);
    expect(run(['-b', '-', '-N', 'h']).quiet).toBe(false);
    expect(run(['-vvv', 'h']).logLevel).toBe('DEBUG3');
  });
  it('reads destinations: host, user@host, host:path, [v6]:path, sftp:// URLs, and a local name', () => {
    expect(run(['u@h:/tmp/x', 'loc'])).toMatchObject({ user: 'u', host: 'h', file1: '/tmp/x', file2: 'loc' });
    expect(run(['h:'])).toMatchObject({ host: 'h', file1: '.' });
    expect(run(['[::1]:f'])).toMatchObject({ host: '::1', file1: 'f' });
    expect(run(['./a:b'])).toMatchObject({ host: './a:b', file1: null });
    expect(run(['sftp://u@h:2200/p/q'])).toMatchObject({ user: 'u', host: 'h', file1: 'p/q' });
    expect(run(['sftp://u@h:2200/p/q']).sshArgv).toContain('-oPort 2200');
    expect(parseSftpUri('sftp://h:0/')).toBe(-1);
  });
  it('refuses bad command lines with sftp messages and codes', () => {
    const err = (argv: string[]): SftpArgError => {
      try {
        parseSftpArgs(argv);
      } catch (e) {
        return e as SftpArgError;
      }
      throw new Error('accepted');
    };
    expect(err([]).exitCode).toBe(1);
    expect(err(['-Z', 'h']).output).toMatch(/^unknown option -- Z\r\nusage: tsh-sftp/);
    expect(err(['-P', 'x', 'h'])).toMatchObject({ exitCode: 255, output: 'Bad port "x"\n\r\n' });
    expect(err(['-B', '0', 'h']).output).toBe('Invalid buffer size "0"\r\n');
    expect(err(['-b', 'a', '-b', 'b', 'h']).output).toBe('Batch file already specified.\r\n');
    expect(err(['-l', '0', 'h']).exitCode).toBe(1);
  });
  it('answers --help and -V', () => {
    expect(parseSftpArgs(['--help']).kind).toBe('help');
    expect(parseSftpArgs(['-V']).kind).toBe('version');
  });
});
