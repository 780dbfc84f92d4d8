/**
 * Property tests (issue 15) for the OME-TIFF writer and reader, with fast-check on a fixed seed (printed;
 * `BFIO_PROPERTY_SEED` replays or explores another, `BFIO_PROPERTY_RUNS_SCALE` runs more cases):
 * - random images (shape with tile-edge and 1-pixel sizes, dtype, tile size, codec and level, predictor,
 *   pyramid and downsampling, BigTIFF, DimensionOrder, WIPP mode, physical sizes, channel names, content,
 *   write pattern and layout, writer/reader maxWorkers, strict reading) written by BioWriter read back by
 *   our reader equal to what was written (unwritten pixels 0);
 * - tifffile reads every file (one Python process for the file) equal, with the tags asked for (tiles,
 *   codec, predictor, BigTIFF, X/YResolution per level, OME-XML sizes and names), and each pyramid level
 *   equal to the documented 2×2 reduction of the level above, computed by numpy;
 * - random region reads (tile-crossing, single pixels, the last partial tile, C/T lists in any order with
 *   repeats, every pyramid level; through read() into fresh, shared or caller-owned prefilled buffers, and
 *   through get() with Python-style indices) equal the same slice of a full read, for the written files
 *   and for sample TIFFs (tiled, pyramid, stripped) in ../shared/data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, BioWriter, type DType, NDArray, pixelTypeFromDType } from '@bfio/core';
import { createOme, type DimensionOrder } from '@bfio/ome-xml';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import {
  CONTENTS,
  type Content,
  channelNamesArb,
  type Extent5,
  makePixels,
  PIXEL_TYPES,
  type Pixels,
  physicalArb,
  physicalOptions,
  propertyRuns,
  propertySeed,
  regionsEqualFullRead,
  sha256,
  tally,
  type WritePlanSpec,
  writePlan,
  writePlanArb,
} from '../../../test-support/property.js';
import {
  type Format,
  shapeOf,
  type WrittenCase,
  writeAndRead,
  writeBlocks,
  writeReadProperty,
  writtenRegionsProperty,
} from '../../../test-support/property-harness.js';
import { runPythonJson } from '../../../test-support/python.js';
import '../src/index.js';

const SEED = propertySeed(15_2026);
const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ORDERS: DimensionOrder[] = ['XYZCT', 'XYZTC', 'XYCTZ', 'XYCZT', 'XYTCZ', 'XYTZC'];
type Codec = 'none' | 'deflate' | 'zlib' | 'lzw' | 'zstd';

interface TiffCase {
  sizes: Extent5;
  dtype: DType;
  tile: [number, number];
  compression: Codec;
  compressionLevel: number | undefined;
  predictor: boolean;
  pyramidLevels: number;
  downsample: 'mean' | 'nearest';
  bigTiff: boolean | 'auto';
  encodeOn: 'workers' | 'libuv';
  dimensionOrder: DimensionOrder;
  /** bfio's WIPP mode (one channel and time point): 1024² tiles, Deflate, no predictor, no pyramid. */
  wipp: boolean;
  channelNames: string[] | undefined;
  /** µm per pixel in X, Y, Z. */
  physical: { x: number; y: number; z: number } | undefined;
  content: Content;
  /** maxWorkers of the writer and the reader (undefined: one per core). */
  workers: number | undefined;
  /** Read with `strict` (a tile or chunk the file lacks is an error): every tile is written, unwritten pixels as zeros. */
  strict: boolean;
  seed: number;
  plan: WritePlanSpec;
}

/** A size up to 300 that is often 1, 2 or a tile multiple ± 1 (partial and exact last tiles). */
function sizeArb(tile: number): fc.Arbitrary<number> {
  const multiples = Math.floor(301 / tile);
  const edges: fc.Arbitrary<number>[] = [fc.integer({ min: 1, max: 300 }), fc.constantFrom(1, 2, 3)];
  if (multiples >= 1) {
    edges.push(
      fc
        .tuple(fc.integer({ min: 1, max: multiples }), fc.integer({ min: -1, max: 1 }))
        .map(([k, d]) => Math.min(300, k * tile + d)),
    );
  }
  return fc.oneof(...edges);
}

const tiffCaseArb: fc.Arbitrary<TiffCase> = fc
  .record({
    tile: fc
      .tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }))
      .map(([h, w]): [number, number] => [16 * h, 16 * w]),
    dtype: fc.constantFrom(...(PIXEL_TYPES as DType[])),
    compression: fc.constantFrom<Codec>('none', 'deflate', 'zlib', 'lzw', 'zstd'),
    level: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    predictor: fc.boolean(),
    pyramidLevels: fc.integer({ min: 0, max: 3 }),
    downsample: fc.constantFrom<'mean' | 'nearest'>('mean', 'nearest'),
    bigTiff: fc.constantFrom<boolean | 'auto'>(true, false, 'auto'),
    encodeOn: fc.constantFrom<'workers' | 'libuv'>('workers', 'libuv'),
    dimensionOrder: fc.constantFrom(...ORDERS),
    wipp: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    physical: physicalArb,
    channelNames: channelNamesArb,
    content: fc.constantFrom(...CONTENTS),
    workers: fc.constantFrom(1, 2, undefined),
    strict: fc.boolean(),
    seed: fc.nat(),
    plan: writePlanArb,
  })
  .chain((base) =>
    fc.tuple(sizeArb(base.tile[1]), sizeArb(base.tile[0])).chain(([sizeX, sizeY]) => {
      // At most ~200k pixels and 6 planes: small images keep the file under a minute on 2 cores.
      const planes = Math.max(1, Math.min(6, Math.floor(200_000 / (sizeX * sizeY))));
      return fc
        .tuple(
          fc.integer({ min: 1, max: Math.min(3, planes) }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
        )
        .map(([sizeZ, c, t]): TiffCase => {
          const sizeC = Math.max(1, Math.min(c, Math.floor(planes / sizeZ)));
          const sizeT = Math.max(1, Math.min(t, Math.floor(planes / (sizeZ * sizeC))));
          const maxLevels = Math.floor(Math.log2(Math.min(sizeX, sizeY)));
          const codec = base.compression;
          const spec: TiffCase = {
            sizes: { sizeX, sizeY, sizeZ, sizeC, sizeT },
            dtype: base.dtype,
            tile: base.tile,
            compression: codec,
            compressionLevel:
              base.level === undefined
                ? undefined
                : codec === 'zstd'
                  ? Math.max(1, base.level)
                  : codec === 'deflate' || codec === 'zlib'
                    ? Math.min(9, base.level)
                    : base.level,
            predictor: base.predictor && codec !== 'none',
            pyramidLevels: Math.min(base.pyramidLevels, maxLevels),
            downsample: base.downsample,
            bigTiff: base.bigTiff,
            encodeOn: base.encodeOn,
            dimensionOrder: base.dimensionOrder,
            wipp: false,
            physical: base.physical,
            channelNames: base.channelNames,
            content: base.content,
            workers: base.workers,
            strict: base.strict,
            seed: base.seed,
            plan: base.plan,
          };
          if (!base.wipp || sizeC > 1 || sizeT > 1) return spec;
          // What WIPP mode writes whatever else was drawn (the writer refuses other values with it).
          const wipp = { tile: [1024, 1024] as [number, number], compression: 'deflate' as const };
          return {
            ...spec,
            ...wipp,
            wipp: true,
            predictor: false,
            pyramidLevels: 0,
            dimensionOrder: 'XYZCT',
          };
        });
    }),
  );

/** Level k of a pyramid: floor(size / 2^k) in X and Y (Bio-Formats' rule, the writer's documented one). */
const levelExtent = (e: Extent5, k: number): Extent5 => ({
  ...e,
  sizeX: Math.floor(e.sizeX / 2 ** k),
  sizeY: Math.floor(e.sizeY / 2 ** k),
});

type Written = WrittenCase<TiffCase>;

async function writeCase(spec: TiffCase, path: string): Promise<Pixels> {
  const { sizes, dtype } = spec;
  const full = makePixels(dtype, shapeOf(sizes), spec.content, spec.seed);
  const { blocks, expected } = writePlan(spec.plan, sizes, full);
  const bw = await BioWriter.create(path, {
    metadata: createOme({ ...sizes, type: pixelTypeFromDType(dtype), dimensionOrder: spec.dimensionOrder }),
    dtype,
    ...(spec.wipp
      ? { wipp: true }
      : {
          tileSize: spec.tile,
          compression: spec.compression,
          predictor: spec.predictor,
          pyramidLevels: spec.pyramidLevels,
          downsample: spec.downsample,
        }),
    compressionLevel: spec.compressionLevel,
    ...physicalOptions(spec.physical),
    channelNames: spec.channelNames?.slice(0, sizes.sizeC),
    bigTiff: spec.bigTiff,
    encodeOn: spec.encodeOn,
    maxWorkers: spec.workers,
    overwrite: true,
  });
  await writeBlocks(bw, blocks, spec.plan, (data, shape, strides) => new NDArray(data, shape, strides));
  return expected;
}

const TIFF: Format<TiffCase> = {
  extension: '.ome.tif',
  write: writeCase,
  open: (path, spec) => BioReader.open(path, { maxWorkers: spec.workers, strict: spec.strict }),
  levelExtent: (spec, k) => levelExtent(spec.sizes, k),
  tile: (spec) => spec.tile,
};

/** Minimal counterexamples of bugs the properties found, kept as explicit regressions. */
const REGRESSIONS: Array<{ name: string; spec: TiffCase }> = [];

const written: Written[] = [];

/** What the generated cases covered (printed, so a seed that misses a feature is noticed). */
function coverage(specs: TiffCase[]): string {
  const px = specs.map((s) => s.sizes.sizeX * s.sizes.sizeY * s.sizes.sizeZ * s.sizes.sizeC * s.sizes.sizeT);
  return `${specs.length} cases, ${Math.min(...px)}..${Math.max(...px)} pixels\n${tally(specs, {
    dtype: (s) => s.dtype,
    codec: (s) => (s.wipp ? 'wipp' : s.compression + (s.predictor ? '+pred' : '')),
    levels: (s) => s.pyramidLevels,
    bigTiff: (s) => s.bigTiff,
    order: (s) => s.dimensionOrder,
    content: (s) => s.content,
    writes: (s) =>
      `${s.plan.pattern}${s.plan.skip ? '-skip' : ''}${s.plan.concurrent ? '-concurrent' : ''}-${s.plan.layout}`,
    'X vs tile': (s) =>
      s.sizes.sizeX % s.tile[1] === 0 ? 'exact' : s.sizes.sizeX < s.tile[1] ? 'one-partial' : 'partial-last',
  })}`;
}

describe('OME-TIFF written by BioWriter (random shapes, dtypes, tiles, codecs, orders, pyramids)', () => {
  it('reads back with our reader equal to what was written', async () => {
    console.log(`tiff property seed ${SEED} (BFIO_PROPERTY_SEED=${SEED} replays it)`);
    await writeReadProperty(TIFF, tiffCaseArb, { dir, seed: SEED, runs: propertyRuns(60), written });
    console.log(coverage(written.map((w) => w.spec)));
  }, 120_000);

  // Checked by tifffile with the generated cases (the next test).
  it.each(REGRESSIONS)('regression: $name', async ({ spec }) => {
    written.push(await writeAndRead(TIFF, spec, join(dir, `regression-${written.length}.ome.tif`)));
  });

  it.skipIf(!available('python'))(
    'tifffile reads every file equal, with the tags and pyramid asked for',
    async () => {
      expect(written.length).toBeGreaterThan(0);
      const peer = await runPythonJson<PeerFile[]>(
        TIFFFILE,
        written.map((w) => ({ path: w.path, downsample: w.spec.downsample })),
      );
      const problems: string[] = [];
      peer.forEach((p, i) => {
        const w = written[i]!;
        const spec = w.spec;
        const say = (what: string) => problems.push(`${w.path} ${JSON.stringify(spec)}: ${what}`);
        if (p.error) {
          say(`tifffile failed: ${p.error}`);
          return;
        }
        if (!p.ome) say('tifffile does not see OME metadata');
        if (p.bigtiff !== (spec.bigTiff === true)) say(`BigTIFF ${p.bigtiff}, asked ${spec.bigTiff}`);
        if (p.levels.length !== spec.pyramidLevels + 1) say(`tifffile sees ${p.levels.length} levels`);
        const phys = spec.physical;
        if (
          JSON.stringify(p.physical) !== JSON.stringify(phys ? [phys.x, phys.y, phys.z] : [null, null, null])
        )
          say(`OME-XML PhysicalSizeX/Y/Z ${p.physical}`);
        const names = spec.channelNames?.slice(0, spec.sizes.sizeC);
        if (names && JSON.stringify(p.names) !== JSON.stringify(names))
          say(`OME-XML channel names ${JSON.stringify(p.names)}, want ${JSON.stringify(names)}`);
        p.levels.forEach((l, k) => {
          const e = levelExtent(spec.sizes, k);
          if (JSON.stringify(l.shape) !== JSON.stringify(shapeOf(e))) say(`level ${k} shape ${l.shape}`);
          if (l.dtype !== spec.dtype) say(`level ${k} dtype ${l.dtype}`);
          if (JSON.stringify(l.tile) !== JSON.stringify(spec.tile)) say(`level ${k} tile ${l.tile}`);
          if (l.compression !== COMPRESSION_CODE[spec.compression])
            say(`level ${k} compression ${l.compression}`);
          const predictor = !spec.predictor ? 1 : spec.dtype.startsWith('float') ? 3 : 2;
          if (l.predictor !== predictor) say(`level ${k} predictor ${l.predictor}, want ${predictor}`);
          // Pixels per cm, halving per level; none written (1/1, no unit) without a physical size.
          const want = phys ? [1e4 / phys.x / 2 ** k, 1e4 / phys.y / 2 ** k] : [1, 1];
          const off = l.resolution.map((r, i) => Math.abs(r / want[i]! - 1));
          if (!off.every((e) => e < 1e-9)) say(`level ${k} X/YResolution ${l.resolution}, want ${want}`);
          const ours = w.levels[k];
          if (!ours || l.sha256 !== sha256(ours)) say(`level ${k}: tifffile's pixels differ from our read`);
          if (k === 0 && l.sha256 !== sha256(w.expected))
            say('level 0: tifffile differs from what was written');
          if (k > 0 && l.reduction !== true)
            say(`level ${k} is not the 2×2 ${spec.downsample} of level ${k - 1}: ${l.reduction}`);
        });
      });
      expect(problems).toEqual([]);
    },
    120_000,
  );

  it('random region reads equal the slice of a full read (every level)', async () => {
    expect(written.length).toBeGreaterThan(0);
    await writtenRegionsProperty(TIFF, written, { seed: SEED, runs: propertyRuns(400) });
  }, 60_000);
});

/** Sample TIFFs: tiled (partial edge tiles, many planes), a SubIFD pyramid (BigTIFF, big-endian), strips. */
const SAMPLES = [
  'bioformats2raw-testres/mini-spim-moduloZ.ome.tiff',
  'hubmap-portal-containers/ome-tiff-tiler_v1_multi-channel.pyramid-8lvl-tile167x439.ome.tif',
  'polus-image-tools/r01_c01_x01_y01_z01.ome.tif',
  'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
  'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif',
];

describe.skipIf(!available('data'))('sample TIFFs: random region reads', () => {
  // Shrunk from the region property: get()'s channel slice from the end, Python's c[-1:], was refused
  // ("C -1 is out of range") and c[:-1] read nothing; X/Y/Z slices already took negative bounds.
  it('get() takes channel and time slices with negative bounds, as Python does', async () => {
    await using br = await BioReader.open(
      dataPath('exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif'),
    );
    const read = async (C: number[]) => (await br.read({ Z: [1, 2], C }, { squeeze: false })).data;
    expect((await br.get(undefined, undefined, 1, [-1, null])).data).toEqual(await read([2]));
    expect((await br.get(undefined, undefined, 1, [-2, null])).data).toEqual(await read([1, 2]));
    expect((await br.get(undefined, undefined, 1, [null, -1])).data).toEqual(await read([0, 1]));
  });

  it.each(SAMPLES)('%s: random regions equal the slice of a full read', async (sample) => {
    await using br = await BioReader.open(dataPath(sample));
    await regionsEqualFullRead(br, sample, SEED, propertyRuns(60));
  });
});

const COMPRESSION_CODE: Record<Codec, number> = { none: 1, deflate: 8, zlib: 8, lzw: 5, zstd: 50000 };

interface PeerFile {
  error?: string;
  ome: boolean;
  bigtiff: boolean;
  physical: Array<number | null>;
  /** Channel Name attributes of the OME-XML. */
  names: Array<string | null>;
  levels: Array<{
    shape: number[];
    dtype: string;
    sha256: string;
    tile: number[];
    compression: number;
    predictor: number;
    /** X and Y resolution as the rationals' quotients. */
    resolution: number[];
    /** true, or where the level differs from the reduction of the level above. */
    reduction: true | string | null;
  }>;
}

/**
 * tifffile reads each file's series 0 level by level into T, C, Z, Y, X (from the series' own axes), hashes
 * it, reports the tags of the level's first page, and checks each level k > 0 against numpy's 2×2
 * reduction of level k - 1 as the writer documents it (mean: integers floor((a+b+c+d+2)/4), floats
 * ((a+b)+c)+d over 4 in float64 rounded to the dtype; nearest: the top-left pixel).
 */
const TIFFFILE = `
import json, sys, hashlib
import numpy as np, tifffile
import xml.etree.ElementTree as ET
files = json.load(sys.stdin)
AX = 'TCZYX'

def tczyx(a, axes):
    a = a.reshape(a.shape)
    names = list(axes)
    for i in reversed(range(len(names))):
        if names[i] not in AX:
            assert a.shape[i] == 1, axes
            a = np.take(a, 0, axis=i); names.pop(i)
    for n in AX:
        if n not in names:
            a = a[np.newaxis]; names.insert(0, n)
    return np.transpose(a, [names.index(n) for n in AX])

def reduce2(prev, mode):
    h, w = prev.shape[-2] // 2, prev.shape[-1] // 2
    a = prev[..., 0:2*h:2, 0:2*w:2]
    if mode == 'nearest':
        return a
    b = prev[..., 0:2*h:2, 1:2*w:2]; c = prev[..., 1:2*h:2, 0:2*w:2]; d = prev[..., 1:2*h:2, 1:2*w:2]
    if prev.dtype.kind == 'f':
        f = lambda v: v.astype(np.float64)
        return ((((f(a) + f(b)) + f(c)) + f(d)) / 4).astype(prev.dtype)
    i = lambda v: v.astype(np.int64)
    return ((i(a) + i(b) + i(c) + i(d) + 2) // 4).astype(prev.dtype)

def where_differs(got, want):
    same = (got == want) | (np.isnan(got) & np.isnan(want) if got.dtype.kind == 'f' else False)
    if same.all():
        return True
    idx = np.argwhere(~same)[0].tolist()
    return f'{int((~same).sum())} differ, first at t,c,z,y,x={idx}: {got[tuple(idx)]!r} vs {want[tuple(idx)]!r}'

out = []
for f in files:
    try:
        with tifffile.TiffFile(f['path']) as tf:
            s = tf.series[0]
            levels = []
            prev = None
            for k, lv in enumerate(s.levels):
                a = tczyx(lv.asarray().reshape(lv.get_shape(False)), lv.get_axes(False))
                page = lv.keyframe
                red = None
                if prev is not None:
                    red = where_differs(a, reduce2(prev, f['downsample']))
                levels.append({
                    'shape': list(a.shape), 'dtype': a.dtype.name,
                    'sha256': hashlib.sha256(np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<'))).tobytes()).hexdigest(),
                    'tile': [int(page.tilelength), int(page.tilewidth)],
                    'compression': int(page.compression), 'predictor': int(page.predictor),
                    'resolution': [n / d for n, d in (page.tags['XResolution'].value, page.tags['YResolution'].value)],
                    'reduction': red,
                })
                prev = a
            px = ET.fromstring(tf.ome_metadata).find('.//{*}Pixels')
            physical = [float(px.get(k)) if px.get(k) is not None else None for k in ('PhysicalSizeX', 'PhysicalSizeY', 'PhysicalSizeZ')]
            names = [c.get('Name') for c in px.findall('{*}Channel')]
            out.append({'ome': bool(tf.is_ome), 'bigtiff': bool(tf.is_bigtiff), 'levels': levels, 'physical': physical, 'names': names})
    except Exception as e:
        out.append({'error': f'{type(e).__name__}: {e}', 'levels': []})
print(json.dumps(out))
`;
