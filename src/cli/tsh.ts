/**
 * tsh: the ssh client's command line. Arguments and configuration are parsed and checked as ssh
 * does; `-G` prints the resolved configuration, `-V` the version, `-Q` algorithm lists; anything
 * else connects (commands/ssh.ts).
 */
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { ExitError, TshError, strerror } from '../errors.js';
import type { Io } from '../io.js';
import { versionLine } from '../version.js';
import { ALL_CIPHERS, ALL_KEX, ALL_KEY_ALGS, ALL_MACS, ALL_SIG_ALGS } from '../config/algorithms.js';
import { TshArgError, parseTshArgs } from './tsh-args.js';

/** -Q lists (OpenSSH 9.2 as built by Debian). */
function queryList(q: string): string[] | null {
  const keys = ALL_KEY_ALGS.split(',').filter((k) => !k.startsWith('rsa-sha2-') && !k.startsWith('webauthn-'));
  const lists: Record<string, () => string[]> = {
    cipher: () => ALL_CIPHERS.split(','),
    'cipher-auth': () => ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'],
    compression: () => ['none', 'zlib@openssh.com', 'zlib'],
    kex: () => ALL_KEX.split(','),
    'kex-gss': () => ['gss-gex-sha1-', 'gss-group1-sha1-', 'gss-group14-sha1-', 'gss-group14-sha256-', 'gss-group16-sha512-', 'gss-nistp256-sha256-', 'gss-curve25519-sha256-'],
    key: () => keys,
    'key-cert': () => keys.filter((k) => k.includes('-cert-')),
    'key-plain': () => keys.filter((k) => !k.includes('-cert-')),
    'key-sig': () => ALL_KEY_ALGS.split(','),
    mac: () => ALL_MACS.split(','),
    'protocol-version': () => ['2'],
    sig: () => ALL_SIG_ALGS.split(','),
    help: () => ['cipher', 'cipher-auth', 'compression', 'kex', 'kex-gss', 'key', 'key-cert', 'key-plain', 'key-sig', 'mac', 'protocol-version', 'sig'],
  };
  const aliases: Record<string, string> = {
    ciphers: 'cipher', macs: 'mac', kexalgorithms: 'kex', pubkeyacceptedkeytypes: 'key-sig', pubkeyacceptedalgorithms: 'key-sig',
    hostkeyalgorithms: 'key-sig', hostbasedkeytypes: 'key-sig', hostbasedacceptedkeytypes: 'key-sig', hostbasedacceptedalgorithms: 'key-sig',
  };
  const name = Object.prototype.hasOwnProperty.call(lists, q) ? q : aliases[q.toLowerCase()];
  return name === undefined ? null : lists[name]!();
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const home = userInfo().homedir;
  let inv;
  try {
    inv = parseTshArgs(argv, {
      env: io.env,
      home,
      statError: (p) => {
        try {
          statSync(resolvePath(io.cwd, p));
          return null;
        } catch (err) {
          return strerror(err);
        }
      },
      warn: (t) => io.stderr.write(t),
    });
  } catch (err) {
    if (err instanceof TshArgError) {
      io.stderr.write(err.output);
      throw new ExitError(255);
    }
    throw err;
  }
  switch (inv.kind) {
    case 'help': {
      const [{ renderHelp }, { TSH_HELP }] = await Promise.all([import('./help/text.js'), import('./help/tsh.js')]);
      io.stdout.write(renderHelp(TSH_HELP));
      return 0;
    }
    case 'version':
      io.stderr.write(`${versionLine('tsh')}\n`);
      return 0;
    case 'query': {
      const list = queryList(inv.query);
      if (list === null) {
        io.stderr.write(`Unsupported query "${inv.query}"\r\n`);
        return 255;
      }
      io.stdout.write(`${list.join('\n')}\n`);
      return 0;
    }
    case 'connect':
      break;
  }
  // Loaded only now: -V, -Q and --help need neither the connection code nor ssh2.
  const args = inv.args;
  if (args.configTest) {
    const { printConfig } = await import('../commands/print-config.js');
    return printConfig(args, io, { stdinIsTTY: io.stdinIsTTY });
  }
  const { runSsh } = await import('../commands/ssh.js');
  return runSsh(args, io);
}
