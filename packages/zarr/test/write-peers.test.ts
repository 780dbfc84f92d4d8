/**
 * Acceptance 2: stores we write (NGFF 0.4 and 0.5, several dtypes and codecs, with and without pyramids,
 * written in unaligned pieces) validate against the NGFF JSON schemas, read pixel-identical in zarr-python
 * and ome-zarr-py (levels included), and read in bfio 2.5 (0.4 with its `zarr` backend, 0.5 with `zarr3`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocate, type DType, type TypedArray } from '@bfio/core';
import { type Region, regionLength } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrReader } from '../src/reader/index.js';
import { type ZarrCreateOptions, ZarrWriter } from '../src/writer/index.js';

const ok = available('data', 'python');
const TMP = join('/tmp', `bfio-zarr-write-${process.pid}`);

interface Case {
  name: string;
  dtype: DType;
  shape: [number, number, number, number, number]; // t,c,z,y,x
  options: ZarrCreateOptions;
}

const CASES: Case[] = [
  {
    name: 'v04-u8',
    dtype: 'uint8',
    shape: [1, 1, 1, 150, 170],
    options: { ngffVersion: '0.4', tileSize: 64 },
  },
  {
    name: 'v04-u16-pyr',
    dtype: 'uint16',
    shape: [1, 2, 3, 130, 190],
    options: { ngffVersion: '0.4', tileSize: 32, pyramidLevels: 2 },
  },
  {
    name: 'v04-i32-gzip',
    dtype: 'int32',
    shape: [2, 1, 1, 70, 90],
    options: { ngffVersion: '0.4', tileSize: 32, compression: 'gzip' },
  },
  {
    name: 'v04-f64-blosc',
    dtype: 'float64',
    shape: [1, 1, 1, 64, 100],
    options: { ngffVersion: '0.4', tileSize: 32, compression: 'blosc-zstd' },
  },
  { name: 'v05-u16', dtype: 'uint16', shape: [1, 3, 1, 200, 260], options: { tileSize: 128 } },
  {
    name: 'v05-f32-pyr',
    dtype: 'float32',
    shape: [1, 1, 2, 140, 150],
    options: { tileSize: 64, pyramidLevels: 1 },
  },
  {
    name: 'v05-i16-blosc',
    dtype: 'int16',
    shape: [1, 2, 1, 90, 120],
    options: { tileSize: 32, compression: 'blosc-lz4' },
  },
  {
    name: 'v05-u32-labels',
    dtype: 'uint32',
    shape: [1, 1, 1, 256, 256],
    options: { chunks: [1, 1, 1, 64, 64], pyramidLevels: 2, downsample: 'nearest', compression: 'none' },
  },
  { name: 'v05-u8-default', dtype: 'uint8', shape: [1, 1, 1, 100, 100], options: {} },
  {
    // Shards of 2×3 chunks, partial at the edges, on every level of a pyramid.
    name: 'v05-u16-shards-pyr',
    dtype: 'uint16',
    shape: [1, 2, 3, 130, 190],
    options: { chunks: [1, 1, 1, 32, 32], shards: [1, 1, 1, 64, 96], pyramidLevels: 2 },
  },
  {
    // A shard spanning Z and C, no compression.
    name: 'v05-f32-shards-raw',
    dtype: 'float32',
    shape: [2, 2, 3, 100, 150],
    options: { chunks: [1, 1, 1, 32, 64], shards: [1, 2, 2, 64, 128], compression: 'none' },
  },
];

/** Deterministic content with negative values for signed types and fractions for floats. */
function makeData(dtype: DType, n: number): TypedArray {
  const a = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = (i * 2654435761) % 1000003;
    switch (dtype) {
      case 'float32':
      case 'float64':
        a[i] = (v - 500000) / 7;
        break;
      case 'int16':
      case 'int32':
      case 'int8':
        a[i] = v - 500000;
        break;
      default:
        a[i] = v;
    }
  }
  return a;
}

/** Writes the image as unaligned horizontal bands (channel list reversed) to exercise partial-chunk buffering. */
async function writeCase(c: Case): Promise<TypedArray> {
  const [T, C, Z, Y, X] = c.shape;
  const ome = createOme({
    sizeX: X,
    sizeY: Y,
    sizeZ: Z,
    sizeC: C,
    sizeT: T,
    type: c.dtype === 'float32' ? 'float' : c.dtype === 'float64' ? 'double' : c.dtype,
    channelNames: Array.from({ length: C }, (_, i) => `ch-${i}`),
    physicalSizeX: { value: 0.65, unit: 'µm' },
    physicalSizeY: { value: 0.65, unit: 'µm' },
    physicalSizeZ: { value: 2, unit: 'µm' },
    name: c.name,
  });
  const data = makeData(c.dtype, T * C * Z * Y * X);
  const w = await ZarrWriter.create(join(TMP, `${c.name}.ome.zarr`), ome, c.dtype, c.options);
  const cs = [...Array(C).keys()].reverse();
  const ts = [...Array(T).keys()];
  for (let y0 = 0; y0 < Y; y0 += 37) {
    const y1 = Math.min(Y, y0 + 37);
    const region: Region = { x: [0, X], y: [y0, y1], z: [0, Z], c: cs, t: ts };
    const part = allocate(c.dtype, regionLength(region));
    let k = 0;
    for (const t of ts)
      for (const ch of cs)
        for (let z = 0; z < Z; z++)
          for (let y = y0; y < y1; y++) {
            const s = (((t * C + ch) * Z + z) * Y + y) * X;
            part.set(data.subarray(s, s + X), k);
            k += X;
          }
    await w.writeRegion(region, part);
  }
  await w.close();
  return data;
}

const PEERS = `
import json, sys, os, glob, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr, jsonschema, referencing, referencing.jsonschema
inp = json.load(sys.stdin)
spec = inp['spec']

def registry(v):
    res = []
    for f in glob.glob(os.path.join(spec, v, 'schemas', '*.schema')):
        doc = json.load(open(f))
        res.append((doc['$id'], referencing.jsonschema.DRAFT202012.create_resource(doc)))
    return referencing.Registry().with_resources(res)

def validate(v, name, attrs):
    reg = registry(v)
    schema = json.load(open(os.path.join(spec, v, 'schemas', name)))
    jsonschema.Draft202012Validator(schema, registry=reg).validate(attrs)

def pyramid(a, levels, nearest, dtype):
    out = [a]
    for _ in range(levels):
        p = out[-1]
        h, w = p.shape[-2] // 2, p.shape[-1] // 2
        if nearest:
            out.append(p[..., 0:2*h:2, 0:2*w:2]); continue
        q = p.astype('f8') if dtype.kind == 'f' else p.astype('i8')
        s = q[..., 0:2*h:2, 0:2*w:2] + q[..., 0:2*h:2, 1:2*w:2] + q[..., 1:2*h:2, 0:2*w:2] + q[..., 1:2*h:2, 1:2*w:2]
        out.append((s / 4).astype(dtype) if dtype.kind == 'f' else ((s + 2) // 4).astype(dtype))
    return out

res = {}
for c in inp['cases']:
    r = {}
    path = c['path']
    dtype = np.dtype(c['dtype'])
    src = np.fromfile(c['raw'], dtype=dtype.newbyteorder('<')).reshape(c['shape'])
    v = '0.5' if c['v5'] else '0.4'
    g = zarr.open_group(path, mode='r')
    attrs = dict(g.attrs)
    try:
        validate(v, 'image.schema', attrs)
        validate(v, 'strict_image.schema', attrs)
        r['schema'] = 'ok'
    except Exception as e:
        r['schema'] = str(e)[:500]
    ngff = attrs.get('ome', attrs)
    want = pyramid(src, c['levels'] - 1, c['nearest'], dtype)
    r['zarr'] = [bool(np.array_equal(g[str(k)][:], want[k])) for k in range(c['levels'])]
    r['zarr_format'] = g.info._zarr_format
    r['shards'] = [list(g[str(k)].shards) if g[str(k)].shards else None for k in range(c['levels'])]
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader, Multiscales
    nodes = list(Reader(parse_url(path))())
    img = nodes[0]
    r['omezarr'] = [bool(np.array_equal(np.asarray(d), want[k])) for k, d in enumerate(img.data)]
    r['omezarr_axes'] = [a['name'] for a in img.metadata.get('axes', [])]
    r['omezarr_names'] = img.metadata.get('name')
    r['omezarr_channels'] = img.metadata.get('channel_names')
    from bfio import BioReader
    with BioReader(path, backend='zarr3' if c['v5'] else 'zarr') as br:
        im = br.read()
        exp = src.transpose(3, 4, 2, 1, 0)  # t,c,z,y,x -> y,x,z,c,t
        r['bfio'] = bool(np.array_equal(im.reshape(exp.shape), exp))
        r['bfio_shape'] = [br.Y, br.X, br.Z, br.C, br.T]
        r['bfio_channels'] = list(br.channel_names)
        r['bfio_ps_x'] = br.ps_x[0] if br.ps_x else None
    res[c['name']] = r
print(json.dumps(res))
`;

describe.skipIf(!ok)('stores we write, read by the Python peers', () => {
  let result: Record<string, Record<string, unknown>>;
  const datas = new Map<string, TypedArray>();

  beforeAll(async () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    const input = [];
    for (const c of CASES) {
      const data = await writeCase(c);
      datas.set(c.name, data);
      const raw = join(TMP, `${c.name}.raw`);
      writeFileSync(raw, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      input.push({
        name: c.name,
        path: join(TMP, `${c.name}.ome.zarr`),
        raw,
        dtype: c.dtype,
        shape: c.shape,
        v5: c.options.ngffVersion !== '0.4',
        levels: (c.options.pyramidLevels ?? 0) + 1,
        nearest: c.options.downsample === 'nearest',
      });
    }
    result = await runPythonJson(PEERS, { spec: dataPath('ngff-spec'), cases: input });
  });

  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const r = result[name] as Record<string, unknown>;
    const levels = (c.options.pyramidLevels ?? 0) + 1;
    expect(r.schema).toBe('ok');
    expect(r.zarr_format).toBe(c.options.ngffVersion === '0.4' ? 2 : 3);
    expect(r.zarr).toEqual(Array(levels).fill(true));
    // zarr-python sees the shards we declared (clipped to each level, rounded up to whole chunks).
    if (c.options.shards) expect((r.shards as number[][])[0]).toEqual(c.options.shards);
    else expect(r.shards).toEqual(Array(levels).fill(null));
    expect(r.omezarr).toEqual(Array(levels).fill(true));
    expect(r.omezarr_axes).toEqual(['t', 'c', 'z', 'y', 'x']);
    expect(r.omezarr_channels).toEqual(Array.from({ length: c.shape[1] }, (_, i) => `ch-${i}`));
    expect(r.bfio).toBe(true);
    expect(r.bfio_shape).toEqual([c.shape[3], c.shape[4], c.shape[2], c.shape[1], c.shape[0]]);
    expect(r.bfio_channels).toEqual(Array.from({ length: c.shape[1] }, (_, i) => `ch-${i}`));
    expect(r.bfio_ps_x).toBeCloseTo(0.65, 9);

    // And our own reader gives back level 0 and the physical sizes.
    const reader = await ZarrReader.open(join(TMP, `${name}.ome.zarr`));
    expect(reader.series[0]?.levels.length).toBe(levels);
    const [T, C, Z, Y, X] = c.shape;
    const region: Region = {
      x: [0, X],
      y: [0, Y],
      z: [0, Z],
      c: [...Array(C).keys()],
      t: [...Array(T).keys()],
    };
    const out = allocate(c.dtype, regionLength(region));
    await reader.readRegion({ series: 0, level: 0 }, region, out);
    expect(out).toEqual(datas.get(name));
    expect(reader.metadata.images[0]?.pixels.physicalSizeZ).toEqual({ value: 2, unit: 'µm' });
  });
});
