/**
 * The store view over Bio-Formats sources (CZI, LIF, DV): zarrita reads every series and level through the
 * view with the pixels Bio-Formats itself reads for them (our BioReader on the Bio-Formats backend is that
 * read), a multi-series file is presented in the bioformats2raw layout, and zarr-python reads the layout
 * (materialised to disk) with the same pixels and NGFF-valid metadata.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
// The Bio-Formats backend, from its sources (it depends on this package for its tests, so not the reverse).
import '../../bioformats-java/src/index.js';
import { openStoreView, type StoreViewOptions } from '../src/index.js';
import { materialiseView } from './support/materialise.js';
import { sha256, VALIDATE_NGFF_PY, zarritaLevels } from './support/view-peers.js';

const ok = available('data', 'java', 'bioformats-jar');
const py = ok && available('python');
const lint = ok && available('xmllint');
const TMP = join(tmpdir(), `bfio-store-view-bf-${process.pid}`);

const FILES = [
  // Three series (T 20; Z 23; a 512² plane): the bioformats2raw layout.
  'readlif/testdata_2channel_xz.lif',
  // T 3, C 2, Z 5, uint16.
  'aicspylibczi/CD_s_1_t_3_c_2_z_5.czi',
  // A 1756 × 624 mosaic: two chunks in x, the second padded.
  'aicspylibczi/mosaic_test.czi',
  'mrc/toxo.dv',
];

const OPTIONS: StoreViewOptions[] = [
  { ngffVersion: '0.5', codec: 'none' },
  { ngffVersion: '0.4', codec: 'zstd' },
];

/** Every series' levels as Bio-Formats reads them: planar T,C,Z,Y,X (C order t,c,z,y,x), hashed. */
async function bioformatsLevels(reader: BioReader): Promise<string[][]> {
  const out: string[][] = [];
  for (let s = 0; s < reader.seriesCount; s++) {
    reader.series = s;
    const levels: string[] = [];
    for (let k = 0; k < reader.levelCount; k++) {
      reader.level = k;
      levels.push(sha256((await reader.read({}, { squeeze: false, shared: false })).data));
    }
    out.push(levels);
  }
  reader.series = 0;
  return out;
}

const PEER = `
import json, sys, os, hashlib, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
inp = json.load(sys.stdin)
${VALIDATE_NGFF_PY}
out = {}
for st in inp['stores']:
    g = zarr.open_group(st['dir'], mode='r')
    v = st['version']
    r = {}
    try:
        validate(v, 'bf2raw.schema', dict(g.attrs))
        om = dict(g['OME'].attrs)
        series = om.get('ome', om)['series']
        for sp in series:
            validate(v, 'strict_image.schema', dict(g[sp].attrs))
        r['schema'] = 'ok'
    except Exception as e:
        r['schema'] = str(e)[:800]
        series = []
    levels = []
    for sp in series:
        a = dict(g[sp].attrs)
        ms = a.get('ome', a)['multiscales'][0]
        levels.append([hashlib.sha256(np.ascontiguousarray(g[sp][d['path']][:]).astype(g[sp][d['path']].dtype.newbyteorder('<')).tobytes()).hexdigest() for d in ms['datasets']])
    r['levels'] = levels
    out[st['name']] = r
print(json.dumps(out))
`;

describe.skipIf(!ok)('store view over Bio-Formats sources', () => {
  const bioformats = new Map<string, string[][]>();
  const viewed = new Map<string, Awaited<ReturnType<typeof zarritaLevels>>>();
  const xmls = new Map<string, string>();
  let peer: Record<string, { schema: string; levels: string[][] }> = {};

  beforeAll(async () => {
    mkdirSync(TMP, { recursive: true });
    const stores = [];
    for (const file of FILES) {
      const reader = await BioReader.open(dataPath(file));
      try {
        expect(reader.backendName).toBe('bioformats');
        bioformats.set(file, await bioformatsLevels(reader));
        for (const o of OPTIONS) {
          const view = await openStoreView(reader, o);
          viewed.set(`${file}@${o.ngffVersion}`, await zarritaLevels(view));
          xmls.set(file, new TextDecoder().decode(await view.get('/OME/METADATA.ome.xml')));
          if (py && reader.seriesCount > 1) {
            const dir = join(TMP, `${file.replace(/\W/g, '_')}-${o.ngffVersion}.ome.zarr`);
            await materialiseView(view, dir);
            stores.push({ name: `${file}@${o.ngffVersion}`, dir, version: o.ngffVersion });
          }
          await view.close();
        }
      } finally {
        await reader.close();
      }
    }
    if (py) peer = await runPythonJson(PEER, { spec: dataPath('ngff-spec'), stores });
  }, 180_000);

  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  for (const file of FILES) {
    it.each(OPTIONS.map((o) => [o.ngffVersion] as const))(
      `${file}: zarrita reads every series and level as Bio-Formats does (NGFF %s)`,
      (version) => {
        const got = viewed.get(`${file}@${version}`)!;
        const want = bioformats.get(file)!;
        expect(got.series.map((levels) => levels.map((l) => l.sha))).toEqual(want);
        const ngff = (got.rootAttrs.ome ?? got.rootAttrs) as Record<string, unknown>;
        // bioformats2raw's layout exactly when the file has several series.
        expect(ngff['bioformats2raw.layout'] === 3).toBe(want.length > 1);
      },
    );
  }

  it.skipIf(!lint).each(FILES)('%s: the OME-XML the view serves validates against ome.xsd', (file) => {
    const schemas = dataPath('ome-xml-schema/released-schema');
    const xml = xmls.get(file)!;
    const r = spawnSync(
      'xmllint',
      ['--nonet', '--noout', '--schema', join(schemas, '2016-06', 'ome.xsd'), '-'],
      {
        input: xml,
        encoding: 'utf8',
        env: { ...process.env, XML_CATALOG_FILES: join(schemas, 'catalog.xml') },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(xml.match(/<Image /g)?.length).toBe(bioformats.get(file)!.length);
  });

  it('chunks of every series requested at once equal the same chunks read one by one', async () => {
    const reader = await BioReader.open(dataPath(FILES[0]!));
    try {
      const keys: string[] = [];
      for (let s = 0; s < reader.seriesCount; s++) {
        reader.series = s;
        // Every plane's first chunk of level 0 of each series.
        for (let t = 0; t < reader.T; t++)
          for (let c = 0; c < reader.C; c++)
            for (let z = 0; z < reader.Z; z++) keys.push(`/${s}/0/c/${t}/${c}/${z}/0/0`);
      }
      const together = await openStoreView(reader, { cacheBytes: 0 });
      const atOnce = await Promise.all(keys.map((k) => together.get(k)));
      await together.close();
      const apart = await openStoreView(reader, { cacheBytes: 0 });
      for (const [i, k] of keys.entries()) {
        const one = (await apart.get(k)) as Uint8Array;
        expect(Buffer.compare(one, atOnce[i] as Uint8Array), k).toBe(0);
      }
      await apart.close();
    } finally {
      await reader.close();
    }
  });

  it.skipIf(!py).each(OPTIONS.map((o) => [o.ngffVersion] as const))(
    'zarr-python reads the multi-series LIF view (NGFF %s) with the same pixels; metadata validates',
    (version) => {
      const file = FILES[0]!;
      const r = peer[`${file}@${version}`]!;
      expect(r.schema).toBe('ok');
      expect(r.levels).toEqual(bioformats.get(file));
    },
  );
});
