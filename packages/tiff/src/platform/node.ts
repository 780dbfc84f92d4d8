/**
 * Node's side of @bfio/tiff's platform seam: the Node built-ins the TIFF reader and writer call, imported
 * here and nowhere else (package.json "imports" maps `#platform` here for Node and tsc, and to `browser.ts`
 * for bundlers' browser builds). The codecs' own Node code lives in @bfio/codecs.
 */
import { availableParallelism } from 'node:os';

export { randomUUID } from 'node:crypto';
export { constants } from 'node:fs';
export { access, type FileHandle, link, mkdtemp, open, readFile, rename, rm, unlink } from 'node:fs/promises';
export { tmpdir } from 'node:os';
export { basename, dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Remote blocks are fetched on the main thread and moved to the workers: on Node that costs little, and the
 * requests keep fetchWithRetry's retries and silence timeouts (browser.ts: the workers fetch).
 */
export const WORKERS_FETCH: boolean = false;

/** Blocks decoded at once by default: the cores this process may use. */
export function cores(): number {
  return availableParallelism();
}

/** An environment variable (undefined in a browser). */
export function env(name: string): string | undefined {
  return process.env[name];
}

/** `length` uninitialised bytes on their own ArrayBuffer (so they can be moved to a worker). */
export function allocBytes(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
