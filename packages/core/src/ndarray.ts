/**
 * A small strided n-d array: the result type of every read, whatever the backend.
 *
 * Reads come back from backends as planar T,C,Z,Y,X buffers (X fastest: how TIFF planes and Zarr chunks
 * are stored). `NDArray` presents that buffer in bfio's axis order Y,X,Z,C,T through strides, without a
 * copy. `toContiguous()` makes a C-order copy (what numpy would hold) when a consumer needs one.
 *
 * Squeeze rule (bfio's): keep the Y,X,Z,C,T order, then drop *trailing* size-1 axes while more than two
 * axes remain; singletons in the middle stay. A 1-channel 2-D plane is (Y, X); a 3-channel plane is
 * (Y, X, 1, 3); a Z-stack of one channel is (Y, X, Z).
 */
import { copyBlock } from '@bfio/codecs';
import { allocate, type DType, dtypeOf, type TypedArray } from './dtype.js';
import { InvalidDataError } from './errors/index.js';

export const AXES = 'YXZCT';

export class NDArray<T extends TypedArray = TypedArray> {
  readonly data: T;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** Axis letters, one per dimension (e.g. 'YXZCT', or 'YX' after squeezing). */
  readonly axes: string;

  constructor(data: T, shape: readonly number[], strides?: readonly number[], offset = 0, axes?: string) {
    this.data = data;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : cOrderStrides(shape);
    this.offset = offset;
    this.axes = axes ?? AXES.slice(0, shape.length);
    if (this.strides.length !== this.shape.length)
      throw new InvalidDataError('NDArray: shape and strides differ in length');
  }

  get dtype(): DType {
    return dtypeOf(this.data)!;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  private index(idx: readonly number[]): number {
    if (idx.length !== this.shape.length) {
      throw new InvalidDataError(
        `NDArray of shape (${this.shape.join(', ')}) takes ${this.shape.length} indices`,
      );
    }
    let i = this.offset;
    for (let d = 0; d < idx.length; d++) {
      const v = idx[d]!;
      if (v < 0 || v >= this.shape[d]! || !Number.isInteger(v)) {
        throw new InvalidDataError(
          `index ${v} is out of range for axis ${this.axes[d]} of size ${this.shape[d]}`,
        );
      }
      i += v * this.strides[d]!;
    }
    return i;
  }

  get(...idx: number[]): number {
    return this.data[this.index(idx)]!;
  }

  set(value: number, ...idx: number[]): void {
    this.data[this.index(idx)] = value;
  }

  /** True when the elements lie in C order without gaps (so `data` can be used as is). */
  isContiguous(): boolean {
    const expect = cOrderStrides(this.shape);
    return (
      this.offset === 0 &&
      this.data.length === this.size &&
      expect.every((s, d) => this.shape[d] === 1 || s === this.strides[d])
    );
  }

  /** A C-order copy (or this array, when it already is C-order). */
  toContiguous(): NDArray<T> {
    if (this.isContiguous()) return this;
    const out = allocate(this.dtype, this.size) as T;
    copyStrided(this, out, cOrderStrides(this.shape), 0);
    return new NDArray(out, this.shape, undefined, 0, this.axes);
  }

  /** The same elements with size-1 axes dropped by bfio's rule (trailing singletons while ndim > 2). */
  squeezeTrailing(): NDArray<T> {
    let n = this.shape.length;
    while (n > 2 && this.shape[n - 1] === 1) n--;
    return new NDArray(
      this.data,
      this.shape.slice(0, n),
      this.strides.slice(0, n),
      this.offset,
      this.axes.slice(0, n),
    );
  }

  /** The view padded back to 5-D Y,X,Z,C,T (size-1 axes appended). */
  expand5D(): NDArray<T> {
    if (this.shape.length === 5) return this;
    const shape = [...this.shape];
    const strides = [...this.strides];
    while (shape.length < 5) {
      shape.push(1);
      strides.push(0);
    }
    return new NDArray(this.data, shape, strides, this.offset, AXES);
  }
}

export function cOrderStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Strides of the Y,X,Z,C,T view over a planar T,C,Z,Y,X buffer of the given sizes. */
export function planarStrides(y: number, x: number, z: number, c: number): number[] {
  return [x, 1, y * x, z * y * x, c * z * y * x];
}

/**
 * Copies every element of `src` into `dst` laid out with `dstStrides` from `dstOffset`: @bfio/codecs'
 * `copyBlock`, the one strided copy (bounds-checked; whole rows with one `set`).
 */
export function copyStrided(
  src: NDArray,
  dst: TypedArray,
  dstStrides: readonly number[],
  dstOffset: number,
): void {
  copyBlock(src.data as never, src.offset, src.strides, dst as never, dstOffset, dstStrides, src.shape);
}
