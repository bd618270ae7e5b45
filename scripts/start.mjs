// `npm start`: tshd in the foreground on 127.0.0.1:2222 with the embedded defaults, serving the
// current user with ~/.ssh/authorized_keys and ~/.ssh/*.pub, and printing how to connect.
// TSHD_PORT overrides the port (0 picks a free one).
import { serve } from '../dist/src/commands/serve.js';
import { runMain } from '../dist/src/cli/run.js';

const port = Number(process.env.TSHD_PORT ?? 2222);
/** The embedded configuration: sshd_config lines on top of tshd's built-in defaults. */
const EMBEDDED = [
  'ListenAddress 127.0.0.1',
  'AcceptEnv LANG LC_*',
  'Subsystem sftp /usr/lib/openssh/sftp-server',
  'PidFile none',
];
runMain(
  (_argv, io) =>
    serve(
      {
        configFile: 'none',
        commandLine: [...EMBEDDED.map((line) => ({ kind: 'option', line })), { kind: 'port', port }],
        acceptOwnPubKeys: true,
        printConnect: true,
        log: (line) => io.stderr.write(`${line}\n`),
      },
      io,
    ),
  [],
).then((code) => process.exit(code));
