/**
 * src/server/authorized-keys.ts against the real sshd: for each authorized_keys text, the
 * parser's verdict for the client's key (authorizeKey) must be sshd's (does `ssh` get in?), and
 * every message the parser produces for the text (bad options, refusals) must be in sshd's log
 * word for word. StrictModes: checkAuthorizedKeysPath's text is sshd's "Authentication refused".
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyFromKeyObject } from '../../src/keys/key-object.js';
import { parsePublicKeyLine, type PublicKey } from '../../src/keys/public-key.js';
import { authorizeKey, checkAuthorizedKeysPath, keyOptionsLog, parseAuthorizedKeys } from '../../src/server/authorized-keys.js';
import { clientHome, LOGIN, target, type ClientHome } from '../helpers/client.js';
import { run } from '../helpers/run.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

const SSH = '/usr/bin/ssh';
const ROOT_HOME = '/root';
/** The first sshd's settings that show in its log of key options. */
const SETTINGS = { permitUserEnvironment: true, forwardLocal: true, forwardRemote: true };
/** An RSA key blob (base64). */
const RSA_BLOB = publicKeyFromKeyObject(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey).blob.toString('base64');

let sshd: Sshd;
let strict: Sshd;
let home: ClientHome;
let K: string;
let key: PublicKey;
/** A directory whose parents are all safe (root-owned, 0755): /run. */
let safeDir: string;

/** Waits (bounded) until the log holds every text. */
async function logHas(read: () => string, texts: readonly string[]): Promise<string> {
  const end = Date.now() + 5_000;
  for (;;) {
    const log = read();
    if (texts.every((t) => log.includes(t)) || Date.now() > end) return log;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Does `ssh` get in to `server` with the client key? Its exit code and stdout. */
async function login(server: Sshd, command = 'true'): Promise<{ code: number | null; stdout: string }> {
  // ssh finds ~ through the password database, not $HOME: name the files.
  const files = ['-F', 'none', '-o', `UserKnownHostsFile=${join(home.ssh, 'known_hosts')}`, '-o', 'IdentitiesOnly=yes', '-i', join(home.ssh, 'id_ed25519')];
  const r = await run(SSH, [...target(server, files), command], {
    home: home.home,
    timeoutMs: 20_000,
  });
  return { code: r.code, stdout: r.stdout };
}

beforeAll(async () => {
  home = clientHome();
  K = home.pub;
  key = parsePublicKeyLine(K)!.key;
  // Log at DEBUG2 once the user is known: sshd's "bad key options" and "entry expired" are debug,
  // its "advance" past a line without a key debug2.
  sshd = await startSshd({ config: ['PermitUserEnvironment yes', 'Match all', 'LogLevel DEBUG2'] });
  safeDir = mkdtempSync('/run/tsh-ak-');
  chmodSync(safeDir, 0o755);
  strict = await startSshd({ config: ['Match all', `AuthorizedKeysFile ${join(safeDir, 'authorized_keys')}`] });
  writeFileSync(join(home.ssh, 'known_hosts'), [sshd, strict].map((s) => `[127.0.0.1]:${s.port} ${s.hostKeys.ed25519}\n`).join(''));
  // The helper's sshd_config says StrictModes no; the first value wins, so put "yes" first and
  // make sshd reread its config (SIGHUP: it re-executes itself with the same arguments).
  const cfg = join(strict.dir, 'sshd_config');
  writeFileSync(cfg, `StrictModes yes\n${readFileSync(cfg, 'utf8')}`, { mode: 0o600 });
  const listening = `Server listening on 127.0.0.1 port ${strict.port}`;
  const before = strict.log().split(listening).length;
  process.kill(strict.pid, 'SIGHUP');
  const end = Date.now() + 10_000;
  while (strict.log().split(listening).length <= before) {
    if (Date.now() > end) throw new Error(`sshd did not restart: ${strict.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await strict?.stop();
  home?.cleanup();
  if (safeDir) rmSync(safeDir, { recursive: true, force: true });
});

describe('authorized_keys lines: the parser decides as sshd does', () => {
  // Each case: a name and the authorized_keys text (K = the client's key line).
  const cases: [string, (k: string) => string][] = [
    ['a plain key', (k) => `${k}\n`],
    ['leading blanks, CRLF, comments and blank lines', (k) => `# c\n\n \t ${k}\r\n`],
    ['an over-long line (no 8 KB limit)', (k) => `${k} ${'c'.repeat(50_000)}\n`],
    ['an unknown option', (k) => `foo ${k}\n`],
    ['an unknown option, then the plain key', (k) => `foo ${k}\n${k}\n`],
    ['lines without a key', (k) => `garbage\nno-pty ssh-ed25519 AAAA broken\n${k.split(' ')[0]}\n${k}\n`],
    ['a key under the wrong type name', (k) => `ssh-ed25519 ${RSA_BLOB}\n${k}\n`],
    ['a prefix of a flag ("restricted")', (k) => `restricted ${k}\n`],
    ['a flag with a value', (k) => `pty=yes ${k}\n`],
    ['mixed case flags and negations', (k) => `NO-PTY,X11-Forwarding,no-agent-forwarding,No-User-Rc ${k}\n`],
    ['restrict, then re-enabled flags', (k) => `restrict,pty,port-forwarding,agent-forwarding,x11-forwarding,user-rc ${k}\n`],
    ['a leading comma', (k) => `,no-pty ${k}\n`],
    ['a comma before the key', (k) => `no-pty, ${k}\n`],
    ['two command= clauses', (k) => `command="a",command="b" ${k}\n`],
    ['a command= without quotes', (k) => `command=true ${k}\n`],
    ['an unterminated quote', (k) => `command="true ${k}\n`],
    ['from= that does not match', (k) => `from="10.0.0.1" ${k}\n`],
    ['from= with a CIDR block', (k) => `from="10.0.0.0/8,127.0.0.0/8" ${k}\n`],
    ['from= with a negated address', (k) => `from="!127.0.0.1,*" ${k}\n`],
    ['from= with host bits set in a CIDR block', (k) => `from="*,127.0.0.1/8" ${k}\n`],
    ['from= with a host name (no DNS: the name is the address)', (k) => `from="localhost" ${k}\n`],
    ['a refused line, then an accepted one', (k) => `from="10.0.0.1" ${k}\nno-pty ${k}\n`],
    ['two from= clauses', (k) => `from="*",from="*" ${k}\n`],
    ['expiry-time in the past', (k) => `expiry-time="19990101" ${k}\n`],
    ['expiry-time in the past, UTC', (k) => `expiry-time="200001011200Z" ${k}\n`],
    ['expiry-time in the future', (k) => `expiry-time="29990101" ${k}\n`],
    ['expiry-time with a blank strptime skips', (k) => `expiry-time="2999 101" ${k}\n`],
    ['expiry-time malformed', (k) => `expiry-time="2999" ${k}\n`],
    ['expiry-time at the epoch', (k) => `expiry-time="19700101Z" ${k}\n`],
    ['environment= with a bad name', (k) => `environment="A-B=1" ${k}\n`],
    ['environment= without "="', (k) => `environment="AB" ${k}\n`],
    ['environment= twice', (k) => `environment="A=1",environment="A=2" ${k}\n`],
    ['permitopen= without a port', (k) => `permitopen="host" ${k}\n`],
    ['permitopen= with a service name', (k) => `permitopen="host:ssh" ${k}\n`],
    ['permitopen= with an unknown service', (k) => `permitopen="host:nosuchservice" ${k}\n`],
    ['permitopen= with an unclosed bracket', (k) => `permitopen="[::1:22" ${k}\n`],
    ['permitopen= with port 0', (k) => `permitopen="host:0" ${k}\n`],
    ['permitlisten= with a bare port', (k) => `permitlisten="8080",permitlisten="[::1]:*" ${k}\n`],
    ['tunnel=any', (k) => `tunnel="any" ${k}\n`],
    ['tunnel= out of range', (k) => `tunnel="2147483646" ${k}\n`],
    ['principals= without cert-authority', (k) => `principals="root" ${k}\n`],
    ['cert-authority never matches a plain key', (k) => `cert-authority ${k}\n`],
    ['no-touch-required and verify-required', (k) => `no-touch-required,verify-required ${k}\n`],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const text = make(K);
    writeFileSync(join(sshd.dir, 'authorized_keys'), text, { mode: 0o600 });
    const file = join(sshd.dir, 'authorized_keys');
    const parsed = parseAuthorizedKeys(text, file);
    const verdict = authorizeKey(parsed.keys, key, { remoteAddr: '127.0.0.1', remoteHost: '127.0.0.1', now: Math.floor(Date.now() / 1000), user: LOGIN });
    // What sshd must have logged for this text: our parse errors, refusals and, for the accepted
    // line, its options as auth_log_authopts lists them.
    const expected = [...parsed.errors.map((e) => e.message), ...verdict.refusals];
    if (verdict.entry) expected.push(...keyOptionsLog(verdict.entry.options, verdict.entry.loc, SETTINGS).map((l) => `debug1: ${l}\r\n`));
    const start = sshd.log().length;
    const r = await login(sshd);
    // sshd's "advance: '...'" quotes the rest of the line with its newline.
    const logged = (): string => sshd.log().slice(start).replace(/\n'\r\n/g, "'\r\n");
    const log = await logHas(logged, verdict.entry ? [...expected, 'Accepted key'] : expected);
    expect({ accepted: r.code === 0, messages: expected.filter((m) => !log.includes(m)) }).toEqual({ accepted: verdict.entry !== null, messages: [] });
    if (verdict.entry) expect(log).toContain(`Accepted key ED25519`);
    else expect(r.code).toBe(255);
  });

  it('runs command= with its escaped quotes dequoted', async () => {
    const text = `command="echo \\"forced\\" \\\\x" ${K}\n`;
    writeFileSync(join(sshd.dir, 'authorized_keys'), text, { mode: 0o600 });
    const entry = parseAuthorizedKeys(text, 'f').keys[0]!;
    expect(entry.options.forceCommand).toBe('echo "forced" \\\\x');
    const r = await login(sshd, 'echo not forced');
    expect(r).toEqual({ code: 0, stdout: 'forced \\x\n' });
  });
});

describe('StrictModes: checkAuthorizedKeysPath says what sshd says', () => {
  const file = (): string => join(safeDir, 'authorized_keys');

  /** Logs in to the StrictModes sshd; checks the verdict and text against ours. */
  async function compare(): Promise<string | null> {
    const ours = checkAuthorizedKeysPath(file(), 0, ROOT_HOME);
    const start = strict.log().length;
    const r = await login(strict);
    const expected = ours === null ? 'Accepted key' : `Authentication refused: ${ours}`;
    const log = await logHas(() => strict.log().slice(start), [expected]);
    expect(log).toContain(expected);
    expect(r.code).toBe(ours === null ? 0 : 255);
    return ours;
  }

  function reset(): void {
    try {
      unlinkSync(file());
    } catch {
      // not there yet
    }
    writeFileSync(file(), `${K}\n`, { mode: 0o600 });
    chmodSync(file(), 0o600);
    chownSync(file(), 0, 0);
    chmodSync(safeDir, 0o755);
  }

  it('accepts a safe path', async () => {
    reset();
    expect(await compare()).toBeNull();
  });

  // Debian's sshd allows group write when the group is the user's alone (user-group-modes.patch).
  it('accepts a file writable by the group root (root\'s alone)', async () => {
    reset();
    chmodSync(file(), 0o620);
    expect(await compare()).toBeNull();
  });

  it('refuses a file writable by a group that does not exist', async () => {
    reset();
    chownSync(file(), 0, 54321);
    chmodSync(file(), 0o620);
    expect(await compare()).toBe(`bad ownership or modes for file ${file()}`);
  });

  it('refuses a world-writable file', async () => {
    reset();
    chmodSync(file(), 0o602);
    expect(await compare()).toBe(`bad ownership or modes for file ${file()}`);
  });

  it('refuses a file owned by another user', async () => {
    reset();
    chownSync(file(), 65534, 65534);
    expect(await compare()).toBe(`bad ownership or modes for file ${file()}`);
  });

  it('refuses a world-writable directory', async () => {
    reset();
    chmodSync(safeDir, 0o757);
    expect(await compare()).toBe(`bad ownership or modes for directory ${safeDir}`);
  });

  it('follows a symbolic link to its real path (here under /tmp)', async () => {
    reset();
    unlinkSync(file());
    const real = join(sshd.dir, 'linked_keys');
    writeFileSync(real, `${K}\n`, { mode: 0o600 });
    symlinkSync(real, file());
    expect(await compare()).toBe('bad ownership or modes for directory /tmp');
  });
});
