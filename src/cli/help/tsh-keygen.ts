/** tsh-keygen(1) and `tsh-keygen --help`. The usage lists ssh-keygen 9.2's forms that tsh-keygen has. */
import { KEY_CIPHER_NAMES } from '../../keys/key-ciphers.js';
import { synopsisFromUsage, type ToolHelp } from './types.js';

export const KEYGEN_USAGE = `usage: tsh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]
                  [-m format] [-N new_passphrase] [-t ecdsa | ed25519 | rsa] [-Z cipher]
       tsh-keygen -p [-a rounds] [-f keyfile] [-m format] [-N new_passphrase]
                   [-P old_passphrase] [-Z cipher]
       tsh-keygen -i [-f input_keyfile] [-m key_format]
       tsh-keygen -e [-f input_keyfile] [-m key_format]
       tsh-keygen -y [-f input_keyfile] [-P passphrase]
       tsh-keygen -c [-a rounds] [-C comment] [-f keyfile] [-P passphrase]
       tsh-keygen -l [-v] [-E fingerprint_hash] [-f input_keyfile] [--json]
       tsh-keygen -B [-f input_keyfile]
       tsh-keygen -F hostname [-lv] [-f known_hosts_file]
       tsh-keygen -H [-f known_hosts_file]
       tsh-keygen -R hostname [-f known_hosts_file]
       tsh-keygen -A [-a rounds] [-f prefix_path]
       tsh-keygen -V | --version
       tsh-keygen -h | --help`;

export const KEYGEN_HELP: ToolHelp = {
  name: 'tsh-keygen',
  section: 1,
  summary: 'OpenSSH-compatible key generation and management',
  usage: KEYGEN_USAGE,
  synopsis: synopsisFromUsage('tsh-keygen', KEYGEN_USAGE),
  description: [
    'tsh-keygen creates, reads and changes the key files and known_hosts files of OpenSSH, as ssh-keygen(1) of OpenSSH 9.2 does: the same files, prompts, messages, output and exit codes.',
    'Without an operation flag it generates a key pair (ed25519 unless `-t` says otherwise), asking for the file and a passphrase. Private keys are written in the OpenSSH format, encrypted with aes256-ctr and bcrypt when there is a passphrase (or in PEM/PKCS8 with `-m`), with mode 0600; `~/.ssh` is created 0700 when needed. Every key and known_hosts update is atomic (a temporary file, then a rename).',
    'Every format OpenSSH writes can be read: the OpenSSH format (plain, or encrypted with any cipher), PEM RSA/EC and PKCS#8, encrypted or not, for ed25519, ecdsa 256/384/521 and rsa keys. A private key that group or others can read is refused with OpenSSH\'s "UNPROTECTED PRIVATE KEY FILE!" warning.',
  ],
  options: [
    { flag: '-A', text: 'Generate every missing host key type (rsa, ecdsa, ed25519) for tshd: `ssh_host_*_key` in `/etc/tsh` as root, else in `~/.tsh`; with `-f prefix_path`, under prefix_path/etc/tsh.' },
    { flag: '-a', arg: 'rounds', text: 'bcrypt rounds for an encrypted private key (16 by default).' },
    { flag: '-B', text: 'Print the key\'s Bubble Babble digest.' },
    { flag: '-b', arg: 'bits', text: 'Key size: 1024 to 16384 for rsa (3072 by default), 256, 384 or 521 for ecdsa; ignored for ed25519.' },
    { flag: '-C', arg: 'comment', text: 'The comment of a new key, or the new comment with `-c` (default user@host).' },
    { flag: '-c', text: 'Change the comment of a private key (OpenSSH format) and its .pub file.' },
    { flag: '-E', arg: 'fingerprint_hash', text: 'The fingerprint hash: sha256 (default) or md5.', complete: ['sha256', 'md5'] },
    { flag: '-e', text: 'Print the public key in another format (`-m`: RFC4716 by default, PKCS8 or PEM).' },
    { flag: '-F', arg: 'hostname', text: 'Print the known_hosts lines for hostname (`[host]:port` for another port); with `-l`, their fingerprints.', complete: 'host' },
    { flag: '-f', arg: 'filename', text: 'The key file, the known_hosts file (`-F`, `-H`, `-R`) or the prefix (`-A`). `-` reads standard input for `-l`.', complete: 'file' },
    { flag: '-H', text: 'Hash every host name in known_hosts; the old file is kept as known_hosts.old.' },
    { flag: '-i', text: 'Read a public key in RFC4716, PKCS8 or PEM format (`-m`) and print it in OpenSSH format.' },
    { flag: '-l', text: 'Print the fingerprint of a public key, a private key, or every key in an authorized_keys or known_hosts file: bits, fingerprint, comment (or host names) and type.' },
    { flag: '--json', text: 'With `-l`: print the keys as a JSON array (see JSON OUTPUT).' },
    { flag: '-m', arg: 'key_format', text: 'RFC4716, PKCS8 or PEM: the format for `-e`/`-i`, and of the private key written by generation or `-p`.', complete: ['RFC4716', 'PKCS8', 'PEM'] },
    { flag: '-N', arg: 'new_passphrase', text: 'The new passphrase (empty for none).' },
    { flag: '-P', arg: 'passphrase', text: 'The old passphrase.' },
    { flag: '-p', text: 'Change the passphrase of a private key.' },
    { flag: '-q', text: 'Quiet.' },
    { flag: '-R', arg: 'hostname', text: 'Remove hostname\'s keys from known_hosts; the old file is kept as known_hosts.old.', complete: 'host' },
    { flag: '-t', arg: 'type', text: 'The key type: ed25519 (default), ecdsa or rsa.', complete: ['ed25519', 'ecdsa', 'rsa'] },
    { flag: '-V', text: 'Print the version on standard error and exit.' },
    { flag: '-v', text: 'Verbose; with `-l` or `-F`, also the random art of each key.' },
    { flag: '-y', text: 'Print the public key of a private key file (asking for its passphrase if needed).' },
    { flag: '-Z', arg: 'cipher', text: 'The cipher that encrypts a new private key (aes256-ctr by default).', complete: KEY_CIPHER_NAMES },
    { flag: '-h', text: 'Print this help and exit; `--help` is the same.' },
  ],
  sections: [
    {
      title: 'JSON OUTPUT',
      body: [
        '`tsh-keygen -l --json -f file` prints a JSON array with one object per key, in file order: `bits` (a number), `fingerprint` (with `-E`\'s hash), `type` (the name -l shows in parentheses: ED25519, RSA, ECDSA, ...), `algorithm` (the key\'s wire name, e.g. ssh-ed25519) and `comment` (null when there is none). A known_hosts line adds `host` (the host names, or the hashed name, before the key); an authorized_keys line with options adds `options`. `-v` adds `randomart`. A file without any key is an error, as with `-l`.',
        { example: 'tsh-keygen -l --json -f ~/.ssh/known_hosts | jq -r \'.[].host\'' },
      ],
    },
    {
      title: 'EXIT STATUS',
      body: ['0 on success; 1 for a usage error, a host not found (`-F`, `-R`) or a refused overwrite; 255 for a fatal error (a missing or corrupt file, a wrong passphrase, a bad `-t` or `-b`).'],
    },
    {
      title: 'FILES',
      body: [
        {
          list: [
            ['`~/.ssh/id_ed25519`, `~/.ssh/id_ecdsa`, `~/.ssh/id_rsa`', 'The default private key of each type (mode 0600), and the public key beside it with `.pub` added.'],
            ['`~/.ssh/known_hosts`', 'The file `-F`, `-H` and `-R` work on by default.'],
            ['`/etc/tsh/ssh_host_*_key`, `~/.tsh/ssh_host_*_key`', 'tshd\'s host keys, written by `-A`.'],
          ],
        },
      ],
    },
    {
      title: 'DIFFERENCES FROM OPENSSH',
      body: [
        {
          bullets: [
            'The default key type is ed25519 (OpenSSH\'s default since 9.5; 9.2 made RSA keys).',
            '`~/.ssh` is taken from `$HOME` (ssh-keygen uses the passwd entry).',
            '`-A` writes host keys for tshd: in `/etc/tsh` as root, else in `~/.tsh`.',
            'DSA and FIDO (`sk-`) private keys cannot be read (their public keys can, for `-l`, `-e` and known_hosts), and SSH.COM private keys cannot be imported.',
            'Not available: certificates (`-s`, `-L`), FIDO keys, DSA key generation, KRLs, moduli, signatures (`-Y`), PKCS#11.',
            '`--json` is tsh-keygen\'s own.',
          ],
        },
      ],
    },
    { title: 'SEE ALSO', body: ['tsh(1), tshd(8), ssh-keygen(1)'] },
  ],
  helpSections: ['EXIT STATUS'],
};
