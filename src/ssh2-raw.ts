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

/** Sends DISCONNECT(reason, description) on an ssh2 connection (client or server side). */
export function disconnectWith(connection: unknown, reason: number, description: string): void {
  const p0 = protocolOf(connection);
  if (!p0) return;
  const { proto, writer } = p0;
  const desc = Buffer.from(description, 'utf8');
  let p = writer.allocStartKEX;
  const packet = writer.alloc(1 + 4 + 4 + desc.length + 4, true);
  packet[p++] = MSG_DISCONNECT;
  packet.writeUInt32BE(reason, p);
  p += 4;
  packet.writeUInt32BE(desc.length, p);
  p += 4;
  desc.copy(packet, p);
  p += desc.length;
  packet.writeUInt32BE(0, p); // language tag
  // Valid at any time, even during a key exchange, as ssh2's own disconnect().
  sendPacket(proto, writer.finalize(packet, true), true);
}

/** Sends a "break" request of `lengthMs` on channel `remoteId` (the peer's channel number), no reply wanted. */
export function sendBreak(connection: unknown, remoteId: number, lengthMs: number): void {
  const p0 = protocolOf(connection);
  if (!p0) return;
  const { proto, writer } = p0;
  const name = Buffer.from('break');
  let p = writer.allocStart;
  const packet = writer.alloc(1 + 4 + 4 + name.length + 1 + 4);
  packet[p++] = MSG_CHANNEL_REQUEST;
  packet.writeUInt32BE(remoteId, p);
  p += 4;
  packet.writeUInt32BE(name.length, p);
  p += 4;
  name.copy(packet, p);
  p += name.length;
  packet[p++] = 0; // want reply: false
  packet.writeUInt32BE(lengthMs, p);
  sendPacket(proto, writer.finalize(packet));
}
