import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dsaBlobFromSpki, dsaSpkiFromBlob } from './dsa-spki.js';
import { parsePublicKeyLine } from './public-key.js';

// A DSA key made by OpenSSH 9.2 ssh-keygen -t dsa.
const DSA =
  'ssh-dss AAAAB3NzaC1kc3MAAACBAM4AjP0ZEfRXqnbvDCe52SAUu9Gq3EshZD2Fuy0g2XNmZpCKy8Yy+23WaCP8UJa3zQ8XBPJq5wOIGCBvTsP3utVI2seLQi+Dihz5kgCN7as/X/jDEy+TfYqlFPs8tyQ0apAZPDetxTfifoY+YXOsa/7Tcy6gmrRm3ulsbVJ9tnELAAAAFQD6twUBczygT30XtKU2LmQ+F92erQAAAIEAvfanezB8jownjOT2oK+08+h0A76kWJ4OHcffsCZigdlAOpW8oFpY6JXnq967r9DM0eViGfzVFhdfyPciEX1OfHqXoHL545/oCocUq2qXf0JLgMrjxQi54Usg/47yc8WBQcvypPYJh9GSFW2Iw3CTXZHcZ7LnvPOnBcf7h38UW7IAAACBAIp9oybENTAEu4PJ83/ONkUX2Gh25FdWcE/sv4gUEfusSDksqJfxGvRBHIthob4byTVoFSh8jJbTq08IX+rSyhaaOBX305YbF6i4exp9Fdib1JDVl38toSi8HkmwhlUpWaIXEFkQcXgronpwvNo2MeyqqsqemGl36W1xKSSAsApd';
// Its `ssh-keygen -e -m PKCS8` export, first line of the base64 body.
const SPKI_START = 'MIIBuDCCASwGByqGSM44BAEwggEfAoGBAM4AjP0ZEfRXqnbvDCe52SAUu9Gq3Esh';

describe('DSA SubjectPublicKeyInfo', () => {
  const key = parsePublicKeyLine(DSA)!.key;
  it('encodes what OpenSSL writes, and node:crypto reads it', () => {
    const der = dsaSpkiFromBlob(key.blob);
    expect(der.toString('base64').startsWith(SPKI_START)).toBe(true);
    const ko = createPublicKey({ key: der, format: 'der', type: 'spki' });
    expect(ko.asymmetricKeyType).toBe('dsa');
    expect(ko.export({ format: 'der', type: 'spki' }).equals(der)).toBe(true);
  });
  it('decodes back to the SSH blob', () => {
    expect(dsaBlobFromSpki(dsaSpkiFromBlob(key.blob)).equals(key.blob)).toBe(true);
  });
});
