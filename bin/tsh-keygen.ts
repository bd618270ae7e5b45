#!/usr/bin/env node
// tsh-keygen: the entry point. Everything else lives in src/cli/tsh-keygen.ts.
import { main } from '../src/cli/tsh-keygen.js';
import { runMain } from '../src/cli/run.js';

runMain(main, process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(255),
);
