import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chrootMapper, plainMapper, resolveVirtual, type PathMapper } from './paths.js';

let base: string;
let root: string;
let m: PathMapper;

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tsh-sftp-paths-')));
  root = join(base, 'jail');
  mkdirSync(join(root, 'home', 'u', 'sub'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'passwd'), 'inside\n');
  writeFileSync(join(base, 'secret'), 'outside\n');
  mkdirSync(join(base, 'outdir'));
  symlinkSync('/etc', join(root, 'abs-etc'));
  symlinkSync('../../../secret', join(root, 'home', 'u', 'up'));
  symlinkSync('../..', join(root, 'home', 'u', 'dotdot'));
  symlinkSync(join(base, 'outdir'), join(root, 'hostpath'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('sub/../../../..', join(root, 'home', 'u', 'mixed'));
  m = await chrootMapper(root, '/home/u');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('chroot path confinement', () => {
  it('starts in the home inside the root, or "/" when it is missing', async () => {
    expect(m.cwd).toBe('/home/u');
    expect((await chrootMapper(root, '/nope')).cwd).toBe('/');
  });

  it('clamps ".." at the root, as chroot(2) does', async () => {
    expect(await m.realpath('..')).toBe('/home');
    expect(await m.realpath('../../../../..')).toBe('/');
    expect(await m.host('../../../../secret')).toBe(join(root, 'secret'));
    expect(await m.host('/../../etc/passwd')).toBe(join(root, 'etc', 'passwd'));
  });

  it('maps absolute paths into the root', async () => {
    expect(await m.host('/etc/passwd')).toBe(join(root, 'etc/passwd'));
    // the host's own path means nothing inside the root: its first component is missing there
    await expect(m.host(join(base, 'secret'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('resolves absolute symlink targets inside the root', async () => {
    expect(await m.realpath('/abs-etc/passwd')).toBe('/etc/passwd');
    expect(await m.host('/abs-etc/passwd')).toBe(join(root, 'etc', 'passwd'));
    await expect(m.host('/hostpath/x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(m.realpath('/hostpath')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('clamps "../" inside symlink targets', async () => {
    expect(await m.realpath('up')).toBe('/secret');
    expect(await m.host('up')).toBe(join(root, 'secret'));
    expect(await m.realpath('dotdot/..')).toBe('/');
    expect(await m.realpath('mixed/etc')).toBe('/etc');
  });

  it('does not follow a final symlink when asked not to', async () => {
    expect(await m.host('up', 'nofollow')).toBe(join(root, 'home', 'u', 'up'));
    expect(await m.host('/abs-etc', 'nofollow')).toBe(join(root, 'abs-etc'));
  });

  it('refuses symlink loops with ELOOP', async () => {
    await expect(m.host('/loop1')).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(m.host('/loop1/x')).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('reports missing and non-directory intermediate components', async () => {
    await expect(m.host('/nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(m.host('/etc/passwd/x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await m.host('/etc/newfile')).toBe(join(root, 'etc', 'newfile'));
  });

  it('never yields a host path outside the root', async () => {
    const tries = ['..', '../..', '/..', 'up', 'dotdot', 'dotdot/../..', '/abs-etc/../..', '/hostpath/../..', '/hostpath', 'mixed', '.././../secret', '/home/u/../../..'];
    for (const t of tries) {
      const h = await m.host(t).catch((e: NodeJS.ErrnoException) => e.code ?? 'error');
      if (h === 'ENOENT') continue;
      expect(h === root || h.startsWith(`${root}/`), `${t} -> ${h}`).toBe(true);
    }
  });
});

describe('sftp_realpath without a chroot', () => {
  it('resolves against the home directory and follows symlinks', async () => {
    const p = plainMapper(join(root, 'home', 'u'));
    expect(await p.realpath('.')).toBe(join(root, 'home', 'u'));
    expect(await p.realpath('up')).toBe(join(base, 'secret'));
    expect(await p.realpath('missing')).toBe(join(root, 'home', 'u', 'missing'));
    await expect(p.realpath('missing/x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await p.host('rel')).toBe(join(root, 'home', 'u', 'rel'));
    expect(await p.host('/abs')).toBe('/abs');
    expect(await resolveVirtual('', '/', '/../..')).toBe('/');
  });
});
