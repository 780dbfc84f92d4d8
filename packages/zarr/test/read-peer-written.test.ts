/**
 * Acceptance 3: stores written during the test run by ome-zarr-py (NGFF 0.4 and 0.5, with pyramids, units and
 * channel names), zarr-python (bare v2 arrays with '.' separators and consolidated metadata, a sharded v3
 * array) and bfio 2.5 (its `zarr` and `zarr3` writers) read back equal, level by level.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { allocate, BioReader } from '@bfio/core';
import { type Region, regionLength } from '@bfio/core/backend';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrReader } from '../src/reader/index.js';

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-peers-${process.pid}`);

const WRITERS = `
import json, sys, os, hashlib, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
tmp = json.load(sys.stdin)['tmp']
rng = np.random.default_rng(7)
AX = 'tczyx'

def tczyx(a, axes):
    order = [axes.index(n) for n in AX if n in axes]
    a = np.transpose(a, order)
    return a.reshape([a.shape[[n for n in AX if n in axes].index(n)] if n in axes else 1 for n in AX])

def digest(a):
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))
    return {'shape': list(a.shape), 'dtype': a.dtype.name, 'sha': hashlib.sha256(a.tobytes()).hexdigest()}

out = []
from ome_zarr.io import parse_url
from ome_zarr.writer import write_image
from ome_zarr.format import FormatV04, FormatV05

# ome-zarr-py 0.4, 5-D, default pyramid.
a = rng.integers(0, 60000, size=(2, 3, 4, 130, 150), dtype=np.uint16)
p = os.path.join(tmp, 'omezarr04.ome.zarr')
loc = parse_url(p, mode='w', fmt=FormatV04())
root = zarr.group(store=loc.store, zarr_format=2)
write_image(a, group=root, axes='tczyx', fmt=FormatV04(), scale_factors=(2, 4), storage_options=dict(chunks=(1, 1, 1, 64, 64)),
            scale={'z': 2.0, 'y': 0.5, 'x': 0.25}, axes_units={'z': 'micrometer', 'y': 'micrometer', 'x': 'micrometer'},
            omero={'channels': [{'label': 'DAPI', 'color': '0000FF', 'window': {'start': 0, 'end': 1, 'min': 0, 'max': 1}},
                                {'label': 'GFP', 'color': '00FF00', 'window': {'start': 0, 'end': 1, 'min': 0, 'max': 1}},
                                {'label': 'RFP', 'color': 'FF0000', 'window': {'start': 0, 'end': 1, 'min': 0, 'max': 1}}]})
g = zarr.open_group(p, mode='r')
ms = g.attrs['multiscales'][0]
out.append({'path': p, 'levels': [digest(tczyx(g[d['path']][:], 'tczyx')) for d in ms['datasets']],
            'phys': {'x': 0.25, 'y': 0.5, 'z': 2.0}, 'channels': ['DAPI', 'GFP', 'RFP'], 'colors': ['0000FF', '00FF00', 'FF0000'],
            # Each level's pixel size as ome-zarr-py records it (150 px / 4 = 37: a factor of 4, not 150/37).
            'levelScales': [[t['scale'] for t in d['coordinateTransformations'] if t['type'] == 'scale'][0][-2:] for d in ms['datasets']]})

# ome-zarr-py 0.4 on odd sizes (101 x 75 px; level 2 is 25 x 18), its multiscales then given exact powers of
# two and units, as bfio and bioformats2raw write them: a level's pixel size is what the store says.
a = rng.integers(0, 255, size=(1, 1, 1, 75, 101), dtype=np.uint8)
p = os.path.join(tmp, 'omezarr04-pow2.ome.zarr')
loc = parse_url(p, mode='w', fmt=FormatV04())
root = zarr.group(store=loc.store, zarr_format=2)
write_image(a, group=root, axes='tczyx', fmt=FormatV04(), scale_factors=(2, 4), storage_options=dict(chunks=(1, 1, 1, 64, 64)))
attrs_path = os.path.join(p, '.zattrs')
attrs = json.load(open(attrs_path))
m = attrs['multiscales'][0]
for ax in m['axes'][2:]:
    ax['unit'] = 'micrometer'
for k, d in enumerate(m['datasets']):
    d['coordinateTransformations'] = [{'type': 'scale', 'scale': [1, 1, 1, 0.5 * 2 ** k, 0.25 * 2 ** k]}]
json.dump(attrs, open(attrs_path, 'w'))
g = zarr.open_group(p, mode='r')
ms = g.attrs['multiscales'][0]
out.append({'path': p, 'levels': [digest(tczyx(g[d['path']][:], 'tczyx')) for d in ms['datasets']],
            'levelScales': [[t['scale'] for t in d['coordinateTransformations'] if t['type'] == 'scale'][0][-2:] for d in ms['datasets']]})

# ome-zarr-py 0.5, c,z,y,x float32.
a = rng.random(size=(2, 3, 100, 90), dtype=np.float32)
p = os.path.join(tmp, 'omezarr05.ome.zarr')
loc = parse_url(p, mode='w', fmt=FormatV05())
root = zarr.group(store=loc.store, zarr_format=3)
write_image(a, group=root, axes='czyx', fmt=FormatV05(), scale_factors=(2,), storage_options=dict(chunks=(1, 1, 32, 32)),
            scale={'z': 3.0, 'y': 0.1, 'x': 0.1}, axes_units={'z': 'nanometer', 'y': 'nanometer', 'x': 'nanometer'})
g = zarr.open_group(p, mode='r')
ms = g.attrs['ome']['multiscales'][0]
out.append({'path': p, 'levels': [digest(tczyx(g[d['path']][:], 'czyx')) for d in ms['datasets']],
            'phys': {'x': 0.1, 'y': 0.1, 'z': 3.0}, 'units': 'nm'})

# zarr-python v2 bare array, '.' separator, consolidated metadata, zlib.
import numcodecs
a = rng.integers(-30000, 30000, size=(5, 70, 80), dtype=np.int16)
p = os.path.join(tmp, 'bare2.zarr')
g = zarr.open_group(p, mode='w', zarr_format=2)
arr = g.create_array('img', shape=a.shape, chunks=(2, 32, 32), dtype=a.dtype, compressors=numcodecs.Zlib(level=3), chunk_key_encoding={'name': 'v2', 'separator': '.'})
arr[:] = a
zarr.consolidate_metadata(p)
out.append({'path': os.path.join(p, 'img'), 'levels': [digest(tczyx(a, 'zyx'))]})

# zarr-python v3 sharded array, y,x uint8 with dimension names.
a = rng.integers(0, 255, size=(200, 300), dtype=np.uint8)
p = os.path.join(tmp, 'sharded.zarr')
arr = zarr.create_array(p, shape=a.shape, chunks=(32, 32), shards=(64, 128), dtype=a.dtype, dimension_names=['y', 'x'])
arr[:] = a
out.append({'path': p, 'levels': [digest(tczyx(a, 'yx'))]})

# bfio 2.5 writers.
from bfio import BioWriter
for backend, name in (('zarr', 'bfio-v2.ome.zarr'), ('zarr3', 'bfio-v3.ome.zarr')):
    a = rng.integers(0, 60000, size=(1100, 1300, 1, 2, 1), dtype=np.uint16)  # Y,X,Z,C,T
    p = os.path.join(tmp, name)
    with BioWriter(p, backend=backend, X=1300, Y=1100, C=2, dtype=np.uint16) as bw:
        bw.channel_names = ['first', 'second']
        bw.ps_x = (0.3, 'µm'); bw.ps_y = (0.4, 'µm')
        bw[:] = a
    out.append({'path': p, 'levels': [digest(a.transpose(4, 3, 2, 0, 1))], 'phys': {'x': 0.3, 'y': 0.4}, 'channels': ['first', 'second']})
print(json.dumps(out))
`;

interface Written {
  path: string;
  levels: Array<{ shape: number[]; dtype: string; sha: string }>;
  phys?: Record<string, number>;
  units?: string;
  channels?: string[];
  colors?: string[];
  /** [y, x] pixel size of each level, from the peer's multiscales. */
  levelScales?: number[][];
}

describe.skipIf(!ok)('stores written by the Python peers', () => {
  let written: Written[] = [];
  beforeAll(async () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    written = await runPythonJson<Written[]>(WRITERS, { tmp: TMP });
  });
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('reads every store level by level, equal to what the peer wrote', async () => {
    expect(written.length).toBe(7);
    for (const w of written) {
      const reader = await ZarrReader.open(w.path);
      const info = reader.series[0];
      if (!info) throw new Error(`no series in ${w.path}`);
      expect(info.levels.length, w.path).toBe(w.levels.length);
      for (let l = 0; l < w.levels.length; l++) {
        const lv = info.levels[l];
        const d = w.levels[l];
        if (!lv || !d) throw new Error('missing level');
        expect([lv.sizeT, lv.sizeC, lv.sizeZ, lv.sizeY, lv.sizeX], w.path).toEqual(d.shape);
        expect(info.dtype).toBe(d.dtype);
        const region: Region = {
          x: [0, lv.sizeX],
          y: [0, lv.sizeY],
          z: [0, lv.sizeZ],
          c: [...Array(lv.sizeC).keys()],
          t: [...Array(lv.sizeT).keys()],
        };
        const out = allocate(info.dtype, regionLength(region));
        await reader.readRegion({ series: 0, level: l }, region, out);
        const sha = createHash('sha256')
          .update(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
          .digest('hex');
        expect(sha, `${w.path} level ${l}`).toBe(d.sha);
      }
      const px = reader.metadata.images[info.imageIndex]?.pixels;
      for (const [k, v] of Object.entries(w.phys ?? {})) {
        const q = k === 'x' ? px?.physicalSizeX : k === 'y' ? px?.physicalSizeY : px?.physicalSizeZ;
        expect(q?.value, `${w.path} ${k}`).toBeCloseTo(v, 9);
        if (w.units) expect(q?.unit).toBe(w.units);
      }
      if (w.channels) expect(px?.channels.map((c) => c.name)).toEqual(w.channels);
      if (w.colors) {
        // omero RRGGBB → OME signed RGBA with alpha 255.
        expect(px?.channels.map((c) => c.color)).toEqual(
          w.colors.map((h) => (Number.parseInt(h, 16) << 8) | 0xff | 0),
        );
      }
      await reader.close();
    }
  });
  it("gives each level's pixel size as the multiscales record it, also for odd sizes", async () => {
    // One store records the size ratio (ome-zarr-py's default), one exact powers of two.
    const stores = written.filter((x) => x.levelScales);
    expect(stores.length).toBe(2);
    for (const w of stores) {
      const scales = w.levelScales as number[][];
      const br = await BioReader.open(w.path);
      try {
        expect(br.levelCount).toBe(scales.length);
        for (let l = 0; l < scales.length; l++) {
          br.level = l;
          const [y, x] = scales[l] as [number, number];
          expect(br.physicalSizeY?.value, `${w.path} level ${l} y`).toBeCloseTo(y, 9);
          expect(br.physicalSizeX?.value, `${w.path} level ${l} x`).toBeCloseTo(x, 9);
        }
      } finally {
        await br.close();
      }
    }
  });
});
