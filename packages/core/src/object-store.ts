/**
 * Object storage (`s3://bucket/key`) as a place for images, served by provider packages that core loads on
 * demand, as it loads backends (core never imports one statically). A provider answers reads as HTTP does
 * (`fetch` returns a Response: 200/206 with bytes, 404 for no object), so every remote read path in bfio
 * (TIFF byte ranges, Zarr keys, shard indexes, the format probe) serves object stores unchanged; writes go
 * through `put` (small objects, atomic by nature) and `upload` (a finished local file, whole or not at all).
 */

import { importPackage } from '#platform';
import { BfioError } from './errors/index.js';

/** One object under a prefix. */
export interface ObjectEntry {
  /** The object's full URL (`s3://bucket/key`). */
  url: string;
  size: number;
}

export interface ObjectStoreProvider {
  /** URL scheme without the colon: 's3'. */
  readonly scheme: string;
  readonly packageName: string;
  /**
   * GET (optionally with a `Range: bytes=a-b` or `bytes=-n` header) or HEAD of an object, answered as an HTTP
   * server would: 200 / 206 (with `content-range`) and the bytes, 404 when there is no such object, 416 for
   * an unsatisfiable range. Throttling is a 503 (callers retry it). Misconfiguration (no such bucket, access
   * denied, bad credentials) throws a typed BfioError naming the object and the fix.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Writes a small object in one request (an object appears whole or not at all). */
  put(url: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** Uploads a finished local file as the object at `url` (multipart when large): whole, or no object. */
  upload(url: string, file: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes objects (absent ones are not an error). */
  delete(urls: readonly string[]): Promise<void>;
  /** Every object whose key starts with the prefix URL's key. */
  list(prefixUrl: string): AsyncIterable<ObjectEntry>;
}

const providers = new Map<string, ObjectStoreProvider>();

/** The object-store schemes bfio knows, and the package that serves each. */
export const KNOWN_OBJECT_STORES: Record<string, string> = { s3: '@bfio/s3' };

/** Registers (or replaces) the provider of a scheme. Provider packages call this when imported. */
export function registerObjectStore(provider: ObjectStoreProvider): void {
  providers.set(provider.scheme.toLowerCase(), provider);
}

/** The scheme of an object-store URL (`s3`), or undefined for paths and http(s) URLs. */
export function objectStoreScheme(path: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path);
  const scheme = m?.[1]?.toLowerCase();
  return scheme && scheme in KNOWN_OBJECT_STORES ? scheme : providers.has(scheme ?? '') ? scheme : undefined;
}

/** Whether `path` is an object-store URL such as `s3://bucket/key`. */
export const isObjectStoreUrl = (path: string): boolean => objectStoreScheme(path) !== undefined;

/** The provider for `url`'s scheme, importing its package when it is installed. */
export async function objectStoreFor(url: string): Promise<ObjectStoreProvider> {
  const scheme = objectStoreScheme(url);
  if (!scheme) throw new BfioError('unsupported', `${url} is not an object-store URL (s3://bucket/key)`);
  let provider = providers.get(scheme);
  if (!provider) {
    const pkg = KNOWN_OBJECT_STORES[scheme] as string;
    await importPackage(pkg);
    provider = providers.get(scheme);
    if (!provider) {
      throw new BfioError(
        'missing-backend',
        `${url}: ${scheme}:// paths need the ${pkg} package; install it (npm i ${pkg}) or import it before opening`,
        { file: url },
      );
    }
  }
  return provider;
}
