import { describe, expect, it } from 'vitest';
import { ExitError } from '../errors.js';
import { memoryIo } from '../io.js';
import { parseKeygenArgs } from './tsh-keygen.js';
import type { KeygenOptions } from '../commands/keygen/options.js';

function parse(...argv: string[]): KeygenOptions {
  const r = parseKeygenArgs(argv, memoryIo({ env: { HOME: '/home/test' } }));
  if (typeof r === 'string') throw new Error(`got ${r}`);
  return r;
}

describe('tsh-keygen argv → options', () => {
  const table: Array<[string[], Partial<KeygenOptions>]> = [
    [['-t', 'rsa', '-b', '4096', '-f', 'k', '-N', '', '-C', 'c'], { type: 'rsa', bits: '4096', file: 'k', newPassphrase: '', comment: 'c' }],
    [['-lvf', 'k.pub'], { printFingerprint: true, verbose: 1, file: 'k.pub' }],
    [['-l', '-E', 'MD5', '-f', 'k'], { printFingerprint: true, fingerprintHash: 'md5' }],
    [['-y', '-P', 'pw', '-f', 'k'], { printPublic: true, oldPassphrase: 'pw' }],
    [['-p', '-P', 'a', '-N', 'b', '-a', '32', '-Z', 'aes128-ctr'], { changePassphrase: true, rounds: '32', cipher: 'aes128-ctr' }],
    [['-c', '-C', 'new'], { changeComment: true, comment: 'new' }],
    [['-e', '-m', 'PKCS8'], { exportKey: true, keyFormat: 'PKCS8' }],
    [['-i', '-mRFC4716'], { importKey: true, keyFormat: 'RFC4716' }],
    [['-e', '-m', 'ssh2'], { exportKey: true, keyFormat: 'RFC4716' }],
    [['-p', '-m', 'pem'], { changePassphrase: true, keyFormat: 'PEM' }],
    [['-F', 'host', '-H', '-f', 'kh'], { findHost: 'host', hashHosts: true, file: 'kh' }],
    [['-R', '[h]:2222'], { removeHost: '[h]:2222' }],
    [['-A'], { generateHostKeys: true }],
    [['-B', '-q', '-vv'], { bubbleBabble: true, quiet: true, verbose: 2 }],
  ];
  for (const [argv, expected] of table) {
    it(argv.join(' '), () => {
      expect(parse(...argv)).toMatchObject(expected);
    });
  }
  it('fills defaults and the environment', () => {
    const o = parse();
    expect(o.fingerprintHash).toBe('sha256');
    expect(o.verbose).toBe(0);
    expect(o.env.home).toBe('/home/test');
    expect(o.env.user.length).toBeGreaterThan(0);
  });
  it('keeps one host name for -F and -R: the last given', () => {
    expect(parse('-F', 'a', '-R', 'b')).toMatchObject({ findHost: 'b', removeHost: 'b' });
    expect(parse('-R', 'a', '-F', 'b')).toMatchObject({ findHost: 'b', removeHost: 'b' });
  });
  it('refuses -l with -R or -H (exit 1, usage)', () => {
    for (const argv of [['-l', '-R', 'h'], ['-H', '-l']]) {
      const io = memoryIo();
      expect(() => parseKeygenArgs(argv, io)).toThrow(ExitError);
      expect(io.err()).toMatch(/^Cannot use -l with -H or -R\.\r\nusage: tsh-keygen/);
    }
  });
  it('refuses an unknown -m for every operation, as ssh-keygen does (exit 255)', () => {
    const io = memoryIo();
    let caught: unknown;
    try {
      parseKeygenArgs(['-l', '-m', 'foo'], io);
    } catch (e) {
      caught = e;
    }
    expect((caught as ExitError).exitCode).toBe(255);
    expect(io.err()).toBe('Unsupported conversion format "foo"\r\n');
  });
  it('answers help and version', () => {
    const io = memoryIo();
    expect(parseKeygenArgs(['--help'], io)).toBe('help');
    expect(parseKeygenArgs(['-h'], io)).toBe('help');
    expect(parseKeygenArgs(['-V'], io)).toBe('version');
    expect(parseKeygenArgs(['--version'], io)).toBe('version');
  });
  it('exits 1 with usage for unknown options and extra operands', () => {
    const io = memoryIo();
    expect(() => parseKeygenArgs(['-x'], io)).toThrow(ExitError);
    expect(io.err()).toMatch(/^unknown option -- x\nusage: tsh-keygen/);
    const io2 = memoryIo();
    expect(() => parseKeygenArgs(['-l', 'extra'], io2)).toThrow(ExitError);
    expect(io2.out()).toBe('Too many arguments.\n');
  });
  it('--json goes with -l, anywhere among the flags', () => {
    expect(parse('-l', '--json', '-f', 'k')).toMatchObject({ printFingerprint: true, json: true, file: 'k' });
    expect(parse('--json', '-lf', 'k')).toMatchObject({ printFingerprint: true, json: true });
    expect(parse('-l', '-f', 'k')).toMatchObject({ json: false });
    // An option argument is never taken for the flag.
    expect(parse('-l', '-f', '--json')).toMatchObject({ json: false, file: '--json' });
    for (const argv of [['--json'], ['-B', '--json', '-f', 'k'], ['-F', 'h', '-l', '--json'], ['-y', '--json']]) {
      const io = memoryIo();
      let caught: unknown;
      try {
        parseKeygenArgs(argv, io);
      } catch (e) {
        caught = e;
      }
      expect((caught as ExitError).exitCode, argv.join(' ')).toBe(1);
      expect(io.err()).toMatch(/^--json needs -l \(and not -B, -F, -R or -H\)\.\nusage: tsh-keygen /);
    }
    const io = memoryIo();
    expect(() => parseKeygenArgs(['--jsonx'], io)).toThrow(ExitError);
    expect(io.err()).toMatch(/^unknown option -- -\n/);
  });
});
