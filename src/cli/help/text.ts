/**
 * `--help` text from a ToolHelp: the usage (exactly as printed on a bad flag), the description,
 * the options, the chosen sections, and where the manual is. Plain text, 80 columns, no escapes.
 */
import type { Block, ToolHelp } from './types.js';

const WIDTH = 80;
const OPTION_COLUMN = 24;

/** `code` spans lose their backticks. */
export function plain(text: string): string {
  return text.replace(/`([^`]*)`/g, '$1');
}

/** Word-wraps `text` to WIDTH, every line starting with `indent` (the first with `first`). */
export function wrap(text: string, indent: string, first = indent): string[] {
  const words = plain(text).split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = indent + w;
    } else {
      line += (empty ? '' : ' ') + w;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

function block(b: Block, indent: string): string[] {
  if (typeof b === 'string') return wrap(b, indent);
  if ('bullets' in b) return b.bullets.flatMap((t) => wrap(t, `${indent}  `, `${indent}- `));
  if ('example' in b) return b.example.split('\n').map((l) => (l === '' ? '' : `${indent}  ${l}`));
  return b.list.flatMap(([term, text]) => {
    const head = `${indent}${plain(term)}`;
    const body = `${indent}${' '.repeat(OPTION_COLUMN - 2)}`;
    if (head.length + 2 <= body.length) return wrap(text, body, head.padEnd(body.length));
    return [head, ...wrap(text, body)];
  });
}

function blocks(bs: readonly Block[], indent: string): string[] {
  const out: string[] = [];
  for (const b of bs) {
    if (out.length > 0) out.push('');
    out.push(...block(b, indent));
  }
  return out;
}

export function renderHelp(h: ToolHelp): string {
  const out: string[] = [h.usage, ''];
  out.push(...blocks(h.description, ''));
  if (h.options && h.options.length > 0) {
    out.push('', 'Options:');
    const list = h.options.map((o) => [o.arg ? `${o.flag} ${o.arg}` : o.flag, o.text] as const);
    out.push(...block({ list }, '  '));
  }
  for (const title of h.helpSections) {
    const s = h.sections.find((x) => x.title === title);
    if (!s) throw new Error(`${h.name}: no section ${title}`);
    out.push('', `${title[0]}${title.slice(1).toLowerCase()}:`, ...blocks(s.body, '  '));
  }
  out.push('', `The manual: man ${h.section} ${h.name}`);
  return `${out.join('\n')}\n`;
}
