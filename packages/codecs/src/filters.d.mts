/** Filters between a codec and the pixels (see filters.mjs). */
type Samples =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;
export function swapBytes(bytes: Uint8Array, size: number): void;
export function unsignedView(bytes: Uint8Array, size: 1 | 2 | 4): Uint8Array | Uint16Array | Uint32Array;
export function applyHorizontal(samples: Samples, rowLength: number, stride: number): void;
export function undoHorizontal(samples: Samples, rowLength: number, stride: number): void;
export function useNativeUndo(
  fn: (samples: Uint8Array | Uint16Array | Uint32Array, rowLength: number, stride: number) => void,
): void;
export function applyFloatPredictor(
  bytes: Uint8Array,
  rowSamples: number,
  stride: number,
  size: number,
): Uint8Array;
export function undoFloatPredictor(
  bytes: Uint8Array,
  rowSamples: number,
  stride: number,
  size: number,
): Uint8Array;
export function float16ToFloat32(h: Uint16Array): Float32Array;
export function unpackSamples(
  bytes: Uint8Array,
  bits: number,
  rowSamples: number,
  rows: number,
  out: { [i: number]: number; length: number },
): void;
export function reverseBits(bytes: Uint8Array): void;
export function ycbcrToRgb(data: Uint8Array): void;
export function unfilter(bytes: Uint8Array, params: object): Uint8Array;
export function prefilter(bytes: Uint8Array, params: object): Uint8Array;
