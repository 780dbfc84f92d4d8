/**
 * Store keys → what they name. Keys come from clients (and, through `bfio serve`, from the network), so
 * anything that is not exactly a key the view presents is "no such key": `..`, `.`, empty segments,
 * backslashes, non-decimal or out-of-range chunk indices. Nothing here throws.
 */
import type { Vec5 } from '../store-layout.js';
import type { ViewArray, ViewLayout } from './layout.js';

export type ResolvedKey =
  | { kind: 'document'; bytes: Uint8Array }
  | { kind: 'chunk'; array: ViewArray; coords: Vec5 };

/** Longest key we look at: a longer one cannot name anything the view has. */
const MAX_KEY = 1024;
const INDEX = /^(0|[1-9][0-9]{0,15})$/;

/** The absolute form of a key ('/a/b'), or undefined when it is not a plain path. */
export function normalizeKey(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) return undefined;
  const abs = key.startsWith('/') ? key : `/${key}`;
  // No '..', '.', or empty segments; no backslashes or control characters.
  for (let i = 0; i < abs.length; i++) {
    const code = abs.charCodeAt(i);
    if (code < 0x20 || code === 0x5c) return undefined;
  }
  const segments = abs.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return abs;
}

/** What `key` names in `layout`, or undefined when it names nothing. */
export function resolveKey(layout: ViewLayout, key: string): ResolvedKey | undefined {
  const abs = normalizeKey(key);
  if (!abs) return undefined;
  const bytes = layout.documents.get(abs);
  if (bytes) return { kind: 'document', bytes };
  const segments = abs.slice(1).split('/');
  const depth = layout.multiSeries ? 2 : 1;
  const array = layout.arrays.get(segments.slice(0, depth).join('/'));
  if (!array) return undefined;
  let rest = segments.slice(depth);
  if (layout.format === 3) {
    // Zarr v3 default chunk key encoding: 'c' then the indices.
    if (rest[0] !== 'c') return undefined;
    rest = rest.slice(1);
  }
  if (rest.length !== 5) return undefined;
  const coords: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = rest[i] as string;
    if (!INDEX.test(s)) return undefined;
    const n = Number(s);
    if (n >= (array.grid[i] as number)) return undefined;
    coords.push(n);
  }
  return { kind: 'chunk', array, coords: coords as Vec5 };
}
