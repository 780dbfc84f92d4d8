/**
 * The browser's side of @bfio/zarr's platform seam (see node.ts): stores are read at http(s) URLs, paths are
 * URLs (core's `urlPath`), and what needs a file system (local stores, writing to a folder) throws an
 * UnsupportedError saying it is Node-only.
 */
import type * as FsPromises from 'node:fs/promises';
import type * as Os from 'node:os';
import { nodeOnly, urlPath } from '@bfio/core/backend';

export type { Dirent } from 'node:fs';
export type { FileHandle } from 'node:fs/promises';

export const { basename, dirname, join, relative, resolve, sep } = urlPath;
export const { access, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, unlink, writeFile } =
  nodeOnly<typeof FsPromises>('node:fs/promises');
export const { tmpdir } = nodeOnly<typeof Os>('node:os');

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
