/**
 * DSA public keys as X.509 SubjectPublicKeyInfo DER, for ssh-keygen -e/-i -m PKCS8|PEM: node:crypto
 * reads and writes DSA SPKI but has no JWK form to build one from the SSH fields, so the few DER
 * structures are written and read here. SSH mpints and DER INTEGERs share one encoding.
 */
import { SshFormatError, SshReader, SshWriter } from './ssh-buffer.js';

const DSA_OID = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]); // 1.2.840.10040.4.1

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** The SPKI DER of an "ssh-dss" public key blob. */
export function dsaSpkiFromBlob(blob: Buffer): Buffer {
  const r = new SshReader(blob);
  if (r.text() !== 'ssh-dss') throw new SshFormatError('not a DSA key');
  const [p, q, g, y] = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
  const int = (v: Buffer): Buffer => tlv(0x02, v.length ? v : Buffer.from([0]));
  const alg = tlv(0x30, Buffer.concat([DSA_OID, tlv(0x30, Buffer.concat([int(p), int(q), int(g)]))]));
  const key = tlv(0x03, Buffer.concat([Buffer.from([0]), int(y)]));
  return tlv(0x30, Buffer.concat([alg, key]));
}

class Der {
  constructor(
    private readonly buf: Buffer,
    private pos = 0,
  ) {}

  read(tag: number): Buffer {
    if (this.buf[this.pos] !== tag) throw new SshFormatError('unexpected DER tag');
    let len = this.buf[this.pos + 1] ?? 0;
    let at = this.pos + 2;
    if (len & 0x80) {
      const nb = len & 0x7f;
      len = 0;
      for (let i = 0; i < nb; i++) len = len * 256 + (this.buf[at + i] ?? 0);
      at += nb;
    }
    if (at + len > this.buf.length) throw new SshFormatError('truncated DER');
    this.pos = at + len;
    return this.buf.subarray(at, at + len);
  }
}

/** The "ssh-dss" blob of a DSA SPKI DER (as node:crypto exports it). */
export function dsaBlobFromSpki(der: Buffer): Buffer {
  const spki = new Der(new Der(der).read(0x30));
  const alg = new Der(spki.read(0x30));
  alg.read(0x06);
  const params = new Der(alg.read(0x30));
  const [p, q, g] = [params.read(0x02), params.read(0x02), params.read(0x02)];
  const bits = spki.read(0x03);
  const y = new Der(bits.subarray(1)).read(0x02);
  return new SshWriter().string('ssh-dss').string(p).string(q).string(g).string(y).toBuffer();
}
