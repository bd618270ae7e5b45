/**
 * Text formats sftp prints: strmode(3), fmt_scaled(3), ls_file() (sftp-common.c) and the
 * progress meter's size and rate fields (progressmeter.c).
 */

const S_IFMT = 0o170000;

/** strmode(3) as openbsd-compat writes it: 10 characters and a trailing space. */
export function strmode(mode: number): string {
  const type: Record<number, string> = { 0o040000: 'd', 0o020000: 'c', 0o060000: 'b', 0o100000: '-', 0o120000: 'l', 0o140000: 's', 0o010000: 'p' };
  let p = type[mode & S_IFMT] ?? '?';
  const triple = (r: number, w: number, x: number, special: number, set: string, unset: string): string => {
    let t = (mode & r ? 'r' : '-') + (mode & w ? 'w' : '-');
    const xs = mode & (x | special);
    t += xs === 0 ? '-' : xs === x ? 'x' : xs === special ? unset : set;
    return t;
  };
  p += triple(0o400, 0o200, 0o100, 0o4000, 's', 'S');
  p += triple(0o040, 0o020, 0o010, 0o2000, 's', 'S');
  p += triple(0o004, 0o002, 0o001, 0o1000, 't', 'T');
  return `${p} `;
}

const SCALE = 'BKMGTPE';

/** fmt_scaled(3): "0B", "512B", "1.5K", "123M". */
export function fmtScaled(n: number): string {
  const abval = Math.abs(n);
  let unit = 0;
  let fract = 0;
  let number = n;
  for (let i = 0; i < 7; i++) {
    const f = 1024 ** i;
    if (Math.floor(abval / 1024) < f) {
      unit = i;
      fract = i === 0 ? 0 : abval % f;
      number = Math.trunc(n / f);
      if (i > 0) fract = Math.trunc(fract / 1024 ** (i - 1));
      break;
    }
  }
  fract = Math.trunc((10 * fract + 512) / 1024);
  if (fract >= 10) {
    number += number >= 0 ? 1 : -1;
    fract = 0;
  }
  if (number === 0) return '0B';
  if (unit === 0 || number >= 100 || number <= -100) {
    if (fract >= 5) number += number >= 0 ? 1 : -1;
    return `${number}${SCALE[unit]}`;
  }
  return `${number}.${fract}${SCALE[unit]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The ls -l time column: "%b %e %H:%M" within the last six months, else "%b %e  %Y". */
export function lsTime(mtime: number, now = Math.floor(Date.now() / 1000)): string {
  const d = new Date(mtime * 1000);
  const head = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')}`;
  if (now - (365 * 24 * 60 * 60) / 2 < mtime && now >= mtime) return `${head} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return `${head}  ${d.getFullYear()}`;
}

export interface LsStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  nlink?: number;
}

/** ls_file(): one `ls -l` line. `remote` shows "?" for the link count. */
export function lsFile(name: string, st: LsStat, remote: boolean, si: boolean, user: string | null, group: string | null): string {
  const u = user ?? String(st.uid);
  const g = group ?? String(st.gid);
  const lc = remote ? '?' : String(st.nlink ?? 1);
  const size = si ? fmtScaled(st.size).padStart(8) : String(st.size).padStart(8);
  return `${strmode(st.mode)} ${lc.padStart(3)} ${u.padEnd(8)} ${g.padEnd(8)} ${size} ${lsTime(st.mtime)} ${name}`;
}

const UNIT = ' KMGT';

/** progressmeter.c format_size(). */
export function formatSize(bytes: number): string {
  let i = 0;
  for (; bytes >= 10000 && UNIT[i] !== 'T'; i++) bytes = Math.floor((bytes + 512) / 1024);
  return `${String(bytes).padStart(4)}${UNIT[i]}${i ? 'B' : ' '}`;
}

/** progressmeter.c format_rate(). */
export function formatRate(bytes: number): string {
  let i = 0;
  bytes *= 100;
  for (; bytes >= 100 * 1000 && UNIT[i] !== 'T'; i++) bytes = Math.floor((bytes + 512) / 1024);
  if (i === 0) {
    i++;
    bytes = Math.floor((bytes + 512) / 1024);
  }
  return `${String(Math.floor((bytes + 5) / 100)).padStart(3)}.${Math.floor((bytes + 5) / 10) % 10}${UNIT[i]}${i ? 'B' : ' '}`;
}
