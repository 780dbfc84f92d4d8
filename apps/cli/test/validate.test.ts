/**
 * `bfio validate`: every valid sample of the kinds bfio reads passes; real samples that break a rule are named
 * with the rule and independent evidence (zarr-python, tifffile, ElementTree); and each of 24 deliberately broken
 * files — made here from valid ones written by tifffile and zarr-python (accepted by ome-zarr-models) by breaking
 * ONE rule — exits 1 naming exactly that rule. One Python run writes the bases and gathers the evidence.
 */
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, manifest } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

interface Tag {
  entry: number;
  value: number;
  count: number;
  dtype: number;
}
interface TiffFacts {
  size: number;
  le: boolean;
  pages: Array<{ offset: number; tags: Record<string, Tag>; next: number }>;
  subs: Array<Record<string, Tag>>;
}
interface Peer {
  tiff: Record<string, TiffFacts>;
  models: Record<string, string>;
  cmu: { shapes: number[][]; scales: number[][] };
  warning_dtypes: string[];
  missing: Record<string, number>;
  invalid_tiffs: Record<
    string,
    {
      tile: number[] | null;
      ome: { planes: number; mapped: number } | null;
      sub: { reduced: boolean; size: number[]; parent: number[] } | null;
    }
  >;
}

const PEER = readFileSync(new URL('./validate-peer.py', import.meta.url), 'utf8');

/** Valid stores whose names do not end in .zarr (the sweeps below take the others) and an OME-XML document. */
const VALID = [
  'neuroglancer-testdata/ome_zarr/simple_0.4',
  'neuroglancer-testdata/ome_zarr/simple_0.5',
  'ome-zarr-py/v1',
  'ome-zarr-py/v2',
  'ome-xml-schema/samples/2016-06/multi-channel.ome.xml',
];

/**
 * The TIFF samples (of the 269 in MANIFEST.tsv) that break a rule, and the rules. `ome-xml.schema` is xmllint's
 * verdict; the others are confirmed below with tifffile and ElementTree.
 */
const INVALID_TIFFS: Record<string, string[]> = {
  // Instrument/Image ID attributes outside the schema's ID pattern; Pixels without TiffData/BinData.
  'exampletiffs/ometiff_testdata/singles/170918_tn_neutrophil_migration_wave.ome.tif': ['ome-xml.schema'],
  'polus-image-tools/bunny.ome.tif': ['ome-xml.schema'],
  'polus-image-tools/ftl-label/images/nuclear_test_961.ome.tif': ['ome-xml.schema', 'ome-tiff.plane-count'],
  'polus-image-tools/ftl-label/images/nuclear_test_962.ome.tif': ['ome-xml.schema', 'ome-tiff.plane-count'],
  'polus-image-tools/ftl-label/output/nuclear_test_961.ome.tif': ['ome-xml.schema', 'ome-tiff.plane-count'],
  'polus-image-tools/ftl-label/output/nuclear_test_962.ome.tif': ['ome-xml.schema', 'ome-tiff.plane-count'],
  'hubmap-portal-containers/test_image.ome.tiff': ['ome-xml.schema', 'ome-tiff.plane-count'],
  // 439×167 tiles; TiffData PlaneCount="3" at IFD 0 plus one per IFD 1 and 2: 5 planes mapped for 3.
  'hubmap-portal-containers/ome-tiff-tiler_v1_multi-channel.pyramid-8lvl-tile167x439.ome.tif': [
    'tiff.tile-size',
    'ome-tiff.plane-count',
  ],
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif': [
    'ome-tiff.plane-count',
  ],
  'hubmap-portal-containers/ome-tiff-tiler_v3_multi-channel.pyramid-2lvl-bf640.ome.tif': ['tiff.tile-size'],
  // GIMP: a "reduced-resolution" SubIFD (256×226 RGB) larger than its 141×125 image.
  'image-js-tiff/float32.tif': ['tiff.subifd-size'],
};

/**
 * The OME-Zarr stores in MANIFEST.tsv that break a rule. yaozarrs keeps only the metadata of real stores (its
 * arrays and wells are not in the copy: zarr-python cannot open them either, checked below), and its broken_v05
 * is broken on purpose; zarrita's fixtures are plain Zarr.
 */
const INVALID_STORES: Record<string, string[]> = {
  'ome-zarr-examples/invalid/image-01.zarr': ['ngff.group-kind'],
  'ome-zarr-examples/invalid/image-02.zarr': ['ngff.schema'],
  'ome-zarr-examples/invalid/image-03.zarr': ['ngff.dataset-exists'],
  'ome-zarr-examples/invalid/image-04.zarr': ['ngff.axes-rank'],
  'ome-zarr-examples/warning/image-01.zarr': ['ngff.levels-dtype'],
  'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr': ['ngff.scale-consistent'],
  'yaozarrs/broken/broken_v05.ome.zarr': [
    'ngff.dataset-exists',
    'ngff.levels-dtype',
    'ngff.path-exists',
    'ngff.axes-rank',
    'ngff.chunk-shape',
    'ngff.schema',
  ],
  'yaozarrs/v04/2551.zarr': ['ngff.dataset-exists', 'ngff.path-exists'],
  'yaozarrs/v04/4007801.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v04/9798462.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/190129.zarr': ['ngff.path-exists'],
  'yaozarrs/v05/1micron_reconstructions_VOI1.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/4ffaeed2-fa70-4907-820f-8a96ef683095.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/6001240_labels.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/76-45.ome.zarr': ['ngff.dataset-exists', 'ngff.path-exists'],
  'yaozarrs/v05/79ad519b-0aa6-4d64-85a9-6cea2318b980.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/9822152.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/ExpD_chicken_embryo_MIP.ome.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/Target-TS.ome.zarr': ['ngff.path-exists'],
  'yaozarrs/v05/c0e5d621-62cc-43a6-9dad-2ddab8959d17.zarr': ['ngff.dataset-exists'],
  'yaozarrs/v05/fb416517-e36d-4bdb-98f9-47b644138d47.zarr': ['ngff.dataset-exists'],
  'zarrita-fixtures/v2/data.zarr': ['ngff.group-kind'],
  'zarrita-fixtures/v3/data.zarr': ['ngff.group-kind'],
};

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['validate', ...args, '--schema-dir', dataPath('')], {
    out: (s) => {
      out += `${s}\n`;
    },
    err: (s) => {
      err += `${s}\n`;
    },
  });
  return { code, out, err };
}

async function failedRules(path: string): Promise<{ code: number; failed: string[] }> {
  const r = await run(path, '--json');
  return { code: r.code, failed: (JSON.parse(r.out) as { failed: string[] }).failed };
}

/** The samples among `paths` that fail, with their broken rules (exit code 1 exactly when a rule fails). */
async function invalidOf(paths: string[]): Promise<Record<string, string[]>> {
  const invalid: Record<string, string[]> = {};
  for (const p of paths) {
    const r = await failedRules(dataPath(p));
    expect(r.code).toBe(r.failed.length ? 1 : 0);
    if (r.failed.length) invalid[p] = r.failed;
  }
  return invalid;
}

describe.skipIf(!available('data', 'python', 'xmllint'))('bfio validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-validate-'));
  let peer: Peer;

  beforeAll(async () => {
    const invalid_tiffs = Object.keys(INVALID_TIFFS);
    const incomplete_stores = Object.entries(INVALID_STORES)
      .filter(([, rules]) => rules.some((r) => r === 'ngff.dataset-exists' || r === 'ngff.path-exists'))
      .map(([store]) => store);
    peer = await runPythonJson<Peer>(PEER, { dir, data: dataPath(''), invalid_tiffs, incomplete_stores });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every valid sample', async () => {
    for (const s of VALID) {
      const r = await run(dataPath(s));
      expect({ s, code: r.code, fail: r.out.split('\n').filter((l) => l.startsWith('FAIL')) }).toEqual({
        s,
        code: 0,
        fail: [],
      });
    }
  });

  it('passes every TIFF sample in MANIFEST.tsv but those that break a rule, which a peer confirms', async () => {
    const tiffs = manifest()
      .map((m) => m.path)
      .filter((p) => /\.(tiff?|btf)$/i.test(p));
    expect(tiffs.length).toBeGreaterThan(200);
    expect(await invalidOf(tiffs)).toEqual(INVALID_TIFFS);
    for (const [t, rules] of Object.entries(INVALID_TIFFS)) {
      const f = peer.invalid_tiffs[t]!;
      if (rules.includes('tiff.tile-size')) expect(f.tile?.some((n) => n % 16 !== 0)).toBe(true);
      if (rules.includes('ome-tiff.plane-count')) expect(f.ome!.mapped).not.toBe(f.ome!.planes);
      else if (f.ome) expect(f.ome.mapped).toBe(f.ome.planes);
      if (rules.includes('tiff.subifd-size')) {
        expect(f.sub?.reduced).toBe(true);
        expect(f.sub!.size[0]! > f.sub!.parent[0]! || f.sub!.size[1]! > f.sub!.parent[1]!).toBe(true);
      }
    }
  }, 60_000);

  it('passes every OME-Zarr store in MANIFEST.tsv but those that break a rule', async () => {
    const roots = new Set<string>();
    for (const m of manifest()) {
      const i = m.path.search(/\.zarr(\/|$)/);
      if (i >= 0) roots.add(m.path.slice(0, i + 5));
    }
    expect(roots.size).toBeGreaterThan(30);
    expect(await invalidOf([...roots])).toEqual(INVALID_STORES);
    // zarr-python cannot open what the metadata of the incomplete stores names either.
    for (const [store, gone] of Object.entries(peer.missing))
      expect({ store, gone: gone > 0 }).toEqual({ store, gone: true });
  }, 60_000);

  it('passes the bases written by tifffile and zarr-python (ome-zarr-models agrees on the stores)', async () => {
    expect(peer.models).toEqual({ 'v04.zarr': 'valid', 'v05.zarr': 'valid' });
    for (const f of ['t.ome.tif', 's.tif', 'p.ome.tif', 'v04.zarr', 'v05.zarr']) {
      expect({ f, ...(await failedRules(join(dir, f))) }).toEqual({ f, code: 0, failed: [] });
    }
  });

  it('names the rule real samples break, with the evidence of a peer', async () => {
    // zarr-python: level 1 of CMU-1-Small-Region is 3.86× smaller but its scale says 2× (bioformats2raw wrote
    // the SVS's own 4× level with a 2× scale).
    const { shapes, scales } = peer.cmu;
    const sizeRatio = (shapes[0]![3] as number) / (shapes[1]![3] as number);
    const scaleRatio = (scales[1]![3] as number) / (scales[0]![3] as number);
    expect(Math.abs(sizeRatio - scaleRatio)).toBeGreaterThan(1);
    expect(await failedRules(dataPath('tiledb-bioimaging/CMU-1-Small-Region.ome.zarr'))).toEqual({
      code: 1,
      failed: ['ngff.scale-consistent'],
    });
    // zarr-python: the levels have different dtypes (the store's authors file it under "warning").
    expect(new Set(peer.warning_dtypes).size).toBe(2);
    expect(await failedRules(dataPath('ome-zarr-examples/warning/image-01.zarr'))).toEqual({
      code: 1,
      failed: ['ngff.levels-dtype'],
    });
  });

  /** A copy of base `name` with `patch` applied, under a fresh name. */
  let n = 0;
  function broken(name: string, patch: (path: string) => void): string {
    const path = join(dir, `case${n++}-${name}`);
    cpSync(join(dir, name), path, { recursive: true });
    patch(path);
    return path;
  }
  /** Writes `value` at `pos` as a value of TIFF type `dtype` (3: SHORT, else LONG) in the file's byte order. */
  function poke(path: string, facts: TiffFacts, pos: number, value: number, dtype = 4): void {
    const bytes = dtype === 3 ? 2 : 4;
    const b = Buffer.alloc(bytes);
    if (bytes === 2) facts.le ? b.writeUInt16LE(value) : b.writeUInt16BE(value);
    else facts.le ? b.writeUInt32LE(value) : b.writeUInt32BE(value);
    const fd = openSync(path, 'r+');
    writeSync(fd, b, 0, bytes, pos);
    closeSync(fd);
  }
  function editText(path: string, from: string, to: string): void {
    expect(to.length).toBe(from.length);
    const buf = readFileSync(path);
    const at = buf.indexOf(from, 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    buf.write(to, at, 'latin1');
    writeFileSync(path, buf);
  }
  function editJson(path: string, edit: (doc: Record<string, any>) => void): void {
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    edit(doc);
    writeFileSync(path, JSON.stringify(doc));
  }

  it('names the one rule each deliberately broken file breaks', async () => {
    const t = peer.tiff['t.ome.tif']!;
    const s = peer.tiff['s.tif']!;
    const p = peer.tiff['p.ome.tif']!;
    const tag = (f: TiffFacts, page: number, code: number) => f.pages[page]!.tags[String(code)]!;
    const last = (f: TiffFacts, code: number) => {
      const e = tag(f, 0, code);
      return e.value + (e.count - 1) * (e.dtype === 3 ? 2 : 4);
    };
    const attrs04 = (d: string) => join(d, '.zattrs');
    const attrs05 = (d: string) => join(d, 'zarr.json');
    const ms04 = (d: Record<string, any>) => d.multiscales[0];
    const ms05 = (d: Record<string, any>) => d.attributes.ome.multiscales[0];

    const cases: Array<[string, string]> = [
      // TIFF structure (tifffile says where each tag is).
      [
        'tiff.tile-offset-in-file',
        broken('t.ome.tif', (f) => poke(f, t, tag(t, 0, 324).value, t.size + 1000, 4)),
      ],
      [
        'tiff.tile-bytes-in-file',
        broken('t.ome.tif', (f) => poke(f, t, last(t, 325), t.size, tag(t, 0, 325).dtype)),
      ],
      [
        'tiff.ifd-loop',
        broken('t.ome.tif', (f) => poke(f, t, t.pages[t.pages.length - 1]!.next, t.pages[0]!.offset, 4)),
      ],
      [
        'tiff.tile-count',
        broken('t.ome.tif', (f) => {
          poke(f, t, tag(t, 0, 324).entry + 4, tag(t, 0, 324).count - 1, 4);
          poke(f, t, tag(t, 0, 325).entry + 4, tag(t, 0, 325).count - 1, 4);
        }),
      ],
      ['tiff.ifd-offset-in-file', broken('s.tif', (f) => poke(f, s, 4, s.size + 8, 4))],
      ['tiff.strip-offset-in-file', broken('s.tif', (f) => poke(f, s, tag(s, 0, 273).value, s.size + 8, 4))],
      [
        'tiff.strip-bytes-in-file',
        broken('s.tif', (f) => poke(f, s, last(s, 279), s.size, tag(s, 0, 279).dtype)),
      ],
      [
        'tiff.strip-count',
        broken('s.tif', (f) => poke(f, s, tag(s, 0, 278).value, 32, tag(s, 0, 278).dtype)),
      ],
      ['tiff.tag-value-in-file', broken('s.tif', (f) => poke(f, s, tag(s, 0, 305).entry + 8, s.size + 100))],
      // 40 is not a multiple of 16 but keeps 2 tiles across a 64-pixel row.
      [
        'tiff.tile-size',
        broken('t.ome.tif', (f) => poke(f, t, tag(t, 0, 322).value, 40, tag(t, 0, 322).dtype)),
      ],
      [
        'tiff.subifd-offset-in-file',
        broken('p.ome.tif', (f) => poke(f, p, tag(p, 0, 330).value, p.size + 64, 4)),
      ],
      // The parent shrinks to 20 pixels wide (still one 64×64 tile): its 32-wide reduced SubIFD is now larger.
      ['tiff.subifd-size', broken('p.ome.tif', (f) => poke(f, p, tag(p, 0, 256).value, 20, 4))],
      // OME-XML (same-length edits of the description).
      ['ome-tiff.plane-count', broken('t.ome.tif', (f) => editText(f, 'SizeZ="2"', 'SizeZ="3"'))],
      [
        'ome-xml.schema',
        broken('t.ome.tif', (f) => editText(f, 'DimensionOrder="XYCZT"', 'DimensionOrder="XYZZT"')),
      ],
      // OME-Zarr 0.4 (zarr v2).
      [
        'ngff.axes-rank',
        broken('v04.zarr', (d) =>
          editJson(attrs04(d), (a) => {
            ms04(a).axes.splice(1, 0, { name: 'z', type: 'space' });
            for (const ds of ms04(a).datasets) ds.coordinateTransformations[0].scale.splice(1, 0, 1);
          }),
        ),
      ],
      [
        'ngff.axes-unique',
        broken('v04.zarr', (d) => editJson(attrs04(d), (a) => (ms04(a).axes[0].name = 'y'))),
      ],
      [
        'ngff.levels-decreasing',
        broken('v04.zarr', (d) => editJson(attrs04(d), (a) => ms04(a).datasets.reverse())),
      ],
      [
        'ngff.levels-dtype',
        broken('v04.zarr', (d) => editJson(join(d, '1', '.zarray'), (z) => (z.dtype = '<u1'))),
      ],
      [
        'ngff.scale-consistent',
        broken('v04.zarr', (d) =>
          editJson(attrs04(d), (a) => (ms04(a).datasets[1].coordinateTransformations[0].scale = [1, 2, 2])),
        ),
      ],
      ['ngff.version', broken('v04.zarr', (d) => editJson(attrs04(d), (a) => delete ms04(a).version))],
      ['ngff.omero-channels', broken('v04.zarr', (d) => editJson(attrs04(d), (a) => a.omero.channels.pop()))],
      [
        'ngff.dataset-exists',
        broken('v04.zarr', (d) => editJson(attrs04(d), (a) => (ms04(a).datasets[1].path = 'gone'))),
      ],
      // OME-Zarr 0.5 (zarr v3, sharded).
      [
        'ngff.schema',
        broken('v05.zarr', (d) =>
          editJson(attrs05(d), (a) => delete ms05(a).datasets[0].coordinateTransformations),
        ),
      ],
      [
        'ngff.chunk-shape',
        broken('v05.zarr', (d) =>
          editJson(attrs05(join(d, '0')), (z) => (z.chunk_grid.configuration.chunk_shape = [1, 32, 0])),
        ),
      ],
      [
        'ngff.shard-chunks',
        broken('v05.zarr', (d) =>
          editJson(attrs05(join(d, '0')), (z) => (z.codecs[0].configuration.chunk_shape = [1, 16, 24])),
        ),
      ],
      [
        'ngff.dimension-names',
        broken('v05.zarr', (d) =>
          editJson(attrs05(join(d, '1')), (z) => (z.dimension_names = ['c', 'x', 'y'])),
        ),
      ],
    ];
    const got = [];
    for (const [rule, path] of cases) got.push({ rule, ...(await failedRules(path)) });
    expect(got).toEqual(cases.map(([rule]) => ({ rule, code: 1, failed: [rule] })));
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it('reports in text with the fix, and exits 2 on unreadable input', async () => {
    const bad = broken('v04.zarr', (d) => editJson(join(d, '.zattrs'), (a) => a.omero.channels.pop()));
    const r = await run(bad);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^FAIL ngff\.omero-channels .*\n\s+.*1 channel\(s\) described but the image has 2\. Fix: /m,
    );
    expect(r.out).toMatch(/^ok {3}ngff\.axes-rank/m);
    expect((await run(join(dir, 'nothing-here.tif'))).code).toBe(2);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not an image');
    expect((await run(text)).code).toBe(2);
  });
});
