/**
 * Chunk coordinates → the store key holding them, from an array's metadata document, for the two uses that
 * need it without zarrita: the direct chunk reader (which opens the files itself) and error messages that
 * must name the chunk a user would look at (`0/c/0/0/3/4`, not "a chunk of level 0").
 */
import { CorruptFileError } from '@bfio/core';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Grid coordinates → key relative to the array's directory, or undefined for an encoding bfio does not know
 * (zarrita then reads the chunks; messages fall back to the coordinates). For a sharded array the grid is
 * the shards' (see `shardsPer`).
 */
export function chunkKeyEncoder(
  meta: Record<string, unknown>,
  format: 2 | 3,
): ((coords: readonly number[]) => string) | undefined {
  if (format === 2) {
    const sep = meta.dimension_separator ?? '.';
    if (sep !== '/' && sep !== '.') return undefined;
    return (coords) => (coords.length ? coords.join(sep) : '0');
  }
  const encoding = meta.chunk_key_encoding;
  if (!isObject(encoding)) return undefined;
  const sep = isObject(encoding.configuration) ? encoding.configuration.separator : undefined;
  if (encoding.name === 'default') {
    const s = sep === undefined ? '/' : sep;
    if (s !== '/' && s !== '.') return undefined;
    return (coords) => ['c', ...coords].join(s);
  }
  if (encoding.name === 'v2') {
    const s = sep === undefined ? '.' : sep;
    if (s !== '/' && s !== '.') return undefined;
    return (coords) => (coords.length ? coords.join(s) : '0');
  }
  return undefined;
}

/** Inner chunks per shard along each axis for a `sharding_indexed` array; undefined when not sharded. */
export function shardsPer(meta: Record<string, unknown>): number[] | undefined {
  const codecs = meta.codecs;
  const only = Array.isArray(codecs) && codecs.length === 1 ? codecs[0] : undefined;
  if (!isObject(only) || only.name !== 'sharding_indexed' || !isObject(only.configuration)) return undefined;
  const grid = meta.chunk_grid;
  const outer = isObject(grid) && isObject(grid.configuration) ? grid.configuration.chunk_shape : undefined;
  const inner = only.configuration.chunk_shape;
  if (!Array.isArray(outer) || !Array.isArray(inner) || outer.length !== inner.length) return undefined;
  const per = outer.map((s, i) => Number(s) / Number(inner[i]));
  return per.every((n) => Number.isInteger(n) && n > 0) ? per : undefined;
}

/**
 * How messages name the chunk at (inner-chunk, for sharded arrays) coordinates `coords` of the array at
 * `rel` in the store: "chunk '0/c/0/0/1/2'" or "inner chunk [0,0,0,3,4] of shard '0/c/0/0/0/0'".
 */
export function chunkNamer(
  meta: Record<string, unknown> | undefined,
  format: 2 | 3,
  rel: string,
): (coords: readonly number[]) => string {
  const key = meta && chunkKeyEncoder(meta, format);
  const per = meta && format === 3 ? shardsPer(meta) : undefined;
  const prefix = rel ? `${rel}/` : '';
  return (coords) => {
    if (!key) return `chunk [${coords.join(',')}] of array '${rel || '/'}'`;
    if (!per) return `chunk '${prefix}${key(coords)}'`;
    const shard = coords.map((c, i) => Math.floor(c / (per[i] as number)));
    return `inner chunk [${coords.join(',')}] of shard '${prefix}${key(shard)}'`;
  };
}

/** Store keys that are metadata rather than chunks (a missing one is normal: zarrita probes for them). */
export function isMetadataKey(key: string): boolean {
  return /(^|\/)(zarr\.json|\.zarray|\.zgroup|\.zattrs|\.zmetadata)$/.test(key) || /(^|\/)OME\//.test(key);
}

/**
 * `--strict` reading: a chunk absent from the store is an error naming its key instead of the fill value
 * (the spec's rule, which also hides a chunk lost in a copy). Wraps a zarrita store's reads.
 */
export function strictStore<S extends { get: (...args: never[]) => Promise<Uint8Array | undefined> }>(
  store: S,
  file: string,
): S {
  const missing = (key: string) =>
    new CorruptFileError(
      file,
      `chunk '${key.replace(/^\//, '')}' is missing (strict reading: an absent chunk is an error, not the fill value); restore it, or read without --strict to get the fill value`,
    );
  return new Proxy(store, {
    get(target, prop) {
      // The store itself as receiver: zarrita's stores keep state in #private fields a proxy cannot reach.
      const value = Reflect.get(target, prop);
      if (typeof value === 'function' && prop !== 'get' && prop !== 'getRange') return value.bind(target);
      if (typeof value !== 'function') return value;
      return async (key: string, ...rest: unknown[]) => {
        const bytes = await (value as (...a: unknown[]) => Promise<Uint8Array | undefined>).call(
          target,
          key,
          ...rest,
        );
        if (bytes === undefined && !isMetadataKey(key)) throw missing(key);
        return bytes;
      };
    },
  });
}
