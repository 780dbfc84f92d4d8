/**
 * Several images in one store (bioformats2raw layout, ZarrContainerWriter), NGFF 0.5 and 0.4: the root,
 * OME and image groups validate against the NGFF `bf2raw`, `ome` and `image` schemas, zarr-python reads
 * every image pixel-identical, and our reader (through BioReader) gives the series, names and pixels back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, type DType, isBfioError, type TypedArray } from '@bfio/core';
import { createOme, type OME } from '@bfio/ome-xml';
import { afterAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import '../src/index.js';
import { ZarrContainerWriter } from '../src/container.js';

const ok = available('data', 'python', 'xmllint');
const TMP = mkdtempSync(join(tmpdir(), 'bfio-zarr-container-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Two images of different types and shapes (T,C,Z,Y,X), the second with a pyramid. */
const IMAGES: Array<{ name: string; dtype: DType; shape: [number, number, number, number, number] }> = [
  { name: 'first', dtype: 'uint16', shape: [1, 3, 2, 90, 130] },
  { name: 'second', dtype: 'float32', shape: [2, 1, 1, 64, 80] },
];

function metadata(): OME {
  const ome = createOme({ sizeX: 1, sizeY: 1, type: 'uint8' });
  ome.images = IMAGES.map(({ name, dtype, shape: [T, C, Z, Y, X] }) => {
    const one = createOme({
      sizeX: X,
      sizeY: Y,
      sizeZ: Z,
      sizeC: C,
      sizeT: T,
      type: dtype === 'float32' ? 'float' : (dtype as 'uint16'),
      name,
      physicalSizeX: { value: 0.5, unit: 'µm' },
      physicalSizeY: { value: 0.5, unit: 'µm' },
    });
    return one.images[0]!;
  });
  return ome;
}

function pixels(dtype: DType, n: number, seed: number): TypedArray {
  const a = dtype === 'uint16' ? new Uint16Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = dtype === 'uint16' ? (i * 31 + seed) % 65521 : (i - 777) / 8 + seed;
  return a;
}

describe.skipIf(!ok)('several images in one OME-Zarr (bioformats2raw layout)', () => {
  for (const version of ['0.5', '0.4'] as const) {
    it(`NGFF ${version}: schemas, zarr-python and our reader agree`, async () => {
      const path = join(TMP, `both-${version}.ome.zarr`);
      const c = await ZarrContainerWriter.create(path, metadata(), { ngffVersion: version });
      const data: TypedArray[] = [];
      for (const [i, img] of IMAGES.entries()) {
        const [T, C, Z, Y, X] = img.shape;
        const w = await c.image(i, img.dtype, { tileSize: 32, pyramidLevels: i === 1 ? 1 : 0 });
        const d = pixels(img.dtype, T * C * Z * Y * X, i);
        await w.writeRegion(
          { x: [0, X], y: [0, Y], z: [0, Z], c: [...Array(C).keys()], t: [...Array(T).keys()] },
          d,
        );
        await w.close();
        data.push(d);
        writeFileSync(join(TMP, `img${i}-${version}.raw`), new Uint8Array(d.buffer));
      }
      expect(existsSync(path)).toBe(false); // nothing at the target before close
      await c.close();
      // The container's OME-XML: both images, renumbered, valid against the OME schema.
      const xml = readFileSync(join(path, 'OME', 'METADATA.ome.xml'), 'utf8');
      expect(xml.match(/<Image ID="Image:\d"/g)).toEqual(['<Image ID="Image:0"', '<Image ID="Image:1"']);
      expect(xml.match(/<Pixels[^>]* ID="Pixels:\d"/g)?.length).toBe(2);
      const schemas = dataPath('ome-xml-schema/released-schema');
      const lint = spawnSync(
        'xmllint',
        ['--nonet', '--noout', '--schema', join(schemas, '2016-06', 'ome.xsd'), '-'],
        {
          input: xml,
          encoding: 'utf8',
          env: { ...process.env, XML_CATALOG_FILES: join(schemas, 'catalog.xml') },
        },
      );
      expect(lint.status, lint.stderr).toBe(0);
      expect(readdirSync(path).sort()).toEqual(
        version === '0.5' ? ['0', '1', 'OME', 'zarr.json'] : ['.zattrs', '.zgroup', '0', '1', 'OME'],
      );

      const peer = await runPythonJson<{ schema: string[]; equal: boolean[]; series: string[] }>(
        `import json, sys, os, glob, numpy as np, zarr, jsonschema, referencing, referencing.jsonschema
inp = json.load(sys.stdin)
v = inp['version']
spec = os.path.join(inp['spec'], v, 'schemas')
res = []
for f in glob.glob(os.path.join(spec, '*.schema')):
    doc = json.load(open(f))
    res.append((doc['$id'], referencing.jsonschema.DRAFT202012.create_resource(doc)))
reg = referencing.Registry().with_resources(res)
def check(name, attrs):
    try:
        jsonschema.Draft202012Validator(json.load(open(os.path.join(spec, name))), registry=reg).validate(attrs)
        return 'ok'
    except Exception as e:
        return name + ': ' + str(e)[:300]
root = zarr.open_group(inp['path'], mode='r')
ome = root['OME']
schema = [check('bf2raw.schema', dict(root.attrs)), check('ome.schema', dict(ome.attrs))]
series = (dict(ome.attrs).get('ome') or dict(ome.attrs))['series']
equal = []
for i, s in enumerate(series):
    g = root[s]
    schema.append(check('image.schema', dict(g.attrs)))
    want = np.fromfile(inp['raws'][i], dtype=inp['dtypes'][i]).reshape(inp['shapes'][i])
    equal.append(bool(np.array_equal(g['0'][...], want)))
print(json.dumps({'schema': schema, 'equal': equal, 'series': series}))`,
        {
          path,
          version,
          spec: dataPath('ngff-spec'),
          raws: IMAGES.map((_, i) => join(TMP, `img${i}-${version}.raw`)),
          dtypes: IMAGES.map((m) => (m.dtype === 'uint16' ? '<u2' : '<f4')),
          shapes: IMAGES.map((m) => m.shape),
        },
      );
      expect(peer.schema).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(peer.series).toEqual(['0', '1']);
      expect(peer.equal).toEqual([true, true]);

      await using br = await BioReader.open(path);
      expect(br.seriesCount).toBe(2);
      for (const [i, img] of IMAGES.entries()) {
        br.series = i;
        expect(br.metadata.images[i]?.name).toBe(img.name);
        expect([br.T, br.C, br.Z, br.Y, br.X]).toEqual(img.shape);
        expect(br.dtype).toBe(img.dtype);
        const got = await br.read({}, { squeeze: false });
        // Y,X,Z,C,T view → planar T,C,Z,Y,X like the source.
        const [T, C, Z, Y, X] = img.shape;
        let bad = 0;
        for (let t = 0; t < T; t++)
          for (let ch = 0; ch < C; ch++)
            for (let z = 0; z < Z; z++)
              for (let y = 0; y < Y; y++)
                for (let x = 0; x < X; x++)
                  if (got.get(y, x, z, ch, t) !== data[i]![(((t * C + ch) * Z + z) * Y + y) * X + x]) bad++;
        expect(bad).toBe(0);
      }
      br.series = 0;
      expect(br.levelCount).toBe(1);
      br.series = 1;
      expect(br.levelCount).toBe(2);
    });
  }

  it('refuses an existing target, an unknown image, a second writer of one image; abort leaves nothing', async () => {
    const path = join(TMP, 'both-0.5.ome.zarr');
    const exists = await ZarrContainerWriter.create(path, metadata()).catch((e: unknown) => e);
    expect(isBfioError(exists, 'file-exists')).toBe(true);
    const other = join(TMP, 'aborted.ome.zarr');
    const c = await ZarrContainerWriter.create(other, metadata());
    expect(isBfioError(await c.image(5, 'uint16').catch((e: unknown) => e), 'invalid-data')).toBe(true);
    await c.image(0, 'uint16');
    expect(isBfioError(await c.image(0, 'uint16').catch((e: unknown) => e), 'invalid-data')).toBe(true);
    await c.abort();
    expect(readdirSync(TMP).filter((n) => n.includes('aborted'))).toEqual([]);
  });
});
