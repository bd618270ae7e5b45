/**
 * tsh-sftp: the sftp client's command line (OpenSSH sftp 9.2's flags). The session itself is
 * src/sftp/client/main.ts.
 */
import type { Io } from '../io.js';
import { versionLine } from '../version.js';
import { SftpArgError, parseSftpArgs } from '../sftp/client/args.js';
import { runSftp } from '../sftp/client/main.js';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let inv;
  try {
    inv = parseSftpArgs(argv);
  } catch (err) {
    if (err instanceof SftpArgError) {
      io.stderr.write(err.output);
      return err.exitCode;
    }
    throw err;
  }
  switch (inv.kind) {
    case 'help': {
      const [{ renderHelp }, { SFTP_HELP }] = await Promise.all([import('./help/text.js'), import('./help/tsh-sftp.js')]);
      io.stdout.write(renderHelp(SFTP_HELP));
      return 0;
    }
    case 'version':
      io.stderr.write(`${versionLine('tsh-sftp')}\n`);
      return 0;
    case 'run':
      return runSftp(inv.args, io);
  }
}
