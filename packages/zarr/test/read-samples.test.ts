/**
 * Acceptance 1: every sample store with NGFF metadata and chunks (and every zarrita fixture array) reads with
 * values equal to zarr-python's, with the right levels, axes and physical sizes. zarr-python (venv) is the
 * oracle: it reads each level, puts it in T,C,Z,Y,X order from the store's own axes, and hashes the bytes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { allocate, isBfioError } from '@bfio/core';
import { type Region, regionLength } from '@bfio/core/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { wholeLevel } from '../../../test-support/regions.js';
import { ZarrReader } from '../src/reader/index.js';

const ok = available('data', 'python');

/** Stores and their series groups (facts of the sample data, from its metadata files). */
const STORES: Array<{ path: string; series: string[]; root?: string }> = [
  { path: 'neuroglancer-testdata/ome_zarr/simple_0.4', series: [''] },
  { path: 'neuroglancer-testdata/ome_zarr/simple_0.5', series: [''] },
  { path: 'viv/fixtures/ome-zarr/blobs_image_v04.ome.zarr', series: [''] },
  { path: 'viv/fixtures/ome-zarr/blobs_image_v05.ome.zarr', series: [''] },
  { path: 'viv/fixtures/bioformats-zarr', series: ['0'], root: 'data.zarr' },
  { path: 'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr', series: ['0', '1', '2'] },
  { path: 'ome-zarr-py/bf2raw/fake-series-2.zarr', series: ['0', '1'] },
  { path: 'ome-zarr-py/bf2raw/plate-rows-2.zarr', series: ['A/1/0', 'B/1/0'] },
  { path: 'ome-zarr-py/v1', series: [''] },
  { path: 'ome-zarr-py/v2', series: [''] },
  { path: 'ome-zarr-examples/valid/image-02.zarr', series: [''] },
  { path: 'ome-zarr-examples/valid/image-03.zarr', series: [''] },
];

const FIXTURES = [
  'zarrita-fixtures/v2/data.zarr',
  'zarrita-fixtures/v3/data.zarr',
  'zarrita-fixtures/v3/data.zarr/consolidated',
];

function fixtureArrays(): string[] {
  const out: string[] = [];
  for (const dir of FIXTURES) {
    for (const name of readdirSync(dataPath(dir))) {
      const full = join(dataPath(dir), name);
      if (!statSync(full).isDirectory()) continue;
      if (readdirSync(full).some((f) => f === '.zarray' || f === 'zarr.json')) {
        // v3 groups also have zarr.json; the oracle reports node kind and we keep arrays only.
        out.push(`${dir}/${name}`);
      }
    }
  }
  return out;
}

const ORACLE = `
import hashlib, json, sys, os
import numpy as np, zarr
inp = json.load(sys.stdin)
D = inp['data']
AX = 'tczyx'

def attrs_of(node):
    a = dict(node.attrs)
    return a.get('ome', a)

def to_tczyx(a, names):
    # Put the array in t,c,z,y,x order, adding missing axes of size 1 (extra size-1 axes are dropped).
    names = [n.lower() for n in names]
    for i in reversed(range(len(names))):
        if names[i] not in AX:
            a = np.take(a, 0, axis=i); names.pop(i)
    order = [names.index(n) for n in AX if n in names]
    a = np.transpose(a, order)
    shape = [a.shape[[n for n in AX if n in names].index(n)] if n in names else 1 for n in AX]
    return a.reshape(shape)

def widen(a):
    if a.dtype.kind == 'b': return a.astype('u1')
    if a.dtype.kind in 'iu' and a.dtype.itemsize == 8: return a.astype('<f8')
    return a.astype(a.dtype.newbyteorder('<'))

def digest(a):
    a = np.ascontiguousarray(widen(a))
    return {'shape': list(a.shape), 'dtype': str(a.dtype.name), 'sha': hashlib.sha256(a.tobytes()).hexdigest()}

out = {'stores': [], 'arrays': []}
for s in inp['stores']:
    root = os.path.join(D, s['path'], s.get('root') or '')
    g = zarr.open_group(root, mode='r')
    xml = None
    for cand in [os.path.join(root, 'OME', 'METADATA.ome.xml'), os.path.join(D, s['path'], 'METADATA.ome.xml')]:
        if os.path.exists(cand):
            import ome_types
            xml = ome_types.from_xml(open(cand).read(), validate=False)
            break
    series = []
    for i, sp in enumerate(s['series']):
        node = g[sp] if sp else g
        ms = attrs_of(node)['multiscales'][0]
        axes = ms.get('axes')
        names = [a if isinstance(a, str) else a['name'] for a in axes] if axes else None
        levels = []
        for ds in ms['datasets']:
            arr = node[ds['path']][:]
            nm = names or list(AX[5 - arr.ndim:])
            levels.append(digest(to_tczyx(arr, nm)))
        phys = {}
        names_out = None
        if xml is not None:
            px = xml.images[i].pixels
            for k in 'xyz':
                v = getattr(px, 'physical_size_' + k)
                if v is not None: phys[k] = v
            names_out = [c.name for c in px.channels]
        else:
            sc = None
            for t in ms['datasets'][0].get('coordinateTransformations', []):
                if t.get('type') == 'scale': sc = t['scale']
            if sc and axes and not isinstance(axes[0], str):
                # A scale is a physical size only where the axis has a unit.
                for j, ax in enumerate(axes):
                    if ax['name'] in 'xyz' and ax.get('unit'): phys[ax['name']] = sc[j]
            om = attrs_of(node).get('omero')
            if om: names_out = [str(c.get('label')) if c.get('label') is not None else None for c in om['channels']]
        series.append({'levels': levels, 'phys': phys, 'channels': names_out})
    out['stores'].append(series)
for p in inp['arrays']:
    try:
        node = zarr.open(os.path.join(D, p), mode='r')
    except Exception as e:
        out['arrays'].append({'kind': 'error', 'why': str(e)}); continue
    if not isinstance(node, zarr.Array):
        out['arrays'].append({'kind': 'group'}); continue
    a = node[:]
    if a.dtype.kind not in 'biuf' or a.dtype.itemsize == 2 and a.dtype.kind == 'f':
        out['arrays'].append({'kind': 'unsupported', 'dtype': str(a.dtype)}); continue
    if a.ndim == 0 or a.ndim > 5:
        out['arrays'].append({'kind': 'unsupported', 'dtype': str(a.dtype)}); continue
    out['arrays'].append({'kind': 'array', **digest(to_tczyx(a, list(AX[5 - a.ndim:])))})
print(json.dumps(out))
`;

interface Digest {
  shape: number[];
  dtype: string;
  sha: string;
}
interface Expected {
  stores: Array<
    Array<{ levels: Digest[]; phys: Record<string, number>; channels: Array<string | null> | null }>
  >;
  arrays: Array<{ kind: string; dtype?: string } & Partial<Digest>>;
}

const fullRegion = wholeLevel;

function sha(a: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

describe.skipIf(!ok)('reading sample stores equals zarr-python', () => {
  let expected: Expected;
  const arrays = ok ? fixtureArrays() : [];

  beforeAll(async () => {
    expected = await runPythonJson<Expected>(ORACLE, { data: dataPath(''), stores: STORES, arrays });
  });

  it.each(STORES.map((s, i) => [s.path, i] as const))('%s', async (path, i) => {
    const reader = await ZarrReader.open(dataPath(path));
    const want = expected.stores[i] ?? [];
    expect(reader.series.length).toBe(want.length);
    for (let s = 0; s < want.length; s++) {
      const info = reader.series[s];
      const exp = want[s];
      if (!info || !exp) throw new Error('missing series');
      expect(info.levels.length).toBe(exp.levels.length);
      for (let l = 0; l < exp.levels.length; l++) {
        const level = info.levels[l];
        const d = exp.levels[l];
        if (!level || !d) throw new Error('missing level');
        expect([level.sizeT, level.sizeC, level.sizeZ, level.sizeY, level.sizeX]).toEqual(d.shape);
        expect(info.dtype).toBe(d.dtype);
        const out = allocate(info.dtype, regionLength(fullRegion(level)));
        await reader.readRegion({ series: s, level: l }, fullRegion(level), out);
        expect(sha(out), `${path} series ${s} level ${l}`).toBe(d.sha);
      }
      const px = reader.metadata.images[info.imageIndex]?.pixels;
      expect(px).toBeDefined();
      for (const [k, v] of Object.entries(exp.phys)) {
        const q = k === 'x' ? px?.physicalSizeX : k === 'y' ? px?.physicalSizeY : px?.physicalSizeZ;
        expect(q?.value, `${path} physical size ${k}`).toBeCloseTo(v, 9);
      }
      if (exp.channels) {
        expect(px?.channels.map((c) => c.name ?? null)).toEqual(exp.channels);
      }
    }
    await reader.close();
  });

  it('reads the units, NGFF versions and layouts the stores declare', async () => {
    const ng = await ZarrReader.open(dataPath('neuroglancer-testdata/ome_zarr/simple_0.4'));
    // .zattrs: axes y,x in nanometer, level-0 scale [4, 30].
    expect(ng.metadata.images[0]?.pixels.physicalSizeY).toEqual({ value: 4, unit: 'nm' });
    expect(ng.metadata.images[0]?.pixels.physicalSizeX).toEqual({ value: 30, unit: 'nm' });
    expect(ng.format).toBe('OME-Zarr 0.4');
    expect(ng.details?.consolidated).toBe(true);
    const v5 = await ZarrReader.open(dataPath('neuroglancer-testdata/ome_zarr/simple_0.5'));
    expect(v5.format).toBe('OME-Zarr 0.5');
    const bf = await ZarrReader.open(dataPath('tiledb-bioimaging/CMU-1-Small-Region.ome.zarr'));
    expect(bf.details?.layout).toBe('bioformats2raw');
    const v1 = await ZarrReader.open(dataPath('ome-zarr-py/v1'));
    expect(String(v1.details?.assumedAxes)).toMatch(/TCZYX/);
  });

  it('reads channel lists in any order and sub-regions consistently with a full read', async () => {
    const reader = await ZarrReader.open(dataPath('tiledb-bioimaging/CMU-1-Small-Region.ome.zarr'));
    const level = reader.series[0]?.levels[0];
    if (!level) throw new Error('no level');
    const full = allocate('uint8', regionLength(fullRegion(level)));
    await reader.readRegion({ series: 0, level: 0 }, fullRegion(level), full);
    const region: Region = { x: [1000, 1301], y: [500, 777], z: [0, 1], c: [2, 0, 2], t: [0] };
    const part = allocate('uint8', regionLength(region));
    await reader.readRegion({ series: 0, level: 0 }, region, part);
    let k = 0;
    let same = true;
    for (const c of region.c)
      for (let y = 500; y < 777; y++)
        for (let x = 1000; x < 1301; x++)
          same &&= part[k++] === full[(c * level.sizeY + y) * level.sizeX + x];
    expect(same).toBe(true);
  });

  it('reads every zarrita fixture array (bare arrays, all codecs, sharding) or refuses its dtype', async () => {
    let compared = 0;
    for (let i = 0; i < arrays.length; i++) {
      const path = arrays[i] as string;
      const want = expected.arrays[i];
      if (!want || want.kind === 'group' || want.kind === 'error') continue;
      if (want.kind === 'unsupported') {
        const err = await ZarrReader.open(dataPath(path)).catch((e: unknown) => e);
        expect(isBfioError(err, 'unsupported'), `${path} (${want.dtype})`).toBe(true);
        continue;
      }
      const reader = await ZarrReader.open(dataPath(path));
      const info = reader.series[0];
      const level = info?.levels[0];
      if (!info || !level) throw new Error('no level');
      expect([level.sizeT, level.sizeC, level.sizeZ, level.sizeY, level.sizeX], path).toEqual(want.shape);
      expect(info.dtype, path).toBe(want.dtype);
      const out = allocate(info.dtype, regionLength(fullRegion(level)));
      await reader.readRegion({ series: 0, level: 0 }, fullRegion(level), out);
      expect(sha(out), path).toBe(want.sha);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(40);
  });

  it('names the store in typed errors for what it cannot read', async () => {
    const notZarr = await ZarrReader.open(dataPath('ngff-spec')).catch((e: unknown) => e);
    expect(isBfioError(notZarr, 'corrupt-file')).toBe(true);
    expect(String((notZarr as Error).message)).toContain('ngff-spec');
    const group = await ZarrReader.open(dataPath('zarrita-fixtures/v2/data.zarr')).catch((e: unknown) => e);
    expect(isBfioError(group, 'corrupt-file')).toBe(true);
  });
});
