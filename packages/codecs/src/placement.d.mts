/** The one strided copy (see placement.mjs). */
interface Elements {
  length: number;
  [i: number]: number | bigint;
  subarray(begin: number, end: number): Elements;
  set(array: never, offset: number): void;
}
export function copyBlock(
  src: Elements,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: Elements,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void;
export function elementView(
  bytes: Uint8Array,
  size: number,
): Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
export function placeBlocks(block: Uint8Array, place: object): Uint8Array;
export function scatterRows(block: Uint8Array, scatter: object): Uint8Array;
/** Makes a large shared result's pages present ahead of the codec workers (see placement.mjs). */
export function prefaultAhead(target: ArrayBufferView): (() => void) | undefined;
/** Runs `read` with `prefaultAhead(target)` beside it, stopped when the read settles. */
export function prefaulting<T>(target: ArrayBufferView, read: () => Promise<T>): Promise<T>;
export function useNativePrefault(
  fn: (bytes: Uint8Array) => number,
  huge?: (bytes: Uint8Array) => number,
): void;
