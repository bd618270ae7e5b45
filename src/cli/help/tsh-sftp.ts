/** tsh-sftp(1) and `tsh-sftp --help`. The usage text is sftp 9.2's, kept in src/sftp/client/args.ts. */
import { SFTP_USAGE } from '../../sftp/client/args.js';
import { CIPHERS } from './tsh.js';
import { synopsisFromUsage, type ToolHelp } from './types.js';

export const SFTP_HELP: ToolHelp = {
  name: 'tsh-sftp',
  section: 1,
  summary: 'OpenSSH-compatible file transfer program',
  usage: SFTP_USAGE,
  synopsis: [...synopsisFromUsage('tsh-sftp', SFTP_USAGE), 'tsh-sftp [options] [user@]host:file [localpath]'],
  description: [
    'tsh-sftp transfers files over SSH\'s SFTP protocol like sftp(1) of OpenSSH 9.2: the same flags, commands, output formats, messages and exit codes. The connection is tsh\'s (tsh_config(5), known_hosts, login, ProxyJump).',
    'The destination is `[user@]host[:path]` or `sftp://[user@]host[:port][/path]`. With a path that names a directory, the session starts there; with a path that names a file (and an optional local path after it), tsh-sftp fetches it and exits.',
    'Every sftp command is there (get, put, reget, reput, ls, cd, lcd, mkdir, rm, rename, ln, chmod, chown, chgrp, df, ...) with its flags, globs and quoting, interactive line editing with history and tab completion, and a progress meter when standard output is a terminal. Resumed transfers (`reget`, `reput`, `get -a`, `put -a`) continue where a broken one stopped.',
  ],
  options: [
    { flag: '-4', text: 'Use IPv4 addresses only.' },
    { flag: '-6', text: 'Use IPv6 addresses only.' },
    { flag: '-A', text: 'Forward the authentication agent.' },
    { flag: '-a', text: 'Resume transfers: get and put append to partial files.' },
    { flag: '-B', arg: 'buffer_size', text: 'The size of each read and write request.' },
    { flag: '-b', arg: 'batchfile', text: 'Run the commands in batchfile (`-` for standard input) instead of asking; a failing command ends the session with exit 1, unless it starts with `-`.', complete: 'file' },
    { flag: '-C', text: 'Compress the connection.' },
    { flag: '-c', arg: 'cipher', text: 'The ciphers to offer (as tsh `-c`).', complete: CIPHERS },
    { flag: '-D', arg: 'sftp_server_command', text: 'Not available: tsh-sftp refuses it.', complete: 'file' },
    { flag: '-F', arg: 'ssh_config', text: 'The client configuration file (as tsh `-F`).', complete: 'file' },
    { flag: '-f', text: 'Flush files to disk after a transfer (fsync@openssh.com).' },
    { flag: '-i', arg: 'identity_file', text: 'A private key to log in with.', complete: 'file' },
    { flag: '-J', arg: 'destination', text: 'Jump hosts (as tsh `-J`).', complete: 'host' },
    { flag: '-l', arg: 'limit', text: 'Limit the bandwidth, in Kbit/s.' },
    { flag: '-N', text: 'Not quiet: undoes the quiet mode `-b` implies.' },
    { flag: '-o', arg: 'ssh_option', text: 'An ssh_config line for the connection (as tsh `-o`).', complete: 'client-option' },
    { flag: '-P', arg: 'port', text: 'The port to connect to.' },
    { flag: '-p', text: 'Keep modification times, access times and modes of transferred files.' },
    { flag: '-q', text: 'Quiet: no progress meter, warnings or diagnostics.' },
    { flag: '-R', arg: 'num_requests', text: 'How many requests may be outstanding at once.' },
    { flag: '-r', text: 'Copy directories recursively.' },
    { flag: '-S', arg: 'program', text: 'Not available: tsh-sftp always connects with tsh\'s own code and refuses it.', complete: 'file' },
    { flag: '-s', arg: 'subsystem', text: 'The subsystem to start instead of sftp.' },
    { flag: '-v', text: 'Verbose (passed on to the connection); up to three times.' },
    { flag: '-X', arg: 'sftp_option', text: '`buffer=N` or `nrequests=N`, as `-B` and `-R`.', complete: ['buffer=', 'nrequests='] },
    { flag: '-V', text: 'Print the version on standard error and exit; `--version` is the same.' },
    { flag: '--help', text: 'Print this help on standard output and exit.' },
  ],
  sections: [
    {
      title: 'EXIT STATUS',
      body: ['0 on success; 1 when a command failed (batch mode, or a one-file fetch) or for a usage error; 255 when the connection failed.'],
    },
    {
      title: 'DIFFERENCES FROM OPENSSH',
      body: [
        {
          bullets: [
            'The connection is made in-process with tsh\'s code, so `-S` (another ssh program) and `-D` (a local sftp server) are not available.',
            '`--help` and `--version` are tsh-sftp\'s own.',
          ],
        },
      ],
    },
    { title: 'SEE ALSO', body: ['tsh(1), tsh_config(5), tshd(8), sftp(1)'] },
  ],
  helpSections: ['EXIT STATUS'],
};
