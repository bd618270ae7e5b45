/**
 * One authenticated SSH connection, as ssh.c + sshconnect.c + sshconnect2.c make it: the byte
 * stream (TCP, ProxyCommand, or a channel through a ProxyJump host, hop by hop, each hop's host key
 * checked with its own configuration), then ssh2's Client over it with the configured algorithms,
 * host key verification and authentication. Failures throw ConnectError with OpenSSH's lines.
 */
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel } from 'ssh2';
import type { ResolvedClientConfig } from '../config/index.js';
import { expandTokens } from '../config/tokens.js';
import { TshError } from '../errors.js';
import { openFailure } from '../forwarding/local.js';
import { VERSION } from '../version.js';
import { NoAlgorithmsError, offeredAlgorithms } from './algorithms.js';
import { makeAuthHandler } from './auth.js';
import { ForwardingCancelledError, knownKeyTypes, verifyHostKey } from './host-key.js';
import { KeyRing } from './identities.js';
import { LOG_LEVELS, type Logger } from './log.js';
import { connectTcp, proxyCommand, type Transport } from './transport.js';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;

/** A connection failure; `lines` are what ssh prints (through the log), exit 255. */
export class ConnectError extends TshError {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join('\n'), 255);
    this.name = 'ConnectError';
    this.lines = lines;
  }
}

export interface HopSpec {
  readonly user: string | null;
  readonly host: string;
  readonly port: number;
  readonly extra: string | null;
}

export interface ConnectOptions {
  readonly cfg: ResolvedClientConfig;
  readonly log: Logger;
  /** Terminal prompt (echo on/off): the answer, null at EOF, undefined without a terminal. */
  readonly ask: (prompt: string, echo: boolean) => Promise<string | null | undefined>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string | undefined;
  /** The configuration for a jump host, resolved as `ssh -W` would for it. */
  readonly resolveHop: (hop: HopSpec) => ResolvedClientConfig;
  /** The server's pre-authentication banner. */
  readonly banner?: (text: string) => void;
}

export interface Connection {
  readonly client: SshClient;
  readonly cfg: ResolvedClientConfig;
  /** Password and keyboard-interactive were refused after an unsafe host key acceptance. */
  readonly unsafe: boolean;
  /** How the peer is named in "Connection to X closed" and disconnect messages. */
  readonly peer: string;
  /** Closes this connection and every hop under it. */
  close(): void;
}

/** How ssh names the peer in its errors: "ADDR port PORT" (UNKNOWN port 65535 through a proxy). */
function peerName(t: { remoteAddress: string | null; remotePort: number }): string {
  return t.remoteAddress === null ? 'UNKNOWN port 65535' : `${t.remoteAddress} port ${t.remotePort}`;
}

interface Stream {
  readonly stream: Duplex;
  readonly remoteAddress: string | null;
  readonly remotePort: number;
  close(): void;
}

/**
 * ssh2 writes each packet in pieces (AES-GCM: length, body, tag: three writes), each a syscall
 * with TCP_NODELAY. Corking the stream until the end of the tick sends what one tick produced
 * as one writev: a 1 GiB upload made 98,000 fewer writes.
 */
function coalesceWrites(stream: Duplex): Duplex {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  stream.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork();
      });
    }
    return write(...args);
  }) as Duplex['write'];
  return stream;
}

async function openStream(opts: ConnectOptions): Promise<Stream> {
  const { cfg, log } = opts;
  const jump = cfg.proxyJump;
  if (jump !== null && jump.host !== 'none') {
    const hopCfg = opts.resolveHop(jump);
    const hop = await connect({ ...opts, cfg: hopCfg });
    const port = cfg.port > 0 ? cfg.port : 22;
    let channel: ClientChannel;
    try {
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        hop.client.forwardOut('127.0.0.1', 0, cfg.hostname, port, (err, ch) => (err ? reject(err) : resolve(ch)));
      });
    } catch (err) {
      hop.close();
      const reason = err instanceof Error ? openFailure(err) : String(err);
      throw new ConnectError([`channel 0: open failed: ${reason}`, 'stdio forwarding failed', 'kex_exchange_identification: Connection closed by remote host', 'Connection closed by UNKNOWN port 65535']);
    }
    log.debug1(`channel 0: connected to ${cfg.hostname} port ${port} via ${hopCfg.hostname}`);
    return {
      stream: channel,
      remoteAddress: null,
      remotePort: 65535,
      close: () => {
        channel.destroy();
        hop.close();
      },
    };
  }
  const port = cfg.port > 0 ? cfg.port : 22;
  let t: Transport;
  if (cfg.proxyCommand !== null) {
    const command = expandTokens(cfg.proxyCommand, { h: cfg.hostname, n: cfg.host, p: String(port), r: cfg.user }, null);
    t = await proxyCommand({ command, log, env: { ...opts.env } as NodeJS.ProcessEnv });
    return { stream: t.stream, remoteAddress: null, remotePort: 65535, close: () => t.close() };
  }
  t = await connectTcp({
    host: cfg.hostname,
    port,
    addressFamily: cfg.addressFamily,
    bindAddress: cfg.bindAddress,
    connectTimeout: cfg.connectTimeout,
    connectionAttempts: cfg.connectionAttempts,
    tcpKeepAlive: cfg.tcpKeepAlive,
    log,
    progname: 'tsh',
  });
  return { stream: t.stream, remoteAddress: t.remoteAddress, remotePort: t.remotePort, close: () => t.close() };
}

/** The lines ssh prints for an ssh2 error during connection set-up. */
function describeError(err: Error & { level?: string; code?: unknown }, peer: string, user: string, host: string, methods: readonly string[]): string[] {
  const msg = err.message;
  if (err.level === 'client-authentication') return [`${user}@${host}: Permission denied (${methods.join(',')}).`];
  if (err.level === 'client-timeout') return [`Timeout, server ${host} not responding.`];
  if (typeof err.code === 'number') {
    return [`Received disconnect from ${peer}:${err.code}: ${msg}`, `Disconnected from ${peer}`];
  }
  const nomatch = /^Handshake failed: no matching (.*)$/.exec(msg);
  if (nomatch) {
    const what: Record<string, string> = {
      'key exchange algorithm': 'key exchange method',
      'host key format': 'host key type',
      'C->S cipher': 'cipher',
      'S->C cipher': 'cipher',
      'C->S MAC': 'MAC',
      'S->C MAC': 'MAC',
      'C->S compression algorithm': 'compression method',
      'S->C compression algorithm': 'compression method',
    };
    return [`Unable to negotiate with ${peer}: no matching ${what[nomatch[1]!] ?? nomatch[1]!} found.`];
  }
  if (/ECONNRESET/.test(msg)) return [`Connection reset by ${peer}`];
  if (msg === 'Connection lost before handshake' || /\bEPIPE\b/.test(msg)) {
    return ['kex_exchange_identification: Connection closed by remote host', `Connection closed by ${peer}`];
  }
  return [`ssh_dispatch_run_fatal: Connection to ${peer}: ${msg}`];
}

/** Opens and authenticates a connection for `opts.cfg`. */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const { cfg, log } = opts;
  const host = cfg.hostname;
  const port = cfg.port > 0 ? cfg.port : 22;
  const s = await openStream(opts);
  const peer = peerName(s);
  let unsafe = false;
  let algorithms;
  try {
    algorithms = offeredAlgorithms(cfg, knownKeyTypes(cfg, host, port, log));
  } catch (err) {
    s.close();
    if (err instanceof NoAlgorithmsError) throw new ConnectError([`Unable to negotiate with ${peer}: ${err.message}`]);
    throw err;
  }
  const agentSocket = cfg.identityAgent === 'none' ? null : cfg.identityAgent === null || cfg.identityAgent === 'SSH_AUTH_SOCK' ? (opts.env.SSH_AUTH_SOCK ?? null) : cfg.identityAgent;
  const keyRing = await KeyRing.create({
    files: cfg.identityFilesExpanded,
    identitiesOnly: cfg.identitiesOnly,
    agentSocket: agentSocket === '' ? null : agentSocket,
    passphrasePrompts: cfg.numberOfPasswordPrompts,
    batchMode: cfg.batchMode,
    log,
    askPassphrase: (p) => (cfg.batchMode ? Promise.resolve(undefined) : opts.ask(p, false)),
    acceptedAlgorithms: cfg.pubkeyAcceptedAlgorithms,
  });
  const { handler, state } = makeAuthHandler({ cfg, user: cfg.user, host, keyRing, unsafe: () => unsafe, log, ask: opts.ask });

  const client = new Client();
  let hostKeyRejected = false;
  let hostKeyFailure: string[] = ['Host key verification failed.'];
  log.debug1(`Authenticating to ${host}:${port} as '${cfg.user}'`);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (lines: string[]): void => {
      if (settled) return;
      settled = true;
      client.end();
      s.close();
      reject(new ConnectError(lines));
    };
    client.on('banner', (text: string) => opts.banner?.(text));
    client.on('handshake', (n) => {
      log.debug1(`kex: algorithm: ${n.kex}`);
      log.debug1(`kex: host key algorithm: ${n.serverHostKey}`);
      log.debug1(`kex: server->client cipher: ${n.sc.cipher} MAC: ${n.sc.mac || '<implicit>'} compression: ${n.sc.compress}`);
      log.debug1(`kex: client->server cipher: ${n.cs.cipher} MAC: ${n.cs.mac || '<implicit>'} compression: ${n.cs.compress}`);
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      log.verbose(`Authenticated to ${host} (${peer.replace(/ port (\d+)$/, ':$1').replace(/^(.*):(\d+)$/, '[$1]:$2')}) using "${state.current}".`);
      resolve();
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'agent') {
        log.debug1(`agent: ${err.message}`);
        return;
      }
      if (hostKeyRejected) return fail(hostKeyFailure);
      fail(describeError(err, peer, cfg.user, host, state.lastMethods));
    });
    client.on('close', () => {
      if (hostKeyRejected) return fail(hostKeyFailure);
      fail(['kex_exchange_identification: Connection closed by remote host', `Connection closed by ${peer}`]);
    });
    client.connect({
      sock: coalesceWrites(s.stream) as unknown as NodeJS.ReadableStream,
      username: cfg.user,
      ident: `tsh_${VERSION}`,
      // ssh sends the @openssh.com requests (streamlocal forwards, no-more-sessions) to any server.
      strictVendor: false,
      algorithms: algorithms as unknown as ssh2.Algorithms,
      readyTimeout: 0,
      keepaliveInterval: cfg.serverAliveInterval * 1000,
      keepaliveCountMax: cfg.serverAliveCountMax,
      authHandler: handler,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey({ cfg, hostname: host, port, remoteAddress: s.remoteAddress, log, ask: (p) => opts.ask(p, true), home: opts.home }, key).then(
          (r) => {
            unsafe = r.unsafe;
            hostKeyRejected = !r.accepted;
            verify(r.accepted);
          },
          (err: unknown) => {
            if (err instanceof ForwardingCancelledError) hostKeyFailure = [err.message];
            else log.error(err instanceof Error ? err.message : String(err));
            hostKeyRejected = true;
            verify(false);
          },
        );
      },
      debug: log.level >= LOG_LEVELS.DEBUG3 ? (m: string) => log.debug3(m) : undefined,
    } as ssh2.ConnectConfig);
  });
  client.removeAllListeners('close');
  client.removeAllListeners('error');
  let closed = false;
  return {
    client,
    cfg,
    unsafe,
    peer,
    close: () => {
      if (closed) return;
      closed = true;
      client.end();
      s.close();
    },
  };
}
