/** tsh(1) and `tsh --help`. The usage text is ssh 9.2's with the program's name. */
import { ALL_CIPHERS, ALL_MACS } from '../../config/algorithms.js';
import { synopsisFromUsage, type ToolHelp } from './types.js';

export const TSH_USAGE = `usage: tsh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]
           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]
           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]
           [-i identity_file] [-J [user@]host[:port]] [-L address]
           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]
           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]
           [-w local_tun[:remote_tun]] destination [command [argument ...]]`;

const CIPHERS: readonly string[] = ALL_CIPHERS.split(',');
const MACS: readonly string[] = ALL_MACS.split(',');

const NO_EFFECT = 'tsh checks it as ssh does and shows it in `tsh -G`, but has';

export { CIPHERS };

export const TSH_HELP: ToolHelp = {
  name: 'tsh',
  section: 1,
  summary: 'OpenSSH-compatible SSH client',
  usage: TSH_USAGE,
  synopsis: [...synopsisFromUsage('tsh', TSH_USAGE), 'tsh -G [--json] [options] destination', 'tsh -Q query_option', 'tsh -V | --version', 'tsh --help'],
  description: [
    'tsh logs into a remote machine and runs a command or an interactive shell there, like ssh(1) of OpenSSH 9.2: the same flags, the same configuration files (`~/.ssh/config`, `/etc/ssh/ssh_config`), the same known_hosts files, prompts, messages and exit codes.',
    'The destination is `[user@]host`, or a URI `ssh://[user@]host[:port]`. Options may also follow the destination; `--` ends them. The words after the destination are joined with spaces and run by the remote shell; without them, tsh asks for a pseudo-terminal and starts a login shell.',
    'Host keys are checked against known_hosts (hashed or plain names, `[host]:port`, HostKeyAlias, `@revoked`, `@cert-authority` lines) as StrictHostKeyChecking says; an unknown host is asked about on the terminal even when standard input is a pipe, and never in BatchMode. Login tries the methods of PreferredAuthentications in order: public keys (from `-i`, IdentityFile or the default files, and from the agent at SSH_AUTH_SOCK or IdentityAgent), keyboard-interactive and password.',
    'With a pseudo-terminal, the local terminal is put in raw mode, window size changes are passed on, and the escape character (default `~`, after a newline) is recognised: `~.` disconnect, `~^Z` suspend, `~&` background, `~#` list forwarded connections, `~C` command line (`-L`, `-R`, `-D`, `-KL`, `-KR`, `-KD`), `~B` send a break, `~R` rekey, `~V`/`~v` log level, `~?` help, `~~` a literal `~`.',
  ],
  options: [
    { flag: '-4', text: 'Use IPv4 addresses only.' },
    { flag: '-6', text: 'Use IPv6 addresses only.' },
    { flag: '-A', text: 'Forward the connection to the authentication agent (ForwardAgent yes).' },
    { flag: '-a', text: 'Do not forward the authentication agent.' },
    { flag: '-B', arg: 'bind_interface', text: `Sets BindInterface; ${NO_EFFECT} no use for it.` },
    { flag: '-b', arg: 'bind_address', text: 'Connect from this local address (BindAddress).' },
    { flag: '-C', text: 'Compress the connection (zlib@openssh.com or zlib).' },
    { flag: '-c', arg: 'cipher_spec', text: 'The ciphers to offer, in order of preference (Ciphers); `+`, `-` and `^` add, remove or put first as in ssh_config.', complete: CIPHERS },
    { flag: '-D', arg: '[bind_address:]port', text: 'Dynamic forwarding: a local SOCKS 4, 4a and 5 proxy whose connections are made from the remote host.' },
    { flag: '-E', arg: 'log_file', text: 'Append the log to log_file instead of standard error.', complete: 'file' },
    { flag: '-e', arg: 'escape_char', text: 'The escape character for pseudo-terminal sessions (`~` by default); `none` turns escapes off.' },
    { flag: '-F', arg: 'configfile', text: 'Read this configuration file instead of `~/.ssh/config` and `/etc/ssh/ssh_config`; `none` reads no file.', complete: 'file' },
    { flag: '-f', text: 'Go to the background once logged in and the forwardings are up. Node cannot fork: tsh starts itself again with the same arguments and the first tsh exits 0 when the copy is ready.' },
    { flag: '-G', text: 'Print the configuration that would be used for the destination, as `ssh -G` does, and exit without connecting.' },
    { flag: '--json', text: 'With `-G`: print the configuration as one JSON object (see JSON OUTPUT).' },
    { flag: '-g', text: 'Let other hosts connect to local forwarded ports (GatewayPorts yes).' },
    { flag: '-I', arg: 'pkcs11', text: `Sets PKCS11Provider; ${NO_EFFECT} no PKCS#11 support.`, complete: 'file' },
    { flag: '-i', arg: 'identity_file', text: 'A private key to log in with (IdentityFile); may be given several times. A missing file is a warning.', complete: 'file' },
    { flag: '-J', arg: '[user@]host[:port]', text: 'Connect through these jump hosts, separated by commas (ProxyJump); every hop\'s host key is checked.', complete: 'host' },
    { flag: '-K', text: `Sets GSSAPIAuthentication and GSSAPIDelegateCredentials; ${NO_EFFECT} no GSSAPI.` },
    { flag: '-k', text: 'Sets GSSAPIDelegateCredentials no (no effect: tsh has no GSSAPI).' },
    { flag: '-L', arg: 'address', text: 'Local forwarding: `[bind_address:]port:host:hostport`, `[bind_address:]port:remote_socket`, `local_socket:host:hostport` or `local_socket:remote_socket`.' },
    { flag: '-l', arg: 'login_name', text: 'The user to log in as on the remote machine.', complete: 'user' },
    { flag: '-M', text: `Sets ControlMaster; ${NO_EFFECT} no connection sharing.` },
    { flag: '-m', arg: 'mac_spec', text: 'The MACs to offer, in order of preference (MACs).', complete: MACS },
    { flag: '-N', text: 'Run no command (for forwarding only).' },
    { flag: '-n', text: 'Read standard input from /dev/null.' },
    { flag: '-O', arg: 'ctl_cmd', text: `A multiplexing command (check, forward, exit, stop, cancel, proxy), checked as ssh does. tsh has no connection sharing, so the command always fails (exit 255): as ssh does when there is no ControlPath or no socket, and with a refusal when the socket is an OpenSSH master's.`, complete: ['check', 'forward', 'exit', 'stop', 'cancel', 'proxy'] },
    { flag: '-o', arg: 'option', text: 'Any ssh_config line, e.g. `-o Port=2222` or `-o "ProxyCommand nc %h %p"`; it comes before the files, so the first value wins over them.', complete: 'client-option' },
    { flag: '-p', arg: 'port', text: 'The port to connect to on the remote host.' },
    { flag: '-Q', arg: 'query_option', text: 'List the algorithms of one kind, as `ssh -Q` does: cipher, cipher-auth, compression, kex, key, key-cert, key-plain, key-sig, mac, protocol-version, sig, help.', complete: ['cipher', 'cipher-auth', 'compression', 'kex', 'key', 'key-cert', 'key-plain', 'key-sig', 'mac', 'protocol-version', 'sig', 'help'] },
    { flag: '-q', text: 'Quiet: no warnings or diagnostics.' },
    { flag: '-R', arg: 'address', text: 'Remote forwarding: `[bind_address:]port:host:hostport`, `[bind_address:]port:local_socket`, or `[bind_address:]port` alone for a SOCKS proxy on the remote side. Port 0 lets the server pick one and prints it.' },
    { flag: '-S', arg: 'ctl_path', text: `Sets ControlPath; ${NO_EFFECT} no connection sharing.`, complete: 'file' },
    { flag: '-s', text: 'Run the command as a subsystem (such as sftp).' },
    { flag: '-T', text: 'Do not ask for a pseudo-terminal.' },
    { flag: '-t', text: 'Ask for a pseudo-terminal even when a command is given; twice (`-tt`) even when standard input is not a terminal.' },
    { flag: '-V', text: 'Print the version on standard error and exit.' },
    { flag: '-v', text: 'Verbose: debugging messages; up to three times for more.' },
    { flag: '-W', arg: 'host:port', text: 'Connect standard input and output to host:port through the remote machine (usable as a ProxyCommand).' },
    { flag: '-w', arg: 'local_tun[:remote_tun]', text: `Sets Tunnel and TunnelDevice; ${NO_EFFECT} no tun device forwarding.` },
    { flag: '-X', text: 'Sets ForwardX11 (no effect: tsh has no X11 forwarding).' },
    { flag: '-x', text: 'Sets ForwardX11 no.' },
    { flag: '-Y', text: 'Sets ForwardX11 and ForwardX11Trusted (no effect: tsh has no X11 forwarding).' },
    { flag: '-y', text: 'Accepted as ssh does; tsh logs to standard error or the `-E` file, not to syslog.' },
    { flag: '--help', text: 'Print this help on standard output and exit.' },
    { flag: '--version', text: 'The same as `-V`.' },
  ],
  sections: [
    {
      title: 'JSON OUTPUT',
      body: [
        '`tsh -G --json destination` prints one JSON object: each keyword as `ssh -G` prints it (lower case) with its value as `-G` prints it (`yes`/`no` stay strings). Integer keywords (port, connecttimeout, serveraliveinterval, ...) are numbers, `none` is null. Keywords that may appear several times (identityfile, certificatefile, localforward, remoteforward, dynamicforward, sendenv, setenv) are arrays, possibly empty; keywords `-G` prints as a space-separated list (userknownhostsfile, globalknownhostsfile, canonicaldomains, logverbose, permitremoteopen, canonicalizepermittedcnames) are arrays of words.',
        { example: 'tsh -G --json db.internal | jq -r .hostname' },
      ],
    },
    {
      title: 'EXIT STATUS',
      body: ['The exit status of the remote command, or 255 if tsh failed (connection, host key, login, bad arguments). `-G`, `-Q`, `-V` and `--help` exit 0.'],
    },
    {
      title: 'ENVIRONMENT',
      body: [
        {
          list: [
            ['HOME', 'Where `~/.ssh` is (also for `~` in configuration values).'],
            ['SSH_AUTH_SOCK', 'The agent to take keys from and to forward (unless IdentityAgent says otherwise).'],
            ['NO_COLOR', 'tsh never colours its output, whatever this says.'],
          ],
        },
      ],
    },
    {
      title: 'FILES',
      body: [
        {
          list: [
            ['`~/.ssh/config`', 'The user\'s configuration, see tsh_config(5). Refused if others can write it.'],
            ['`/etc/ssh/ssh_config`', 'The system configuration, read after the user\'s.'],
            ['`~/.ssh/known_hosts`, `~/.ssh/known_hosts2`', 'Known host keys (UserKnownHostsFile); new keys are added to the first.'],
            ['`/etc/ssh/ssh_known_hosts`, `/etc/ssh/ssh_known_hosts2`', 'System-wide known host keys (GlobalKnownHostsFile).'],
            ['`~/.ssh/id_ecdsa`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`', 'The default identities, tried in ssh\'s order when no IdentityFile is given.'],
          ],
        },
      ],
    },
    {
      title: 'DIFFERENCES FROM OPENSSH',
      body: [
        {
          bullets: [
            '`~` in configuration values means `$HOME` (ssh uses the passwd entry), so a temporary HOME is a separate client.',
            'With the default Ciphers, aes128-gcm@openssh.com is offered first (ssh offers chacha20-poly1305 first); an explicit Ciphers list is offered as written.',
            'A remote command killed by a signal prints "Remote command killed by signal NAME." and exits 255 (ssh prints nothing and exits 255).',
            '`-f` starts tsh again instead of forking (see `-f`).',
            '`~&` ends open forwarded connections with the session (ssh keeps serving them from a forked child).',
            '`-D` answers a SOCKS request only once the channel is open, with its real outcome; ssh answers first and drops the connection later.',
            'Not available: connection sharing (ControlMaster, `-M`, `-O`, `-S`), X11 forwarding, tun forwarding (`-w`), certificates, FIDO keys, PKCS#11, GSSAPI, host-based login, CheckHostIP\'s address checks, VerifyHostKeyDNS, KnownHostsCommand, UpdateHostKeys and the post-quantum key exchanges. tsh_config(5) lists what each keyword does.',
            '`--json`, `--help` and `--version` are tsh\'s own.',
          ],
        },
      ],
    },
    { title: 'SEE ALSO', body: ['tsh_config(5), tsh-keygen(1), tsh-sftp(1), tshd(8), ssh(1), ssh_config(5)'] },
  ],
  helpSections: ['EXIT STATUS'],
};
