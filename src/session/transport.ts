/**
 * The byte stream ssh2 runs over: a TCP connection made the way OpenSSH's sshconnect.c makes it
 * (ssh_connect_direct, ssh_create_socket, timeout_connect), or a ProxyCommand's stdin/stdout
 * (ssh_proxy_connect). Host name resolution follows ssh.c's resolve_host.
 *
 * Messages: debug lines go to the Logger as ssh logs them. Failures throw TransportError, whose
 * message is the line ssh prints with error() before exiting 255 ("tsh: connect to host ...").
 * The caller prints it with log.error(), so -q silences it as it does ssh's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import net from 'node:net';
import { Duplex, Readable, Writable } from 'node:stream';
import { TshError, errnoCode, strerror } from '../errors.js';
import type { Logger } from './log.js';

export type AddressFamily = 'any' | 'inet' | 'inet6';

export interface TcpOptions {
  /** HostName: a name or an address. */
  host: string;
  port: number;
  addressFamily: AddressFamily;
  /** BindAddress / -b: a local address (or name) to bind before connecting; null = any. */
  bindAddress: string | null;
  /** ConnectTimeout in seconds; null or <= 0 = the OS's own connect timeout. */
  connectTimeout: number | null;
  /** ConnectionAttempts: rounds over all addresses, 1 s apart (>= 1). */
  connectionAttempts: number;
  tcpKeepAlive: boolean;
  log: Logger;
  /** Program name for messages where ssh prints "ssh:"; default 'tsh'. */
  progname?: string;
  /**
   * Addresses already resolved (e.g. by hostname canonicalization, as ssh.c's
   * resolve_canonicalize does): used as they are. Without them, connectTcp resolves `host`.
   */
  addresses?: readonly ResolvedAddress[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The byte stream for ssh2's `sock`, and where it goes. */
export interface Transport {
  stream: Duplex;
  /** The peer's address; 'UNKNOWN' for a ProxyCommand, as ssh reports it. */
  remoteAddress: string;
  /** The peer's port; 65535 for a ProxyCommand, as ssh reports it. */
  remotePort: number;
  localAddress?: string;
  localPort?: number;
  /**
   * What is left of ConnectTimeout after the TCP connect (ms), for the banner exchange as ssh
   * passes it to ssh_login; null without ConnectTimeout. ssh's main then logs
   * "debug3: timeout: N ms remain after connect" when N > 0.
   */
  timeoutLeftMs: number | null;
  /** The ProxyCommand's process id. */
  pid?: number;
  /** Close the stream now; a ProxyCommand gets SIGHUP (ssh_kill_proxy_command). Idempotent. */
  close(): void;
}

/**
 * A failure to reach the host: exit 255, message exactly as ssh prints it.
 * kind 'resolve': "tsh: Could not resolve hostname H: <gai_strerror>";
 * kind 'connect': "tsh: connect to host H port P: <strerror>|failure".
 * `code` is the Node error code of the last failure (ENOTFOUND, ECONNREFUSED, ETIMEDOUT...).
 */
export class TransportError extends TshError {
  readonly kind: 'resolve' | 'connect';
  readonly code: string | undefined;
  constructor(kind: 'resolve' | 'connect', message: string, code?: string, options?: { cause?: unknown }) {
    super(message, 255, options);
    this.name = 'TransportError';
    this.kind = kind;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution (ssh.c resolve_host)

/** getaddrinfo as Node's dns.lookup({all: true}) does it; rejects with Node's dns error. */
export type LookupFn = (host: string, family: 0 | 4 | 6) => Promise<ResolvedAddress[]>;

const systemLookup: LookupFn = (host, family) =>
  new Promise((resolve, reject) => {
    dns.lookup(host, { all: true, family, verbatim: true }, (err, addrs) => {
      if (err) reject(err);
      else resolve(addrs.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

const FAMILY: Readonly<Record<AddressFamily, 0 | 4 | 6>> = { any: 0, inet: 4, inet6: 6 };

/** glibc's gai_strerror() texts, by the code Node gives a getaddrinfo failure. */
const GAI_STRERROR: Readonly<Record<string, string>> = {
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_BADFLAGS: 'Bad value for ai_flags',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_FAMILY: 'ai_family not supported',
  EAI_MEMORY: 'Memory allocation failure',
  EAI_NODATA: 'No address associated with hostname',
  EAI_NONAME: 'Name or service not known',
  EAI_OVERFLOW: 'Unknown error',
  EAI_SERVICE: 'Servname not supported for ai_socktype',
  EAI_SOCKTYPE: 'ai_socktype not supported',
  EAI_CANCELED: 'Request canceled',
};

/** libuv's UV_EAI_NODATA: Node reports both it and EAI_NONAME as ENOTFOUND. */
const UV_EAI_NODATA = -3007;

/** ssh_gai_strerror(): the resolver's message for a failed lookup, as glibc words it. */
export function gaiStrerror(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ENOTFOUND') {
    const errno = (err as { errno?: unknown }).errno;
    return errno === UV_EAI_NODATA ? GAI_STRERROR.EAI_NODATA! : GAI_STRERROR.EAI_NONAME!;
  }
  if (code && GAI_STRERROR[code]) return GAI_STRERROR[code];
  // EAI_SYSTEM: libuv hands over errno itself, and ssh prints strerror(errno).
  const text = strerror(err);
  return err instanceof Error && text === err.message ? 'System error' : text;
}

function gaiError(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ${code}`);
  err.code = code;
  return err;
}

/**
 * getaddrinfo(name) for `family`, every address in the resolver's order. Node answers an address
 * literal itself whatever the family; getaddrinfo refuses a literal of the other family
 * (EAI_ADDRFAMILY), so that is checked here.
 */
async function lookupAll(name: string, family: 0 | 4 | 6, lookup: LookupFn): Promise<ResolvedAddress[]> {
  if (name === '') throw gaiError('EAI_NONAME');
  const literal = net.isIP(name);
  if (literal !== 0) {
    if (family !== 0 && family !== literal) throw gaiError('EAI_ADDRFAMILY');
    return [{ address: name, family: literal === 6 ? 6 : 4 }];
  }
  const addrs = await lookup(name, family);
  if (addrs.length === 0) throw gaiError('EAI_NONAME');
  return addrs;
}

export interface ResolveOptions {
  port: number;
  addressFamily: AddressFamily;
  log: Logger;
  progname?: string;
}

/**
 * ssh.c resolve_host(): every address of `name`, in order. Logs "debug3: resolve_host: lookup
 * NAME:PORT"; on failure throws TransportError "PROG: Could not resolve hostname NAME: REASON"
 * (ssh logs it at error level when connecting directly, at debug1 for a not-found name while
 * canonicalizing — the caller chooses; `code` is 'ENOTFOUND' for those).
 */
export async function resolveHost(name: string, opts: ResolveOptions, lookup: LookupFn = systemLookup): Promise<ResolvedAddress[]> {
  opts.log.debug3(`resolve_host: lookup ${name}:${opts.port}`);
  try {
    return await lookupAll(name, FAMILY[opts.addressFamily], lookup);
  } catch (err) {
    const prog = opts.progname ?? 'tsh';
    throw new TransportError(
      'resolve',
      `${prog}: Could not resolve hostname ${name.slice(0, 100)}: ${gaiStrerror(err)}`,
      errnoCode(err),
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// TCP (sshconnect.c ssh_connect_direct)

export interface DialTarget {
  address: string;
  family: 4 | 6;
  port: number;
  localAddress?: string;
}

/**
 * Opens one socket towards `target`; it emits 'connect' or 'error' as net.connect's does.
 * Replaceable for tests (a socket that never connects exercises ConnectTimeout).
 */
export type DialFn = (target: DialTarget) => net.Socket;

const systemDial: DialFn = (t) =>
  net.connect({ host: t.address, port: t.port, family: t.family, localAddress: t.localAddress, autoSelectFamily: false });

export interface TcpDeps {
  lookup?: LookupFn;
  dial?: DialFn;
  /** The pause between rounds of ConnectionAttempts (ssh sleeps 1 s). */
  sleep?: (ms: number) => Promise<void>;
}

/** strerror() for the socket errors the errors.ts table does not carry. */
/** setTimeout's ceiling: a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type DialResult = { ok: true; sock: net.Socket; elapsedMs: number } | { ok: false; err: NodeJS.ErrnoException };

/** timeout_connect(): one connect, bounded by timeoutMs when > 0. */
function dialOnce(dial: DialFn, target: DialTarget, timeoutMs: number): Promise<DialResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    let sock: net.Socket;
    try {
      sock = dial(target);
    } catch (err) {
      resolve({ ok: false, err: err as NodeJS.ErrnoException });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: DialResult): void => {
      clearTimeout(timer);
      sock.off('connect', onConnect);
      sock.off('error', onError);
      if (!r.ok) {
        sock.on('error', () => {}); // a destroyed socket must not crash us with a late error
        sock.destroy();
      }
      resolve(r);
    };
    const onConnect = (): void => finish({ ok: true, sock, elapsedMs: Date.now() - started });
    const onError = (err: NodeJS.ErrnoException): void => finish({ ok: false, err });
    sock.once('connect', onConnect);
    sock.once('error', onError);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        const err: NodeJS.ErrnoException = new Error(`connect ETIMEDOUT ${target.address}:${target.port}`);
        err.code = 'ETIMEDOUT';
        err.syscall = 'connect';
        finish({ ok: false, err });
      }, Math.min(timeoutMs, MAX_TIMER_MS));
    }
  });
}

/**
 * ssh_create_socket()'s BindAddress step: getaddrinfo(bindAddress) in the target's family.
 * Logs as ssh does and returns null when that fails.
 */
async function bindAddressFor(bind: string, family: 4 | 6, log: Logger, lookup: LookupFn): Promise<string | null> {
  try {
    const [first] = await lookupAll(bind, family, lookup);
    return first!.address;
  } catch (err) {
    log.error(`getaddrinfo: ${bind}: ${gaiStrerror(err)}`);
    return null;
  }
}

/**
 * ssh_connect_direct(): resolve `host` (unless `addresses` are given), then try each address in
 * order, ConnectionAttempts rounds 1 s apart, each connect bounded by ConnectTimeout. The socket
 * comes back connected, with TCP_NODELAY on and SO_KEEPALIVE as TCPKeepAlive says.
 *
 * Logs like ssh: debug2 'resolving "H" port P' (or 'resolve_canonicalize: hostname A is address'
 * for an address literal), debug3 'ssh_connect_direct: entering', debug1 'Connecting to H [A] port
 * P.', 'connect to address A port P: REASON', 'Trying again...', 'Connection established.'.
 * Throws TransportError when resolution or every attempt fails.
 *
 * The socket keeps an 'error' listener that ignores errors, so a reset before ssh2 takes the
 * stream cannot crash the process; hand the stream to ssh2 (or listen yourself) right away.
 */
export async function connectTcp(opts: TcpOptions, deps: TcpDeps = {}): Promise<Transport> {
  const { host, port, log } = opts;
  const prog = opts.progname ?? 'tsh';
  const lookup = deps.lookup ?? systemLookup;
  const dial = deps.dial ?? systemDial;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`connectTcp: bad port ${port}`);

  let addresses = opts.addresses;
  if (!addresses) {
    const literal = net.isIP(host);
    const family = FAMILY[opts.addressFamily];
    if (literal !== 0 && (family === 0 || family === literal)) {
      // ssh.c takes an address literal in resolve_canonicalize(), without resolve_host().
      log.debug2(`resolve_canonicalize: hostname ${host} is address`);
      addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    } else {
      log.debug2(`resolving "${host}" port ${port}`);
      addresses = await resolveHost(host, { port, addressFamily: opts.addressFamily, log, progname: prog }, lookup);
    }
  }

  const timeoutMs = opts.connectTimeout !== null && opts.connectTimeout > 0 ? opts.connectTimeout * 1000 : 0;
  const attempts = Math.max(1, opts.connectionAttempts);
  log.debug3('ssh_connect_direct: entering');
  // errno of the last failure; null = the socket could not be made ("failure" in ssh's words).
  let lastErr: NodeJS.ErrnoException | null = null;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      await sleep(1000);
      log.debug1('Trying again...');
    }
    for (const ai of addresses) {
      log.debug1(`Connecting to ${host.slice(0, 200)} [${ai.address.slice(0, 100)}] port ${port}.`);
      let localAddress: string | undefined;
      if (opts.bindAddress !== null) {
        const bound = await bindAddressFor(opts.bindAddress, ai.family, log, lookup);
        if (bound === null) {
          lastErr = null;
          continue;
        }
        localAddress = bound;
      }
      const r = await dialOnce(dial, { address: ai.address, family: ai.family, port, localAddress }, timeoutMs);
      if (!r.ok && r.err.syscall === 'bind') {
        // ssh_create_socket() failed: logged, and the final message says "failure".
        log.error(`bind ${localAddress}: ${strerror(r.err)}`);
        lastErr = null;
        continue;
      }
      if (localAddress !== undefined) log.debug1(`ssh_create_socket: bound to ${localAddress}`);
      if (r.ok) {
        log.debug1('Connection established.');
        return tcpTransport(r.sock, opts.tcpKeepAlive, timeoutMs > 0 ? Math.max(0, timeoutMs - r.elapsedMs) : null);
      }
      log.debug1(`connect to address ${ai.address} port ${port}: ${strerror(r.err)}`);
      lastErr = r.err;
    }
  }
  throw new TransportError(
    'connect',
    `${prog}: connect to host ${host} port ${port}: ${lastErr ? strerror(lastErr) : 'failure'}`,
    lastErr ? errnoCode(lastErr) : undefined,
    { cause: lastErr ?? undefined },
  );
}

function tcpTransport(sock: net.Socket, keepAlive: boolean, timeoutLeftMs: number | null): Transport {
  sock.setNoDelay(true);
  if (keepAlive) sock.setKeepAlive(true);
  sock.on('error', () => {});
  return {
    stream: sock,
    remoteAddress: sock.remoteAddress ?? 'UNKNOWN',
    remotePort: sock.remotePort ?? 65535,
    localAddress: sock.localAddress,
    localPort: sock.localPort,
    timeoutLeftMs,
    close: () => {
      sock.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ProxyCommand (sshconnect.c ssh_proxy_connect)

export interface ProxyCommandOptions {
  /** The ProxyCommand, %-tokens already expanded; run as `$SHELL -c "exec COMMAND"`. */
  command: string;
  log: Logger;
  /** The command's environment, and where SHELL is read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the command's stderr goes: our stderr (default), nowhere, or a stream. */
  stderr?: 'inherit' | 'ignore' | Writable;
}

/**
 * ssh_proxy_connect(): runs `$SHELL -c "exec COMMAND"` (/bin/sh when SHELL is unset or empty)
 * with its stdin and stdout as the stream and its stderr on ours. Logs "debug1: Executing proxy
 * command: exec COMMAND". If the command ends, the stream ends and ssh2 reports the closed
 * connection; if the shell cannot be run, its perror() line is printed and the stream ends at
 * once, as with ssh. Closing the transport, or the stream closing, sends the command SIGHUP
 * (ssh_kill_proxy_command); Node reaps it.
 *
 * Not covered: `ProxyCommand -` and ProxyUseFdpass (ssh_proxy_fdpass_connect). The caller should
 * refuse ProxyUseFdpass yes before calling this, e.g. "ProxyUseFdpass is not supported".
 */
export async function proxyCommand(opts: ProxyCommandOptions): Promise<Transport> {
  const env = opts.env ?? process.env;
  const shell = env.SHELL ? env.SHELL : '/bin/sh';
  const commandString = `exec ${opts.command}`;
  opts.log.debug1(`Executing proxy command: ${commandString.slice(0, 500)}`);
  const target = opts.stderr ?? 'inherit';
  const child = spawn(shell, ['-c', commandString], {
    env,
    stdio: ['pipe', 'pipe', target === 'inherit' || target === 'ignore' ? target : 'pipe'],
  });
  if (typeof target === 'object') child.stderr!.pipe(target, { end: false });

  const spawned = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (err) => resolve(err));
  });
  if (spawned) {
    // The forked child's perror(argv[0]) before exit(1): ssh then reads end of file.
    const line = `${shell}: ${strerror(spawned)}\n`;
    if (target === 'inherit') process.stderr.write(line);
    else if (typeof target === 'object') target.write(line);
    const stream = pairDuplex(Readable.from([]), new Writable({ write: (_c, _e, cb) => cb() }));
    return { stream, remoteAddress: 'UNKNOWN', remotePort: 65535, timeoutLeftMs: null, close: () => stream.destroy() };
  }

  const stream = pairDuplex(child.stdout!, child.stdin!);
  const kill = (): void => killProxy(child);
  stream.once('close', kill);
  return {
    stream,
    remoteAddress: 'UNKNOWN',
    remotePort: 65535,
    timeoutLeftMs: null,
    pid: child.pid,
    close: () => {
      stream.destroy();
      kill();
    },
  };
}

/** ssh_kill_proxy_command(): SIGHUP, no wait; the child must not keep us alive either. */
function killProxy(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
  child.stderr?.destroy();
  child.unref();
}

// ---------------------------------------------------------------------------------------------
// A Duplex over a (readable, writable) pair

/**
 * One Duplex reading from `input` and writing to `output` — a ProxyCommand's stdout/stdin, or a
 * channel's two halves — usable as ssh2's `sock`. It behaves like a net.Socket with
 * allowHalfOpen off: when `input` ends, the write side is ended too and 'close' follows, which
 * is what ssh2 waits for. Backpressure passes through both ways; an error on either side
 * destroys the pair; destroying the pair destroys both sides.
 */
export function pairDuplex(input: Readable, output: Writable): Duplex {
  return new PairDuplex(input, output);
}

class PairDuplex extends Duplex {
  private inputDone = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    super({ allowHalfOpen: false });
    input.on('data', (chunk: Buffer | string) => {
      if (!this.push(chunk)) input.pause();
    });
    input.pause();
    const ended = (): void => {
      if (this.inputDone) return;
      this.inputDone = true;
      this.push(null);
    };
    input.once('end', ended);
    input.once('close', ended); // closed without 'end' (destroyed): end of file all the same
    input.on('error', (err) => this.destroy(err));
    output.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    this.input.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.output.write(chunk, encoding)) callback();
    else this.output.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.output.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.input.destroy();
    this.output.destroy();
    callback(err);
  }
}
