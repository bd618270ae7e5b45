#!/usr/bin/env node
// tsh-sftp: the entry point. Everything else lives in src/cli/tsh-sftp.ts.
import { main } from '../src/cli/tsh-sftp.js';
import { runMain } from '../src/cli/run.js';

runMain(main, process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(255),
);
