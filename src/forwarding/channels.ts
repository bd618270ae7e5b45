/**
 * ssh's channel numbers, as far as a user sees them: channels.c hands out the lowest free slot to
 * every listener socket, the session, and each forwarded connection, and messages name them
 * ("channel 3: open failed: ..."). `~#` lists the open connections (channel_open_message()).
 */

export type ChannelKind = 'listener' | 'session' | 'connection';

interface Entry {
  kind: ChannelKind;
  /** c->remote_name, e.g. "direct-tcpip: listening port 8080 for localhost port 80, connect from ...". */
  name: string;
  /** c->ctype, e.g. "direct-tcpip". */
  ctype: string;
}

export class ChannelTable {
  readonly #slots: (Entry | undefined)[] = [];

  /** Takes the lowest free number. */
  alloc(kind: ChannelKind, ctype: string, name = ''): number {
    let i = this.#slots.findIndex((e) => e === undefined);
    if (i < 0) i = this.#slots.length;
    this.#slots[i] = { kind, ctype, name };
    return i;
  }

  rename(id: number, name: string): void {
    const e = this.#slots[id];
    if (e) e.name = name;
  }

  free(id: number): void {
    if (id < 0 || id >= this.#slots.length) return;
    this.#slots[id] = undefined;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
  }

  /** Open channels other than listeners, by number. */
  connections(): { id: number; name: string; ctype: string; kind: ChannelKind }[] {
    const out: { id: number; name: string; ctype: string; kind: ChannelKind }[] = [];
    this.#slots.forEach((e, id) => {
      if (e && e.kind !== 'listener') out.push({ id, ...e });
    });
    return out;
  }

  /**
   * channel_open_message(): "The following connections are open:\r\n" and one line per open
   * channel. The status in parentheses is channel_format_status() with the values an idle
   * channel has in ssh ("e[write]/4" for the session: the "~#\r\n" ssh has queued).
   */
  openMessage(): string {
    let s = 'The following connections are open:\r\n';
    for (const c of this.connections()) {
      const status =
        c.kind === 'session'
          ? `t4 [${c.ctype}] r0 i0/0 o0/0 e[write]/4 fd 4/5/6 sock -1 cc -1 io 0x01/0x01`
          : `t4 [${c.ctype}] r0 i0/0 o0/0 e[closed]/0 fd -1/-1/-1 sock -1 cc -1 io 0x01/0x00`;
      s += `  #${c.id} ${c.name} (${status})\r\n`;
    }
    return s;
  }
}
