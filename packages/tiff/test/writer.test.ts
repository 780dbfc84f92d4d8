/**
 * The streaming TIFF writer against its peers: files written through the WriterBackend contract (every codec,
 * classic and forced BigTIFF, with and without SubIFD pyramids, every dtype, all six DimensionOrders, odd
 * sizes, unaligned regions in random order, several writes at once) must read back pixel-identical in
 * tifffile with the right series shape and axes, their pyramid levels must equal a numpy 2× reduction of the
 * level above, their OME-XML must validate against ome.xsd, and libtiff's `tiffinfo -D` must decode every
 * tile without a complaint. WIPP-mode files must read pixel-identical in bfio 2.5's python backend.
 * One Python process checks every file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DType } from '@bfio/core';
import type { DimensionOrder, Quantity } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { createTiffWriter, type TiffCreateOptions } from '../src/writer/index.js';
import { type Image5D, makeImage, omeFor, sha256, writeInRandomRegions } from './writer-fixtures.js';

const ok = available('python', 'xmllint', 'tiffinfo', 'data');

const DTYPES: DType[] = ['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32', 'float32', 'float64'];
const CODECS: Array<{ name: string; options: TiffCreateOptions; tag: number }> = [
  { name: 'none', options: { compression: 'none' }, tag: 1 },
  { name: 'deflate', options: { compression: 'deflate', compressionLevel: 6 }, tag: 8 },
  { name: 'deflate+predictor', options: { compression: 'deflate', predictor: true }, tag: 8 },
  { name: 'lzw', options: { compression: 'lzw' }, tag: 5 },
  { name: 'zstd', options: { compression: 'zstd', compressionLevel: 3 }, tag: 50000 },
  // Deflate (and its predictor) on libuv's pool instead of the default WorkerPool.
  {
    name: 'deflate+predictor libuv',
    options: { compression: 'deflate', predictor: true, encodeOn: 'libuv' },
    tag: 8,
  },
  // zstd and LZW on this thread (the default encodes them on the WorkerPool, with our codec module).
  { name: 'zstd main thread', options: { compression: 'zstd', encodeOn: 'libuv' }, tag: 50000 },
  {
    name: 'lzw+predictor main thread',
    options: { compression: 'lzw', predictor: true, encodeOn: 'libuv' },
    tag: 5,
  },
];
const ORDERS: DimensionOrder[] = ['XYZCT', 'XYZTC', 'XYCTZ', 'XYCZT', 'XYTCZ', 'XYTZC'];
/** Z, C, T and X × Y per case, cycled: a full 5-D 517 × 300 image one case in eight, smaller odd ones else. */
const SHAPES: Array<{ zct: [number, number, number]; xy: [number, number] }> = [
  { zct: [2, 3, 2], xy: [517, 300] },
  { zct: [1, 2, 1], xy: [259, 150] },
  { zct: [2, 1, 1], xy: [259, 150] },
  { zct: [1, 1, 2], xy: [259, 150] },
  { zct: [2, 2, 1], xy: [259, 150] },
  { zct: [1, 1, 1], xy: [259, 150] },
  { zct: [1, 2, 2], xy: [259, 150] },
  { zct: [2, 1, 2], xy: [259, 150] },
];
const TILES: Array<number | [number, number]> = [128, [64, 128], 64, [128, 64], 256];
const PHYSICAL: Array<{ x: Quantity; y: Quantity; ppcm: [number, number] } | undefined> = [
  { x: { value: 0.65, unit: 'µm' }, y: { value: 0.8, unit: 'µm' }, ppcm: [1 / 0.65e-4, 1 / 0.8e-4] },
  undefined,
  { x: { value: 325, unit: 'nm' }, y: { value: 325, unit: 'nm' }, ppcm: [1 / 325e-7, 1 / 325e-7] },
  { x: { value: 0.0013, unit: 'mm' }, y: { value: 0.002, unit: 'mm' }, ppcm: [1 / 0.00013, 1 / 0.0002] },
];

interface Case {
  name: string;
  /** File name, made absolute in beforeAll. */
  path: string;
  /** Made in beforeAll, so collecting the test names stays cheap. */
  make: () => Image5D;
  img: Image5D;
  options: TiffCreateOptions;
  compressionTag: number;
  predictor: number;
  bigTiff: boolean;
  pyramid: number;
  mode: 'mean' | 'nearest';
  tile: [number, number];
  physical?: { x: Quantity; y: Quantity };
  /** Expected X/YResolution in pixels per centimetre, computed here from the physical sizes. */
  ppcm?: [number, number];
  wipp?: boolean;
  /** The source's sha256, taken after writing (holes are zeroed by then). */
  sha?: string;
}

interface PyResult {
  error?: string;
  shape: number[];
  axes: string;
  dtype: string;
  bigtiff: boolean;
  isOme: boolean;
  compression: number;
  predictor: number;
  tile: number[];
  software: string;
  xres: [number, number];
  yres: [number, number];
  resunit: number;
  sha: string[];
  levelShapes: number[][];
  levelSubfiletype: number[];
  levelXres: Array<[number, number]>;
  refOk: boolean[];
  xmlValid: boolean;
  xmlErrors: string;
  tiffinfo: { rc: number; stderr: string };
  bfioSha?: string;
}

const SCRIPT = String.raw`
import json, sys, hashlib, subprocess, os, tempfile
import numpy as np, tifffile
inp = json.load(sys.stdin)
def sha(a): return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
def ref(prev, mode):
    h, w = prev.shape[-2] // 2, prev.shape[-1] // 2
    a = prev[..., :2 * h, :2 * w]
    a00, a01, a10, a11 = a[..., 0::2, 0::2], a[..., 0::2, 1::2], a[..., 1::2, 0::2], a[..., 1::2, 1::2]
    if mode == 'nearest':
        return a00
    if prev.dtype.kind == 'f':
        return ((((a00.astype(np.float64) + a01) + a10) + a11) / 4).astype(prev.dtype)
    s = a00.astype(np.int64) + a01 + a10 + a11
    return ((s + 2) // 4).astype(prev.dtype)
tmp = tempfile.mkdtemp()
out, xmls = [], []
for i, case in enumerate(inp['cases']):
    r = {}
    try:
        with tifffile.TiffFile(case['path']) as tf:
            s = tf.series[0]
            p0 = tf.pages[0]
            r.update(shape=list(s.get_shape(False)), axes=s.get_axes(False), dtype=str(s.dtype),
                     bigtiff=tf.is_bigtiff, isOme=tf.is_ome, compression=int(p0.compression),
                     predictor=int(p0.predictor), tile=list(p0.tile), software=p0.software,
                     xres=list(p0.tags['XResolution'].value), yres=list(p0.tags['YResolution'].value),
                     resunit=int(p0.tags['ResolutionUnit'].value))
            prev = s.asarray()
            r['sha'] = [sha(prev)]
            r['levelShapes'] = [list(prev.shape)]
            r['levelSubfiletype'], r['levelXres'], r['refOk'] = [], [], []
            for k in range(1, len(s.levels)):
                lv = s.levels[k].asarray()
                page = s.levels[k].pages[0]
                r['sha'].append(sha(lv))
                r['levelShapes'].append(list(lv.shape))
                r['levelSubfiletype'].append(int(page.subfiletype))
                r['levelXres'].append(list(page.tags['XResolution'].value))
                rf = ref(prev, case['mode'])
                r['refOk'].append(rf.shape == lv.shape and sha(rf) == sha(lv))
                prev = lv
            xml_path = os.path.join(tmp, '%d.xml' % i)
            with open(xml_path, 'w', encoding='utf-8') as f:
                f.write(tf.ome_metadata)
            xmls.append(xml_path)
        p = subprocess.run(['tiffinfo', '-D', case['path']], capture_output=True, text=True)
        r['tiffinfo'] = {'rc': p.returncode, 'stderr': p.stderr}
        if case.get('wipp'):
            from bfio import BioReader
            with BioReader(case['path'], backend='python') as br:
                a = br.read()
                a = np.asarray(a).reshape(br.Y, br.X, br.Z)
                r['bfioSha'] = sha(np.moveaxis(a, 2, 0))
    except Exception as e:
        r['error'] = repr(e)
    out.append(r)
# One xmllint run validates every document (it reports per file).
p = subprocess.run(['xmllint', '--noout', '--schema', inp['xsd']] + xmls, capture_output=True, text=True)
for i, r in enumerate(out):
    x = os.path.join(tmp, '%d.xml' % i)
    r['xmlValid'] = (x + ' validates') in p.stderr.splitlines()
    r['xmlErrors'] = '\n'.join(l for l in p.stderr.splitlines() if l.startswith(x) and not l.endswith('validates'))[:2000]
print(json.dumps(out))
`;

const PENDING = undefined as unknown as Image5D;

function buildCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const codec of CODECS) {
    for (const bigTiff of [false, true]) {
      for (const pyramid of [0, 2]) {
        for (const dtype of DTYPES) {
          // Rotated per group so shapes, units and modes meet every dtype (the dtype loop is also 8 long).
          const j = i + Math.floor(i / DTYPES.length);
          const shape = SHAPES[j % SHAPES.length]!;
          const [sizeZ, sizeC, sizeT] = shape.zct;
          const [sizeX, sizeY] = shape.xy;
          const order = ORDERS[i % ORDERS.length]!;
          const tileOpt = TILES[i % TILES.length]!;
          const tile: [number, number] = typeof tileOpt === 'number' ? [tileOpt, tileOpt] : tileOpt;
          const physical = PHYSICAL[j % PHYSICAL.length];
          const mode = pyramid && j % 4 === 1 ? 'nearest' : 'mean';
          const seed = 1000 + i;
          const make = () => makeImage(seed, dtype, { sizeX, sizeY, sizeZ, sizeC, sizeT }, order);
          const name = `${codec.name} ${bigTiff ? 'bigtiff' : 'classic'} pyramid=${pyramid} ${dtype} ${sizeX}x${sizeY} ZCT=${sizeZ},${sizeC},${sizeT} ${order} tile=${tile.join('x')}${mode === 'nearest' ? ' nearest' : ''}`;
          const float = dtype.startsWith('float');
          cases.push({
            name,
            path: `case${i}.ome.tif`,
            make,
            img: PENDING,
            options: {
              ...codec.options,
              bigTiff: bigTiff ? true : 'auto',
              pyramidLevels: pyramid,
              downsample: mode,
              tileSize: tileOpt,
            },
            compressionTag: codec.tag,
            predictor: codec.options.predictor ? (float ? 3 : 2) : 1,
            bigTiff,
            pyramid,
            mode,
            tile,
            physical,
            ppcm: physical?.ppcm,
          });
          i++;
        }
      }
    }
  }
  // Defaults: 1024 tiles, Adobe Deflate, no predictor, classic TIFF.
  cases.push({
    name: 'defaults',
    path: 'defaults.ome.tif',
    make: () => makeImage(7, 'uint16', { sizeX: 1100, sizeY: 1030, sizeZ: 1, sizeC: 2, sizeT: 1 }, 'XYZCT'),
    img: PENDING,
    options: {},
    compressionTag: 8,
    predictor: 1,
    bigTiff: false,
    pyramid: 0,
    mode: 'mean',
    tile: [1024, 1024],
  });
  for (const [k, dtype] of (['uint16', 'float32'] as DType[]).entries()) {
    cases.push({
      name: `wipp ${dtype}`,
      path: `wipp-${dtype}.ome.tif`,
      make: () =>
        makeImage(
          11 + k,
          dtype,
          { sizeX: 1500 - 300 * k, sizeY: 1100, sizeZ: 2 - k, sizeC: 1, sizeT: 1 },
          'XYZCT',
        ),
      img: PENDING,
      options: { wipp: true },
      compressionTag: 8,
      predictor: 1,
      bigTiff: false,
      pyramid: 0,
      mode: 'mean',
      tile: [1024, 1024],
      wipp: true,
    });
  }
  return cases;
}

describe.skipIf(!ok)('TIFF writer → tifffile, libtiff, xmllint, bfio 2.5', () => {
  const cases = buildCases();
  let dir = '';
  let results: PyResult[] = [];
  let regionsWritten = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-writer-'));
    for (const [i, c] of cases.entries()) {
      c.path = join(dir, c.path);
      c.img = c.make();
      const writer = await createTiffWriter(c.path, omeFor(c.img, c.physical), c.img.dtype, c.options);
      regionsWritten += await writeInRandomRegions(writer, c.img, 5000 + i, { leaveHole: i % 7 === 3 });
      await writer.close();
      c.sha = sha256(c.img.planes);
      // The source is no longer needed once hashed; keep memory low.
      c.img = { ...c.img, planes: c.img.planes.subarray(0, 0) };
    }
    results = await runPythonJson<PyResult[]>(SCRIPT, {
      cases: cases.map((c) => ({ path: c.path, mode: c.mode, wipp: c.wipp === true })),
      xsd: dataPath('ome-xml-schema/released-schema/2016-06/ome.xsd'),
    });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('wrote every case in many unaligned regions', () => {
    expect(cases.length).toBe(CODECS.length * 2 * 2 * DTYPES.length + 3);
    expect(regionsWritten).toBeGreaterThan(cases.length * 8);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const r = results[i]!;
    const label = `${c.name}: `;
    expect(r.error, label).toBeUndefined();
    const { sizeX, sizeY, sizeZ, sizeC, sizeT, dimensionOrder } = c.img;
    const sizes = { Z: sizeZ, C: sizeC, T: sizeT };
    const outer = [...dimensionOrder.slice(2)].reverse() as Array<'Z' | 'C' | 'T'>;
    expect(r.axes, label).toBe(`${outer.join('')}YXS`);
    expect(r.shape, label).toEqual([...outer.map((a) => sizes[a]), sizeY, sizeX, 1]);
    expect(r.dtype, label).toBe(c.img.dtype);
    expect(r.isOme, label).toBe(true);
    expect(r.sha[0], `${label}level 0 pixels`).toBe(c.sha);
    expect(r.bigtiff, label).toBe(c.bigTiff);
    expect(r.compression, label).toBe(c.compressionTag);
    expect(r.predictor, label).toBe(c.predictor);
    expect(r.tile, label).toEqual(c.tile);
    // Pyramid: floor(size / 2^k) levels stored as reduced-resolution SubIFDs equal to numpy's reduction.
    expect(r.levelShapes.length, label).toBe(c.pyramid + 1);
    for (let k = 1; k <= c.pyramid; k++) {
      const shape = r.levelShapes[k]!;
      expect(shape.slice(-2), `${label}level ${k} shape`).toEqual([
        Math.floor(sizeY / 2 ** k),
        Math.floor(sizeX / 2 ** k),
      ]);
      expect(r.levelSubfiletype[k - 1], label).toBe(1);
      expect(r.refOk[k - 1], `${label}level ${k} pixels vs numpy ${c.mode}`).toBe(true);
    }
    // Resolution in pixels per centimetre from the physical sizes.
    if (c.ppcm) {
      expect(r.resunit, label).toBe(3);
      expect(r.xres[0] / r.xres[1], label).toBeCloseTo(c.ppcm[0], 6);
      expect(r.yres[0] / r.yres[1], label).toBeCloseTo(c.ppcm[1], 6);
      for (let k = 1; k <= c.pyramid; k++) {
        const [n, d] = r.levelXres[k - 1]!;
        expect(n / d, `${label}level ${k} XResolution`).toBeCloseTo(c.ppcm[0] / 2 ** k, 6);
      }
    } else if (!c.wipp) {
      expect(r.resunit, label).toBe(1);
    }
    expect(r.xmlErrors, label).toBe('');
    expect(r.xmlValid, `${label}OME-XML validates against ome.xsd`).toBe(true);
    expect(r.tiffinfo.stderr, `${label}tiffinfo`).toBe('');
    expect(r.tiffinfo.rc, label).toBe(0);
    if (c.wipp) {
      expect(r.software, label).toBe('bfio');
      expect(r.bfioSha, `${label}bfio 2.5 pixels`).toBe(c.sha);
    }
  });
});
