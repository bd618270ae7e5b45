/**
 * A minimal SFTP v3 client that sends raw requests and decodes raw replies: for tests that hold
 * this server and OpenSSH's sftp-server to the same bytes, and for debugging. Not a user client.
 */
import type { Readable, Writable } from 'node:stream';
import { FXP, PacketReader, PacketSplitter, PacketWriter, type Attrs } from './protocol.js';

export type RawReply =
  | { type: 'status'; id: number; code: number; message: string }
  | { type: 'handle'; id: number; handle: Buffer }
  | { type: 'data'; id: number; data: Buffer }
  | { type: 'name'; id: number; names: { name: string; longname: string; attrs: Attrs }[] }
  | { type: 'attrs'; id: number; attrs: Attrs }
  | { type: 'extended'; id: number; body: Buffer }
  | { type: 'version'; version: number; extensions: [string, string][] };

export function decodeReply(body: Buffer): RawReply {
  const r = new PacketReader(body);
  const type = r.u8();
  if (type === FXP.VERSION) {
    const version = r.u32();
    const extensions: [string, string][] = [];
    while (r.remaining > 0) extensions.push([r.string(), r.string()]);
    return { type: 'version', version, extensions };
  }
  const id = r.u32();
  switch (type) {
    case FXP.STATUS:
      return { type: 'status', id, code: r.u32(), message: r.remaining > 0 ? r.string() : '' };
    case FXP.HANDLE:
      return { type: 'handle', id, handle: Buffer.from(r.bytes()) };
    case FXP.DATA:
      return { type: 'data', id, data: Buffer.from(r.bytes()) };
    case FXP.NAME: {
      const n = r.u32();
      const names = [];
      for (let i = 0; i < n; i++) names.push({ name: r.string(), longname: r.string(), attrs: r.attrs() });
      return { type: 'name', id, names };
    }
    case FXP.ATTRS:
      return { type: 'attrs', id, attrs: r.attrs() };
    case FXP.EXTENDED_REPLY:
      return { type: 'extended', id, body: Buffer.from(body.subarray(5)) };
    default:
      throw new Error(`unexpected reply type ${type}`);
  }
}

export class RawSftpClient {
  private readonly splitter = new PacketSplitter();
  private readonly waiting: ((r: RawReply) => void)[] = [];
  private readonly queued: RawReply[] = [];
  private nextId = 1;
  /** Every reply, in arrival order. */
  readonly log: RawReply[] = [];

  constructor(
    private readonly out: Writable,
    input: Readable,
  ) {
    input.on('data', (d: Buffer) => {
      this.splitter.push(d);
      for (let b = this.splitter.next(16 * 1024 * 1024); b; b = this.splitter.next(16 * 1024 * 1024)) {
        const reply = decodeReply(b);
        this.log.push(reply);
        const w = this.waiting.shift();
        if (w) w(reply);
        else this.queued.push(reply);
      }
    });
  }

  /** The next reply (replies are matched by order, which is what this client tests). */
  reply(): Promise<RawReply> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(q);
    return new Promise((res) => this.waiting.push(res));
  }

  /** Sends a request: `build` adds the fields after the id. Returns the id. */
  send(type: number, build: (w: PacketWriter) => void = () => undefined): number {
    const id = this.nextId++;
    const w = new PacketWriter(type).u32(id);
    build(w);
    this.out.write(w.finish());
    return id;
  }

  async init(): Promise<RawReply> {
    this.out.write(new PacketWriter(FXP.INIT).u32(3).finish());
    return this.reply();
  }

  /** Sends one request and waits for its reply. */
  async call(type: number, build: (w: PacketWriter) => void = () => undefined): Promise<RawReply> {
    this.send(type, build);
    return this.reply();
  }

  extended(name: string, build: (w: PacketWriter) => void = () => undefined): Promise<RawReply> {
    return this.call(FXP.EXTENDED, (w) => {
      w.string(name);
      build(w);
    });
  }
}
