/**
 * The browser's side of @bfio/core's platform seam (see node.ts): no Node built-ins. Paths are URLs or
 * names (url-path.ts), the environment is empty, and what needs a file system or a process throws an
 * UnsupportedError saying it is Node-only.
 */
import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import type * as Os from 'node:os';
import type * as Url from 'node:url';
import { nodeOnly } from './node-only.js';

export { basename, dirname, join, resolve } from './url-path.js';

export const { randomBytes } = nodeOnly<typeof Crypto>('node:crypto');
export const { existsSync } = nodeOnly<typeof Fs>('node:fs');
export const { open, opendir, rm, stat } = nodeOnly<typeof FsPromises>('node:fs/promises');
export const { hostname } = nodeOnly<typeof Os>('node:os');
export const { fileURLToPath } = nodeOnly<typeof Url>('node:url');

export const PLATFORM: 'node' | 'browser' = 'browser';

/** The device's memory where the browser tells it (Chromium: `navigator.deviceMemory`, GiB, at most 8), else 4 GiB. */
export function totalmem(): number {
  const nav = (globalThis as { navigator?: { deviceMemory?: number } }).navigator;
  const gib = nav?.deviceMemory;
  return (typeof gib === 'number' && gib > 0 ? gib : 4) * 2 ** 30;
}

export function env(_name: string): string | undefined {
  return undefined;
}

export function cwd(): string {
  return '/';
}

export function pid(): number {
  return 0;
}

export function processAlive(_id: number): boolean {
  return true;
}

/**
 * A package by name cannot be imported in a browser bundle (the bundler only sees static imports): import
 * the backends you use (`import '@bfio/tiff'`), which registers them.
 */
export async function importPackage(_packageName: string): Promise<boolean> {
  return false;
}
