/**
 * The browser's side of @bfio/zarr's platform seam (see node.ts): stores are read at http(s) URLs, and a
 * local path names a folder in the page's in-memory file system (core's `memoryFs`), where the writer writes
 * a store and the reader reads it back. Paths are URLs or such names (core's `urlPath`).
 */
import type * as FsPromises from 'node:fs/promises';
import type * as Os from 'node:os';
import { memoryFs, nodeOnly, urlPath } from '@bfio/core/backend';

export type { Dirent } from 'node:fs';
export type { FileHandle } from 'node:fs/promises';

export const { basename, dirname, join, relative, resolve, sep } = urlPath;
// The memory file system has node:fs/promises' behaviour for what bfio calls, not every overload's types.
type Fsp = typeof FsPromises;
export const access = memoryFs.access as Fsp['access'];
export const mkdir = memoryFs.mkdir as Fsp['mkdir'];
export const mkdtemp = memoryFs.mkdtemp as unknown as Fsp['mkdtemp'];
export const open = memoryFs.open as unknown as Fsp['open'];
export const readdir = memoryFs.readdir as unknown as Fsp['readdir'];
export const readFile = memoryFs.readFile as unknown as Fsp['readFile'];
export const rename = memoryFs.rename as Fsp['rename'];
export const rm = memoryFs.rm as Fsp['rm'];
export const stat = memoryFs.stat as unknown as Fsp['stat'];
/** No synchronous stat of the page's files here (node.ts): callers await `stat`. */
export function statNow(_path: string): { dev: number; ino: number } | undefined {
  return undefined;
}
export const unlink = memoryFs.unlink as Fsp['unlink'];
export const writeFile = memoryFs.writeFile as unknown as Fsp['writeFile'];
export const { tmpdir } = nodeOnly<typeof Os>('node:os');

/**
 * Codec workers fetch a remote store's chunks themselves (run-task's `params.fetch`): the page's main thread
 * only dispatches, instead of receiving every byte and moving it to a worker (reader/zarr-reader.ts).
 */
export const WORKERS_FETCH: boolean = true;

/** Codec workers cannot reach a page's in-memory files: chunks are read and written on this thread. */
export const WORKERS_SHARE_FILES: boolean = false;

/** This machine's byte order, as node:os names it. */
export function endianness(): 'BE' | 'LE' {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';
}

export function hostname(): string {
  return 'browser';
}

export function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 4;
}

export function env(_name: string): string | undefined {
  return undefined;
}

export function pid(): number {
  return 0;
}

export function randomHex(n: number): string {
  return [...globalThis.crypto.getRandomValues(new Uint8Array(n))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}
