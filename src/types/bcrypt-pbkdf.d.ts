declare module 'bcrypt-pbkdf' {
  /** OpenBSD bcrypt_pbkdf: fills `key` (keylen bytes); returns 0, or -1 for bad arguments. */
  export function pbkdf(
    pass: Uint8Array,
    passlen: number,
    salt: Uint8Array,
    saltlen: number,
    key: Uint8Array,
    keylen: number,
    rounds: number,
  ): number;
  const bcryptPbkdf: { pbkdf: typeof pbkdf; BLOCKS: number; HASHSIZE: number };
  export default bcryptPbkdf;
}
