/**
 * Node's side of @bfio/core's platform seam. Every Node built-in core calls is imported here and nowhere
 * else: package.json's "imports" map `#platform` to this file for Node (and tsc, vitest, tsx), and to
 * `browser.ts` for bundlers building for the browser (esbuild `--platform=browser`, Vite).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type HttpGet, httpGet as nodeHttpGet } from './http-get.js';

export { existsSync } from 'node:fs';
export { open, opendir, rm, stat } from 'node:fs/promises';
export { hostname, totalmem } from 'node:os';
export { basename, dirname, join, resolve } from 'node:path';
export { fileURLToPath } from 'node:url';

/** Node's own HTTP GET for streamed range reads (the browser twin has none: it uses `fetch`). */
export const httpGet: HttpGet | undefined = nodeHttpGet;

/** `n` random bytes as hex (temporary names). */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** Which twin of this module is in use. */
export const PLATFORM: 'node' | 'browser' = 'node';

/** An environment variable (undefined in a browser). */
export function env(name: string): string | undefined {
  return process.env[name];
}

/** Where relative paths resolve from (for messages). */
export function cwd(): string {
  return process.cwd();
}

/** This process's id (temporary names say who made them). */
export function pid(): number {
  return process.pid;
}

/** Whether process `id` runs on this host (EPERM: it exists, but is someone else's). */
export function processAlive(id: number): boolean {
  try {
    process.kill(id, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Imports an optional package (a backend or an object-store provider) by name. Core never depends on those
 * packages, so under pnpm's strict node_modules they may not resolve from core's own location: the
 * application's (the working directory's) is tried next. Returns false when the package is not installed.
 */
export async function importPackage(packageName: string): Promise<boolean> {
  try {
    await import(packageName);
    return true;
  } catch {
    try {
      const req = createRequire(join(process.cwd(), 'noop.js'));
      await import(pathToFileURL(req.resolve(packageName)).href);
      return true;
    } catch {
      return false;
    }
  }
}

let gcFunction: (() => void) | null | undefined;

/**
 * A full garbage collection now; false where there is none to ask for. V8 does not count SharedArrayBuffers
 * as memory it must collect for, so large read results nobody holds any more were freed only when some other
 * reason made it collect: `gc`, exposed for a context made here (the flag only adds that global to new
 * contexts), or the one `--expose-gc` gave.
 */
export function collectGarbage(): boolean {
  if (gcFunction === undefined) {
    gcFunction = (globalThis as { gc?: () => void }).gc ?? null;
    if (!gcFunction) {
      try {
        setFlagsFromString('--expose-gc');
        gcFunction = runInNewContext('gc') as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  gcFunction?.();
  return gcFunction !== null;
}
