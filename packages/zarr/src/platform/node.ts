/**
 * Node's side of @bfio/zarr's platform seam: the Node built-ins the Zarr reader and writer call, imported
 * here and nowhere else (package.json "imports" maps `#platform` here for Node and tsc, and to `browser.ts`
 * for bundlers' browser builds). The codecs' own Node code lives in @bfio/codecs.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type { Dirent } from 'node:fs';
export {
  access,
  type FileHandle,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
export { endianness, hostname, tmpdir } from 'node:os';
export { basename, dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Remote chunks are fetched on the main thread and moved to the workers: on Node that costs little, and the
 * requests keep fetchWithRetry's retries and silence timeouts (browser.ts: the workers fetch).
 */
export const WORKERS_FETCH: boolean = false;

/** Codec workers read and write chunk files themselves (direct-chunks.ts, writer/direct-writes.ts). */
export const WORKERS_SHARE_FILES: boolean = true;

/**
 * A folder's device and inode, synchronously (throws as `stat` does): an awaited stat costs ~40 µs of CPU
 * (libuv's pool and its promise), this ~2 µs, and the reader checks its store after every read.
 */
export function statNow(path: string): { dev: number; ino: number } | undefined {
  return statSync(path);
}

/** Chunks decoded at once by default: the cores this process may use. */
export function cores(): number {
  return availableParallelism();
}

/** An environment variable (undefined in a browser). */
export function env(name: string): string | undefined {
  return process.env[name];
}

/** This process's id (temporary names say who made them). */
export function pid(): number {
  return process.pid;
}

/** `n` random bytes as hex (temporary names). */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}
