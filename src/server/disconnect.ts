/**
 * SSH_MSG_DISCONNECT with a description, which ssh2's Protocol.disconnect() cannot send (it always
 * sends an empty one). OpenSSH's ssh prints the description ("Received disconnect from ...: 2:
 * Too many authentication failures"), and users and scripts rely on it. Built with ssh2's own
 * packet writer, as disconnect() does, so it is valid at any time, even during a key exchange.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as { sendPacket: (proto: unknown, packet: Buffer, bypass: boolean) => void };

const MSG_DISCONNECT = 1;
export const DISCONNECT_PROTOCOL_ERROR = 2;
export const DISCONNECT_BY_APPLICATION = 11;

interface PacketWriter {
  allocStartKEX: number;
  alloc(len: number, force: boolean): Buffer;
  finalize(packet: Buffer, force: boolean): Buffer;
}

/** Sends DISCONNECT(reason, description) on an ssh2 connection (client or server side). */
export function disconnectWith(connection: unknown, reason: number, description: string): void {
  const proto = (connection as { _protocol?: { _packetRW?: { write: PacketWriter } } })._protocol;
  const writer = proto?._packetRW?.write;
  if (!proto || !writer) return;
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
  sendPacket(proto, writer.finalize(packet, true), true);
}
