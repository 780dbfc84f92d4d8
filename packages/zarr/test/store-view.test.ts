/**
 * The store view (issue #12): TIFF, OME-TIFF pyramids and OME-Zarr samples presented as OME-Zarr 0.5 and 0.4,
 * chunks raw or encoded. zarrita reads the view directly as a store; the views are also written to disk and
 * read by zarr-python and ome-zarr-py, with their metadata validated against the NGFF schemas. Every level's
 * pixels are compared with the source as tifffile or zarr-python reads it (hashes computed by the peer).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@bfio/tiff';
import { BioReader } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { openStoreView, type StoreViewOptions } from '../src/index.js';
import { materialiseView } from './support/materialise.js';
import { type LevelDigest, VALIDATE_NGFF_PY, zarritaLevels } from './support/view-peers.js';

const ok = available('data', 'python');
const TMP = join(tmpdir(), `bfio-store-view-${process.pid}`);

interface Source {
  name: string;
  path: string;
  peer: 'tifffile' | 'zarr';
  /** Zarr sources: the image groups, in series order. */
  series?: string[];
}

const SOURCES: Source[] = [
  // OME-TIFF pyramid in SubIFDs, 8 levels, big-endian, 3 channels.
  {
    name: 'ome-tiff-pyramid',
    path: 'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
    peer: 'tifffile',
  },
  // Plain TIFF pyramid in top-level IFDs, 64² tiles: several chunks per level, padded edge chunks.
  { name: 'tiff-pyramid', path: 'openslide-python/boxes.tiff', peer: 'tifffile' },
  // Plain TIFF, RGB, 128×32 tiles (non-square chunks, padded edges).
  { name: 'tiff-rect-tiles', path: 'image-tiff/images/tiled-rect-rgb-u8.tif', peer: 'tifffile' },
  // OME-TIFF of strips, C and Z: default chunks capped to the plane.
  {
    name: 'ome-tiff-czyx',
    path: 'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
    peer: 'tifffile',
  },
  // 1080² uint16 in 1024² LZW tiles: one full chunk and padded edges.
  { name: 'ome-tiff-1080', path: 'polus-image-tools/r01_c01_x01_y01_z01.ome.tif', peer: 'tifffile' },
  { name: 'ome-zarr-0.4', path: 'neuroglancer-testdata/ome_zarr/simple_0.4', peer: 'zarr', series: [''] },
  { name: 'ome-zarr-0.5', path: 'neuroglancer-testdata/ome_zarr/simple_0.5', peer: 'zarr', series: [''] },
  {
    name: 'ome-zarr-0.5-float64',
    path: 'viv/fixtures/ome-zarr/blobs_image_v05.ome.zarr',
    peer: 'zarr',
    series: [''],
  },
  // Two series (bioformats2raw layout in the source): the view presents the same layout.
  {
    name: 'bf2raw-2-series',
    path: 'ome-zarr-py/bf2raw/fake-series-2.zarr',
    peer: 'zarr',
    series: ['0', '1'],
  },
];

/** Views zarrita reads directly, and those written to disk for the Python peers. */
const DIRECT: StoreViewOptions[] = [
  { ngffVersion: '0.5', codec: 'none' },
  { ngffVersion: '0.5', codec: 'zstd' },
  { ngffVersion: '0.4', codec: 'none' },
  { ngffVersion: '0.4', codec: 'zstd' },
];
const ON_DISK: StoreViewOptions[] = [
  { ngffVersion: '0.5', codec: 'zstd' },
  { ngffVersion: '0.4', codec: 'blosc' },
  { ngffVersion: '0.5', codec: 'gzip' },
];

const tag = (o: StoreViewOptions) => `${o.ngffVersion}-${o.codec}`;

const PEERS = `
import hashlib, json, sys, os, glob, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr, tifffile
inp = json.load(sys.stdin)
D = inp['data']
AX = 'tczyx'

def to_tczyx(a, names):
    names = [n.lower() for n in names]
    names = ['c' if n == 's' else n for n in names]
    order = [names.index(n) for n in AX if n in names]
    a = np.transpose(a, order)
    kept = [n for n in AX if n in names]
    return a.reshape([a.shape[kept.index(n)] if n in names else 1 for n in AX])

def digest(a):
    a = np.ascontiguousarray(a)
    if a.dtype.kind == 'b': a = a.astype('u1')
    a = a.astype(a.dtype.newbyteorder('<'))
    return {'shape': list(a.shape), 'dtype': a.dtype.name, 'sha': hashlib.sha256(a.tobytes()).hexdigest()}

def attrs_of(node):
    a = dict(node.attrs)
    return a.get('ome', a)

def zarr_levels(node):
    ms = attrs_of(node)['multiscales'][0]
    names = [a if isinstance(a, str) else a['name'] for a in ms['axes']]
    return [digest(to_tczyx(node[ds['path']][:], names)) for ds in ms['datasets']]

${VALIDATE_NGFF_PY}
out = {'sources': {}, 'stores': {}}
for s in inp['sources']:
    path = os.path.join(D, s['path'])
    r = {}
    if s['peer'] == 'tifffile':
        with tifffile.TiffFile(path) as tif:
            ser = tif.series[0]
            r['series'] = [[digest(to_tczyx(lv.asarray(), list(ser.axes))) for lv in ser.levels]]
            if tif.is_ome:
                import ome_types
                px = ome_types.from_xml(tif.ome_metadata, validate=False).images[0].pixels
                r['phys'] = None if px.physical_size_x is None else {'x': px.physical_size_x, 'unit': px.physical_size_x_unit.value}
                r['channels'] = [c.name for c in px.channels]
    else:
        g = zarr.open_group(path, mode='r')
        r['series'] = [zarr_levels(g[sp] if sp else g) for sp in s['series']]
    out['sources'][s['name']] = r

for st in inp['stores']:
    r = {}
    v = st['version']
    g = zarr.open_group(st['dir'], mode='r')
    r['zarr_format'] = g.info._zarr_format
    groups = st['groups']
    try:
        if st['multi']:
            validate(v, 'bf2raw.schema', dict(g.attrs))
        for sp in groups:
            a = dict((g[sp] if sp else g).attrs)
            validate(v, 'image.schema', a)
            validate(v, 'strict_image.schema', a)
        r['schema'] = 'ok'
    except Exception as e:
        r['schema'] = str(e)[:800]
    r['zarr'] = [zarr_levels(g[sp] if sp else g) for sp in groups]
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    oz = []
    for sp in groups:
        node = list(Reader(parse_url(os.path.join(st['dir'], sp) if sp else st['dir']))())[0]
        names = [a['name'] for a in node.metadata['axes']]
        oz.append({'levels': [digest(to_tczyx(np.asarray(d), names)) for d in node.data],
                   'axes': names, 'channels': node.metadata.get('channel_names')})
    r['omezarr'] = oz
    import ome_types
    xml = ome_types.from_xml(open(os.path.join(st['dir'], 'OME', 'METADATA.ome.xml')).read(), validate=False)
    r['ome_images'] = len(xml.images)
    r['ome_series'] = attrs_of(g['OME']).get('series') if st['multi'] else None
    out['stores'][st['name']] = r
print(json.dumps(out))
`;

interface PeerResult {
  sources: Record<
    string,
    { series: LevelDigest[][]; phys?: { x: number; unit: string } | null; channels?: (string | null)[] }
  >;
  stores: Record<
    string,
    {
      zarr_format: number;
      schema: string;
      zarr: LevelDigest[][];
      omezarr: Array<{ levels: LevelDigest[]; axes: string[]; channels: string[] | null }>;
      ome_images: number;
      ome_series: string[] | null;
    }
  >;
}

describe.skipIf(!ok)('store view: zarrita, zarr-python and ome-zarr-py read it like the source', () => {
  let peers: PeerResult;
  const readers = new Map<string, BioReader>();
  const direct = new Map<string, Awaited<ReturnType<typeof zarritaLevels>>>();

  beforeAll(async () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    const stores = [];
    for (const s of SOURCES) {
      // One reader per source, shared by its views (the view leaves a reader it did not open alone).
      const reader = await BioReader.open(dataPath(s.path));
      readers.set(s.name, reader);
      for (const o of DIRECT) {
        const view = await openStoreView(reader, o);
        direct.set(`${s.name}@${tag(o)}`, await zarritaLevels(view));
        await view.close();
      }
      for (const o of ON_DISK) {
        const view = await openStoreView(reader, o);
        const dir = join(TMP, `${s.name}-${tag(o)}.ome.zarr`);
        await materialiseView(view, dir);
        await view.close();
        const multi = reader.seriesCount > 1;
        stores.push({
          name: `${s.name}@${tag(o)}`,
          dir,
          version: o.ngffVersion,
          multi,
          groups: multi ? Array.from({ length: reader.seriesCount }, (_, i) => String(i)) : [''],
        });
      }
    }
    peers = await runPythonJson<PeerResult>(PEERS, {
      data: dataPath(''),
      spec: dataPath('ngff-spec'),
      sources: SOURCES,
      stores,
    });
  }, 120_000);

  afterAll(async () => {
    for (const r of readers.values()) await r.close();
    rmSync(TMP, { recursive: true, force: true });
  });

  for (const s of SOURCES) {
    it.each(DIRECT.map((o) => [tag(o), o] as const))(`${s.name}: zarrita reads %s`, (t) => {
      const want = peers.sources[s.name]!.series;
      const got = direct.get(`${s.name}@${t}`)!;
      expect(got.series).toEqual(want);
    });

    it.each(ON_DISK.map((o) => [tag(o), o] as const))(
      `${s.name}: zarr-python and ome-zarr-py read %s`,
      (t, o) => {
        const want = peers.sources[s.name]!.series;
        const r = peers.stores[`${s.name}@${t}`]!;
        expect(r.schema).toBe('ok');
        expect(r.zarr_format).toBe(o.ngffVersion === '0.4' ? 2 : 3);
        expect(r.zarr).toEqual(want);
        expect(r.omezarr.map((x) => x.levels)).toEqual(want);
        for (const x of r.omezarr) expect(x.axes).toEqual(['t', 'c', 'z', 'y', 'x']);
        expect(r.ome_images).toBe(want.length);
        if (want.length > 1) expect(r.ome_series).toEqual(want.map((_, i) => String(i)));
      },
    );
  }

  it('OME-TIFF physical sizes and channel names become the axes units, scales and omero channels', () => {
    const s = 'ome-tiff-1080';
    const src = peers.sources[s]!;
    const attrs = direct.get(`${s}@0.5-none`)!.imageAttrs[0] as unknown as {
      multiscales: Array<{
        axes: Array<{ name: string; unit?: string }>;
        datasets: Array<{ coordinateTransformations: Array<{ scale: number[] }> }>;
      }>;
      omero: { channels: Array<{ label: string }> };
    };
    const ms = attrs.multiscales[0]!;
    expect(src.phys).toBeTruthy();
    const UNITS: Record<string, string> = { µm: 'micrometer', nm: 'nanometer', mm: 'millimeter' };
    expect(ms.axes[4]).toEqual({ name: 'x', type: 'space', unit: UNITS[src.phys!.unit] });
    expect(ms.datasets[0]!.coordinateTransformations[0]!.scale[4]).toBeCloseTo(src.phys!.x, 9);
    const names = src.channels!.map((n, i) => n ?? `Channel ${i}`);
    expect(attrs.omero.channels.map((c) => c.label)).toEqual(names);
  });

  it('level scales follow the source pyramid (size ratio to level 0)', async () => {
    const reader = readers.get('ome-tiff-pyramid')!;
    const view = await openStoreView(reader);
    const doc = JSON.parse(new TextDecoder().decode(await view.get('/zarr.json'))) as {
      attributes: {
        ome: {
          multiscales: Array<{ datasets: Array<{ coordinateTransformations: Array<{ scale: number[] }> }> }>;
        };
      };
    };
    // Level shapes from tifffile; the view's scales relative to level 0 are the size ratios in y and x.
    const levels = peers.sources['ome-tiff-pyramid']!.series[0]!;
    const datasets = doc.attributes.ome.multiscales[0]!.datasets;
    expect(datasets).toHaveLength(levels.length);
    const scale0 = datasets[0]!.coordinateTransformations[0]!.scale;
    datasets.forEach((d, k) => {
      const scale = d.coordinateTransformations[0]!.scale;
      for (const axis of [3, 4]) {
        expect(scale[axis]! / scale0[axis]!).toBeCloseTo(
          levels[0]!.shape[axis]! / levels[k]!.shape[axis]!,
          9,
        );
      }
    });
    await view.close();
  });
});
