// `npm start`: tshd in the foreground on 127.0.0.1:2222 with the embedded defaults, serving the
// current user with ~/.ssh/authorized_keys and ~/.ssh/*.pub, and printing how to connect.
// TSHD_PORT overrides the port (0 picks a free one).
import { serve } from '../dist/src/commands/serve.js';
import { runMain } from '../dist/src/cli/run.js';

const port = Number(process.env.TSHD_PORT ?? 2222);
runMain(
  (_argv, io) =>
    serve(
      {
        listen: [{ host: '127.0.0.1', port }],
        hostKeys: [],
        authorizedKeysFiles: ['.ssh/authorized_keys', '.ssh/authorized_keys2'],
        acceptOwnPubKeys: true,
        printConnect: true,
      },
      io,
    ),
  [],
).then((code) => process.exit(code));
