/**
 * tshd's password checks: PAM for system accounts (pam.ts) and the PasswordFile of scrypt hashes
 * for the non-root embedded mode (password-file.ts, managed by `tshd passwd`, passwd-command.ts).
 */
export {
  createPam,
  pamAccount,
  pamAccountKeep,
  pamAuthenticate,
  pamAuthenticateKeep,
  pamAvailable,
  pamPassword,
  pamPasswordKeep,
  pamUnavailableReason,
  type Pam,
  type PamBinding,
  type PamCommand,
  type PamLogin,
  type PamStepResult,
  type PamTransaction,
  type PamConversation,
  type PamFailure,
  type PamKbdintRequest,
  type PamPasswordRequest,
  type PamPrompt,
  type PamRequest,
  type PamResult,
} from './pam.js';
export {
  DEFAULT_SCRYPT,
  PasswordFileError,
  checkPasswordFileMode,
  hashPassword,
  parsePasswordFile,
  removePassword,
  setPassword,
  verifyHash,
  verifyPasswordFile,
  type ParsedPasswordFile,
  type PasswordEntry,
  type ScryptParams,
  type VerifyOptions,
} from './password-file.js';
export { PASSWD_USAGE, runPasswd, type PasswdOptions } from './passwd-command.js';
