import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, existsSync, lstatSync, symlinkSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePublicKeyBlob, type PublicKey } from '../keys/public-key.js';
import { SshWriter } from '../keys/ssh-buffer.js';
import { check } from './check.js';
import { addKnownHost, hashKnownHostsFile, removeKnownHost } from './edit.js';
import { knownHostsForeach, outText } from './foreach.js';
import { matchHashed } from './hash.js';
import { hostPatternFor } from './names.js';
import { parseKnownHosts } from './parse.js';

function ed25519Key(): PublicKey {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return parsePublicKeyBlob(new SshWriter().string('ssh-ed25519').string(Buffer.from(jwk.x!, 'base64url')).toBuffer());
}
const line = (hosts: string, key: PublicKey): string => `${hosts} ${key.type} ${key.blob.toString('base64')}`;

const A = ed25519Key();
const B = ed25519Key();
const dir = mkdtempSync(join(tmpdir(), 'tsh-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string, mode = 0o644): string => {
  const p = join(dir, `kh${n++}`);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
};

const TEXT = [
  '# comment',
  line('alpha,Beta', A),
  line('@revoked alpha', B),
  line('@cert-authority alpha', B),
  line('*.example.com', A),
  line('[alpha]:2222', B),
  line('alpha', B),
  '',
].join('\n');

describe('knownHostsForeach (ssh-keygen -R / -H passes)', () => {
  it('-R drops unmarked lines for the host and keeps markers', () => {
    const r = knownHostsForeach(TEXT, 'kh', { host: 'alpha', remove: true });
    expect(r.foundLines).toEqual([2, 7]);
    expect(outText(r).split('\n')).toEqual([
      '# comment',
      line('@revoked alpha', B),
      line('@cert-authority alpha', B),
      line('*.example.com', A),
      line('[alpha]:2222', B),
      '',
    ]);
    expect(r.outputs.filter((o) => o.to === 'stdout').map((o) => (o as { text: string }).text)).toEqual([
      '# Host alpha found: line 2',
      '# Host alpha found: line 7',
    ]);
  });
  it('-R on a file with an invalid line marks it invalid', () => {
    const r = knownHostsForeach(`${TEXT}badline\n`, 'kh', { host: 'alpha', remove: true });
    expect(r.invalid).toBe(true);
    expect(r.outputs).toContainEqual({ to: 'log', text: 'kh:8: invalid line' });
  });
  it('-H hashes each plain name (lowercased) on its own line and leaves the rest', () => {
    const r = knownHostsForeach(TEXT, 'kh', { hash: true });
    const lines = outText(r).split('\n');
    expect(lines).toHaveLength(9);
    expect(matchHashed('alpha', lines[1]!.split(' ')[0]!)).toBe('match');
    expect(matchHashed('beta', lines[2]!.split(' ')[0]!)).toBe('match');
    expect(lines.slice(3, 6)).toEqual([line('@revoked alpha', B), line('@cert-authority alpha', B), line('*.example.com', A)]);
    expect(matchHashed('[alpha]:2222', lines[6]!.split(' ')[0]!)).toBe('match');
    expect(r.hasUnhashed).toBe(true);
    expect(r.outputs).toContainEqual({ to: 'log', text: 'kh:5: ignoring host name with wildcard: *.example.com' });
  });
});

describe('file edits', () => {
  it('hostPatternFor', () => {
    expect(hostPatternFor('h', 22)).toBe('h');
    expect(hostPatternFor('h')).toBe('h');
    expect(hostPatternFor('h', 2222)).toBe('[h]:2222');
  });

  it('addKnownHost appends plain or hashed entries, completing a last partial line, keeping the mode', () => {
    const p = file(line('old', A), 0o600);
    addKnownHost(p, [hostPatternFor('New', 2222)], B);
    addKnownHost(p, ['hashed'], A, { hash: true });
    const text = readFileSync(p, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(line('old', A));
    expect(lines[1]).toBe(line('[new]:2222', B));
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const { entries } = parseKnownHosts(text, p);
    expect(check(entries, { host: 'hashed', key: A }).status).toBe('ok');
    expect(check(entries, { host: 'new', port: 2222, key: B }).status).toBe('ok');
  });

  it('addKnownHost creates a missing file and directory', () => {
    const p = join(dir, 'newdir', 'known_hosts');
    addKnownHost(p, ['h', '10.0.0.1'], A, { createDir: true });
    expect(readFileSync(p, 'utf8')).toBe(`${line('h,10.0.0.1', A)}\n`);
  });

  it('addKnownHost appends through a symlinked known_hosts and keeps the link, as ssh does', () => {
    const target = file(`${line('old', A)}\n`, 0o600);
    const link = join(dir, 'kh-link');
    symlinkSync(target, link);
    addKnownHost(link, ['new'], B);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(`${line('old', A)}\n${line('new', B)}\n`);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('addKnownHost gives a new file 0666 less the umask, as fopen("a") does', () => {
    const p = join(dir, `kh-new-${n++}`);
    const old = process.umask(0o002);
    try {
      addKnownHost(p, ['h'], A);
    } finally {
      process.umask(old);
    }
    expect(statSync(p).mode & 0o777).toBe(0o664);
  });

  it('removeKnownHost keeps FILE.old and markers; nothing to remove changes nothing', () => {
    const p = file(TEXT, 0o640);
    expect(removeKnownHost(p, 'alpha').changed).toBe(true);
    expect(readFileSync(`${p}.old`, 'utf8')).toBe(TEXT);
    const lines = readFileSync(p, 'utf8').split('\n');
    expect(lines).not.toContain(line('alpha', B));
    expect(lines).toContain(line('@revoked alpha', B));
    expect(lines).toContain(line('[alpha]:2222', B));
    expect(statSync(p).mode & 0o777).toBe(0o640);
    const q = file(TEXT);
    expect(removeKnownHost(q, 'nothere').changed).toBe(false);
    expect(existsSync(`${q}.old`)).toBe(false);
  });

  it('hashKnownHostsFile rewrites with FILE.old, and refuses a file with invalid lines', () => {
    const p = file(TEXT);
    expect(hashKnownHostsFile(p).changed).toBe(true);
    expect(readFileSync(`${p}.old`, 'utf8')).toBe(TEXT);
    const { entries } = parseKnownHosts(readFileSync(p, 'utf8'), p);
    expect(check(entries, { host: 'beta', key: A }).status).toBe('ok');
    const bad = `${TEXT}badline\n`;
    const q = file(bad);
    expect(hashKnownHostsFile(q).changed).toBe(false);
    expect(readFileSync(q, 'utf8')).toBe(bad);
    expect(existsSync(`${q}.old`)).toBe(false);
  });
});
