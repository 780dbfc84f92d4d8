/**
 * Where a store is: a local directory or an http(s) URL (a store served over HTTP, e.g. an OME-Zarr on a web
 * server or a public S3/GCS bucket). Metadata documents are read through these helpers either way; chunks go
 * through zarrita's FetchStore for URLs (range requests for chunks inside shards) and through NodeStore and
 * the codec workers for local stores.
 */
import { asIoError, fetchWithRetry, isRemote, systemErrorCode } from '@bfio/core/backend';
import { join, readFile, stat } from '#platform';

/** `base` joined with path segments: '/'-separated for URLs (query strings are not supported). */
export function joinLocation(base: string, ...parts: string[]): string {
  if (!isRemote(base)) return join(base, ...parts);
  const rest = parts.filter((p) => p.length > 0).join('/');
  return rest ? `${base.replace(/\/+$/, '')}/${rest.replace(/^\/+/, '')}` : base;
}

/**
 * The bytes at `location`, or undefined when there is nothing there (no file; HTTP 404, or 403 as object
 * stores answer for missing keys they will not list). Transient failures are retried (core's
 * fetchWithRetry); other HTTP errors and persistent failures throw.
 */
export async function readBytes(location: string): Promise<Uint8Array | undefined> {
  if (isRemote(location)) {
    const response = await fetchWithRetry(location);
    if (response.status === 404 || response.status === 403) return undefined;
    if (!response.ok) throw new Error(`GET ${location}: HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return new Uint8Array(await readFile(location));
  } catch (err) {
    // Nothing there is an answer; a disk failing under the store is not (it is not an absent document).
    const code = systemErrorCode(err);
    if (code && !['ENOENT', 'ENOTDIR', 'EISDIR'].includes(code)) throw asIoError(err, location, 'read');
    return undefined;
  }
}

/** Whether something is at `location` (a HEAD request for URLs). */
export async function exists(location: string): Promise<boolean> {
  if (isRemote(location)) {
    const response = await fetchWithRetry(location, { method: 'HEAD' });
    return response.ok;
  }
  try {
    await stat(location);
    return true;
  } catch {
    return false;
  }
}
