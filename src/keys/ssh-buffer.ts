/** SSH wire encoding (RFC 4251 §5): a bounds-checked reader and a writer. */

export class SshFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshFormatError';
  }
}

export class SshReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  uint32(): number {
    if (this.remaining < 4) throw new SshFormatError('truncated uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  byte(): number {
    if (this.remaining < 1) throw new SshFormatError('truncated byte');
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Buffer {
    if (this.remaining < n) throw new SshFormatError('truncated data');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A length-prefixed string, as bytes. */
  string(): Buffer {
    return this.bytes(this.uint32());
  }

  /** A length-prefixed string, as text. */
  text(): string {
    return this.string().toString('utf8');
  }

  /** An mpint as its raw two's-complement bytes (may carry a leading zero). */
  mpint(): Buffer {
    return this.string();
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

export class SshWriter {
  private parts: Buffer[] = [];

  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }

  byte(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  string(v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.uint32(b.length);
    this.parts.push(b);
    return this;
  }

  /** An mpint from unsigned big-endian magnitude bytes (adds/strips leading zeros as needed). */
  mpint(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    let b = Buffer.from(magnitude.subarray(i));
    if (b.length > 0 && (b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
    return this.string(b);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Unsigned magnitude of an mpint (strips the sign byte). */
export function mpintMagnitude(mp: Buffer): Buffer {
  let i = 0;
  while (i < mp.length - 1 && mp[i] === 0) i++;
  return mp.subarray(i);
}

/** Number of significant bits in an unsigned big-endian integer. */
export function bitLength(magnitude: Buffer): number {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  if (i === magnitude.length) return 0;
  return (magnitude.length - i - 1) * 8 + (32 - Math.clz32(magnitude[i]!));
}
