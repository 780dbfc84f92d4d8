/**
 * Opening the arrays of a store: zarrita's array (its errors typed), the checks of the spec zarrita skips,
 * the codec check, and, where the codec workers can read the chunks themselves, the direct-read plan.
 */
import { CorruptFileError, UnsupportedError } from '@bfio/core';
import * as zarr from 'zarrita';
import { checkCodecs } from '../check-codecs.js';
import { chunkNamer } from '../chunk-keys.js';
import { type DirectChunks, directChunks } from '../direct-chunks.js';
import type { ZarrFormat } from '../layout.js';
import { joinLocation } from '../location.js';
import type { AnyArray, Level } from './series.js';

/** What the opener needs of the open store. */
export interface ArraySource {
  file: string;
  root: string;
  format: ZarrFormat;
  remote: boolean;
  store: zarr.Readable;
  loc: zarr.Location<zarr.Readable>;
  /** Value of absent chunks asked for by the caller (else each array's fill_value). */
  fillValue?: number;
  /** An absent chunk is an error, not the fill value. */
  strict?: boolean;
}

export class ArrayOpener {
  private readonly plans = new WeakMap<AnyArray, DirectChunks>();
  private readonly namers = new WeakMap<AnyArray, Level['chunkName']>();

  constructor(private readonly src: ArraySource) {}

  /** The array at `rel` (relative to the root), checked, with its direct-read plan when it has one. */
  async open(rel: string): Promise<AnyArray> {
    const array = await this.openZarrita(rel);
    checkArrayShape(this.src.file, rel, array);
    await this.plan(rel, array);
    return array;
  }

  /** A level over an array this opener opened. */
  level(array: AnyArray, axisOf: number[]): Level {
    return {
      array,
      axisOf,
      direct: this.plans.get(array),
      chunkName: this.namers.get(array) ?? ((coords) => `chunk [${coords.join(',')}]`),
    };
  }

  private async openZarrita(rel: string): Promise<AnyArray> {
    const { file, format, loc } = this.src;
    const where = rel ? loc.resolve(rel) : loc;
    try {
      return (format === 3
        ? await zarr.open.v3(where, { kind: 'array' })
        : await zarr.open.v2(where, { kind: 'array', attrs: false })) as unknown as AnyArray;
    } catch (err) {
      const why = String(err);
      if (/unsupported or unknown d(ata)?_?type|Unknown or unsupported dataType/i.test(why)) {
        throw new UnsupportedError(
          `${file}: the array '${rel || '/'}' has a data type bfio cannot read (${why})`,
          file,
        );
      }
      throw new CorruptFileError(file, `cannot open the Zarr array '${rel || '/'}': ${why}`, undefined, err);
    }
  }

  /** Reads the array's own metadata document: the codec check, chunk names and the direct-read plan. */
  private async plan(rel: string, array: AnyArray): Promise<void> {
    const { file, root, format, remote, store, fillValue, strict } = this.src;
    const bytes = await store.get(`/${rel ? `${rel}/` : ''}${format === 3 ? 'zarr.json' : '.zarray'}`);
    let meta: Record<string, unknown> | undefined;
    try {
      if (bytes) meta = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    } catch {
      // zarrita parsed it already; an odd document just means no direct path.
    }
    if (meta) checkCodecs(file, rel, meta, format);
    const name = chunkNamer(meta, format, rel);
    this.namers.set(array, name);
    const plan =
      meta && directChunks(meta, format, rel ? joinLocation(root, rel) : root, fillValue ?? array.fillValue);
    if (!plan) {
      // zarrita fills absent chunks with the array's own fill_value; another one would be silently ignored.
      if (fillValue !== undefined && fillValue !== array.fillValue)
        throw new UnsupportedError(
          `${file}: a fill value for absent chunks (${fillValue}) is supported for little-endian uncompressed or zstd arrays; this array (${rel || 'root'}) keeps its own fill_value ${String(array.fillValue)}`,
          file,
        );
      return;
    }
    // A remote store's chunks are fetched here and decoded (and placed) on the workers.
    const absent = strict
      ? (coords: readonly number[]): never => {
          throw new CorruptFileError(
            file,
            `${name(coords)} is missing (strict reading: an absent chunk is an error, not the fill value); restore it, or read without --strict to get the fill value`,
          );
        }
      : undefined;
    this.plans.set(array, { ...plan, ...(remote ? { remote: true } : {}), ...(absent ? { absent } : {}) });
  }
}

/**
 * The spec's rules zarrita does not enforce: shape entries are non-negative integers, chunk entries positive
 * integers, one per dimension. `chunks: [0, 0]` would otherwise "read" (as the fill value) and a rank
 * mismatch fail later with an unrelated TypeError.
 */
function checkArrayShape(file: string, rel: string, array: AnyArray): void {
  const where = `array '${rel || '/'}'`;
  const { shape, chunks } = array as unknown as { shape: unknown; chunks: unknown };
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new CorruptFileError(
      file,
      `the ${where} has an invalid shape ${JSON.stringify(shape)} (non-negative integers expected); fix its metadata`,
    );
  }
  if (!Array.isArray(chunks) || !chunks.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new CorruptFileError(
      file,
      `the ${where} has invalid chunks ${JSON.stringify(chunks)} (positive integers expected); fix its metadata`,
    );
  }
  if (chunks.length !== shape.length) {
    throw new CorruptFileError(
      file,
      `the ${where} has ${shape.length} dimensions but ${chunks.length} chunk sizes; fix its metadata`,
    );
  }
}
