/**
 * An in-house SOCKS 4, 4a and 5 server (CONNECT only, no authentication), as ssh's -D and remote
 * dynamic -R speak it (channels.c channel_decode_socks4/5). The parsers are pure: they look at the
 * bytes received so far and say "need more", "bad", or what was asked and how many bytes it took.
 * socksHandshake() drives them over any Duplex (a local socket for -D, a channel for -R port).
 *
 * Deliberate difference: ssh answers "granted" before the channel opens and then just closes the
 * connection on failure; tsh waits for the outcome and sends the proper failure reply.
 */
import type { Duplex } from 'node:stream';

/** Longest SOCKS4 user id or 4a host name accepted (ssh uses a 1 KiB buffer). */
const MAX_SOCKS4_STRING = 1024;

export type SocksParse<T> =
  | { readonly kind: 'more' }
  | { readonly kind: 'bad'; readonly reason: string; readonly reply?: Buffer }
  | ({ readonly kind: 'ok'; readonly consumed: number } & T);

export interface SocksTarget {
  readonly host: string;
  readonly port: number;
}

/** The SOCKS4 / 4a CONNECT request: VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOST NUL]. */
export function parseSocks4(buf: Buffer): SocksParse<SocksTarget & { readonly version: 4; readonly user: string }> {
  if (buf.length < 1) return { kind: 'more' };
  if (buf[0] !== 4) return { kind: 'bad', reason: `wrong version ${buf[0]}` };
  if (buf.length < 8) return { kind: 'more' };
  if (buf[1] !== 1) return { kind: 'bad', reason: `unsupported command ${buf[1]}`, reply: socks4Reply(false) };
  const port = buf.readUInt16BE(2);
  const ip = [buf[4]!, buf[5]!, buf[6]!, buf[7]!];
  const userEnd = buf.indexOf(0, 8);
  if (userEnd < 0) return buf.length - 8 > MAX_SOCKS4_STRING ? { kind: 'bad', reason: 'user id too long' } : { kind: 'more' };
  const user = buf.toString('latin1', 8, userEnd);
  // 4a: 0.0.0.x with x != 0 means "the host name follows the user id".
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    const hostEnd = buf.indexOf(0, userEnd + 1);
    if (hostEnd < 0) return buf.length - userEnd - 1 > MAX_SOCKS4_STRING ? { kind: 'bad', reason: 'host name too long' } : { kind: 'more' };
    const host = buf.toString('latin1', userEnd + 1, hostEnd);
    if (host === '') return { kind: 'bad', reason: 'empty host name', reply: socks4Reply(false) };
    return { kind: 'ok', consumed: hostEnd + 1, version: 4, user, host, port };
  }
  return { kind: 'ok', consumed: userEnd + 1, version: 4, user, host: ip.join('.'), port };
}

/** The SOCKS4 reply: VN=0, CD=90 (granted) or 91 (rejected or failed), port and address zero. */
export function socks4Reply(granted: boolean): Buffer {
  return Buffer.from([0, granted ? 90 : 91, 0, 0, 0, 0, 0, 0]);
}

/** SOCKS5 method negotiation: VER=5 NMETHODS METHODS... */
export function parseSocks5Greeting(buf: Buffer): SocksParse<{ readonly methods: readonly number[] }> {
  if (buf.length < 1) return { kind: 'more' };
  if (buf[0] !== 5) return { kind: 'bad', reason: `wrong version ${buf[0]}` };
  if (buf.length < 2) return { kind: 'more' };
  const n = buf[1]!;
  if (buf.length < 2 + n) return { kind: 'more' };
  return { kind: 'ok', consumed: 2 + n, methods: [...buf.subarray(2, 2 + n)] };
}

export const SOCKS5_NO_AUTH = 0x00;
export const SOCKS5_NO_ACCEPTABLE = 0xff;

/** SOCKS5 reply codes (RFC 1928 section 6). */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

/** inet_ntop() of a 16-byte IPv6 address (compressed form). */
export function ipv6ToString(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** The SOCKS5 request: VER=5 CMD RSV ATYP DST.ADDR DST.PORT. */
export function parseSocks5Request(buf: Buffer): SocksParse<SocksTarget & { readonly version: 5 }> {
  if (buf.length < 4) return { kind: 'more' };
  if (buf[0] !== 5) return { kind: 'bad', reason: `wrong version ${buf[0]}` };
  const atyp = buf[3];
  let host: string;
  let at: number;
  if (atyp === 1) {
    if (buf.length < 10) return { kind: 'more' };
    host = [...buf.subarray(4, 8)].join('.');
    at = 8;
  } else if (atyp === 3) {
    if (buf.length < 5) return { kind: 'more' };
    const len = buf[4]!;
    if (buf.length < 5 + len + 2) return { kind: 'more' };
    host = buf.toString('latin1', 5, 5 + len);
    at = 5 + len;
    if (host === '') return { kind: 'bad', reason: 'empty host name', reply: socks5Reply(SOCKS5_REPLY.hostUnreachable) };
  } else if (atyp === 4) {
    if (buf.length < 22) return { kind: 'more' };
    host = ipv6ToString(buf.subarray(4, 20));
    at = 20;
  } else {
    return { kind: 'bad', reason: `unsupported address type ${atyp}`, reply: socks5Reply(SOCKS5_REPLY.addressTypeNotSupported) };
  }
  const port = buf.readUInt16BE(at);
  if (buf[1] !== 1) return { kind: 'bad', reason: `unsupported command ${buf[1]}`, reply: socks5Reply(SOCKS5_REPLY.commandNotSupported) };
  return { kind: 'ok', consumed: at + 2, version: 5, host, port };
}

/** A SOCKS5 reply with BND.ADDR 0.0.0.0:0 (as ssh sends). */
export function socks5Reply(code: number): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

/** The SOCKS5 reply code for a failed connection, from an SSH channel-open failure or errno. */
export function socks5FailureCode(reason: number | string | undefined): number {
  switch (reason) {
    case 1: // SSH_OPEN_ADMINISTRATIVELY_PROHIBITED
      return SOCKS5_REPLY.notAllowed;
    case 2: // SSH_OPEN_CONNECT_FAILED
    case 'ECONNREFUSED':
      return SOCKS5_REPLY.connectionRefused;
    case 'ENETUNREACH':
      return SOCKS5_REPLY.networkUnreachable;
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return SOCKS5_REPLY.hostUnreachable;
    case 'ETIMEDOUT':
      return SOCKS5_REPLY.ttlExpired;
    default:
      return SOCKS5_REPLY.generalFailure;
  }
}

/** A parsed request, with what to answer once the outcome is known. */
export interface SocksRequest extends SocksTarget {
  readonly version: 4 | 5;
  /** Bytes the client sent after its request (usually none): send them on first. */
  readonly rest: Buffer;
  /** Sends the success reply. */
  granted(): void;
  /** Sends the failure reply (`reason`: an SSH open-failure code or an errno code) and closes. */
  failed(reason?: number | string): void;
}

export class SocksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocksError';
  }
}

/**
 * Reads a SOCKS request from `stream` (pausing it after), answering the SOCKS5 method
 * negotiation. Rejects with SocksError (after any failure reply) on a bad request or early EOF.
 */
export function socksHandshake(stream: Duplex): Promise<SocksRequest> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let stage: 'first' | 'request5' = 'first';
    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
    const fail = (reason: string, reply?: Buffer): void => {
      finish();
      if (reply) stream.end(reply);
      else stream.destroy();
      reject(new SocksError(reason));
    };
    const onEnd = (): void => fail('connection closed during the SOCKS handshake');
    const onError = (err: Error): void => fail(err.message);
    const done = (version: 4 | 5, t: SocksTarget, consumed: number): void => {
      finish();
      const rest = buf.subarray(consumed);
      resolve({
        version,
        host: t.host,
        port: t.port,
        rest,
        granted: () => {
          stream.write(version === 4 ? socks4Reply(true) : socks5Reply(SOCKS5_REPLY.succeeded));
        },
        failed: (reason) => {
          stream.end(version === 4 ? socks4Reply(false) : socks5Reply(socks5FailureCode(reason)));
        },
      });
    };
    const step = (): void => {
      if (stage === 'first') {
        if (buf.length < 1) return;
        if (buf[0] === 4) {
          const r = parseSocks4(buf);
          if (r.kind === 'more') return;
          if (r.kind === 'bad') return fail(r.reason, r.reply);
          return done(4, r, r.consumed);
        }
        if (buf[0] === 5) {
          const r = parseSocks5Greeting(buf);
          if (r.kind === 'more') return;
          if (r.kind === 'bad') return fail(r.reason);
          buf = buf.subarray(r.consumed);
          if (!r.methods.includes(SOCKS5_NO_AUTH)) return fail('no acceptable authentication method', Buffer.from([5, SOCKS5_NO_ACCEPTABLE]));
          stream.write(Buffer.from([5, SOCKS5_NO_AUTH]));
          stage = 'request5';
        } else {
          return fail(`unknown SOCKS version ${buf[0]}`);
        }
      }
      const r = parseSocks5Request(buf);
      if (r.kind === 'more') return;
      if (r.kind === 'bad') return fail(r.reason, r.reply);
      done(5, r, r.consumed);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length > 4 * MAX_SOCKS4_STRING) return fail('SOCKS request too long');
      step();
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
