/**
 * Interleaved (chunky) RGB output: the writer tiles and downsamples each channel as its own plane, and this
 * joins the three channel tiles of one Z/T plane position into one pixel-interleaved tile (R G B R G B …)
 * once all of them are complete, whatever order the writes came in.
 */
import { allocate, type DType, type TypedArray } from '@bfio/core';

interface Group {
  parts: Array<TypedArray | undefined>;
  count: number;
}

export class SampleJoiner {
  /** Channel tiles waiting for their siblings, by the tile's key in the IFD plane grid. */
  private readonly waiting = new Map<number, Group>();

  constructor(
    readonly samples: number,
    readonly dtype: DType,
  ) {}

  /**
   * Add sample `sample`'s tile at `key`: returns the interleaved tile when it was the last one missing (the
   * separate sample tiles are then returned in `parts` for reuse), else undefined (the tile is kept).
   */
  add(key: number, sample: number, tile: TypedArray): { data: TypedArray; parts: TypedArray[] } | undefined {
    let group = this.waiting.get(key);
    if (!group) {
      group = { parts: new Array(this.samples), count: 0 };
      this.waiting.set(key, group);
    }
    if (group.parts[sample]) throw new Error('internal: a sample tile arrived twice');
    group.parts[sample] = tile;
    if (++group.count < this.samples) return undefined;
    this.waiting.delete(key);
    const parts = group.parts as TypedArray[];
    return { data: interleave(parts, this.dtype), parts };
  }
}

/** Pixel-interleave equally long sample arrays. */
export function interleave(parts: TypedArray[], dtype: DType): TypedArray {
  const n = parts[0]!.length;
  const k = parts.length;
  const out = allocate(dtype, n * k);
  for (let s = 0; s < k; s++) {
    const src = parts[s]!;
    for (let i = 0, j = s; i < n; i++, j += k) out[j] = src[i]!;
  }
  return out;
}
