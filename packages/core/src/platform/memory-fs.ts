/**
 * An in-memory file system with the shape of the parts of node:fs/promises bfio's writers and readers use.
 * In a browser build it stands where the disk would be: local paths (`/out.ome.zarr`) name files here, so
 * the Zarr writer writes a store into memory and the reader reads it back, with the same code as on disk.
 * Errors carry Node's codes (ENOENT, EEXIST, ENOTDIR, ENOTEMPTY, EISDIR), which bfio's error mapping knows.
 * Single-threaded: code on Web Workers does not see it.
 */
import { resolve } from './url-path.js';

interface FileEntry {
  kind: 'file';
  ino: number;
  mtimeMs: number;
  /** The bytes are `data.subarray(0, size)`: writes at growing offsets reuse a doubling buffer. */
  data: Uint8Array;
  size: number;
}

interface DirEntry {
  kind: 'dir';
  ino: number;
  mtimeMs: number;
}

type Entry = FileEntry | DirEntry;

let nextIno = 1;
const entries = new Map<string, Entry>([['/', { kind: 'dir', ino: nextIno++, mtimeMs: Date.now() }]]);

/** An absolute, normalised path ('/a/b'); relative ones resolve from '/'. */
function norm(path: string | URL): string {
  const p = resolve('/', String(path));
  return p.length > 1 ? p.replace(/\/+$/, '') : '/';
}

function parentOf(p: string): string {
  const cut = p.lastIndexOf('/');
  return cut <= 0 ? '/' : p.slice(0, cut);
}

function fsError(code: string, syscall: string, path: string): Error {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    ENOTDIR: 'not a directory',
    EISDIR: 'illegal operation on a directory',
    ENOTEMPTY: 'directory not empty',
    ERR_FS_EISDIR: 'is a directory (rm without recursive)',
  };
  return Object.assign(new Error(`${code}: ${text[code] ?? code}, ${syscall} '${path}' (in memory)`), {
    code,
    syscall,
    path,
  });
}

function get(p: string, syscall: string): Entry {
  const entry = entries.get(p);
  if (entry) return entry;
  const parent = entries.get(parentOf(p));
  throw fsError(parent && parent.kind === 'file' ? 'ENOTDIR' : 'ENOENT', syscall, p);
}

function getFile(p: string, syscall: string): FileEntry {
  const entry = get(p, syscall);
  if (entry.kind !== 'file') throw fsError('EISDIR', syscall, p);
  return entry;
}

function requireParentDir(p: string, syscall: string): void {
  const parent = entries.get(parentOf(p));
  if (!parent) throw fsError('ENOENT', syscall, p);
  if (parent.kind !== 'dir') throw fsError('ENOTDIR', syscall, p);
}

/** Paths below directory `p` (not `p` itself). */
function below(p: string): string[] {
  const prefix = p === '/' ? '/' : `${p}/`;
  return [...entries.keys()].filter((k) => k !== p && k.startsWith(prefix));
}

function toBytes(data: string | ArrayBufferView | ArrayBuffer): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function writeAt(file: FileEntry, bytes: Uint8Array, position: number): void {
  const end = position + bytes.length;
  if (end > file.data.length) {
    const grown = new Uint8Array(Math.max(end, file.data.length * 2));
    grown.set(file.data.subarray(0, file.size));
    file.data = grown;
  }
  file.data.set(bytes, position);
  file.size = Math.max(file.size, end);
  file.mtimeMs = Date.now();
}

function putFile(p: string, bytes: Uint8Array): FileEntry {
  const old = entries.get(p);
  if (old?.kind === 'dir') throw fsError('EISDIR', 'open', p);
  const file: FileEntry = {
    kind: 'file',
    ino: nextIno++,
    mtimeMs: Date.now(),
    data: bytes,
    size: bytes.length,
  };
  entries.set(p, file);
  return file;
}

export interface MemoryStats {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  mtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function statsOf(entry: Entry): MemoryStats {
  return {
    dev: 0,
    ino: entry.ino,
    size: entry.kind === 'file' ? entry.size : 0,
    mtimeMs: entry.mtimeMs,
    mtime: new Date(entry.mtimeMs),
    isFile: () => entry.kind === 'file',
    isDirectory: () => entry.kind === 'dir',
    isSymbolicLink: () => false,
  };
}

export interface MemoryDirent {
  name: string;
  parentPath: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function direntsOf(p: string): MemoryDirent[] {
  const dir = get(p, 'scandir');
  if (dir.kind !== 'dir') throw fsError('ENOTDIR', 'scandir', p);
  const prefix = p === '/' ? '/' : `${p}/`;
  return below(p)
    .filter((k) => !k.slice(prefix.length).includes('/'))
    .sort()
    .map((k) => {
      const entry = entries.get(k)!;
      return {
        name: k.slice(prefix.length),
        parentPath: p,
        isFile: () => entry.kind === 'file',
        isDirectory: () => entry.kind === 'dir',
        isSymbolicLink: () => false,
      };
    });
}

export function existsSync(path: string | URL): boolean {
  return entries.has(norm(path));
}

export async function stat(path: string | URL): Promise<MemoryStats> {
  return statsOf(get(norm(path), 'stat'));
}

export async function access(path: string | URL, _mode?: number): Promise<void> {
  get(norm(path), 'access');
}

export async function mkdir(
  path: string | URL,
  options?: { recursive?: boolean } | number,
): Promise<string | undefined> {
  const p = norm(path);
  const recursive = typeof options === 'object' && options.recursive === true;
  const existing = entries.get(p);
  if (existing) {
    if (recursive && existing.kind === 'dir') return undefined;
    throw fsError('EEXIST', 'mkdir', p);
  }
  if (!recursive) {
    requireParentDir(p, 'mkdir');
    entries.set(p, { kind: 'dir', ino: nextIno++, mtimeMs: Date.now() });
    return undefined;
  }
  const missing: string[] = [];
  for (let q = p; !entries.has(q); q = parentOf(q)) missing.unshift(q);
  const top = entries.get(parentOf(missing[0]!));
  if (top?.kind !== 'dir') throw fsError('ENOTDIR', 'mkdir', p);
  for (const q of missing) entries.set(q, { kind: 'dir', ino: nextIno++, mtimeMs: Date.now() });
  return missing[0];
}

export async function mkdtemp(prefix: string): Promise<string> {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const rand = [...globalThis.crypto.getRandomValues(new Uint8Array(6))].map((b) => chars[b % 36]).join('');
    const p = norm(prefix + rand);
    if (entries.has(p)) continue;
    await mkdir(p);
    return p;
  }
}

export async function readFile(
  path: string | URL,
  options?: BufferEncoding | { encoding?: BufferEncoding | null; signal?: AbortSignal } | null,
): Promise<Uint8Array & string> {
  const file = getFile(norm(path), 'open');
  const bytes = file.data.slice(0, file.size);
  const encoding = typeof options === 'string' ? options : options?.encoding;
  return (encoding ? new TextDecoder().decode(bytes) : bytes) as Uint8Array & string;
}

export async function writeFile(
  path: string | URL,
  data: string | ArrayBufferView | ArrayBuffer,
  _options?: unknown,
): Promise<void> {
  const p = norm(path);
  requireParentDir(p, 'open');
  putFile(p, toBytes(data));
}

export async function rename(from: string | URL, to: string | URL): Promise<void> {
  const a = norm(from);
  const b = norm(to);
  const src = get(a, 'rename');
  if (a === b) return;
  requireParentDir(b, 'rename');
  const dst = entries.get(b);
  if (dst) {
    if (src.kind === 'file' && dst.kind === 'dir') throw fsError('EISDIR', 'rename', b);
    if (src.kind === 'dir' && dst.kind === 'file') throw fsError('ENOTDIR', 'rename', b);
    if (dst.kind === 'dir' && below(b).length > 0) throw fsError('ENOTEMPTY', 'rename', b);
    entries.delete(b);
  }
  if (src.kind === 'dir' && b.startsWith(`${a}/`)) throw fsError('EINVAL', 'rename', b);
  const moved = src.kind === 'dir' ? below(a) : [];
  entries.delete(a);
  entries.set(b, src);
  for (const k of moved) {
    const entry = entries.get(k)!;
    entries.delete(k);
    entries.set(b + k.slice(a.length), entry);
  }
}

export async function link(existing: string | URL, path: string | URL): Promise<void> {
  const file = getFile(norm(existing), 'link');
  const p = norm(path);
  if (entries.has(p)) throw fsError('EEXIST', 'link', p);
  requireParentDir(p, 'link');
  entries.set(p, file);
}

export async function unlink(path: string | URL): Promise<void> {
  const p = norm(path);
  getFile(p, 'unlink');
  entries.delete(p);
}

export async function rm(
  path: string | URL,
  options?: { recursive?: boolean; force?: boolean },
): Promise<void> {
  const p = norm(path);
  const entry = entries.get(p);
  if (!entry) {
    if (options?.force) return;
    throw fsError('ENOENT', 'rm', p);
  }
  if (entry.kind === 'dir') {
    const inner = below(p);
    if (!options?.recursive) throw fsError('ERR_FS_EISDIR', 'rm', p);
    for (const k of inner) entries.delete(k);
  }
  if (p !== '/') entries.delete(p);
}

export async function readdir(
  path: string | URL,
  options?: { withFileTypes?: boolean } | BufferEncoding,
): Promise<string[] & MemoryDirent[]> {
  const dirents = direntsOf(norm(path));
  const typed = typeof options === 'object' && options.withFileTypes === true;
  return (typed ? dirents : dirents.map((d) => d.name)) as string[] & MemoryDirent[];
}

export async function opendir(
  path: string | URL,
): Promise<AsyncIterable<MemoryDirent> & { close(): Promise<void> }> {
  const dirents = direntsOf(norm(path));
  return {
    async *[Symbol.asyncIterator]() {
      yield* dirents;
    },
    close: async () => {},
  };
}

/** The part of node:fs/promises' FileHandle bfio uses. */
export interface MemoryFileHandle {
  readonly fd: number;
  read(
    buffer: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }>;
  write(
    buffer: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffer: Uint8Array }>;
  writeFile(data: string | ArrayBufferView): Promise<void>;
  stat(): Promise<MemoryStats>;
  truncate(length?: number): Promise<void>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

let nextFd = 3;

export async function open(path: string | URL, flags: string | number = 'r'): Promise<MemoryFileHandle> {
  const p = norm(path);
  const f = String(flags);
  let file: FileEntry;
  if (f.startsWith('r')) file = getFile(p, 'open');
  else {
    requireParentDir(p, 'open');
    const existing = entries.get(p);
    if (existing && f.includes('x')) throw fsError('EEXIST', 'open', p);
    if (existing?.kind === 'file' && f.startsWith('a')) file = existing;
    else if (existing?.kind === 'file') {
      file = existing;
      file.size = 0;
    } else file = putFile(p, new Uint8Array(0));
  }
  const append = f.startsWith('a');
  let cursor = append ? file.size : 0;
  let closed = false;
  const live = () => {
    if (closed) throw fsError('EBADF', 'read', p);
    return file;
  };
  return {
    fd: nextFd++,
    async read(buffer, offset = 0, length = buffer.byteLength - offset, position = null) {
      const at = position ?? cursor;
      const n = Math.max(0, Math.min(length, live().size - at));
      buffer.set(file.data.subarray(at, at + n), offset);
      if (position === null || position === undefined) cursor += n;
      return { bytesRead: n, buffer };
    },
    async write(buffer, offset = 0, length = buffer.byteLength - offset, position = null) {
      const at = append ? live().size : (position ?? cursor);
      writeAt(live(), buffer.subarray(offset, offset + length), at);
      if (position === null || position === undefined) cursor = at + length;
      return { bytesWritten: length, buffer };
    },
    async writeFile(data) {
      const bytes = toBytes(data);
      live().size = 0;
      writeAt(file, bytes, 0);
    },
    async stat() {
      return statsOf(live());
    },
    async truncate(length = 0) {
      const entry = live();
      if (length > entry.size) writeAt(entry, new Uint8Array(length - entry.size), entry.size);
      entry.size = length;
    },
    async sync() {},
    async datasync() {},
    async close() {
      closed = true;
    },
  };
}

/**
 * The files written to this in-memory file system (a browser's writes: `BioWriter.create('/out.ome.zarr')`),
 * to save or upload them, or to clear them.
 */
export const memoryFiles = {
  /** Paths of the files under `prefix` (a folder, default everything), sorted. */
  list(prefix = '/'): string[] {
    const p = norm(prefix);
    return [...entries.entries()]
      .filter(([k, e]) => e.kind === 'file' && (k === p || k.startsWith(p === '/' ? '/' : `${p}/`)))
      .map(([k]) => k)
      .sort();
  },
  /** A file's bytes (a copy), or undefined. */
  read(path: string): Uint8Array | undefined {
    const entry = entries.get(norm(path));
    return entry?.kind === 'file' ? entry.data.slice(0, entry.size) : undefined;
  },
  /** Writes a file, making its folders (to read an image uploaded by the page as a path). */
  write(path: string, bytes: Uint8Array): void {
    const p = norm(path);
    for (let q = parentOf(p), missing: string[] = []; ; q = parentOf(q)) {
      const e = entries.get(q);
      if (e?.kind === 'file') throw fsError('ENOTDIR', 'mkdir', q);
      if (e) {
        for (const m of missing) entries.set(m, { kind: 'dir', ino: nextIno++, mtimeMs: Date.now() });
        break;
      }
      missing.unshift(q);
    }
    putFile(p, bytes.slice());
  },
  /** Removes a file or a folder and everything in it. */
  remove(path: string): void {
    const p = norm(path);
    for (const k of below(p)) entries.delete(k);
    if (p !== '/') entries.delete(p);
  },
};
