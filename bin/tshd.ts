#!/usr/bin/env node
// tshd: the entry point. Everything else lives in src/cli/tshd.ts.
import { main } from '../src/cli/tshd.js';
import { runMain } from '../src/cli/run.js';

runMain(main, process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(255),
);
