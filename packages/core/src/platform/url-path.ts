/**
 * POSIX-style path functions over the names a browser has: http(s) URLs (whose joins follow URL resolution)
 * and bare names (a dropped File's name). The browser twins of the packages' platform modules use these in
 * place of node:path; in Node, node:path itself is used.
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Splits a URL into its origin (`https://host`) and path; a bare name has no origin. */
function split(p: string): [origin: string, path: string] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(.*)$/i.exec(p);
  return m ? [m[1]!, m[2]!] : ['', p];
}

/** `.` and `..` segments resolved, doubled slashes collapsed (a leading `..` of a relative path kept). */
function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (seg !== '..' || !absolute) out.push(seg);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

export const sep = '/';

export function basename(p: string, suffix?: string): string {
  const name = split(p)[1].replace(/\/+$/, '').split('/').pop() ?? '';
  return suffix && name.endsWith(suffix) && name !== suffix ? name.slice(0, -suffix.length) : name;
}

export function dirname(p: string): string {
  const [origin, path] = split(p);
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  if (cut < 0) return origin || (path.startsWith('/') ? '/' : '.');
  return origin + (cut === 0 ? (origin ? '' : '/') : trimmed.slice(0, cut));
}

/** Later absolute parts (or URLs) replace what precedes them, as node:path's resolve does (but no cwd). */
export function resolve(...parts: string[]): string {
  let origin = '';
  let path = '';
  for (const part of parts) {
    if (SCHEME.test(part)) [origin, path] = split(part);
    else if (part.startsWith('/')) path = part;
    else if (part) path = path ? `${path}/${part}` : part;
  }
  const normal = normalize(path);
  return origin ? origin + (normal === '.' ? '' : normal.startsWith('/') ? normal : `/${normal}`) : normal;
}

export function join(...parts: string[]): string {
  const [first = '', ...rest] = parts.filter((p) => p !== '');
  if (!SCHEME.test(first)) return normalize([first, ...rest].join('/'));
  const [origin, path] = split(first);
  return origin + normalize([path || '/', ...rest].join('/'));
}

export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array<string>(a.length - i).fill('..'), ...b.slice(i)].join('/');
}
