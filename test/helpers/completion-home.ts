/**
 * The HOME both completion tests (bash and zsh) complete in: ~/.ssh/config Host lines (with
 * wildcards, negations and a Match to leave out), known_hosts and known_hosts2 lines of every
 * kind (ports, hashed, @cert-authority, comments), and a working directory with a file and a
 * directory. Returns the working directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeCompletionHome(home: string): string {
  const cwd = join(home, 'work');
  mkdirSync(join(home, '.ssh'));
  mkdirSync(join(cwd, 'sub'), { recursive: true });
  writeFileSync(join(cwd, 'keyfile'), '');
  writeFileSync(
    join(home, '.ssh', 'config'),
    ['Host alpha beta-*.example', '  HostName a.example.com', 'host=gamma', '  Host delta !epsilon', 'Match host foo', 'Hostname nothost', ''].join('\n'),
  );
  writeFileSync(
    join(home, '.ssh', 'known_hosts'),
    [
      'knowna,10.1.1.1 ssh-ed25519 AAAA',
      '[knownb]:2222 ssh-ed25519 AAAA',
      '|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA',
      '@cert-authority *.ca.example ssh-ed25519 AAAA',
      '# knowncomment ssh-ed25519 AAAA',
      '',
    ].join('\n'),
  );
  writeFileSync(join(home, '.ssh', 'known_hosts2'), 'alpha,other2 ssh-rsa AAAA\n');
  return cwd;
}
