/**
 * A series as the reader holds it: its levels (each a zarrita array and where our axes are in it) and the
 * SeriesInfo core sees, with the checks that turn an array that is not an image into a typed error.
 */
import { type DType, type LevelInfo, UnsupportedError } from '@bfio/core';
import type { SeriesInfo } from '@bfio/core/backend';
import type * as zarr from 'zarrita';
import type { DirectChunks } from '../direct-chunks.js';

export type AnyArray = zarr.Array<zarr.DataType, zarr.Readable>;

/** One resolution level: its array and where each of our axes t,c,z,y,x is in it (-1: absent). */
export interface Level {
  array: AnyArray;
  /** axisOf[i] = index in the array of AXES[i], or -1. */
  axisOf: number[];
  /** Set when chunks can be read and decoded on a worker without zarrita. */
  direct?: DirectChunks;
  /** How error messages name the chunk at some coordinates (its key in the store). */
  chunkName: (coords: readonly number[]) => string;
}

export interface Series {
  path: string;
  dtype: DType;
  levels: Level[];
  info: SeriesInfo;
}

const DTYPES: Record<string, DType> = {
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  float32: 'float32',
  float64: 'float64',
  // Widened: bfio has no 64-bit integer or boolean pixel types (bfio itself turns int64 into float64).
  int64: 'float64',
  uint64: 'float64',
  bool: 'uint8',
};

/** The most channels one series may have (each is an OME Channel in the metadata). */
const MAX_CHANNELS = 65_536;

export function makeSeries(file: string, path: string, levels: Level[], index: number): Series {
  const first = levels[0] as Level;
  const dtype = DTYPES[first.array.dtype];
  if (!dtype) {
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''} stores ${first.array.dtype} values, which bfio cannot represent`,
      file,
    );
  }
  const infos: LevelInfo[] = levels.map(({ array, axisOf }) => {
    const size = (k: number) => {
      const a = axisOf[k] as number;
      return a >= 0 ? (array.shape[a] as number) : 1;
    };
    const chunk = (k: number) => {
      const a = axisOf[k] as number;
      return a >= 0 ? (array.chunks[a] as number) : 1;
    };
    return {
      sizeT: size(0),
      sizeC: size(1),
      sizeZ: size(2),
      sizeY: size(3),
      sizeX: size(4),
      tileHeight: chunk(3),
      tileWidth: chunk(4),
    };
  });
  // Each channel becomes an OME Channel element: a shape claiming 10^15 channels (sparse arrays are valid
  // Zarr) would build that many before the first read.
  const empty = infos.findIndex((l) => [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX].includes(0));
  if (empty >= 0) {
    // Valid Zarr (an array with no elements), but not an image: there is nothing to read.
    const l = infos[empty] as LevelInfo;
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''}: level ${empty} is empty (T,C,Z,Y,X = ${l.sizeT},${l.sizeC},${l.sizeZ},${l.sizeY},${l.sizeX}); an image needs at least one pixel, so check the array's shape`,
      file,
    );
  }
  const channels = infos[0]?.sizeC ?? 1;
  if (channels > MAX_CHANNELS) {
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''} has ${channels} channels, more than bfio describes (${MAX_CHANNELS}); if the shape is right, open the array with the channel axis read as another axis (or split it)`,
      file,
    );
  }
  return { path, dtype, levels, info: { imageIndex: index, dtype, levels: infos } };
}

/**
 * Each level's pixel size relative to level 0 along x, y, z from the multiscales scales, where every level
 * has one (ome-zarr-py records the size ratio, bfio and bioformats2raw exact powers of two: the store says).
 */
export function withDownsampling(
  infos: LevelInfo[],
  levels: Level[],
  scales: Array<number[] | undefined>,
): LevelInfo[] {
  const scale0 = scales[0];
  if (!scale0 || scales.some((s) => !s)) return infos;
  return infos.map((info, l) => {
    const scale = scales[l] as number[];
    const { axisOf } = levels[l] as Level;
    const factor = (k: number) => {
      const a = axisOf[k] as number;
      const s0 = a >= 0 ? scale0[a] : undefined;
      const s = a >= 0 ? scale[a] : undefined;
      return s0 && s && Number.isFinite(s / s0) && s / s0 > 0 ? s / s0 : 1;
    };
    return { ...info, downsample: { x: factor(4), y: factor(3), z: factor(2) } };
  });
}

/** The facts of a series an OME Image is synthesized from, when the store has no OME-XML for it. */
export function imageFacts(series: Series, index: number, name: string) {
  const l0 = series.info.levels[0] as LevelInfo;
  return {
    index,
    name,
    dtype: series.dtype,
    sizeX: l0.sizeX,
    sizeY: l0.sizeY,
    sizeZ: l0.sizeZ,
    sizeC: l0.sizeC,
    sizeT: l0.sizeT,
  };
}
