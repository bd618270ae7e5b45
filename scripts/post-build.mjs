// After tsc: bundle tsh (the client every `ssh`-like call starts) into one file, so Node loads
// one module instead of resolving some hundred (about 80 ms off every start); then mark the
// entry points executable (npm does this on install; tests run them directly).
//
// Only tsh is bundled: tshd starts once, and its worker and SFTP server are separate entry points
// found next to their modules. ssh2's optional native pieces (sshcrypto.node, cpu-features) stay
// out of the bundle; ssh2 falls back to JavaScript for them, as in a single executable.
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
await build({
  entryPoints: [join(root, 'bin', 'tsh.ts')],
  outfile: join(root, 'dist', 'bin', 'tsh.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['node-pty', 'cpu-features', '*.node'],
  // Bundled CommonJS (ssh2) calls require() for Node's modules and reads __dirname.
  banner: {
    js: [
      "import { createRequire as __tshCreateRequire } from 'node:module';",
      "import { fileURLToPath as __tshFileURLToPath } from 'node:url';",
      "import { dirname as __tshDirname } from 'node:path';",
      'const require = __tshCreateRequire(import.meta.url);',
      'const __filename = __tshFileURLToPath(import.meta.url);',
      'const __dirname = __tshDirname(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
});

const dir = join(root, 'dist', 'bin');
for (const name of readdirSync(dir)) {
  if (name.endsWith('.js')) chmodSync(join(dir, name), 0o755);
}
