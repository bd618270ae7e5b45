// Writes the manual pages in man/ from the descriptions in src/cli/help/ (the same ones `--help`
// prints), through the compiled modules in dist/: run `npm run build` first. The pages are
// checked in, so npm and the tarball ship them without a build step; src/cli/help/man.test.ts
// fails when they differ from what this script would write now.
//
//   node scripts/gen-man.mjs           write man/*.1 *.5 *.8
//   node scripts/gen-man.mjs --check   exit 1 if a page in man/ is out of date
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const compiled = join(root, 'dist', 'src', 'cli', 'help', 'index.js');
if (!existsSync(compiled)) {
  console.error(`gen-man: ${compiled} is missing; run npm run build first`);
  process.exit(2);
}
const { manPages } = await import(compiled);
const check = process.argv.includes('--check');
const dir = join(root, 'man');
mkdirSync(dir, { recursive: true });
const pages = manPages();
let stale = 0;
for (const [name, text] of pages) {
  const path = join(dir, name);
  const old = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (old === text) continue;
  stale++;
  if (check) console.error(`gen-man: man/${name} is out of date`);
  else writeFileSync(path, text);
}
for (const name of readdirSync(dir)) {
  if (/\.[158]$/.test(name) && !pages.has(name)) {
    stale++;
    if (check) console.error(`gen-man: man/${name} is not generated`);
    else unlinkSync(join(dir, name));
  }
}
if (check && stale > 0) process.exit(1);
if (!check) console.log(`gen-man: ${pages.size} pages in man/ (${stale} written)`);
