/**
 * tsh_config(5) and tshd_config(5): tsh reads ssh_config(5) and tshd reads sshd_config(5); these
 * pages say so and list every keyword with what the program does with it. The lists are built
 * from the code's keyword tables (src/config/keywords.ts, src/server/config/keywords.ts), so a
 * keyword added there shows up here at the next `node scripts/gen-man.mjs`.
 */
import { SERVER_KEYWORDS, TSHD_ONLY_KEYWORDS, type KeywordStatus } from '../../server/config/keywords.js';
import { clientKeywords, type ClientKeywordStatus } from './client-keywords.js';
import { spellKeyword } from './keyword-names.js';
import type { Block, PageHelp } from './types.js';

/** "A, B and C" */
function names(list: readonly string[]): string {
  const spelled = list.map((n) => `\`${spellKeyword(n)}\``);
  return spelled.length <= 1 ? spelled.join('') : `${spelled.slice(0, -1).join(', ')} and ${spelled[spelled.length - 1]}`;
}

const CLASSES = new Set(['deprecated', 'unsupported', 'ignore']);

/** The keywords of one status, alphabetically; aliases (names standing for another keyword) after them. */
function group<S>(entries: readonly { name: string; op: string; status: S | undefined }[], status: S): string {
  const mine = entries.filter((e) => e.status === status);
  const isAlias = (e: { name: string; op: string }): boolean => e.op !== e.name && !CLASSES.has(e.op);
  let text = names(mine.filter((e) => !isAlias(e)).map((e) => e.name).sort());
  const aliases = mine.filter(isAlias).sort((a, b) => a.name.localeCompare(b.name));
  if (aliases.length > 0) {
    text += `; also under other names: ${aliases.map((a) => `\`${spellKeyword(a.name)}\` (\`${spellKeyword(a.op)}\`)`).join(', ')}`;
  }
  return `${text}.`;
}

function clientKeywordBlocks(): Block[] {
  const all = clientKeywords();
  const count = (s: ClientKeywordStatus): number => all.filter((e) => e.status === s).length;
  return [
    `Acted on (${count('honoured')} names):`,
    group(all, 'honoured'),
    `Parsed, checked and shown by \`tsh -G\`, without effect in tsh (the feature is not there) (${count('inert')} names):`,
    group(all, 'inert'),
    'Deprecated (accepted and ignored, as ssh does):',
    group(all, 'deprecated'),
    'Unsupported (ssh and tsh print "Unsupported option" and go on):',
    group(all, 'unsupported'),
    'Ignored silently, as ssh does:',
    group(all, 'ignore'),
  ];
}

export const TSH_CONFIG_HELP: PageHelp = {
  name: 'tsh_config',
  section: 5,
  summary: 'tsh client configuration files',
  synopsis: ['~/.ssh/config', '/etc/ssh/ssh_config'],
  description: [
    'tsh(1) and tsh-sftp(1) read the OpenSSH client configuration: the same files, in ssh_config(5) syntax, with OpenSSH 9.2\'s rules. That manual describes each keyword; this page says which of them tsh acts on.',
    'The files are `~/.ssh/config` and then `/etc/ssh/ssh_config`, or only the file given with `-F`. Command-line options and `-o` lines come first. For each keyword the first value obtained wins; `Host` and `Match` (with `all`, `canonical`, `final`, `exec`, `host`, `originalhost`, `user`, `localuser`) select the lines that apply; `Include` reads more files; `%` tokens and environment variables are expanded where ssh expands them. Bad lines are reported as ssh reports them ("FILE line N: ..."), and a user file that others can write is refused. `tsh -G` prints the result, as `ssh -G` does, and `tsh -G --json` prints it as JSON.',
    'One difference: `~` in a value means `$HOME` (ssh uses the home directory of the passwd entry).',
  ],
  sections: [{ title: 'KEYWORDS', body: clientKeywordBlocks() }, { title: 'SEE ALSO', body: ['tsh(1), tsh-sftp(1), ssh_config(5)'] }],
};

function serverGroup(status: KeywordStatus): string {
  const entries = [...SERVER_KEYWORDS.values()].map((k) => ({ name: k.name, op: k.op, status: k.tshd }));
  return group(entries, status);
}

function refusedList(): [string, string][] {
  return [...SERVER_KEYWORDS.values()]
    .filter((k) => k.tshd === 'refused')
    .map((k) => [
      `\`${spellKeyword(k.name)}\``,
      k.allowed && k.allowed.length > 0 ? `only ${k.allowed.map((v) => `\`${v}\``).join(' or ')} is accepted.` : 'refused whatever its value.',
    ]);
}

const TSHD_ONLY_TEXT: Readonly<Record<string, string>> = {
  persourcepenalties: 'OpenSSH 9.8\'s throttling of sources that fail to authenticate, with its syntax and defaults; on by default.',
  persourcepenaltyexemptlist: 'Addresses PerSourcePenalties never throttles (OpenSSH 9.8\'s syntax).',
  passwordfile: 'A file of scrypt password hashes for password login without PAM, managed with `tshd passwd`.',
};

/** A tshd-only keyword's description; throws for one added to the table without a text here. */
export function tshdOnlyText(keyword: string): string {
  const t = TSHD_ONLY_TEXT[keyword];
  if (t === undefined) throw new Error(`tshd_config(5) has no text for the tshd-only keyword ${keyword}`);
  return t;
}

function count(status: KeywordStatus): number {
  return [...SERVER_KEYWORDS.values()].filter((k) => k.tshd === status).length;
}

export const TSHD_CONFIG_HELP: PageHelp = {
  name: 'tshd_config',
  section: 5,
  summary: 'tshd daemon configuration file',
  synopsis: ['/etc/tsh/tshd_config', '~/.tsh/tshd_config'],
  description: [
    'tshd(8) reads a configuration file in sshd_config(5) syntax, with sshd 9.2\'s semantics: the same keywords, values, defaults, `Match` blocks (User, Group, Address, LocalAddress, LocalPort, Host), `Include`, and sshd\'s messages for bad lines. That manual describes each keyword; this page says which of them tshd acts on.',
    'The file is the one given with `-f`, else `/etc/tsh/tshd_config` when tshd runs as root and `~/.tsh/tshd_config` otherwise; when that file does not exist, the built-in defaults apply. A relative `Include` is taken from the directory of the including file. `tshd -t` checks the file and `tshd -T` prints the effective settings, line for line as `sshd -T` does.',
  ],
  sections: [
    {
      title: 'KEYWORDS',
      body: [
        `Acted on (${count('honoured')} names):`,
        serverGroup('honoured'),
        `Parsed, checked and shown by \`tshd -T\`, without effect: each enables a feature tshd does not offer (GSSAPI, Kerberos, host-based login, X11, certificates, security keys, ...), so ignoring it fails closed (${count('inert')} names):`,
        serverGroup('inert'),
        'Refused unless set to a harmless value (ignoring them would lose what the administrator asked for):',
        { list: refusedList() },
        'tshd\'s own keywords (`sshd -T` never prints them):',
        { list: TSHD_ONLY_KEYWORDS.map((k) => [`\`${spellKeyword(k)}\``, tshdOnlyText(k)] as const) },
        'Deprecated (a log line, then ignored, as sshd does):',
        serverGroup('deprecated'),
        'Unsupported (sshd\'s "Unsupported option" log line, then ignored):',
        serverGroup('unsupported'),
        'Ignored silently:',
        serverGroup('ignore'),
      ],
    },
    { title: 'SEE ALSO', body: ['tshd(8), sshd_config(5)'] },
  ],
};
