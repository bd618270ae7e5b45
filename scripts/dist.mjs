// `npm run dist`: the single executable (Node SEA) for this platform, and a tarball around it.
// Offline: everything comes from node_modules and the Node that runs this script.
//
//   1. esbuild bundles bin/sea.ts (the dispatcher) with every tool into one CommonJS file
//      (a Node 20 SEA runs CommonJS only). Each tool's modules stay lazily evaluated behind
//      their dynamic import(). Native code is swapped for SEA assets: node-pty's pty.node and the
//      PAM binding (if built) are loaded through src/self.ts loadAddon(); ssh2's optional
//      sshcrypto.node and cpu-features are left out (ssh2 uses its JavaScript paths).
//   2. node --experimental-sea-config makes the blob (with the V8 code cache), postject injects
//      it into a stripped copy of node: release/tsh-VERSION-linux-x64/bin/tsh, and links tshd,
//      tsh-sftp, tsh-keygen to it (the binary serves the tool named by argv[0]).
//   3. release/tsh-VERSION-linux-x64.tar.gz: that directory, with man/, completions/, contrib/,
//      README.md and install.sh (contrib/install.sh: `install.sh --prefix DIR`).
//
// Options: --no-tar (the binary only), --out DIR (default release/), --no-code-cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const out = args.includes('--out') ? resolve(args[args.indexOf('--out') + 1]) : join(root, 'release');
const withTar = !args.includes('--no-tar');
// --no-code-cache: without V8's code cache in the blob (bench/startup.mjs measures the difference).
const codeCache = !args.includes('--no-code-cache');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const TOOLS = ['tsh', 'tshd', 'tsh-sftp', 'tsh-keygen'];
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SELF = join(root, 'src', 'self.ts');

/** Native addons carried as assets: asset name → built file (only those that exist). */
const ADDONS = {
  'pty.node': join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'),
  'tsh_pam.node': join(root, 'native', 'pam', 'build', 'Release', 'tsh_pam.node'),
};

/** Modules whose import.meta.url is harmless in the SEA (role scripts selfEntry() replaces; a main-module test). */
const META_OK = new Set(['src/server/user/pool.ts', 'src/server/program.ts', 'src/server/privsep/monitor.ts', 'src/sftp/server/stdio-main.ts']);

function step(text) {
  process.stderr.write(`dist: ${text}\n`);
}

/** esbuild plugin: what a single executable needs instead of files next to the modules. */
const seaPlugin = {
  name: 'tsh-sea',
  setup(b) {
    // Our modules reach CommonJS files through createRequire(import.meta.url): in the bundle the
    // bundle's own require does that, so esbuild includes them.
    const ours = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(src|bin)/.*\\.ts$`);
    b.onLoad({ filter: ours }, (a) => {
      let text = readFileSync(a.path, 'utf8');
      text = text.replace(/\bconst require = createRequire\(import\.meta\.url\);/g, '');
      if (/createRequire\(import\.meta\.url\)/.test(text)) {
        return { errors: [{ text: `${relative(root, a.path)}: createRequire(import.meta.url) other than "const require = ..." cannot be bundled for the SEA` }] };
      }
      // No file sits next to a module in the SEA: import.meta.url may only name the scripts of
      // the roles that src/self.ts replaces, or test whether a module is the main one.
      if (/import\.meta/.test(text) && !META_OK.has(relative(root, a.path))) {
        return { errors: [{ text: `${relative(root, a.path)} uses import.meta, which means nothing inside the SEA: find the file another way (or, if harmless, add it to META_OK in scripts/dist.mjs)` }] };
      }
      return { contents: text, loader: 'ts' };
    });
    // node-pty finds pty.node next to its own files: here it comes from the executable.
    b.onLoad({ filter: /\/node-pty\/lib\/utils\.js$/ }, () => ({
      contents: [
        "'use strict';",
        'Object.defineProperty(exports, "__esModule", { value: true });',
        'exports.assign = function (target, ...sources) { for (const s of sources) Object.keys(s).forEach((k) => (target[k] = s[k])); return target; };',
        `exports.loadNativeModule = function (name) { return { dir: '.', module: require(${JSON.stringify(SELF)}).loadAddon(name + '.node') }; };`,
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
    // The PAM binding (src/server/password/pam.ts requires 'tsh-pam').
    b.onResolve({ filter: /^tsh-pam$/ }, () => ({ path: 'tsh-pam', namespace: 'tsh-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'tsh-addon' }, () => ({
      contents: `module.exports = require(${JSON.stringify(SELF)}).loadAddon('tsh_pam.node');`,
      loader: 'js',
      resolveDir: root,
    }));
    // ssh2's optional native parts: absent (its require() of them is inside try/catch).
    b.onResolve({ filter: /\.node$|^cpu-features$/ }, (a) => ({ path: a.path, namespace: 'tsh-absent' }));
    b.onLoad({ filter: /.*/, namespace: 'tsh-absent' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} is not part of the single executable`)});`,
      loader: 'js',
    }));
  },
};

async function bundle(file) {
  const result = await build({
    entryPoints: [join(root, 'bin', 'sea.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // No module sits next to the bundle: import.meta.url names none (src/self.ts picks roles).
    define: { 'import.meta.url': '"file:///tsh-sea/bundle.cjs"' },
    plugins: [seaPlugin],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  // The files bundled (not the stand-ins of the tsh-absent namespace).
  const inputs = Object.keys(result.metafile.inputs).filter((i) => !i.startsWith('tsh-absent:'));
  for (const banned of ['sshcrypto.node', 'cpu-features/lib']) {
    if (inputs.some((i) => i.includes(banned))) throw new Error(`the bundle must not contain ${banned}`);
  }
}

/** Runs a build step; its output is shown only when it fails. */
function quiet(file, argv) {
  const r = spawnSync(file, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${file} ${argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}`);
  }
}

function seaBinary(dir, bundleFile) {
  const assets = {};
  for (const [name, file] of Object.entries(ADDONS)) if (existsSync(file)) assets[name] = file;
  if (!assets['pty.node']) throw new Error(`${ADDONS['pty.node']} is missing: run npm ci (node-pty builds from source)`);
  // The SEA is this node: an addon built for another one would only fail when a session starts.
  for (const file of Object.values(assets)) {
    try {
      process.dlopen({ exports: {} }, file);
    } catch (err) {
      throw new Error(`${file} does not load in this node (${process.version}), which the SEA is made of: rebuild it (npm rebuild): ${err.message}`);
    }
  }
  const blob = join(dir, 'sea-prep.blob');
  const config = join(dir, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundleFile, output: blob, disableExperimentalSEAWarning: true, useCodeCache: codeCache, assets }, null, 2));
  quiet(process.execPath, ['--experimental-sea-config', config]);
  const exe = join(dir, 'bin', 'tsh');
  mkdirSync(dirname(exe), { recursive: true });
  copyFileSync(realpathSync(process.execPath), exe);
  chmodSync(exe, 0o755);
  // Node's debug symbols are most of its size; the binary works the same without them.
  try {
    execFileSync('strip', ['--strip-all', exe], { stdio: 'ignore' });
  } catch {
    step('strip not found or failed: the binary keeps its symbols');
  }
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  // postject's ELF library warns about each of node's many notes sections: shown only on failure.
  quiet(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
  for (const tool of TOOLS.slice(1)) symlinkSync('tsh', join(dir, 'bin', tool));
  rmSync(blob);
  rmSync(config);
  return { exe, assets: Object.keys(assets) };
}

/** The tarball's tree: bin/, man/, completions/, contrib/ (without install.sh), install.sh. */
function tarTree(stage) {
  const manuals = existsSync(join(root, 'man')) ? readdirSync(join(root, 'man')).filter((f) => /\.[158]$/.test(f)) : [];
  if (manuals.length) mkdirSync(join(stage, 'man'));
  for (const m of manuals) copyFileSync(join(root, 'man', m), join(stage, 'man', m));
  if (existsSync(join(root, 'completions'))) cpSync(join(root, 'completions'), join(stage, 'completions'), { recursive: true });
  cpSync(join(root, 'contrib'), join(stage, 'contrib'), { recursive: true, filter: (src) => !src.endsWith('/install.sh') });
  copyFileSync(join(root, 'contrib', 'install.sh'), join(stage, 'install.sh'));
  chmodSync(join(stage, 'install.sh'), 0o755);
  for (const f of ['README.md', 'LICENSE']) if (existsSync(join(root, f))) copyFileSync(join(root, f), join(stage, f));
  return manuals;
}

const started = Date.now();
const name = `tsh-${version}-${platform()}-${arch()}`;
const stage = join(out, name);
const tarball = join(out, `${name}.tar.gz`);
rmSync(stage, { recursive: true, force: true });
rmSync(tarball, { force: true });
mkdirSync(stage, { recursive: true });
const bundleFile = join(out, 'tsh-sea.cjs');
step(`bundling bin/sea.ts into ${relative(root, bundleFile)}`);
await bundle(bundleFile);
step('building the single executable');
const { exe, assets } = seaBinary(stage, bundleFile);
step(`${relative(root, exe)} (${(statSync(exe).size / 1e6).toFixed(1)} MB; assets: ${assets.join(', ')}; links: ${TOOLS.slice(1).join(', ')})`);
if (withTar) {
  const manuals = tarTree(stage);
  execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', out, name]);
  step(`${relative(root, tarball)} (${(statSync(tarball).size / 1e6).toFixed(1)} MB; manuals: ${manuals.join(' ') || 'none'})`);
}
step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
