/**
 * The browser's side of @bfio/core's platform seam (see node.ts): no Node built-ins. Paths are URLs, or
 * names in the page's in-memory file system (memory-fs.ts: what writers write in a browser), the environment
 * is empty, and what needs a process or a real disk throws an UnsupportedError saying it is Node-only.
 */
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import type * as Url from 'node:url';
import type { HttpGet } from './http-get.js';
import * as memory from './memory-fs.js';
import { nodeOnly } from './node-only.js';

export { basename, dirname, join, resolve } from './url-path.js';

export const existsSync = memory.existsSync as typeof Fs.existsSync;
export const open = memory.open as unknown as typeof FsPromises.open;
export const opendir = memory.opendir as unknown as typeof FsPromises.opendir;
export const rm = memory.rm as typeof FsPromises.rm;
export const stat = memory.stat as unknown as typeof FsPromises.stat;
export const { fileURLToPath } = nodeOnly<typeof Url>('node:url');

/** No node:http in a page: range reads use `fetch` (see the Node twin). */
export const httpGet: HttpGet | undefined = undefined;

export function hostname(): string {
  return 'browser';
}

export function randomHex(n: number): string {
  return [...globalThis.crypto.getRandomValues(new Uint8Array(n))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

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
  return "/ (this page's in-memory file system)";
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

/** No garbage collection to ask for in a page (see the Node twin). */
export function collectGarbage(): boolean {
  return false;
}
