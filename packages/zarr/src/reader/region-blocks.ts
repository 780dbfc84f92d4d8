/**
 * Which chunks a region touches and, inside each, the blocks to copy: per array axis the runs of the region
 * cut at chunk boundaries, combined into 5-D (t,c,z,y,x) blocks with source and output offsets. Pure index
 * arithmetic, shared by the main-thread copy and the plans handed to the codec workers.
 */
import type { Region } from '@bfio/core/backend';
import type { AnyArray } from './series.js';

export type Vec5 = [number, number, number, number, number];
type Span = readonly [number, number];

/** A run of the region inside one chunk along one axis: output index, index inside the chunk, length. */
interface Piece {
  out: number;
  at: number;
  n: number;
}

const SINGLE: Piece[] = [{ out: 0, at: 0, n: 1 }];

/** `fn(src, dst, counts, stride)` per block: offsets in the chunk and the output, t,c,z,y,x counts, chunk strides. */
export type BlockFn = (src: number, dst: number, counts: Vec5, stride: Vec5) => void;

export interface RegionBlocks {
  /** Coordinates of every chunk the region touches (the last array axis varies fastest). */
  chunkIds: number[][];
  /** Element strides of the planar T,C,Z,Y,X output. */
  outStride: Vec5;
  /** The blocks of the region inside chunk `coords`, for a chunk with element strides `chunkStride`. */
  blocksOf(coords: readonly number[], chunkStride: readonly number[], fn: BlockFn): void;
  /** Whether the region uses every element of chunk `coords` (clipped at the array's edge). */
  coversChunk(coords: readonly number[]): boolean;
}

/** The chunks and blocks of `region` in an array whose axes hold ours as `axisOf` says. */
export function regionBlocks(array: AnyArray, axisOf: readonly number[], region: Region): RegionBlocks {
  const nx = region.x[1] - region.x[0];
  const ny = region.y[1] - region.y[0];
  const nz = region.z[1] - region.z[0];
  const nc = region.c.length;
  const outStride: Vec5 = [nc * nz * ny * nx, nz * ny * nx, ny * nx, nx, 1];
  const absentT: Piece[] = region.t.map((_, out) => ({ out, at: 0, n: 1 }));
  const absentC: Piece[] = region.c.map((_, out) => ({ out, at: 0, n: 1 }));
  // Per array axis: the touched chunks, each with the pieces (runs) of the region inside it.
  const ndim = array.shape.length;
  const perAxis: Array<Map<number, Piece[]>> = [];
  const ourAxis: number[] = new Array(ndim).fill(-1);
  for (let a = 0; a < ndim; a++) {
    const k = axisOf.indexOf(a);
    ourAxis[a] = k;
    const size = array.chunks[a] as number;
    if (k < 0) perAxis.push(new Map([[0, [{ out: 0, at: 0, n: 1 }]]]));
    else if (k === 0) perAxis.push(piecesOfList(region.t, size));
    else if (k === 1) perAxis.push(piecesOfList(region.c, size));
    else perAxis.push(piecesOfRange((k === 2 ? region.z : k === 3 ? region.y : region.x) as Span, size));
  }
  const blocksOf = (coords: readonly number[], chunkStride: readonly number[], fn: BlockFn) => {
    // Our axis k → the chunk's stride and the pieces along it (absent axes: one element, stride 0).
    const stride: Vec5 = [0, 0, 0, 0, 0];
    // Axes the array lacks have size 1: every requested index (repeats included) reads element 0.
    const pieces: Piece[][] = [absentT, absentC, SINGLE, SINGLE, SINGLE];
    for (let a = 0; a < ndim; a++) {
      const k = ourAxis[a] as number;
      if (k < 0) continue;
      stride[k] = chunkStride[a] as number;
      pieces[k] = perAxis[a]?.get(coords[a] as number) as Piece[];
    }
    // The fixed offset of axes bfio has no name for (size 1, index 0 inside chunk 0): nothing to add.
    for (const pt of pieces[0] as Piece[])
      for (const pc of pieces[1] as Piece[])
        for (const pz of pieces[2] as Piece[])
          for (const py of pieces[3] as Piece[])
            for (const px of pieces[4] as Piece[]) {
              const src =
                pt.at * stride[0] +
                pc.at * stride[1] +
                pz.at * stride[2] +
                py.at * stride[3] +
                px.at * stride[4];
              const dst =
                pt.out * outStride[0] +
                pc.out * outStride[1] +
                pz.out * outStride[2] +
                py.out * outStride[3] +
                px.out;
              fn(src, dst, [pt.n, pc.n, pz.n, py.n, px.n], stride);
            }
  };
  const coversChunk = (coords: readonly number[]): boolean => {
    for (let a = 0; a < ndim; a++) {
      const c = coords[a] as number;
      const size = array.chunks[a] as number;
      const valid = Math.min(size, (array.shape[a] as number) - c * size);
      if (!covers(perAxis[a]?.get(c) ?? [], valid)) return false;
    }
    return true;
  };
  return { chunkIds: product(perAxis.map((m) => [...m.keys()])), outStride, blocksOf, coversChunk };
}

/**
 * Several regions of one shape laid back to back in one output (region i from element i × `length`) as one
 * RegionBlocks: each chunk once, its blocks those of every region that touches it.
 */
export function combineBlocks(list: readonly RegionBlocks[], length: number): RegionBlocks {
  const users = new Map<string, { coords: number[]; regions: number[] }>();
  list.forEach((blocks, i) => {
    for (const coords of blocks.chunkIds) {
      const key = coords.join(',');
      const entry = users.get(key);
      if (entry) entry.regions.push(i);
      else users.set(key, { coords, regions: [i] });
    }
  });
  const regionsOf = (coords: readonly number[]) => users.get(coords.join(','))?.regions ?? [];
  return {
    chunkIds: [...users.values()].map((u) => u.coords),
    outStride: (list[0]?.outStride ?? [0, 0, 0, 0, 1]) as Vec5,
    blocksOf(coords, chunkStride, fn) {
      for (const i of regionsOf(coords))
        list[i]!.blocksOf(coords, chunkStride, (src, dst, counts, stride) =>
          fn(src, dst + i * length, counts, stride),
        );
    },
    coversChunk: (coords) => regionsOf(coords).some((i) => list[i]!.coversChunk(coords)),
  };
}

/** Whether pieces (along one axis, inside one chunk) cover all `valid` elements [0, valid) of the chunk. */
function covers(pieces: readonly Piece[], valid: number): boolean {
  const sorted = [...pieces].sort((p, q) => p.at - q.at);
  let end = 0;
  for (const p of sorted) {
    if (p.at > end) return false;
    end = Math.max(end, p.at + p.n);
  }
  return end >= valid;
}

/** Maximal runs of consecutive ascending indices in an index list: [outStart, first, length]. */
function runs(list: readonly number[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let i = 0;
  while (i < list.length) {
    let n = 1;
    while (i + n < list.length && list[i + n] === (list[i] as number) + n) n++;
    out.push([i, list[i] as number, n]);
    i += n;
  }
  return out;
}

function addPiece(map: Map<number, Piece[]>, chunk: number, piece: Piece): void {
  const list = map.get(chunk);
  if (list) list.push(piece);
  else map.set(chunk, [piece]);
}

/** A half-open range split at chunk boundaries. */
function piecesOfRange([lo, hi]: Span, chunk: number): Map<number, Piece[]> {
  const map = new Map<number, Piece[]>();
  for (let i = lo; i < hi; ) {
    const c = Math.floor(i / chunk);
    const end = Math.min(hi, (c + 1) * chunk);
    addPiece(map, c, { out: i - lo, at: i - c * chunk, n: end - i });
    i = end;
  }
  return map;
}

/** An index list (any order): runs of consecutive ascending indices, split at chunk boundaries. */
function piecesOfList(list: readonly number[], chunk: number): Map<number, Piece[]> {
  const map = new Map<number, Piece[]>();
  for (const [out, first, n] of runs(list)) {
    for (const [c, pieces] of piecesOfRange([first, first + n], chunk))
      for (const p of pieces) addPiece(map, c, { ...p, out: p.out + out });
  }
  return map;
}

/** Every combination of one value per list (the last list varies fastest). */
function product(lists: number[][]): number[][] {
  let acc: number[][] = [[]];
  for (const list of lists) acc = acc.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return acc;
}
