/**
 * Shared by the property tests (fast-check): the seed and run count (fixed by default so a run is
 * reproducible, overridable to explore), pixel content that makes misplaced or altered pixels visible,
 * random read regions biased to tile/chunk edges, and exact (byte-level) comparison of 5-D images.
 * Images are planar T, C, Z, Y, X (the layout of a `read(..., { squeeze: false })`). Structural types
 * only: test-support does not import the packages.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';

/** `BFIO_PROPERTY_SEED` overrides the fixed seed; print it so a failure can be replayed. */
export function propertySeed(fixed: number): number {
  const env = process.env.BFIO_PROPERTY_SEED;
  return env !== undefined && env !== '' ? Number(env) : fixed;
}

/** `BFIO_PROPERTY_RUNS` scales every property (e.g. 10 for a long exploration run). */
export function propertyRuns(runs: number): number {
  const scale = Number(process.env.BFIO_PROPERTY_RUNS_SCALE ?? 1);
  return Math.max(1, Math.round(runs * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

export type PixelType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export const PIXEL_TYPES: readonly PixelType[] = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'float64',
];
export type Pixels =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

const CTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function newPixels(dtype: PixelType, length: number): Pixels {
  return new CTORS[dtype](length);
}

/** T, C, Z, Y, X sizes. */
export type Shape5 = [number, number, number, number, number];

/**
 * What the pixels look like: noise (every value distinct-ish, incompressible), smooth ramps (long runs
 * for LZW/zstd, small predictor residuals), one constant value, or the dtype's extremes (min, max, -0,
 * ±Inf, NaNs with payloads, subnormals).
 */
export type Content = 'noise' | 'smooth' | 'constant' | 'extremes';
export const CONTENTS: readonly Content[] = ['noise', 'smooth', 'constant', 'extremes'];

/** A 32-bit integer hash (lowbias32) of a few integers: deterministic noise. */
function hash(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const INT_RANGE: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

const F32_SPECIAL = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f7fffff, 0xff7fffff,
  0x00000001, 0x80000001, 0x007fffff, 0x3f800000, 0xbf800000, 0x00800000,
];
const F64_SPECIAL: Array<[number, number]> = [
  // [high word, low word]
  [0x00000000, 0],
  [0x80000000, 0],
  [0x7ff00000, 0],
  [0xfff00000, 0],
  [0x7ff80000, 0],
  [0xfff80000, 0],
  [0x7ff80000, 0x12345],
  [0x7fefffff, 0xffffffff],
  [0xffefffff, 0xffffffff],
  [0x00000000, 1],
  [0x80000000, 1],
  [0x000fffff, 0xffffffff],
  [0x3ff00000, 0],
  [0xbff00000, 0],
];

/** An image of `shape` (T, C, Z, Y, X planar) with `content`, the same for the same seed. */
export function makePixels(dtype: PixelType, shape: Shape5, content: Content, seed: number): Pixels {
  const [nt, nc, nz, ny, nx] = shape;
  const n = nt * nc * nz * ny * nx;
  const out = newPixels(dtype, n);
  const isFloat = dtype === 'float32' || dtype === 'float64';
  const [lo, hi] = INT_RANGE[dtype] ?? [-1e6, 1e6];
  if (content === 'extremes' && isFloat) {
    if (dtype === 'float32') {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = F32_SPECIAL[hash(seed, i) % F32_SPECIAL.length]!;
    } else {
      const words = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) {
        const [h, l] = F64_SPECIAL[hash(seed, i) % F64_SPECIAL.length]!;
        words[2 * i] = l; // little-endian host
        words[2 * i + 1] = h;
      }
    }
    return out;
  }
  const extremes = [lo, hi, 0, lo + 1, hi - 1, 1, lo < 0 ? -1 : 2];
  const constant = [0, hi, lo, hash(seed) % 1000][seed % 4]!;
  let i = 0;
  for (let t = 0; t < nt; t++)
    for (let c = 0; c < nc; c++)
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++)
          for (let x = 0; x < nx; x++, i++) {
            let v: number;
            switch (content) {
              case 'constant':
                v = constant;
                break;
              case 'extremes':
                v = extremes[hash(seed, i) % extremes.length]!;
                break;
              case 'smooth': {
                // Ramps in X and Y, offset by plane: small differences between neighbours.
                const base = x + 3 * y + 17 * z + 101 * c + 1009 * t + (seed % 97);
                v = isFloat ? base * 0.25 - 100 : lo + (base % (hi - lo + 1));
                break;
              }
              default: {
                const h = hash(seed, t, c, z, y, x);
                if (dtype === 'float32') v = (h / 2 ** 32 - 0.5) * 2 ** ((h & 63) - 20);
                else if (dtype === 'float64')
                  v = (h / 2 ** 32 - 0.5 + hash(h) / 2 ** 64) * 2 ** ((h & 255) - 100);
                else v = lo + (h % (hi - lo + 1));
              }
            }
            out[i] = v;
          }
  return out;
}

/** A read region: X, Y, Z half-open ranges, C and T index lists (any order, repeats allowed). */
export interface RegionSpec {
  x: [number, number];
  y: [number, number];
  z: [number, number];
  c: number[];
  t: number[];
}

export interface Extent5 {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
}

/**
 * A half-open range in [0, size): anywhere, one element, the last partial tile, or across a tile edge
 * (`tile` elements per tile; undefined when the layout has none).
 */
function rangeArb(size: number, tile: number | undefined): fc.Arbitrary<[number, number]> {
  const anywhere = fc
    .tuple(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 1, max: size }))
    .map(([a, len]): [number, number] => [a, Math.min(size, a + len)]);
  const single = fc.integer({ min: 0, max: size - 1 }).map((a): [number, number] => [a, a + 1]);
  const kinds: fc.Arbitrary<[number, number]>[] = [anywhere, single, fc.constant([0, size])];
  if (tile !== undefined && tile < size) {
    const lastStart = Math.floor((size - 1) / tile) * tile;
    kinds.push(
      fc
        .integer({ min: lastStart, max: size - 1 })
        .chain((a) => fc.integer({ min: a + 1, max: size }).map((b): [number, number] => [a, b])),
    );
    const edges = Math.floor((size - 1) / tile);
    kinds.push(
      fc
        .tuple(
          fc.integer({ min: 1, max: edges }),
          fc.integer({ min: 1, max: tile }),
          fc.integer({ min: 1, max: tile }),
        )
        .map(([e, before, after]): [number, number] => [
          Math.max(0, e * tile - before),
          Math.min(size, e * tile + after),
        ]),
    );
  }
  return fc.oneof(...kinds);
}

/** Random regions of an image of `extent` with tiles or chunks of `tile` (Y, X). */
export function regionArb(extent: Extent5, tile?: [number, number]): fc.Arbitrary<RegionSpec> {
  const list = (size: number) =>
    fc.array(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: Math.min(4, size + 1) });
  return fc.record({
    x: rangeArb(extent.sizeX, tile?.[1]),
    y: rangeArb(extent.sizeY, tile?.[0]),
    z: rangeArb(extent.sizeZ, undefined),
    c: list(extent.sizeC),
    t: list(extent.sizeT),
  });
}

/** The elements of `region` cut from a full image (planar T, C, Z, Y, X of `extent`). */
export function sliceOf(full: Pixels, extent: Extent5, region: RegionSpec): Pixels {
  const { sizeX, sizeY, sizeZ, sizeC } = extent;
  const [x0, x1] = region.x;
  const [y0, y1] = region.y;
  const [z0, z1] = region.z;
  const out = new (full.constructor as new (n: number) => Pixels)(
    region.t.length * region.c.length * (z1 - z0) * (y1 - y0) * (x1 - x0),
  );
  let o = 0;
  for (const t of region.t)
    for (const c of region.c)
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y++) {
          const start = (((t * sizeC + c) * sizeZ + z) * sizeY + y) * sizeX;
          out.set(full.subarray(start + x0, start + x1), o);
          o += x1 - x0;
        }
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Where two images differ byte for byte (NaN payloads and -0 count), as "element i (t, c, z, y, x):
 * got … want …", or undefined when they are identical. `shape` is T, C, Z, Y, X of both.
 */
export function firstDifference(got: Pixels, want: Pixels, shape: Shape5): string | undefined {
  if (got.constructor !== want.constructor)
    return `got ${got.constructor.name}, want ${want.constructor.name}`;
  if (got.length !== want.length) return `got ${got.length} elements, want ${want.length}`;
  const size = got.BYTES_PER_ELEMENT;
  const a = bytesOf(got);
  const b = bytesOf(want);
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)) return undefined;
  const differs = (e: number) => {
    for (let k = e * size; k < (e + 1) * size; k++) if (a[k] !== b[k]) return true;
    return false;
  };
  let first = -1;
  let count = 0;
  for (let e = 0; e < got.length; e++) {
    if (differs(e)) {
      if (first < 0) first = e;
      count++;
    }
  }
  if (first < 0) return undefined;
  const [, nc, nz, ny, nx] = shape;
  const at = [
    Math.floor(first / (nx * ny * nz * nc)),
    Math.floor(first / (nx * ny * nz)) % nc,
    Math.floor(first / (nx * ny)) % nz,
    Math.floor(first / nx) % ny,
    first % nx,
  ];
  return `${count} of ${got.length} elements differ; the first, ${first} (t,c,z,y,x = ${at}), is ${String(got[first])}, want ${String(want[first])}`;
}

export function sha256(a: ArrayBufferView): string {
  return createHash('sha256').update(bytesOf(a)).digest('hex');
}

/** A random permutation of 0..n-1 from a seed (Fisher–Yates on a hash stream). */
export function permutation(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = hash(seed, i) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * How a test writes an image: in one call, plane by plane, or in blocks cut at random X/Y/Z positions,
 * with the channels and time points of each block in a random order (split in up to two groups), the
 * blocks in a random order, some optionally left unwritten, awaited one by one or all at once.
 */
export interface WritePlanSpec {
  pattern: 'whole' | 'planes' | 'blocks';
  /** Cut positions as fractions of the size (blocks only). */
  cutsX: number[];
  cutsY: number[];
  cutsZ: number[];
  /** Seeds the block order and the C/T orders. */
  shuffle: number;
  /** Leave about this fraction of the blocks unwritten (they must read as 0). */
  skip: number;
  concurrent: boolean;
  /**
   * How each block is handed to the writer: planar T, C, Z, Y, X (a view with planar strides, taken as
   * is) or a C-order Y, X, Z, C, T buffer (T fastest: the writer must transpose it).
   */
  layout: 'planar' | 'c-order';
}

const fraction = fc.integer({ min: 0, max: 1000 }).map((v) => v / 1000);

export const writePlanArb: fc.Arbitrary<WritePlanSpec> = fc.record({
  pattern: fc.constantFrom('whole', 'planes', 'blocks'),
  cutsX: fc.array(fraction, { maxLength: 3 }),
  cutsY: fc.array(fraction, { maxLength: 3 }),
  cutsZ: fc.array(fraction, { maxLength: 1 }),
  shuffle: fc.nat(),
  skip: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(0.2, 0.5) },
  ),
  concurrent: fc.boolean(),
  layout: fc.constantFrom('planar', 'c-order'),
});

/** One write: planar T, C, Z, Y, X data of `shape` at X/Y/Z offsets and C/T index lists. */
export interface WriteBlock {
  data: Pixels;
  shape: Shape5;
  at: { X: number; Y: number; Z: number; C: number[]; T: number[] };
}

function ranges(size: number, cuts: number[]): Array<[number, number]> {
  const points = [...new Set([0, ...cuts.map((f) => Math.floor(f * size)), size])]
    .filter((p) => p >= 0 && p <= size)
    .sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (let i = 1; i < points.length; i++) out.push([points[i - 1]!, points[i]!]);
  return out;
}

/**
 * The writes of `plan` for the image `full` (planar T, C, Z, Y, X of `extent`), and what a reader must then
 * see: `full` with the skipped blocks zeroed.
 */
export function writePlan(
  plan: WritePlanSpec,
  extent: Extent5,
  full: Pixels,
): { blocks: WriteBlock[]; expected: Pixels } {
  const { sizeX, sizeY, sizeZ, sizeC, sizeT } = extent;
  const cOrder = permutation(sizeC, plan.shuffle + 1);
  const tOrder = permutation(sizeT, plan.shuffle + 2);
  const split = (list: number[]) =>
    list.length > 1 && plan.shuffle % 2 === 1 ? [list.slice(0, 1), list.slice(1)] : [list];
  let boxes: Array<{
    x: [number, number];
    y: [number, number];
    z: [number, number];
    c: number[];
    t: number[];
  }>;
  if (plan.pattern === 'whole') {
    boxes = [{ x: [0, sizeX], y: [0, sizeY], z: [0, sizeZ], c: cOrder, t: tOrder }];
  } else if (plan.pattern === 'planes') {
    boxes = [];
    for (const t of tOrder)
      for (const c of cOrder)
        for (let z = 0; z < sizeZ; z++)
          boxes.push({ x: [0, sizeX], y: [0, sizeY], z: [z, z + 1], c: [c], t: [t] });
  } else {
    boxes = [];
    for (const x of ranges(sizeX, plan.cutsX))
      for (const y of ranges(sizeY, plan.cutsY))
        for (const z of ranges(sizeZ, plan.cutsZ))
          for (const c of split(cOrder)) for (const t of split(tOrder)) boxes.push({ x, y, z, c, t });
  }
  const order = permutation(boxes.length, plan.shuffle + 3);
  const expected = full.slice() as Pixels;
  const blocks: WriteBlock[] = [];
  order.forEach((b, i) => {
    const box = boxes[b]!;
    const region: RegionSpec = box;
    // Never skip everything: at least the first block in order is written.
    if (i > 0 && plan.skip > 0 && hash(plan.shuffle, b) / 2 ** 32 < plan.skip) {
      for (const t of box.t)
        for (const c of box.c)
          for (let z = box.z[0]; z < box.z[1]; z++)
            for (let y = box.y[0]; y < box.y[1]; y++) {
              const start = (((t * sizeC + c) * sizeZ + z) * sizeY + y) * sizeX;
              expected.fill(0, start + box.x[0], start + box.x[1]);
            }
      return;
    }
    blocks.push({
      data: sliceOf(full, extent, region),
      shape: [box.t.length, box.c.length, box.z[1] - box.z[0], box.y[1] - box.y[0], box.x[1] - box.x[0]],
      at: { X: box.x[0], Y: box.y[0], Z: box.z[0], C: box.c, T: box.t },
    });
  });
  return { blocks, expected };
}

/** The part of a @bfio/core BioReader the region properties use. */
export interface LevelReader {
  level: number;
  readonly levelCount: number;
  readonly X: number;
  readonly Y: number;
  readonly Z: number;
  readonly C: number;
  readonly T: number;
  readonly tileSize: [number, number] | undefined;
  read(
    args: { X?: [number, number]; Y?: [number, number]; Z?: [number, number]; C?: number[]; T?: number[] },
    options: { squeeze: false; shared?: boolean; out?: never },
  ): Promise<{ data: ArrayBufferView }>;
  get(...slices: SliceArg[]): Promise<{ data: ArrayBufferView }>;
}

/** One index of `br.get(y, x, z, c, t)`: an index, a Python-style slice with open ends, or a list. */
export type SliceArg = number | [number | null, number | null] | number[] | undefined;

/**
 * `region` as the arguments of `br.get(y, x, z, c, t)`, spelled in one of the ways Python users write them
 * (chosen by the bits of `variant`): bounds from the end as negative numbers, open ends, single indices,
 * channel/time slices instead of lists, whole axes omitted.
 */
export function slicesFor(region: RegionSpec, extent: Extent5, variant: number): SliceArg[] {
  let bits = variant;
  const bit = () => {
    const b = bits & 1;
    bits >>>= 1;
    return b === 1;
  };
  const range = ([a, b]: [number, number], size: number): SliceArg => {
    if (b - a === 1 && bit()) return bit() ? a - size : a;
    if (a === 0 && b === size && bit()) return undefined;
    const start = a > 0 && bit() ? a - size : a === 0 && bit() ? null : a;
    const end = b === size && bit() ? null : b < size && bit() ? b - size : b;
    return [start, end];
  };
  const list = (values: number[], size: number): SliceArg => {
    const a = values[0]!;
    const b = values[values.length - 1]! + 1;
    const run = values.every((v, i) => v === a + i);
    if (values.length === 1 && bit()) return bit() ? a - size : a;
    // A slice needs an open end (a full pair is a list of two indices).
    if (run && b === size && bit()) return [bit() ? a - size : a, null];
    if (run && a === 0 && bit()) return [null, b < size && bit() ? b - size : b];
    return values.map((v) => (bit() ? v - size : v));
  };
  return [
    range(region.y, extent.sizeY),
    range(region.x, extent.sizeX),
    range(region.z, extent.sizeZ),
    list(region.c, extent.sizeC),
    list(region.t, extent.sizeT),
  ];
}

/**
 * How a region is read: into a buffer the reader allocates (plain or a SharedArrayBuffer, which large
 * reads get by default), or into the caller's `out` prefilled with 0xA5 bytes, so a pixel the reader
 * skips (counting on a zeroed buffer) shows.
 */
export interface ReadHow {
  /** `read()` with ranges and lists, or `get()` with Python-style indices (spelled by `variant`'s bits). */
  api: 'read' | 'get';
  shared: boolean;
  out: boolean;
  variant: number;
}

export const readHowArb: fc.Arbitrary<ReadHow> = fc.record({
  api: fc.constantFrom('read', 'get'),
  shared: fc.boolean(),
  out: fc.boolean(),
  variant: fc.nat(),
});

export const extentOf = (br: LevelReader): Extent5 => ({
  sizeX: br.X,
  sizeY: br.Y,
  sizeZ: br.Z,
  sizeC: br.C,
  sizeT: br.T,
});

/** Reads `region` of the reader's current level and throws unless it equals the slice of `full`. */
export async function expectRegion(
  br: LevelReader,
  full: Pixels,
  extent: Extent5,
  region: RegionSpec,
  what: string,
  how: ReadHow = { api: 'read', shared: false, out: false, variant: 0 },
): Promise<void> {
  const shape: Shape5 = [
    region.t.length,
    region.c.length,
    region.z[1] - region.z[0],
    region.y[1] - region.y[0],
    region.x[1] - region.x[0],
  ];
  if (how.api === 'get') {
    const slices = slicesFor(region, extent, how.variant);
    const got = (await br.get(...slices)).data as Pixels;
    const diff = firstDifference(got, sliceOf(full, extent, region), shape);
    if (diff) throw new Error(`${what}: get(${JSON.stringify(slices)}) differs from the full read: ${diff}`);
    return;
  }
  let out: Pixels | undefined;
  if (how.out) {
    out = new (full.constructor as new (n: number) => Pixels)(shape.reduce((a, b) => a * b, 1));
    new Uint8Array(out.buffer).fill(0xa5);
  }
  const args = { X: region.x, Y: region.y, Z: region.z, C: region.c, T: region.t };
  const got = (await br.read(args, { squeeze: false, shared: how.shared, out: out as never })).data as Pixels;
  if (out && got !== out) throw new Error(`${what}: the read did not return the \`out\` buffer it was given`);
  const diff = firstDifference(got, sliceOf(full, extent, region), shape);
  if (diff) throw new Error(`${what}: region ${JSON.stringify(region)} differs from the full read: ${diff}`);
}

/**
 * Reads every level whole, then checks `runs` random regions (fast-check, `seed`) of random levels
 * against the slices of those full reads.
 */
export async function regionsEqualFullRead(
  br: LevelReader,
  what: string,
  seed: number,
  runs: number,
): Promise<void> {
  const levels: Array<{ extent: Extent5; full: Pixels; tile?: [number, number] }> = [];
  for (let k = 0; k < br.levelCount; k++) {
    br.level = k;
    const full = (await br.read({}, { squeeze: false })).data as Pixels;
    levels.push({ extent: extentOf(br), full, tile: br.tileSize });
  }
  const arb = fc
    .integer({ min: 0, max: levels.length - 1 })
    .chain((k) =>
      fc
        .tuple(regionArb(levels[k]!.extent, levels[k]!.tile), readHowArb)
        .map(([region, how]) => ({ k, region, how })),
    );
  await fc.assert(
    fc.asyncProperty(arb, async ({ k, region, how }) => {
      br.level = k;
      await expectRegion(br, levels[k]!.full, levels[k]!.extent, region, `${what} level ${k}`, how);
    }),
    { seed, numRuns: runs },
  );
}

/** "label a:n b:m" per field over the generated cases (printed, so a seed that misses a feature shows). */
export function tally<S>(specs: S[], fields: Record<string, (s: S) => unknown>): string {
  return Object.entries(fields)
    .map(([label, f]) => {
      const m = new Map<string, number>();
      for (const s of specs) m.set(String(f(s)), (m.get(String(f(s))) ?? 0) + 1);
      return `${label} ${[...m].map(([k, v]) => `${k}:${v}`).join(' ')}`;
    })
    .join('\n');
}

/**
 * A block as BioWriter.write takes it: Y, X, Z, C, T shape with the planar strides of its data, or (layout
 * 'c-order') its values copied to a C-order Y, X, Z, C, T buffer with no strides.
 */
export function writeData(
  block: WriteBlock,
  layout: WritePlanSpec['layout'],
): { data: Pixels; shape: number[]; strides?: number[] } {
  const [nt, nc, nz, ny, nx] = block.shape;
  const shape = [ny, nx, nz, nc, nt];
  if (layout === 'planar')
    return { data: block.data, shape, strides: [nx, 1, ny * nx, nz * ny * nx, nc * nz * ny * nx] };
  const out = new (block.data.constructor as new (n: number) => Pixels)(block.data.length);
  let i = 0;
  for (let t = 0; t < nt; t++)
    for (let c = 0; c < nc; c++)
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++)
          for (let x = 0; x < nx; x++, i++) out[(((y * nx + x) * nz + z) * nc + c) * nt + t] = block.data[i]!;
  return { data: out, shape };
}

/** Performs the writes of a plan one by one, or all at once when `concurrent`. */
export async function runWrites(
  blocks: WriteBlock[],
  concurrent: boolean,
  write: (block: WriteBlock) => Promise<void>,
): Promise<void> {
  if (concurrent) await Promise.all(blocks.map(write));
  else for (const b of blocks) await write(b);
}

/** Lays the blocks' data over `target` (planar T, C, Z, Y, X of `extent`): what a store holds after them. */
export function applyBlocks(target: Pixels, extent: Extent5, blocks: WriteBlock[]): void {
  const { sizeX, sizeY, sizeZ, sizeC } = extent;
  for (const b of blocks) {
    const [, , nz, ny, nx] = b.shape;
    let o = 0;
    for (const t of b.at.T)
      for (const c of b.at.C)
        for (let z = b.at.Z; z < b.at.Z + nz; z++)
          for (let y = b.at.Y; y < b.at.Y + ny; y++) {
            const start = (((t * sizeC + c) * sizeZ + z) * sizeY + y) * sizeX + b.at.X;
            target.set(b.data.subarray(o, o + nx), start);
            o += nx;
          }
  }
}

/** Physical pixel sizes in µm (X, Y, Z), or none: from 0.001 to 100, with three significant digits. */
export const physicalArb: fc.Arbitrary<{ x: number; y: number; z: number } | undefined> = fc.option(
  fc.record({
    x: fc.integer({ min: 1, max: 100_000 }).map((n) => n / 1000),
    y: fc.integer({ min: 1, max: 100_000 }).map((n) => n / 1000),
    z: fc.integer({ min: 1, max: 100_000 }).map((n) => n / 1000),
  }),
  { nil: undefined },
);

/** BioWriter's physicalSizeX/Y/Z options for `physical` (µm), or none. */
export function physicalOptions(physical: { x: number; y: number; z: number } | undefined) {
  if (!physical) return {};
  return {
    physicalSizeX: { value: physical.x, unit: 'µm' },
    physicalSizeY: { value: physical.y, unit: 'µm' },
    physicalSizeZ: { value: physical.z, unit: 'µm' },
  };
}

/**
 * Channel names (up to 3) or none: printable ASCII with XML's special characters (& < > " ' and `]]>`),
 * non-ASCII letters and an emoji, leading and trailing spaces. (Tabs and newlines are left out: XML
 * attribute normalisation turns them into spaces in conformant readers.)
 */
export const channelNamesArb: fc.Arbitrary<string[] | undefined> = fc.option(
  fc.array(
    fc.string({
      unit: fc.oneof(
        fc.constantFrom('&', '<', '>', '"', "'", ']]>', 'µ', 'ß', '中', '😀', ' '),
        fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      ),
      minLength: 1,
      maxLength: 12,
    }),
    { minLength: 3, maxLength: 3 },
  ),
  { nil: undefined },
);
