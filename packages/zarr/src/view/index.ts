/**
 * Any image as OME-Zarr without converting it: a read-only store (zarrita's AsyncReadable) over a BioReader
 * that presents the image as an OME-Zarr 0.5 group (Zarr v3), or 0.4 (Zarr v2) on request. Metadata is built
 * once at open; chunks are read from the source when asked for (see chunks.ts).
 *
 * @example
 * ```ts
 * import * as zarr from 'zarrita';
 * import { openStoreView } from '@bfio/zarr';
 * const view = await openStoreView('slide.czi');
 * const level0 = await zarr.open(zarr.root(view).resolve('0'), { kind: 'array' });
 * ```
 */
import { BfioError, BioReader, type DType, InvalidDataError, UnsupportedError } from '@bfio/core';
import { ViewChunks } from './chunks.js';
import { chunkEncoder, type Encode } from './encode.js';
import { resolveKey } from './keys.js';
import { type ViewCodec, viewLayout } from './layout.js';
import { abortable, type ByteRangeRequest, sliceRange } from './request.js';

export type { ByteRangeRequest } from './request.js';

export interface StoreViewOptions {
  /** '0.5' (Zarr v3, default) or '0.4' (Zarr v2, '/' dimension separator, as bioformats2raw writes). */
  ngffVersion?: '0.4' | '0.5';
  /** How chunks are served: 'none' (raw little-endian bytes, default), or encoded with zstd, blosc or gzip. */
  codec?: ViewCodec;
  /** Most bytes of served chunks kept for reuse (default 256 MiB; 0 disables the cache). */
  cacheBytes?: number;
  /** Aborts reads in flight and makes the view refuse further chunk reads. */
  signal?: AbortSignal;
}

/** zarrita's AsyncReadable: keys are absolute, e.g. '/zarr.json', '/0/c/0/0/0/0/0'. */
export interface StoreView {
  /** The value under `key`, or undefined when the view has no such key (malformed keys included). */
  get(key: string, opts?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  getRange(
    key: string,
    range: ByteRangeRequest,
    opts?: { signal?: AbortSignal },
  ): Promise<Uint8Array | undefined>;
  /** Keys a client may list (group/array metadata docs), for directory-style listing; chunks are not enumerated. */
  metadataKeys(): Promise<string[]>;
  /** Bytes of chunks held by the cache now. */
  readonly cachedBytes: number;
  close(): Promise<void>;
}

export const DEFAULT_VIEW_CACHE_BYTES = 256 * 2 ** 20;

const CODECS: readonly ViewCodec[] = ['none', 'zstd', 'blosc', 'gzip'];

/**
 * Opens `source` (a path or URL, or a BioReader you keep ownership of) as an OME-Zarr store view. A reader
 * passed in is read through its series and level selection but left as it was; a path is opened and closed
 * with the view.
 */
export async function openStoreView(
  source: string | BioReader,
  options: StoreViewOptions = {},
): Promise<StoreView> {
  const version = options.ngffVersion ?? '0.5';
  const codec = options.codec ?? 'none';
  const cacheBytes = options.cacheBytes ?? DEFAULT_VIEW_CACHE_BYTES;
  const name = typeof source === 'string' ? source : source.path;
  if (version !== '0.4' && version !== '0.5')
    throw new UnsupportedError(
      `ngffVersion '${String(version)}' cannot be served (${name}); use '0.4' or '0.5'`,
      name,
    );
  if (!CODECS.includes(codec))
    throw new UnsupportedError(
      `codec '${String(codec)}' cannot be served (${name}); use ${CODECS.join(', ')}`,
      name,
    );
  if (!Number.isFinite(cacheBytes) || cacheBytes < 0)
    throw new InvalidDataError(`cacheBytes must be a non-negative number of bytes, got ${cacheBytes}`, name);

  const owned = typeof source === 'string';
  const reader = owned ? await BioReader.open(source) : source;
  try {
    const layout = viewLayout(reader, version, codec);
    // One encoder per dtype (blosc's shuffle depends on the element size; series may differ in type).
    const encoders = new Map<DType, Encode>();
    for (const { dtype } of layout.arrays.values())
      if (!encoders.has(dtype))
        encoders.set(dtype, await chunkEncoder(layout.compression, layout.level, dtype, reader.path));
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    const chunks = new ViewChunks(
      reader,
      (dtype) => encoders.get(dtype) as Encode,
      cacheBytes,
      controller.signal,
    );
    let closed = false;
    const closedError = () =>
      new BfioError(
        'closed',
        `the store view of ${reader.path} is closed; open a new view to read it again`,
        {
          file: reader.path,
        },
      );

    const get = async (key: string, opts?: { signal?: AbortSignal }) => {
      if (closed) throw closedError();
      const hit = resolveKey(layout, key);
      if (!hit) return undefined;
      if (hit.kind === 'document') return hit.bytes;
      return abortable(chunks.get(hit.array, hit.coords), opts?.signal);
    };

    return {
      get,
      async getRange(key, range, opts) {
        const bytes = await get(key, opts);
        return bytes && sliceRange(bytes, range);
      },
      async metadataKeys() {
        return [...layout.documents.keys()];
      },
      get cachedBytes() {
        return chunks.cache.bytes;
      },
      async close() {
        if (closed) return;
        closed = true;
        options.signal?.removeEventListener('abort', onAbort);
        controller.abort(closedError());
        chunks.cache.clear();
        if (owned) await reader.close();
      },
    };
  } catch (err) {
    if (owned) await reader.close();
    throw err;
  }
}
