import { describe, expect, it } from 'vitest';
import { hostKeyDir } from './host-keys.js';
import type { KeygenOptions } from './options.js';

const opts = (isRoot: boolean, file?: string): KeygenOptions =>
  ({ env: { home: '/home/u', user: 'u', hostname: 'h', isRoot }, file }) as unknown as KeygenOptions;

describe('tshd host key directory', () => {
  it('is /etc/tsh for root, ~/.tsh otherwise, PREFIX/etc/tsh with -f', () => {
    expect(hostKeyDir(opts(true))).toBe('/etc/tsh');
    expect(hostKeyDir(opts(false))).toBe('/home/u/.tsh');
    expect(hostKeyDir(opts(false, '/tmp/p'))).toBe('/tmp/p/etc/tsh');
  });
});
