/**
 * The narrow interface between tshd's protocol side (daemon.ts, session.ts, forwarding.ts: ssh2's
 * Server, pre-auth limits, channels) and what needs root (account lookups, authorized_keys with
 * StrictModes, PAM, PasswordFile, running the user's programs, the per-user workers, agent socket
 * directories). Two implementations: MonitorCore called in-process (tshd not running as root: one
 * process, nothing to separate), and RemotePrivileged, the unprivileged net process's client of
 * the root monitor over Node's IPC channel (net-main.ts, monitor.ts).
 *
 * The monitor acts only for a connection it authenticated itself: every post-auth call names the
 * connection, and the monitor uses the account, configuration and key options it recorded for it
 * (never ones the protocol side sends).
 *
 * Values cross the IPC channel as JSON (binary ones in base64); sockets cross as handles. (With
 * 'advanced' serialization, handles sent in quick succession were lost.)
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { KeyOptions } from '../authorized-keys.js';
import type { ResolvedServerConfig } from '../config/index.js';
import type { PamConversation } from '../password/index.js';
import type { Account } from '../session.js';
import type { UnixBindOptions } from '../user/services.js';

/** A connection's number, chosen by the protocol side. */
export type ConnId = number;

/** Where a connection comes from and arrives. */
export interface ConnectionInfo {
  readonly addr: string;
  readonly port: number;
  readonly laddr: string;
  readonly lport: number;
}

/** The user named in a userauth request: the connection's configuration (Match applied), and the account. */
export interface UserVerdict {
  readonly cfg: ResolvedServerConfig;
  /** null: no such user, or refused (AllowUsers, PermitRootLogin no, ...; the monitor logged why). */
  readonly account: Account | null;
  /** Whether password and keyboard-interactive can be checked at all. */
  readonly passwordsAvailable: boolean;
}

export type PasswordVerdict = { readonly ok: true } | { readonly ok: false } | { readonly ok: 'change'; readonly prompt: string };

/** The outcome of a complete authentication. */
export type LoginVerdict =
  /** Refused after all (PAM's account stage); `why` is logged by the monitor. */
  | { readonly ok: false }
  /** PAM's setcred failed: the connection is dropped. */
  | { readonly ok: 'drop' }
  | {
      readonly ok: true;
      readonly account: Account;
      /** The options the session runs under (restricted after a failed PAM session or for a password change). */
      readonly keyOptions: KeyOptions | null;
      readonly mustChangePassword: boolean;
    };

/** A session program to start, as the client asked for it. */
export interface ProgramRequest {
  readonly kind: 'shell' | 'exec' | 'subsystem';
  /** exec: the command; subsystem: its name. */
  readonly command: string | null;
  readonly pty: { readonly term: string; readonly cols: number; readonly rows: number } | null;
  /** Accepted client variables (AcceptEnv), SSH_AUTH_SOCK. */
  readonly env: readonly (readonly [string, string])[];
}

/** A running session program, as the protocol side sees it. */
export interface Program {
  /** Its stdin (or the pty). */
  readonly input: Writable;
  /** Its stdout (or the pty); ends once the program is gone. */
  readonly output: Readable;
  /** Its stderr (null with a pty). */
  readonly errors: Readable | null;
  signal(name: string): void;
  resize(cols: number, rows: number): void;
  /** Settles when the program has exited (`error`: it could not start). */
  readonly exited: Promise<{ readonly code: number; readonly signal: string | null; readonly error?: string }>;
}

/** What starting a program gave: text to write first, then the program, or the status to end with. */
export interface ProgramStart {
  readonly stdout: string;
  readonly stderr: string;
  readonly program: Program | null;
  /** The exit status when no program runs. */
  readonly status: number;
}

/** A listener bound as the user (tcpip-forward, streamlocal-forward, the agent socket). */
export interface Listener {
  /** The port actually bound (TCP), or 0. */
  readonly port: number;
  /** The socket's path (agent socket), or "". */
  readonly path: string;
  /** Each accepted connection, half-open. */
  onConnection(cb: (sock: Socket) => void): void;
  /** Stops listening (and removes the socket and its directory, for unix sockets). */
  close(): void;
}

/** Connects and binds as the user, for one authenticated connection. */
export interface ConnServices {
  connectTcp(host: string, port: number): Promise<Socket>;
  connectUnix(path: string): Promise<Socket>;
  listenTcp(host: string, port: number): Promise<Listener>;
  listenUnix(path: string, opts: UnixBindOptions): Promise<Listener>;
  listenAgent(): Promise<Listener>;
}

export interface Privileged {
  /** A userauth request names `user`: the account and the configuration for the connection. */
  user(conn: ConnId, info: ConnectionInfo, user: string): Promise<UserVerdict>;
  /**
   * publickey for the connection's current user: is the key authorized (false also when it is
   * not, or the user is invalid)? With `signed`, the signature is verified too, and the method
   * recorded as done.
   */
  publickey(conn: ConnId, key: Uint8Array, signed: { readonly blob: Uint8Array; readonly signature: Uint8Array; readonly hashAlgo?: string } | null): Promise<boolean>;
  password(conn: ConnId, password: string): Promise<PasswordVerdict>;
  /** The new password after a password change request; true: changed, the method is done. */
  changePassword(conn: ConnId, newPassword: string | null): Promise<boolean>;
  keyboardInteractive(conn: ConnId, ask: (c: PamConversation) => Promise<readonly string[] | null>): Promise<boolean>;
  /** Every method asked for is done: PAM's account stage and session; the login is recorded. */
  login(conn: ConnId): Promise<LoginVerdict>;
  program(conn: ConnId, req: ProgramRequest): Promise<ProgramStart>;
  services(conn: ConnId): ConnServices;
  /** The connection is gone: its PAM session is closed (settles once done), its worker released. */
  closed(conn: ConnId): Promise<void>;
  /** A log line. */
  log(line: string): void;
}

/** The calls the protocol side makes (their names in a call message). */
export type CallName = 'user' | 'publickey' | 'password' | 'changePassword' | 'keyboardInteractive' | 'login' | 'program' | 'closed' | keyof ConnServices;

/** What the net process sends the monitor. */
export type NetMessage =
  | { readonly t: 'ready' }
  | { readonly t: 'call'; readonly id: number; readonly name: CallName; readonly args: readonly unknown[] }
  /** The client's answers to a PAM conversation (null: none, the connection is gone). */
  | { readonly t: 'answer'; readonly id: number; readonly answers: readonly string[] | null }
  | { readonly t: 'log'; readonly line: string }
  | { readonly t: 'signal'; readonly prog: number; readonly name: string }
  | { readonly t: 'resize'; readonly prog: number; readonly cols: number; readonly rows: number }
  | { readonly t: 'close-listener'; readonly lid: number }
  /** sshd -d: the one connection is taken (the listeners close), or has ended. */
  | { readonly t: 'stop-listening' }
  | { readonly t: 'ended'; readonly status: number }
  /** Every connection is closed (after a close message). */
  | { readonly t: 'closed' };

/** What the monitor sends the net process. */
export type MonitorMessage =
  | { readonly t: 'init'; readonly hostKeys: readonly string[]; readonly global: ResolvedServerConfig; readonly banner: string | undefined; readonly single: boolean; readonly directLog: boolean }
  | { readonly t: 'reconfigure'; readonly global: ResolvedServerConfig }
  /** A connection accepted on a listener (the socket is the handle). */
  | { readonly t: 'accept' }
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly message: string; readonly code?: string }
  /** A PAM conversation for call `call`, to ask of the client. */
  | { readonly t: 'ask'; readonly id: number; readonly call: number; readonly conversation: PamConversation }
  /** A connection on a user's listener `lid` (the socket is the handle). */
  | { readonly t: 'conn'; readonly lid: number }
  /** One of a program's pipes (a raw handle), or its pty's relay socket. */
  | { readonly t: 'stdio'; readonly prog: number; readonly which: 'stdin' | 'stdout' | 'stderr' | 'pty' }
  | { readonly t: 'exit'; readonly prog: number; readonly code: number; readonly signal: string | null; readonly error?: string }
  /** SIGTERM: end every connection, then say closed. */
  | { readonly t: 'close' };

/** What a program call returns over IPC (its pipes or pty came just before, as stdio messages). */
export interface RemoteProgramStart {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
  /** The program's number, or null when nothing runs. */
  readonly prog: number | null;
  readonly pty: boolean;
}

/** What a listen call returns over IPC. */
export interface RemoteListener {
  readonly lid: number;
  readonly port: number;
  readonly path: string;
}

/** A value as it crosses a JSON channel: BigInts (RekeyLimit-style sizes) tagged, the rest as is. */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

/** The value toWire() sent. */
export function fromWire<T>(value: unknown): T {
  if (Array.isArray(value)) return value.map(fromWire) as T;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint) as T;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromWire(v)])) as T;
  }
  return value as T;
}
