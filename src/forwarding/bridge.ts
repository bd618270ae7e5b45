/**
 * Joins a local stream (a TCP or Unix socket) and an SSH channel both ways, as channels.c does for
 * a forwarded connection: flow controlled (pipe() stops reading when the other side's buffer or
 * the channel window is full), EOF passed on in each direction separately (half-close), and the
 * channel closed once both directions are done or either side fails.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface BridgeOptions {
  /** Bytes already read from the socket that belong to the channel (after a SOCKS request). */
  readonly head?: Buffer;
  /** Called once, when both ends are closed. */
  readonly onClose?: () => void;
}

/** A channel as ssh2 gives it: a Duplex with close() (CHANNEL_CLOSE). */
export type ChannelLike = Duplex & { close?: () => void };

export function bridge(sock: Socket | Duplex, channel: ChannelLike, opts: BridgeOptions = {}): void {
  let sockClosed = false;
  let chanClosed = false;
  let finished = false;
  const done = (): void => {
    if (finished || !sockClosed || !chanClosed) return;
    finished = true;
    opts.onClose?.();
  };
  const closeChannel = (): void => {
    if (typeof channel.close === 'function') channel.close();
    else channel.destroy();
  };

  if (opts.head && opts.head.length > 0) channel.write(opts.head);
  sock.pipe(channel);
  channel.pipe(sock);
  sock.resume();

  // Local side gone: once everything it sent is in the channel (EOF sent), close the channel.
  sock.on('close', () => {
    sockClosed = true;
    if (channel.writableFinished || channel.destroyed) closeChannel();
    else channel.once('finish', closeChannel);
    done();
  });
  sock.on('error', () => {
    // ECONNRESET and friends: nothing more will come or go on this connection.
    sock.unpipe(channel);
    channel.unpipe(sock as Duplex);
    closeChannel();
    sock.destroy();
  });
  // Remote side closed the channel: flush what the socket still has to write, then close it.
  channel.on('close', () => {
    chanClosed = true;
    sock.unpipe(channel);
    channel.unpipe(sock as Duplex);
    if (!sock.destroyed) {
      if (sock.writableEnded) sock.destroy();
      else sock.end(() => sock.destroy());
    }
    done();
  });
  channel.on('error', () => {
    sock.destroy();
    closeChannel();
  });
}
