/**
 * Turning what users pass (bfio's `read(X=[x0,x1], ..., C=[...])` arguments, or `br[y, x, z, c, t]`-style
 * indices) into a validated `Region`. Validation happens here once, so backends can trust regions.
 */
import type { Region } from './backend.js';
import { InvalidDataError, OutOfRangeError } from './errors/index.js';

/** Sizes of the image being addressed. */
export interface Extent {
  X: number;
  Y: number;
  Z: number;
  C: number;
  T: number;
}

/** A half-open range, a single index, or all (undefined). */
export type RangeArg = [number, number] | number | undefined;
/** An index list, a single index, or all (undefined). */
export type ListArg = number[] | number | undefined;

/** Arguments of `BioReader.read`: X/Y/Z half-open ranges, C/T index lists (bfio's convention). */
export interface ReadArgs {
  X?: RangeArg;
  Y?: RangeArg;
  Z?: RangeArg;
  C?: ListArg;
  T?: ListArg;
}

function checkInt(axis: string, v: number, file?: string): void {
  if (!Number.isInteger(v)) throw new InvalidDataError(`${axis} index ${v} is not an integer`, file);
}

export function toRange(axis: string, arg: RangeArg, size: number, file?: string): [number, number] {
  if (arg === undefined) return [0, size];
  const [a, b] = typeof arg === 'number' ? [arg, arg + 1] : arg;
  checkInt(axis, a, file);
  checkInt(axis, b, file);
  if (a < 0 || b > size || a >= b) {
    throw new OutOfRangeError(axis, `[${a}, ${b})`, `a non-empty range within [0, ${size})`, { file });
  }
  return [a, b];
}

export function toList(axis: string, arg: ListArg, size: number, file?: string): number[] {
  if (arg === undefined) return Array.from({ length: size }, (_, i) => i);
  const list = typeof arg === 'number' ? [arg] : [...arg];
  if (list.length === 0)
    throw new OutOfRangeError(axis, '[]', `a non-empty list of indices in [0, ${size})`, { file });
  for (const v of list) {
    checkInt(axis, v, file);
    if (v < 0 || v >= size) throw new OutOfRangeError(axis, String(v), `0 to ${size - 1}`, { file });
  }
  return list;
}

/** Validates bfio-style read arguments against an extent. */
export function regionFromArgs(args: ReadArgs, extent: Extent, file?: string): Region {
  return {
    x: toRange('X', args.X, extent.X, file),
    y: toRange('Y', args.Y, extent.Y, file),
    z: toRange('Z', args.Z, extent.Z, file),
    c: toList('C', args.C, extent.C, file),
    t: toList('T', args.T, extent.T, file),
  };
}

/**
 * One index of the `br[y, x, z, c, t]` helper: an integer, a `[start, end]` pair whose ends may be
 * `undefined`/`null` (open, like `a:` or `:b`), a list (C and T only), or undefined for the whole axis.
 * Negative integers count from the end, as in Python.
 */
export type SliceArg =
  | number
  | [number | null | undefined, number | null | undefined]
  | number[]
  | null
  | undefined;

/** A slice `[start, end]` as Python takes it: open ends, negative bounds from the end, clamped to the axis. */
function sliceBounds(
  arg: readonly [number | null | undefined, number | null | undefined],
  size: number,
): [number, number] {
  const norm = (v: number | null | undefined, dflt: number) =>
    v === undefined || v === null ? dflt : v < 0 ? v + size : v;
  // Python clamps slice ends to the axis; so do we (only the explicit read() API is strict).
  return [Math.max(0, norm(arg[0], 0)), Math.min(size, norm(arg[1], size))];
}

function sliceToRange(axis: 'X' | 'Y' | 'Z', arg: SliceArg, size: number, file?: string): RangeArg {
  if (arg === undefined || arg === null) return undefined;
  if (typeof arg === 'number') return arg < 0 ? arg + size : arg;
  if (arg.length !== 2)
    throw new InvalidDataError(`${axis} takes an index or a [start, end] range, not a list`, file);
  return sliceBounds(arg as [number | null, number | null], size);
}

function sliceToList(arg: SliceArg, size: number): ListArg {
  if (arg === undefined || arg === null) return undefined;
  if (typeof arg === 'number') return arg < 0 ? arg + size : arg;
  if (
    arg.length === 2 &&
    (arg[0] === null || arg[0] === undefined || arg[1] === null || arg[1] === undefined)
  ) {
    // An open-ended pair is a slice (`[-2, null]` = the last two, as Python's `c[-2:]`); a full pair is a list.
    const [a, b] = sliceBounds(arg as [number | null, number | null], size);
    return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  }
  return (arg as number[]).map((v) => (v < 0 ? v + size : v));
}

/** The region for `br[y, x, z, c, t]`-style indices. */
export function regionFromSlices(slices: SliceArg[], extent: Extent, file?: string): Region {
  if (slices.length > 5)
    throw new InvalidDataError(`at most 5 indices (Y, X, Z, C, T), got ${slices.length}`, file);
  const [y, x, z, c, t] = slices;
  return regionFromArgs(
    {
      Y: sliceToRange('Y', y, extent.Y, file),
      X: sliceToRange('X', x, extent.X, file),
      Z: sliceToRange('Z', z, extent.Z, file),
      C: sliceToList(c, extent.C),
      T: sliceToList(t, extent.T),
    },
    extent,
    file,
  );
}
