/**
 * Where a writer's output goes and how it lands: a new local store is written into a hidden temporary
 * sibling and renamed into place at close; an object-store target or a part is spooled locally and
 * published file by file; a failed or abandoned new store leaves nothing that reads as an image.
 */
import { FileExistsError, UnsupportedError } from '@bfio/core';
import { isObjectStoreUrl, objectStoreFor, sweepStaleTemps, tempSibling } from '@bfio/core/backend';
import { dirname, mkdir, rename, rm } from '#platform';
import { exists } from '../fs-helpers.js';
import { objectsUnder } from '../parts/store-io.js';
import { type Publisher, publisherFor } from '../publisher.js';
import type { StoreLayout } from '../store-layout.js';
import type { ZarrCreateOptions } from './options.js';

/** Append to the existing store, or write a new one into `dir` (published through `publisher` when set). */
export type Target = { kind: 'append' } | { kind: 'new'; dir: string; publisher?: Publisher };

/** Checks the target against the options and makes the directory the new store is written into. */
export async function prepareTarget(
  file: string,
  layout: Pick<StoreLayout, 'directPossible' | 'compression'>,
  options: ZarrCreateOptions,
): Promise<Target> {
  const { directPossible, compression } = layout;
  const remote = isObjectStoreUrl(file);
  const part = options.part === true;
  if ((remote || part) && !directPossible) {
    throw new UnsupportedError(
      `${file}: ${remote ? 'object-store stores' : 'stores written in parts'} are written with zstd or no compression (asked for '${compression}'${compression === 'zstd' ? ', but the native zstd codec did not load' : ''})`,
      file,
    );
  }
  if ((remote || part) && options.append)
    throw new UnsupportedError(`${file}: append mode is for local stores written by one process`, file);
  if (remote || part) {
    if (!part) await clearRemoteTarget(file, options.overwrite === true);
    else if (!remote) await mkdir(file, { recursive: true });
    const publisher = await publisherFor(file);
    return { kind: 'new', dir: publisher.spool, publisher };
  }
  const targetExists = await exists(file);
  if (options.append && targetExists) return { kind: 'append' };
  if (targetExists && !options.overwrite) throw new FileExistsError(file);
  await mkdir(dirname(file), { recursive: true });
  // Temporaries of this target left by killed writers go first; then ours.
  await sweepStaleTemps(file);
  const dir = tempSibling(file);
  await mkdir(dir, { recursive: true });
  return { kind: 'new', dir };
}

/**
 * An object-store target must be new (no object under the prefix), or, with `overwrite`, is emptied
 * first: objects cannot be renamed, so the old image cannot be swapped out at the end.
 */
async function clearRemoteTarget(file: string, overwrite: boolean): Promise<void> {
  const markers = ['zarr.json', '.zgroup', '.zattrs', '.zarray'];
  const urls = await objectsUnder(file);
  if (urls.length && !overwrite) throw new FileExistsError(file);
  const store = await objectStoreFor(file);
  // Metadata first, so the old image stops reading as one before its chunks go.
  const isDoc = (u: string) => markers.some((m) => u.endsWith(`/${m}`));
  await store.delete(urls.filter(isDoc));
  await store.delete(urls.filter((u) => !isDoc(u)));
}

/** Renames the finished temporary store to the target (replacing an old one only when overwriting). */
export async function moveIntoPlace(dir: string, file: string, overwrite: boolean): Promise<void> {
  let old: string | undefined;
  if (await exists(file)) {
    if (!overwrite) throw new FileExistsError(file);
    old = tempSibling(file, 'old');
    await rename(file, old);
  }
  try {
    await rename(dir, file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new FileExistsError(file);
    throw err;
  }
  if (old) await rm(old, { recursive: true, force: true });
}

/**
 * Removes what a failed or abandoned new store left: the temporary directory, or the spool and, for a
 * whole store in object storage (`whole`: not a part), the chunks already uploaded (no metadata was:
 * nothing reads as an image, but orphans cost money). A part's chunks stay: they are valid, and a re-run
 * rewrites them.
 */
export async function discardNewStore(
  dir: string,
  file: string,
  publisher: Publisher | undefined,
  whole: boolean,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  if (!publisher) return;
  await publisher.close();
  if (whole && isObjectStoreUrl(file)) {
    try {
      await (await objectStoreFor(file)).delete(await objectsUnder(file));
    } catch {
      // Best effort: without metadata the leftovers do not read as an image.
    }
  }
}
