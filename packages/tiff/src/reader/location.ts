/**
 * Files next to a TIFF (multi-file OME-TIFF sets, companion files), whether the TIFF is local or at an
 * http(s) URL.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BfioError, fetchWithRetry, isRemote } from '@bfio/core';

/** `name` (a FileName from OME-XML, relative to `dir`) as a path or URL like `dir`. */
export function siblingOf(dir: string, name: string): string {
  if (!isRemote(dir)) return resolve(dir, name);
  return new URL(name, dir.endsWith('/') ? dir : `${dir}/`).href;
}

/** A text file (a companion OME-XML), local or remote. */
export async function readText(location: string): Promise<string> {
  if (!isRemote(location)) return readFile(location, 'utf8');
  const response = await fetchWithRetry(location);
  if (!response.ok) {
    await response.body?.cancel();
    throw new BfioError('not-found', `${location}: HTTP ${response.status}`, { file: location });
  }
  return response.text();
}
