/**
 * What tsh-keygen was asked to do, as cli/tsh-keygen.ts parsed it from argv. Values are raw where
 * ssh-keygen validates them later (type, bits), so the commands can print ssh-keygen's messages.
 */
export type FingerprintHash = 'sha256' | 'md5';

/** -m: the key format for -e/-i, and for private keys written by generation and -p. */
export type ConvertFormat = 'RFC4716' | 'PKCS8' | 'PEM';

export interface KeygenEnv {
  /** The user's home directory (for ~/.ssh defaults). */
  readonly home: string;
  /** Login name and host name, for the default comment user@hostname. */
  readonly user: string;
  readonly hostname: string;
  /** True when running as root (tshd's host key directory is /etc/tsh then, else ~/.tsh). */
  readonly isRoot: boolean;
}

export interface KeygenOptions {
  readonly env: KeygenEnv;
  /** -q */
  readonly quiet: boolean;
  /** -v, counted */
  readonly verbose: number;
  /** -t, as given */
  readonly type?: string;
  /** -b, as given (validated by the generator, with ssh-keygen's messages) */
  readonly bits?: string;
  /** -f */
  readonly file?: string;
  /** -N */
  readonly newPassphrase?: string;
  /** -P */
  readonly oldPassphrase?: string;
  /** -C */
  readonly comment?: string;
  /** -a, as given */
  readonly rounds?: string;
  /** -E (default sha256) */
  readonly fingerprintHash: FingerprintHash;
  /** -m, checked and normalised by cli/ (ssh2 → RFC4716, any case) */
  readonly keyFormat?: ConvertFormat;
  /** -Z: cipher for the private key file */
  readonly cipher?: string;
  /** -F hostname */
  readonly findHost?: string;
  /** -R hostname */
  readonly removeHost?: string;
  /** -H */
  readonly hashHosts: boolean;
  /** -l */
  readonly printFingerprint: boolean;
  /** -B */
  readonly bubbleBabble: boolean;
  /** -p */
  readonly changePassphrase: boolean;
  /** -c */
  readonly changeComment: boolean;
  /** -e */
  readonly exportKey: boolean;
  /** -i */
  readonly importKey: boolean;
  /** -y */
  readonly printPublic: boolean;
  /** -A */
  readonly generateHostKeys: boolean;
  /** --json (tsh's own): -l prints a JSON array instead of ssh-keygen's lines */
  readonly json: boolean;
}
