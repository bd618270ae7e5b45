/**
 * Running tshd: the evaluated sshd_config, host keys (the defaults in the state directory are
 * created at first start when missing), the listeners, a PidFile, log lines, SIGHUP (re-read the
 * configuration for new connections; a bad one is refused and the old one kept) and
 * SIGTERM/SIGINT (stop listening, close connections). As root, the protocol is spoken in a separate
 * unprivileged process (privilege separation: server/privsep/monitor.ts); otherwise in this one.
 *
 * `npm start` runs it with the embedded defaults (127.0.0.1:2222, the current user only, keys from
 * ~/.ssh/authorized_keys and ~/.ssh/*.pub) and prints how to connect.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { strerror } from '../errors.js';
import type { Io } from '../io.js';
import { accountResolver } from '../server/accounts.js';
import { passwordChecks } from '../server/auth-methods.js';
import { loadServerConfig, ServerConfigError, type CommandLineSetting, type LoadedServerConfig } from '../server/config/index.js';
import { levelFilter } from '../server/log-level.js';
import { listenOn, readBanner, startDaemon, type Listening } from '../server/daemon.js';
import { MonitorCore, type CoreSettings } from '../server/privsep/core.js';
import { Monitor } from '../server/privsep/monitor.js';
import { createMissingHostKeys, defaultHostKeyPaths, loadHostKeys, stateDir } from '../server/host-keys.js';
import type { Account } from '../server/session.js';
import { fingerprint } from '../keys/public-key.js';
import { VERSION } from '../version.js';

export interface ServeOptions {
  /** -f (undefined: the default file if it exists; "none": built-in defaults only). */
  readonly configFile: string | undefined;
  /** -o, -p, -h, ... as the evaluator takes them. */
  readonly commandLine: readonly CommandLineSetting[];
  /** Also accept the keys of ~/.ssh/*.pub (npm start). */
  readonly acceptOwnPubKeys: boolean;
  /** Print the tsh/ssh commands that connect, once listening (npm start). */
  readonly printConnect: boolean;
  /** Where log lines go (stderr with -e/-D, or the -E file). */
  readonly log: (line: string) => void;
  /**
   * The file descriptor `log` writes "line\r\n" to (2, or the -E file), when it is one: the
   * protocol process then writes its own lines there, in the order they happen, instead of
   * sending them to the monitor (syslog through logger(1) has none).
   */
  readonly logFd?: number;
  /** Called once every address is bound (a detaching tshd tells its parent). */
  readonly onListening?: () => void;
  /**
   * sshd -d: serve one connection, then exit (0 once an authenticated connection ends, 255 when
   * it ends before authentication). No PidFile, no LoginGraceTime, as sshd's debug mode.
   */
  readonly single?: boolean;
  /** UsePAM: the PAM service, tshd's program name as sshd's is (default "tshd"). */
  readonly pamService?: string;
}

/**
 * The account tshd runs as. Its home is $HOME when set (as for tsh, so a temporary HOME is a
 * separate setup), else the passwd entry's.
 */
export function currentAccount(env: Readonly<Record<string, string | undefined>>): Account {
  const u = userInfo();
  return { name: u.username, uid: u.uid, gid: u.gid, home: env.HOME || u.homedir, shell: u.shell || env.SHELL || '/bin/sh' };
}

async function load(opts: ServeOptions, io: Io, self: Account): Promise<LoadedServerConfig> {
  return loadServerConfig({ file: opts.configFile, commandLine: opts.commandLine, log: (l) => opts.log(l), cwd: io.cwd, home: self.home });
}

/** What the privileged side works with: accounts, the configuration per connection, PAM. */
function coreSettings(loaded: LoadedServerConfig, opts: ServeOptions, self: Account): CoreSettings {
  const isRoot = self.uid === 0 && !opts.acceptOwnPubKeys;
  return {
    accounts: accountResolver(isRoot, self),
    configFor: (spec) => loaded.forConnection(spec),
    extraPubFiles: opts.acceptOwnPubKeys
      ? (a) => {
          try {
            const dir = join(a.home, '.ssh');
            return readdirSync(dir)
              .filter((f) => f.endsWith('.pub'))
              .map((f) => join(dir, f));
          } catch {
            return [];
          }
        }
      : undefined,
    log: opts.log,
    pamService: opts.pamService,
  };
}

/**
 * The running service: as root, a monitor and its unprivileged protocol process (privilege
 * separation); otherwise one process, with nothing to separate.
 */
interface Service {
  reconfigure(loaded: LoadedServerConfig, log: (line: string) => void): void;
  readonly ended: Promise<number> | null;
  close(): Promise<void>;
}

export async function serve(opts: ServeOptions, io: Io): Promise<number> {
  const self = currentAccount(io.env);
  let loaded: LoadedServerConfig;
  try {
    loaded = await load(opts, io, self);
  } catch (err) {
    if (err instanceof ServerConfigError) return err.exitCode;
    throw err;
  }
  const g = loaded.global;
  const log = levelFilter(g.logLevel, opts.log);
  // One Node process holds every connection: a bug that throws in one connection's handler must
  // not take the others down. It is logged, and the daemon keeps serving.
  const onCrash = (err: unknown): void => {
    log(`error: internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  process.on('uncaughtException', onCrash);
  const dir = stateDir(self.home, self.uid === 0);
  const defaults = new Set(defaultHostKeyPaths(dir));
  const configured = g.hostKeys.filter((p): p is string => p !== null);
  if (configured.some((p) => defaults.has(p))) {
    for (const p of await createMissingHostKeys(dir, self.uid === 0)) log(`Generated host key ${p}`);
  }
  log(`debug1: tshd version tshd_${VERSION}, Node.js ${process.versions.node}`);
  const hostKeys = loadHostKeys(configured, log);
  hostKeys.forEach((k, i) => log(`debug1: private host key #${i}: ${k.public.type} ${fingerprint(k.public)}`));
  if (hostKeys.length === 0) {
    log('sshd: no hostkeys available -- exiting.');
    return 1;
  }
  log(`Password checks: ${passwordChecks(g, log, opts.pamService).describe}`);
  const privsep = self.uid === 0 && !opts.acceptOwnPubKeys;
  const core = new MonitorCore(coreSettings(loaded, { ...opts, log }, self));
  const keys = hostKeys.map((k) => k.data);
  const banner = readBanner(g, log);
  const listen = loaded.listenAddresses.map((l) => ({ host: l.address, port: l.port }));
  let listening: Listening | null = null;
  const stopListening = (): void => {
    for (const srv of listening?.servers ?? []) srv.close();
  };
  let service: Service;
  let accept: (sock: import('node:net').Socket) => void;
  if (privsep) {
    const monitor = new Monitor({ core, hostKeys: keys, global: g, banner, single: opts.single === true, log, logFd: opts.logFd ?? null, stopListening });
    try {
      await monitor.start();
    } catch (err) {
      log(`fatal: cannot start the protocol process: ${err instanceof Error ? err.message : String(err)}`);
      await monitor.close();
      return 255;
    }
    log(`debug1: protocol process ${monitor.pid} started`);
    accept = (sock) => monitor.accept(sock);
    service = {
      reconfigure: (fresh, l) => {
        core.reconfigure(coreSettings(fresh, { ...opts, log: l }, self));
        monitor.reconfigure(fresh.global);
      },
      ended: monitor.ended,
      close: () => monitor.close(),
    };
  } else {
    const daemon = startDaemon({ hostKeys: keys, global: g, banner, log, privileged: core, single: opts.single === true, stopListening });
    accept = (sock) => daemon.accept(sock);
    service = {
      reconfigure: (fresh, l) => {
        core.reconfigure(coreSettings(fresh, { ...opts, log: l }, self));
        daemon.reconfigure({ hostKeys: keys, global: fresh.global, banner, log: l, privileged: core, single: opts.single === true, stopListening });
      },
      ended: daemon.ended,
      close: async () => {
        stopListening();
  await service.close();
        core.stop();
      },
    };
  }
  try {
    listening = await listenOn(listen, log, (sock) => accept(sock), privsep);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    log(`error: Bind to port ${e.port ?? ''} on ${e.address ?? ''} failed: ${strerror(err)}.`);
    log('Cannot bind any address.');
    await service.close();
    return 255;
  }
  const daemon = { addresses: listening.addresses };
  // The PidFile exists by the time "Server listening" is logged and a detaching parent exits.
  if (g.pidFile !== null && opts.single !== true) {
    try {
      writeFileSync(g.pidFile, `${process.pid}\n`, { mode: 0o644 });
    } catch (err) {
      log(`Couldn't create pid file "${g.pidFile}": ${strerror(err)}`);
    }
  }
  for (const a of daemon.addresses) log(`Server listening on ${a.host} port ${a.port}.`);
  opts.onListening?.();
  if (opts.printConnect) {
    const a = daemon.addresses[0]!;
    io.stdout.write(
      [
        `tshd is serving ${self.name} on ${a.host} port ${a.port} (keys: ~/.ssh/authorized_keys and ~/.ssh/*.pub of ${self.home}).`,
        'Connect with:',
        `  tsh -p ${a.port} ${self.name}@${a.host}        (node dist/bin/tsh.js from this checkout)`,
        `  ssh -p ${a.port} ${self.name}@${a.host}`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
  }
  const code = await new Promise<number>((resolve) => {
    const offs = [
      ...(['SIGTERM', 'SIGINT'] as const).map((sig) =>
        io.onSignal(sig, () => {
          log(`Received signal ${sig === 'SIGTERM' ? 15 : 2}; terminating.`);
          for (const off of offs) off();
          resolve(0);
        }),
      ),
      io.onSignal('SIGHUP', () => {
        log('Received SIGHUP; restarting.');
        load(opts, io, self).then(
          (fresh) => {
            service.reconfigure(fresh, levelFilter(fresh.global.logLevel, opts.log));
            log('Configuration reloaded; it applies to new connections.');
          },
          (err: unknown) => {
            log(`error: configuration reload failed, keeping the running configuration: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      }),
    ];
    // sshd -d: the one connection has ended.
    void service.ended?.then((status) => {
      for (const off of offs) off();
      resolve(status);
    });
  });
  stopListening();
  await service.close();
  process.off('uncaughtException', onCrash);
  if (g.pidFile !== null && opts.single !== true) rmSync(g.pidFile, { force: true });
  return code;
}
