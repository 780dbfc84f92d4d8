/**
 * Files next to a TIFF (multi-file OME-TIFF sets, companion files), whether the TIFF is local or at an
 * http(s) URL.
 */
import { BfioError, UnsupportedError } from '@bfio/core';
import { fetchWithRetry, isRemote } from '@bfio/core/backend';
import { readFile, resolve } from '#platform';

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

/** A File/Blob that is part of a file set: it has no folder, so the set's other files cannot be found. */
export function setFromBlob(name: string, what: string): UnsupportedError {
  return new UnsupportedError(
    `${name} is ${what}; a File/Blob has no folder to find the other files of its set in: open the set by its http(s) URL (the files side by side on the server), or read a single-file OME-TIFF`,
    name,
  );
}
