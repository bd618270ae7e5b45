/**
 * Agent forwarding (-A, ForwardAgent): the session asks for auth-agent-req@openssh.com, and each
 * auth-agent@openssh.com channel the server opens is joined to the local agent's socket.
 *
 * ssh2 can do both when its connect() gets `agent` and `agentForward: true`, but it asks with
 * want-reply set and fails the whole session when the server refuses. ssh asks without a reply
 * (client_session2_setup), so a refusal only means no agent on the other side. The connection is
 * made in session/connect.ts, so this works on the connected Client: it gives ssh2 the agent and
 * marks forwarding as enabled (ssh2 then serves auth-agent@openssh.com channels from it and does
 * not send its own request), and sends auth-agent-req@openssh.com (no reply wanted) on the first
 * session channel, just before that channel's first request (pty, env, exec, shell, subsystem).
 */
import { existsSync, statSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ResolvedClientConfig } from '../config/index.js';
import type { Logger } from '../session/log.js';

type SshClient = InstanceType<typeof ssh2.Client>;

/**
 * The agent socket to forward: ForwardAgent's path, or SSH_AUTH_SOCK for "yes"; null when
 * forwarding is off or there is no agent (ssh's check_agent_present() clears the option silently).
 */
export function agentSocketFor(cfg: Pick<ResolvedClientConfig, 'forwardAgent' | 'forwardAgentSocket'>, env: Readonly<Record<string, string | undefined>>): string | null {
  if (!cfg.forwardAgent) return null;
  let path = cfg.forwardAgentSocket;
  if (path !== null && path.startsWith('$')) path = env[path.slice(1)] ?? null;
  if (path === null) path = env.SSH_AUTH_SOCK ?? null;
  if (path === null || path === '') return null;
  try {
    if (!existsSync(path) || !statSync(path).isSocket()) return null;
  } catch {
    return null;
  }
  return path;
}

/** Makes ssh2 request agent forwarding on the session and serve the agent channels. */
export function enableAgentForwarding(client: SshClient, socketPath: string, log: Logger): void {
  type Proto = Record<string, unknown> & { openssh_agentForward(chan: number, wantReply: boolean): void };
  const c = client as unknown as { _agent?: unknown; _agentFwdEnabled?: boolean; _protocol?: Proto };
  const proto = c._protocol;
  if (!proto) return;
  c._agent = ssh2.createAgent(socketPath);
  c._agentFwdEnabled = true;
  const names = ['pty', 'env', 'exec', 'shell', 'subsystem'] as const;
  const originals = new Map<string, unknown>();
  const restore = (): void => {
    for (const [n, f] of originals) proto[n] = f;
  };
  for (const n of names) {
    const orig = proto[n] as (chan: number, ...rest: unknown[]) => unknown;
    originals.set(n, orig);
    proto[n] = function (this: unknown, chan: number, ...rest: unknown[]): unknown {
      restore();
      log.debug1('Requesting authentication agent forwarding.');
      proto.openssh_agentForward(chan, false);
      return orig.call(this, chan, ...rest);
    };
  }
}
