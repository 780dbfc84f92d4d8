/**
 * Shared by the writer tests: deterministic pseudo-random but structured images, OME metadata for them, and
 * a driver that writes an image through the WriterBackend contract in unaligned regions of random sizes, in
 * random order, several at once.
 */
import { createHash } from 'node:crypto';
import { allocate, type DType, type TypedArray } from '@bfio/core';
import type { Region, WriterBackend } from '@bfio/core/backend';
import type { DimensionOrder, OME, Quantity } from '@bfio/ome-xml';

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RANGES: Record<DType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-1e6, 1e6],
  float64: [-1e12, 1e12],
};

export interface Image5D {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  dimensionOrder: DimensionOrder;
  dtype: DType;
  /** Planes in IFD order (plane index of the DimensionOrder), each Y × X. */
  planes: TypedArray;
}

export function planeIndexOf(
  order: DimensionOrder,
  img: Pick<Image5D, 'sizeZ' | 'sizeC' | 'sizeT'>,
  z: number,
  c: number,
  t: number,
): number {
  const size = { Z: img.sizeZ, C: img.sizeC, T: img.sizeT };
  const at = { Z: z, C: c, T: t };
  const [a, b, d] = [order[2], order[3], order[4]] as ('Z' | 'C' | 'T')[];
  return at[a!] + size[a!] * (at[b!] + size[b!] * at[d!]);
}

/**
 * Smooth structure (gradients and waves, so pyramids and predictors see realistic data) plus noise, spanning
 * the dtype's whole range including its extremes.
 */
export function makeImage(
  seed: number,
  dtype: DType,
  sizes: { sizeX: number; sizeY: number; sizeZ: number; sizeC: number; sizeT: number },
  dimensionOrder: DimensionOrder,
): Image5D {
  const { sizeX, sizeY, sizeZ, sizeC, sizeT } = sizes;
  const n = sizeZ * sizeC * sizeT;
  const planes = allocate(dtype, sizeX * sizeY * n);
  const rand = rng(seed);
  const [lo, hi] = RANGES[dtype];
  const span = hi - lo;
  const isFloat = dtype.startsWith('float');
  const noiseScale = 0.1 * span;
  for (let p = 0; p < n; p++) {
    const phase = rand() * 6;
    const base = p * sizeX * sizeY;
    // Separable structure: one sine per column and one cosine per row, noise per pixel.
    const colWave = Float64Array.from({ length: sizeX }, (_, x) => 0.5 + 0.25 * Math.sin(x / 17 + phase));
    const rowWave = Float64Array.from({ length: sizeY }, (_, y) => 0.2 * Math.cos(y / 23 - phase));
    // Computed in a Float64Array (one monomorphic loop for every dtype), then converted by set().
    const plane = new Float64Array(sizeX * sizeY);
    for (let y = 0; y < sizeY; y++) {
      const r = rowWave[y]!;
      const o = y * sizeX;
      for (let x = 0; x < sizeX; x++) {
        let v = lo + span * (colWave[x]! + r) + noiseScale * (rand() - 0.5);
        v = Math.min(hi, Math.max(lo, v));
        plane[o + x] = isFloat ? v : Math.round(v);
      }
    }
    planes.set(plane, base);
    // The extremes must survive the round trip (and the predictor's wrap-around).
    planes[base] = lo;
    planes[base + sizeX * sizeY - 1] = hi;
    if (isFloat) planes[base + 1] = -0;
  }
  return { ...sizes, dimensionOrder, dtype, planes };
}

export function omeFor(img: Image5D, physical?: { x: Quantity; y: Quantity }): OME {
  const type = img.dtype === 'float32' ? 'float' : img.dtype === 'float64' ? 'double' : img.dtype;
  return {
    instruments: [],
    images: [
      {
        id: 'Image:0',
        name: 'writer test',
        pixels: {
          id: 'Pixels:0',
          dimensionOrder: img.dimensionOrder,
          type,
          sizeX: img.sizeX,
          sizeY: img.sizeY,
          sizeZ: img.sizeZ,
          sizeC: img.sizeC,
          sizeT: img.sizeT,
          physicalSizeX: physical?.x,
          physicalSizeY: physical?.y,
          channels: Array.from({ length: img.sizeC }, (_, c) => ({
            id: `Channel:0:${c}`,
            name: `ch${c}`,
            samplesPerPixel: 1,
          })),
          tiffData: [],
          planes: [],
        },
      },
    ],
  };
}

export function sha256(array: TypedArray): string {
  return createHash('sha256')
    .update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    .digest('hex');
}

/** Random cut points splitting [0, size) into `parts` pieces (not aligned to anything). */
function cuts(rand: () => number, size: number, parts: number): Array<[number, number]> {
  const points = new Set<number>([0, size]);
  while (points.size < Math.min(parts + 1, size + 1)) points.add(1 + Math.floor(rand() * (size - 1)));
  const sorted = [...points].sort((a, b) => a - b);
  return sorted.slice(1).map((end, i) => [sorted[i]!, end]);
}

/** Split indices 0..n-1 into shuffled groups (so C and T lists arrive in any order). */
function groups(rand: () => number, n: number): number[][] {
  const idx = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
  const out: number[][] = [];
  while (idx.length) out.push(idx.splice(0, 1 + Math.floor(rand() * idx.length)));
  return out;
}

/** The planar T,C,Z,Y,X buffer of a region, cut from the image. */
export function extract(img: Image5D, region: Region): TypedArray {
  const w = region.x[1] - region.x[0];
  const h = region.y[1] - region.y[0];
  const out = allocate(img.dtype, w * h * (region.z[1] - region.z[0]) * region.c.length * region.t.length);
  let k = 0;
  for (const t of region.t) {
    for (const c of region.c) {
      for (let z = region.z[0]; z < region.z[1]; z++) {
        const base = planeIndexOf(img.dimensionOrder, img, z, c, t) * img.sizeX * img.sizeY;
        for (let y = region.y[0]; y < region.y[1]; y++) {
          const s = base + y * img.sizeX + region.x[0];
          out.set(img.planes.subarray(s, s + w), k);
          k += w;
        }
      }
    }
  }
  return out;
}

/** Zero a region of the image (for regions deliberately left unwritten). */
function zero(img: Image5D, region: Region): void {
  for (const t of region.t) {
    for (const c of region.c) {
      for (let z = region.z[0]; z < region.z[1]; z++) {
        const base = planeIndexOf(img.dimensionOrder, img, z, c, t) * img.sizeX * img.sizeY;
        for (let y = region.y[0]; y < region.y[1]; y++) {
          img.planes.fill(0, base + y * img.sizeX + region.x[0], base + y * img.sizeX + region.x[1]);
        }
      }
    }
  }
}

/**
 * Write the whole image in random unaligned regions, shuffled, `concurrency` writeRegion calls in flight.
 * With `leaveHole`, one region is never written and zeroed in `img` (the writer must pad it with zeros).
 */
export async function writeInRandomRegions(
  writer: WriterBackend,
  img: Image5D,
  seed: number,
  options: { concurrency?: number; leaveHole?: boolean } = {},
): Promise<number> {
  const rand = rng(seed);
  const regions: Region[] = [];
  for (const x of cuts(rand, img.sizeX, 2 + Math.floor(rand() * 3))) {
    for (const y of cuts(rand, img.sizeY, 2 + Math.floor(rand() * 3))) {
      for (const z of cuts(rand, img.sizeZ, 1 + Math.floor(rand() * 2))) {
        for (const c of groups(rand, img.sizeC)) {
          for (const t of groups(rand, img.sizeT)) regions.push({ x, y, z, c, t });
        }
      }
    }
  }
  regions.sort(() => rand() - 0.5);
  if (options.leaveHole) zero(img, regions.pop()!);
  const concurrency = options.concurrency ?? 4;
  let next = 0;
  const worker = async () => {
    while (next < regions.length) {
      const region = regions[next++]!;
      await writer.writeRegion(region, extract(img, region));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return regions.length;
}
