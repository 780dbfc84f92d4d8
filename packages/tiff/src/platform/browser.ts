/**
 * The browser's side of @bfio/tiff's platform seam (see node.ts): paths are URLs or a File's name, and what
 * needs a file system (local files, the writer) throws an UnsupportedError saying it is Node-only.
 */
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import type * as Os from 'node:os';
import { nodeOnly, urlPath } from '@bfio/core/backend';

export type { FileHandle } from 'node:fs/promises';

export const { basename, dirname, join, relative, resolve, sep } = urlPath;
export const constants = { F_OK: 0 } as typeof Fs.constants;
export const { access, link, mkdtemp, open, readFile, rename, rm, unlink } =
  nodeOnly<typeof FsPromises>('node:fs/promises');
export const { tmpdir } = nodeOnly<typeof Os>('node:os');

export function randomUUID(): `${string}-${string}-${string}-${string}-${string}` {
  return globalThis.crypto.randomUUID();
}

/**
 * Codec workers fetch a remote file's blocks themselves (run-task's `params.fetch`): the page's main thread
 * only dispatches, instead of receiving every byte and moving it to a worker (see plane-reader.ts).
 */
export const WORKERS_FETCH: boolean = true;

export function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 4;
}

export function env(_name: string): string | undefined {
  return undefined;
}

export function allocBytes(length: number): Uint8Array {
  return new Uint8Array(length);
}

export function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
