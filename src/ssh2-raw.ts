/**
 * Two SSH messages ssh2 has no API for, built with ssh2's own packet writer (as its Protocol
 * methods do) and sent through its sendPacket, so they are encrypted and sequenced like the rest:
 *
 * - SSH_MSG_DISCONNECT with a description (ssh2's disconnect() always sends an empty one, and
 *   OpenSSH's ssh prints it: "Received disconnect from ...: 2: Too many authentication failures");
 * - the "break" channel request (RFC 4335), which ssh's `~B` escape sends.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as { sendPacket: (proto: unknown, packet: Buffer, bypass?: boolean) => void };

const MSG_DISCONNECT = 1;
const MSG_CHANNEL_REQUEST = 98;
export const DISCONNECT_PROTOCOL_ERROR = 2;
export const DISCONNECT_BY_APPLICATION = 11;

interface PacketWriter {
  allocStart: number;
  allocStartKEX: number;
  alloc(len: number, force?: boolean): Buffer;
  finalize(packet: Buffer, force?: boolean): Buffer;
}

function protocolOf(connection: unknown): { proto: unknown; writer: PacketWriter } | null {
  const proto = (connection as { _protocol?: { _packetRW?: { write: PacketWriter } } })._protocol;
  const writer = proto?._packetRW?.write;
  return proto && writer ? { proto, writer } : null;
}

const u8 = (v: number): Buffer => Buffer.from([v]);
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const str = (v: string): Buffer => Buffer.concat([u32(Buffer.byteLength(v)), Buffer.from(v, 'utf8')]);

/**
 * Sends one message (its fields, already encoded) through ssh2's writer. `anyTime`: also valid
 * during a key exchange, as ssh2's own disconnect() sends DISCONNECT.
 */
function send(connection: unknown, fields: readonly Buffer[], anyTime = false): void {
  const p0 = protocolOf(connection);
  if (!p0) return;
  const { proto, writer } = p0;
  const payload = Buffer.concat(fields);
  const start = anyTime ? writer.allocStartKEX : writer.allocStart;
  const packet = writer.alloc(payload.length, anyTime);
  payload.copy(packet, start);
  sendPacket(proto, writer.finalize(packet, anyTime), anyTime);
}

/** Sends DISCONNECT(reason, description) on an ssh2 connection (client or server side). */
export function disconnectWith(connection: unknown, reason: number, description: string): void {
  send(connection, [u8(MSG_DISCONNECT), u32(reason), str(description), str('')], true);
}

/** Sends a "break" request of `lengthMs` on channel `remoteId` (the peer's channel number), no reply wanted. */
export function sendBreak(connection: unknown, remoteId: number, lengthMs: number): void {
  send(connection, [u8(MSG_CHANNEL_REQUEST), u32(remoteId), str('break'), u8(0), u32(lengthMs)]);
}
