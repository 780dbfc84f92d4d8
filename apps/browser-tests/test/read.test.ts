/**
 * bfio in Chromium (issue 11, part 4): @bfio/core + @bfio/tiff + @bfio/zarr bundled for the browser read
 * OME-TIFFs (tiled, stripped, pyramids; Deflate, LZW, zstd, JPEG; multi-file) and OME-Zarr 0.4/0.5 (sharded
 * too) over loopback HTTP from another origin, pixel-identical to tifffile / zarr-python in this run; a File
 * reads the same as its URL; Bio-Formats says it is Node-only with a typed error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPage, runInPage } from '../../../test-support/browser/page.js';
import { startBrowserTestServers } from '../../../test-support/browser/servers.js';
import { type BrowserSession, startBrowserSession } from '../../../test-support/browser/session.js';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import type { ImageHashes } from '../src/bfio-page.js';
import { ARTIFACTS, PEERS, type Planes } from './peer-types.js';

/** Samples of the shared data set, by what each covers. */
const SAMPLES: Array<[what: string, path: string]> = [
  ['tiled Deflate, 101 Z planes', 'polus-image-tools/bunny.ome.tif'],
  ['BigTIFF, float32, Deflate tiles', 'polus-image-tools/ftl-label/images/nuclear_test_961.ome.tif'],
  [
    'uncompressed big-endian int8 strips, C×Z',
    'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
  ],
  ['LZW strips, big-endian uint16', 'wipp/Thresholding/inputCollection/img.ome.tif'],
  ['Deflate strips (viv fixture)', 'viv/fixtures/multi-channel.ome.tif'],
  [
    'BigTIFF SubIFD pyramid, 8 levels, Deflate 512² tiles',
    'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
  ],
  [
    'multi-file OME-TIFF (5 files next to the URL)',
    'exampletiffs/ometiff_testdata/multiples/master/multifile-Z1.ome.tiff',
  ],
];

type Spec = Record<string, unknown> & { kind: string; name: string };

/** Files the shared data lacks, written by tifffile / zarr-python / ome-zarr-py in this run. */
const WRITTEN: Array<[what: string, spec: Spec]> = [
  [
    'zstd tiles with horizontal predictor, 3-level SubIFD pyramid',
    {
      kind: 'tiff',
      name: 'zstd-pyramid.ome.tif',
      shape: [2, 300, 260],
      axes: 'CYX',
      dtype: 'uint16',
      compression: 'zstd',
      predictor: 'horizontal',
      tile: [128, 128],
      levels: 3,
    },
  ],
  [
    'LZW strips with floating-point predictor, float32',
    {
      kind: 'tiff',
      name: 'lzw-float.ome.tif',
      shape: [3, 200, 150],
      axes: 'ZYX',
      dtype: 'float32',
      compression: 'lzw',
      predictor: 'floatingpoint',
      rowsperstrip: 16,
    },
  ],
  [
    'OME-Zarr 0.4 (Zarr v2), Blosc-LZ4 with shuffle, by ome-zarr-py',
    {
      kind: 'ome-zarr',
      name: 'v04-blosc.ome.zarr',
      version: '0.4',
      shape: [2, 3, 100, 120],
      axes: 'czyx',
      dtype: 'uint16',
      chunks: [1, 1, 64, 64],
      codec: 'blosc-lz4',
    },
  ],
  [
    'OME-Zarr 0.5 (Zarr v3), zstd, by ome-zarr-py',
    {
      kind: 'ome-zarr',
      name: 'v05-zstd.ome.zarr',
      version: '0.5',
      shape: [2, 2, 2, 100, 120],
      axes: 'tczyx',
      dtype: 'uint8',
      chunks: [1, 1, 1, 64, 64],
    },
  ],
  [
    'OME-Zarr 0.5, sharded (32² chunks in 64² shards), zstd, by zarr-python',
    {
      kind: 'ome-zarr',
      name: 'v05-sharded.ome.zarr',
      version: '0.5',
      shape: [3, 2, 130, 150],
      axes: 'czyx',
      dtype: 'uint16',
      chunks: [1, 1, 32, 32],
      shards: [1, 1, 64, 64],
    },
  ],
];

/**
 * JPEG OME-TIFFs by tifffile (libjpeg-turbo). JPEG decoders may differ by ±1 (the standard allows IDCT
 * rounding differences), so these compare every sample and say how far apart they are.
 */
const JPEGS: Array<[what: string, spec: Spec]> = [
  [
    'JPEG tiles, grey uint8',
    {
      kind: 'tiff',
      name: 'jpeg-grey.ome.tif',
      shape: [256, 320],
      axes: 'YX',
      dtype: 'uint8',
      compression: 'jpeg',
      tile: [128, 128],
    },
  ],
  [
    'JPEG tiles, RGB (YCbCr 4:2:0)',
    {
      kind: 'tiff',
      name: 'jpeg-rgb.ome.tif',
      shape: [256, 320, 3],
      axes: 'YXS',
      dtype: 'uint8',
      compression: 'jpeg',
      photometric: 'rgb',
      tile: [128, 128],
    },
  ],
];

/** What the bfio page and the peers both report, per series and level. */
const comparable = (series: Planes[][]) =>
  series.map((levels) => levels.map(({ shape, dtype, planes }) => ({ shape, dtype, planes })));

describe.skipIf(!available('chromium', 'python', 'data'))('bfio reads in Chromium as the peers do', () => {
  let tmp: string;
  let session: BrowserSession;
  /** Peer answers by sample path (shared data) or written file name. */
  const expected = new Map<string, Planes[][]>();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bfio-browser-read-'));
    const written: Spec[] = [...WRITTEN, ...JPEGS].map(([, spec]) => ({
      ...spec,
      path: join(tmp, spec.name),
    }));
    const hash = [
      ...SAMPLES.map(([, path]) => ({ kind: 'tiff-series', path: dataPath(path), key: path })),
      ...written.map((w) => ({
        kind: w.kind === 'tiff' ? 'tiff-series' : 'ome-zarr',
        path: w.path,
        key: w.name,
        values: w.compression === 'jpeg',
      })),
    ];
    const [peers, started] = await Promise.all([
      runPythonJson<{ hashes: Planes[][][] }>(PEERS, { write: written, hash }),
      startBrowserSession(new URL('../src/bfio-page.ts', import.meta.url).pathname, join(tmp, 'page'), {
        tmp,
      }),
    ]);
    for (const [i, h] of hash.entries()) expected.set(h.key, peers.hashes[i]!);
    session = started;
  });

  afterAll(async () => {
    await session?.close({ artifacts: ARTIFACTS, name: 'read' });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the page bundle of core + tiff + zarr imports no Node built-in', () => {
    expect(session.bundle.nodeBuiltins).toEqual([]);
  });

  it.each(SAMPLES)('%s: %s over HTTP Range requests', async (_what, path) => {
    const got = await runInPage(
      session.page.page,
      (u) => window.bfio.fromUrl(u),
      `${session.servers.dataBase}/data/${path}`,
    );
    expect(got.backend).toBe('tiff');
    expect(comparable(got.series)).toEqual(comparable(expected.get(path)!));
  });

  it.each(WRITTEN.filter(([, spec]) => spec.kind === 'tiff'))('%s', (_what, spec) => readsAsPeer(spec));

  it.each(WRITTEN.filter(([, spec]) => spec.kind !== 'tiff'))('%s', (_what, spec) => readsAsPeer(spec));

  async function readsAsPeer(spec: Spec) {
    const got = await runInPage(
      session.page.page,
      (u) => window.bfio.fromUrl(u),
      `${session.servers.dataBase}/tmp/${spec.name}`,
    );
    expect(got.backend).toBe(spec.kind === 'tiff' ? 'tiff' : 'zarr');
    expect(comparable(got.series)).toEqual(comparable(expected.get(spec.name)!));
  }

  it.each(JPEGS)('%s: every sample as libjpeg-turbo (tifffile) decodes it', async (_what, spec) => {
    const url = `${session.servers.dataBase}/tmp/${spec.name}`;
    const got = await runInPage(session.page.page, (u) => window.bfio.valuesFromUrl(u), url);
    const want = expected.get(spec.name)![0]![0]!.values!;
    expect(got.length).toBe(want.length);
    let maxDiff = 0;
    let differing = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      if (d) differing++;
      if (d > maxDiff) maxDiff = d;
    }
    expect({ maxDiff, differing }, `of ${want.length} samples`).toEqual({ maxDiff: 0, differing: 0 });
  });

  it('a File made from the fetched bytes reads as its URL does, and as tifffile does', async () => {
    for (const path of [
      'polus-image-tools/bunny.ome.tif',
      'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
    ]) {
      const url = `${session.servers.dataBase}/data/${path}`;
      const name = path.split('/').pop()!;
      const fromFile: ImageHashes = await runInPage(
        session.page.page,
        ([u, n]) => window.bfio.fromFetchedFile(u, n),
        [url, name] as const,
      );
      expect(comparable(fromFile.series)).toEqual(comparable(expected.get(path)!));
    }
  });

  it('a file picked in an <input type=file> reads as tifffile does', async () => {
    await session.page.page.setInputFiles('#picker', join(tmp, 'zstd-pyramid.ome.tif'));
    const got = await runInPage(session.page.page, () => window.bfio.fromPickedFile(), undefined);
    expect(comparable(got.series)).toEqual(comparable(expected.get('zstd-pyramid.ome.tif')!));
  });

  it('a page without cross-origin isolation (no SharedArrayBuffer) reads the same', async () => {
    const plain = await startBrowserTestServers(session.bundle.dir, { tmp }, { isolated: false });
    const page = await openTestPage(session.browser, plain.pageUrl);
    try {
      const isolated = await runInPage(page.page, () => crossOriginIsolated, undefined);
      expect(isolated).toBe(false);
      const path = 'polus-image-tools/bunny.ome.tif';
      const got = await runInPage(page.page, (u) => window.bfio.fromUrl(u), `${plain.dataBase}/data/${path}`);
      expect(comparable(got.series)).toEqual(comparable(expected.get(path)!));
    } finally {
      await page.close();
      await plain.close();
    }
  });

  it('a URL that does not exist is a typed not-found error naming it', async () => {
    const url = `${session.servers.dataBase}/data/no/such.ome.tif`;
    const got = await runInPage(session.page.page, (u) => window.bfio.openError(u), url);
    expect(got).toMatchObject({ bfioError: true, tag: 'not-found' });
    expect(got!.message).toContain(url);
  });

  it('Bio-Formats in the browser is a typed error saying it is Node-only', async () => {
    const czi = `${session.servers.dataBase}/data/aicsimageio/s_1_t_1_c_1_z_1.czi`;
    const forced = await runInPage(session.page.page, (u) => window.bfio.openError(u, 'bioformats'), czi);
    expect(forced).toMatchObject({ bfioError: true, tag: 'unsupported', name: 'UnsupportedError' });
    expect(forced!.message).toMatch(/Node/);
    // Without forcing: no backend of the page reads CZI, and the error is typed, not a crash.
    const unforced = await runInPage(session.page.page, (u) => window.bfio.openError(u), czi);
    expect(unforced).toMatchObject({ bfioError: true });
  });

  it('the page reported no uncaught error', () => {
    expect(session.page.problems.filter((p) => p.startsWith('uncaught'))).toEqual([]);
  });
});
