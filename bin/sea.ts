// The single executable's entry point (scripts/dist.mjs bundles it): one binary serves the four
// tools by the name it is called under (tsh, tshd, tsh-sftp, tsh-keygen: links to it), or by the
// tool named first (`tsh-x64 tshd -t`), and tshd's helper programs by the role flag it puts first
// when it starts one (src/self.ts). A tool's modules are loaded only when that tool runs.
import { basename } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { enterSea, ROLE_FLAG, type Role } from '../src/self.js';
import type { ToolMain } from '../src/cli/run.js';

const TOOLS: Record<string, () => Promise<{ main: ToolMain }>> = {
  tsh: () => import('../src/cli/tsh.js'),
  tshd: () => import('../src/cli/tshd.js'),
  'tsh-sftp': () => import('../src/cli/tsh-sftp.js'),
  'tsh-keygen': () => import('../src/cli/tsh-keygen.js'),
};

/** The role, taken off process.argv, so the tool sees the arguments it would under Node. */
function takeRole(): Role | string {
  const first = process.argv[2];
  if (first?.startsWith(ROLE_FLAG)) {
    process.argv.splice(2, 1);
    return first.slice(ROLE_FLAG.length);
  }
  const name = basename(process.argv0);
  if (name in TOOLS) return name;
  if (first !== undefined && first in TOOLS) {
    process.argv.splice(2, 1);
    return first;
  }
  return name;
}

async function start(): Promise<number | null> {
  if (isSea()) enterSea({ getAsset: (key) => getAsset(key) });
  const role = takeRole();
  const args = process.argv.slice(2);
  if (role === 'sftp-server') {
    // As stdio-main.js does when run by Node: exit once stdout has been handed over.
    const { main } = await import('../src/sftp/server/stdio-main.js');
    const code = await main(args);
    process.stdout.end(() => process.exit(code));
    return null;
  }
  if (role === 'tshd-net') {
    // tshd's protocol process runs from its module's body, until the monitor closes its channel.
    await import('../src/server/privsep/net-main.js');
    return null;
  }
  if (role === 'user-worker') {
    // The worker runs from its module's body, until tshd closes its channel.
    await import('../src/server/user/worker-main.js');
    return null;
  }
  const tool = TOOLS[role];
  if (tool === undefined) {
    process.stderr.write(`${role}: call this program as tsh, tshd, tsh-sftp or tsh-keygen (a link of that name), or with one of them first\n`);
    return 255;
  }
  const [{ main }, { runMain }] = await Promise.all([tool(), import('../src/cli/run.js')]);
  return runMain(main, args);
}

start().then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(255);
  },
);
