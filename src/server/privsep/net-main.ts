/**
 * tshd's protocol process, as root's monitor starts it (monitor.ts): an unprivileged account, no
 * supplementary groups, NoNewPrivs, a scrubbed environment, and the IPC channel. It receives the
 * host keys and the global configuration, then each accepted connection as a handle, and serves
 * them with daemon.ts (ssh2's Server, the pre-auth limits, channels), asking the monitor for
 * every authentication decision and every action that needs root (remote.ts). It exits when the
 * channel closes.
 */
import { writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ResolvedServerConfig } from '../config/index.js';
import { LOG_LEVEL_ORDER, type LogLevel } from '../config/values.js';
import { startDaemon, type DaemonSettings, type RunningDaemon } from '../daemon.js';
import { levelFilter } from '../log-level.js';
import { fromWire, type MonitorMessage, type NetMessage } from './rpc.js';
import { RemotePrivileged } from './remote.js';

function send(m: NetMessage): void {
  if (process.connected) process.send!(m);
}

/**
 * The log: written to stderr (the monitor's log descriptor) when the monitor gave one, as the
 * monitor writes it; otherwise sent to the monitor, which filters and writes it.
 */
function logger(level: LogLevel, direct: boolean): (line: string) => void {
  if (direct) {
    return levelFilter(level, (line) => {
      try {
        writeSync(2, `${line}\r\n`);
      } catch {
        // A log that cannot be written never stops a connection.
      }
    });
  }
  return levelGate(level);
}

/** Lines LogLevel would drop are not sent to the monitor at all (the monitor filters the rest). */
function levelGate(level: LogLevel): (line: string) => void {
  const at = LOG_LEVEL_ORDER.indexOf(level);
  const rank = (l: LogLevel): number => LOG_LEVEL_ORDER.indexOf(l);
  return (line) => {
    const m = /^(verbose|debug[123]): /.exec(line);
    if (m !== null) {
      const tag = m[1]!;
      const lvl: LogLevel = tag === 'verbose' ? 'VERBOSE' : (`DEBUG${tag.slice(5)}` as LogLevel);
      if (rank(lvl) > at) return;
    }
    send({ t: 'log', line });
  };
}

const privileged = new RemotePrivileged(send);
let daemon: RunningDaemon | null = null;
let settings: DaemonSettings | null = null;
let direct = false;

process.on('uncaughtException', (err) => {
  // One process holds every connection: a bug in one connection's handler must not end the others.
  send({ t: 'log', line: `error: internal error (please report it): ${err.stack ?? err.message}` });
});

process.on('message', (m: MonitorMessage, handle: unknown) => {
  if (privileged.onMessage(m, handle)) return;
  switch (m.t) {
    case 'init': {
      const global = fromWire<ResolvedServerConfig>(m.global);
      direct = m.directLog;
      const log = logger(global.logLevel, direct);
      settings = {
        hostKeys: m.hostKeys.map((k) => Buffer.from(k, 'base64')),
        global,
        banner: m.banner,
        log,
        privileged,
        single: m.single,
        stopListening: () => send({ t: 'stop-listening' }),
      };
      daemon = startDaemon(settings);
      void daemon.ended?.then((status) => send({ t: 'ended', status }));
      send({ t: 'ready' });
      return;
    }
    case 'reconfigure': {
      if (!daemon || !settings) return;
      const global = fromWire<ResolvedServerConfig>(m.global);
      settings = { ...settings, global, log: logger(global.logLevel, direct) };
      daemon.reconfigure(settings);
      return;
    }
    case 'accept': {
      const sock = handle as Socket;
      if (!daemon) return void sock.destroy();
      daemon.accept(sock);
      return;
    }
    case 'close':
      void (daemon?.close() ?? Promise.resolve()).then(() => send({ t: 'closed' }));
      return;
  }
});

process.on('disconnect', () => {
  privileged.abandon();
  process.exit(0);
});
