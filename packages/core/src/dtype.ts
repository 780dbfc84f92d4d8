import type { PixelType } from '@bfio/ome-xml';
import { UnsupportedError } from './errors/index.js';

/** Pixel types as numpy spells them: the names users of bfio already know. */
export type DType = 'uint8' | 'uint16' | 'uint32' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export const DTYPES: readonly DType[] = [
  'uint8',
  'uint16',
  'uint32',
  'int8',
  'int16',
  'int32',
  'float32',
  'float64',
];

export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

type Ctor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

const CTORS: Record<DType, Ctor> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

export function bytesPerPixel(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** A zero-filled typed array of `length` elements. */
export function allocate(dtype: DType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

/** A typed view of `dtype` over existing bytes (no copy; `byteOffset` must be aligned). */
export function viewAs(dtype: DType, buffer: ArrayBufferLike, byteOffset = 0, length?: number): TypedArray {
  const ctor = CTORS[dtype];
  return new ctor(buffer, byteOffset, length ?? (buffer.byteLength - byteOffset) / ctor.BYTES_PER_ELEMENT);
}

/** The dtype of a typed array, or undefined for types bfio does not store (BigInt64Array, ...). */
export function dtypeOf(array: ArrayBufferView): DType | undefined {
  for (const [dtype, ctor] of Object.entries(CTORS) as [DType, Ctor][]) {
    if (array.constructor === ctor) return dtype;
  }
  return undefined;
}

const FROM_PIXEL_TYPE: Partial<Record<PixelType, DType>> = {
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  float: 'float32',
  double: 'float64',
  // 1-bit images are unpacked to one byte per pixel (0 or 1), as Bio-Formats and tifffile present them.
  bit: 'uint8',
};

/** The dtype pixels of an OME `PixelType` are returned as. Complex types are not supported. */
export function dtypeFromPixelType(type: PixelType, file?: string): DType {
  const dtype = FROM_PIXEL_TYPE[type];
  if (!dtype) throw new UnsupportedError(`OME pixel type '${type}' is not supported by bfio`, file);
  return dtype;
}

export function pixelTypeFromDType(dtype: DType): PixelType {
  return dtype === 'float32' ? 'float' : dtype === 'float64' ? 'double' : dtype;
}

const NUMPY_TYPESTR: Record<DType, string> = {
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  float32: '<f4',
  float64: '<f8',
};

/** NumPy's type string for `dtype`, little-endian (`'<u2'`): what `.npy` headers and Zarr v2 `dtype` hold. */
export function numpyTypestr(dtype: DType): string {
  return NUMPY_TYPESTR[dtype];
}
