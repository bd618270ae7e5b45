// Writes the bash and zsh completion scripts in completions/ from the descriptions in
// src/cli/help/ (the flags --help and the manuals list), through the compiled modules in dist/:
// run `npm run build` first. The scripts are checked in; src/cli/help/completion.test.ts fails
// when they differ from what this script would write now.
//
//   node scripts/gen-completions.mjs           write completions/tsh.bash and completions/_tsh
//   node scripts/gen-completions.mjs --check   exit 1 if one is out of date
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const compiled = join(root, 'dist', 'src', 'cli', 'help', 'completion.js');
if (!existsSync(compiled)) {
  console.error(`gen-completions: ${compiled} is missing; run npm run build first`);
  process.exit(2);
}
const { completionFiles } = await import(compiled);
const check = process.argv.includes('--check');
const dir = join(root, 'completions');
mkdirSync(dir, { recursive: true });
let stale = 0;
for (const [name, text] of completionFiles()) {
  const path = join(dir, name);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
  stale++;
  if (check) console.error(`gen-completions: completions/${name} is out of date`);
  else writeFileSync(path, text);
}
if (check && stale > 0) process.exit(1);
if (!check) console.log(`gen-completions: completions/ (${stale} written)`);
