/**
 * The socket a forwarded agent is reached through, as sshd makes it (session.c auth_input_request_
 * forwarding): a private directory /tmp/ssh-XXXXXXXXXX (0700, made by the user) holding
 * agent.PID (0600, the user's), so only the user and root can connect.
 *
 * The directory is made as the user (agentDirectory, in the worker); the socket is bound by
 * tshd's own process, which keeps the listener (a unix listener cannot be handed over: closing it
 * in the process that bound it unlinks the file), then given to the user with lchown.
 */
import { lchownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** mkdtemp("/tmp/ssh-XXXXXXXXXX"), as whoever runs it. */
export function agentDirectory(): string {
  return mkdtempSync('/tmp/ssh-');
}

/** Binds `dir`/agent.PID (mode 0600) and gives it to uid:gid when they are not ours. */
export function listenAgentSocket(dir: string, owner?: { uid: number; gid: number }): Promise<{ server: Server; path: string }> {
  const path = join(dir, `agent.${process.pid}`);
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    const old = process.umask(0o177);
    server.listen(path, () => {
      process.umask(old);
      server.removeAllListeners('error');
      try {
        if (owner) lchownSync(path, owner.uid, owner.gid);
      } catch (err) {
        server.close();
        rmSync(dir, { recursive: true, force: true });
        reject(err);
        return;
      }
      resolve({ server, path });
    });
  });
}
