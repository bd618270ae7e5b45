/** tshd(8) and `tshd --help`. The usage text is sshd 9.2's with the program's name. */
import { synopsisFromUsage, type ToolHelp } from './types.js';

export const TSHD_USAGE = `usage: tshd [-46DdeiqTtV] [-C connection_spec] [-E log_file]
            [-f config_file] [-g login_grace_time] [-h host_key_file]
            [-o option] [-p port]`;

export const TSHD_HELP: ToolHelp = {
  name: 'tshd',
  section: 8,
  summary: 'OpenSSH-compatible SSH daemon',
  usage: TSHD_USAGE,
  synopsis: [...synopsisFromUsage('tshd', TSHD_USAGE), 'tshd passwd [-f password_file] user'],
  description: [
    'tshd accepts SSH connections as sshd(8) of OpenSSH 9.2 does, configured with sshd_config syntax and semantics (see tshd_config(5)). It serves login shells with a pseudo-terminal, commands, subsystems (its own SFTP server for `internal-sftp`), port, socket and agent forwarding.',
    'Run as root, tshd serves the system\'s accounts: everything a session runs is started through setpriv(1) with the user\'s uid, gid and supplementary groups, in the user\'s home directory, with a login environment built from scratch; the connects and binds of forwarding run in a worker process of that user. Run as another user, tshd serves only its own account, on port 2222 by default.',
    'Without `-D` or `-d`, tshd detaches: the command returns once the daemon listens, and the log goes to syslog through logger(1) unless `-e` or `-E` says otherwise. SIGHUP re-reads the configuration for new connections; a file that fails the check is refused and the running configuration kept (ListenAddress, host keys, algorithms and Banner need a restart).',
    '`tshd passwd [-f password_file] user` sets a password in a PasswordFile (tshd\'s own keyword: scrypt hashes, for password login without PAM).',
  ],
  options: [
    { flag: '-4', text: 'Listen on IPv4 addresses only.' },
    { flag: '-6', text: 'Listen on IPv6 addresses only.' },
    { flag: '-C', arg: 'connection_spec', text: 'With `-T`: the connection to evaluate Match blocks for, as `user=U,host=H,addr=A,laddr=L,lport=P`; may be given several times.' },
    { flag: '-D', text: 'Do not detach.' },
    { flag: '-d', text: 'Debug mode, as sshd\'s: stay in the foreground, serve one connection and exit, logging debug messages to standard error; up to three times for more.' },
    { flag: '-E', arg: 'log_file', text: 'Append the log to log_file.', complete: 'file' },
    { flag: '-e', text: 'Log to standard error.' },
    { flag: '-f', arg: 'config_file', text: 'The configuration file (`/etc/tsh/tshd_config` as root, else `~/.tsh/tshd_config`; built-in defaults when that file does not exist).', complete: 'file' },
    { flag: '-g', arg: 'login_grace_time', text: 'Seconds (or a time like 2m) a client has to log in (LoginGraceTime).' },
    { flag: '-h', arg: 'host_key_file', text: 'A host key file (HostKey); may be given several times.', complete: 'file' },
    { flag: '-i', text: 'Accepted as sshd does; tshd has no inetd mode and runs as a daemon.' },
    { flag: '-o', arg: 'option', text: 'Any tshd_config line; it is applied before the file.', complete: 'server-option' },
    { flag: '-p', arg: 'port', text: 'The port to listen on (Port); may be given several times.' },
    { flag: '-q', text: 'Quiet: no log.' },
    { flag: '-T', text: 'Check the configuration and print the effective settings, exactly as `sshd -T` prints them (with `-C`, for that connection).' },
    { flag: '-t', text: 'Check the configuration: silent when it is valid, sshd\'s "FILE line N: ..." message and exit 255 when not.' },
    { flag: '-V', text: 'Print the version on standard error and exit.' },
    { flag: '--help', text: 'Print this help on standard output and exit.' },
    { flag: '--version', text: 'The same as `-V`.' },
  ],
  sections: [
    {
      title: 'EXIT STATUS',
      body: ['0 when the daemon started (it then runs until a signal stops it), or when `-t`/`-T` found the configuration valid; 255 for an invalid configuration or a failure to start; 1 for a usage error.'],
    },
    {
      title: 'FILES',
      body: [
        {
          list: [
            ['`/etc/tsh/tshd_config`', 'The configuration as root (tshd_config(5)).'],
            ['`~/.tsh/tshd_config`', 'The configuration when not root.'],
            ['`/etc/tsh/ssh_host_*_key`, `~/.tsh/ssh_host_*_key`', 'The default host keys (ed25519, ecdsa, rsa), created at first start when missing; `tsh-keygen -A` writes them too.'],
            ['`/run/tshd.pid`, `~/.tsh/tshd.pid`', 'The PidFile, as root and otherwise.'],
            ['`~/.ssh/authorized_keys`', 'The keys that may log in as the user, with sshd\'s options (AuthorizedKeysFile).'],
            ['`/etc/pam.d/tshd`', 'The PAM service for `UsePAM yes` (copy `contrib/pam.d/tshd`).'],
          ],
        },
      ],
    },
    {
      title: 'DIFFERENCES FROM OPENSSH',
      body: [
        {
          bullets: [
            'The configuration file is `/etc/tsh/tshd_config` (root) or `~/.tsh/tshd_config`; without it the built-in defaults apply (sshd refuses to start). `-t` and `-T` do not load the host keys.',
            'One process holds every connection; what runs for a user runs as that user (setpriv and a per-user worker), but tshd keeps root while it speaks the protocol: there is no pre-authentication privilege separation.',
            'PerSourcePenalties (OpenSSH 9.8\'s throttling of failing sources) is on by default; PasswordFile is tshd\'s own.',
            'Not available: remote streamlocal forwarding, PAM sessions (pam_open_session) and password changes, X11 forwarding, tun forwarding, certificates, GSSAPI, Kerberos, host-based login, inetd mode (`-i`). tshd_config(5) lists what each keyword does.',
          ],
        },
      ],
    },
    { title: 'SEE ALSO', body: ['tshd_config(5), tsh(1), tsh-keygen(1), sshd(8), sshd_config(5)'] },
  ],
  helpSections: ['EXIT STATUS'],
};
