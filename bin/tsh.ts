#!/usr/bin/env node
// tsh: the entry point. Everything else lives in src/cli/tsh.ts.
import { main } from '../src/cli/tsh.js';
import { runMain } from '../src/cli/run.js';

runMain(main, process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(255),
);
