/**
 * The browser-test harness on its own: Debian's Chromium (headless, via playwright-core), the page and data
 * servers (Range, CORS, another origin), a Vite bundle, hashing in the page. geotiff.js and zarrita.js run in
 * the page and must read what tifffile and zarr-python read, so a failure here is the harness's, not bfio's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPage } from '../../../test-support/browser/page.js';
import { type BrowserSession, startBrowserSession } from '../../../test-support/browser/session.js';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ARTIFACTS, PEERS, type Planes } from './peer-types.js';

const TIFFS = [
  // Deflate strips, 3 IFDs (viv's fixture)
  { sample: 'viv/fixtures/multi-channel.ome.tif', pages: 3 },
  // BigTIFF, float32, Deflate 1024² tiles
  { sample: 'polus-image-tools/ftl-label/images/nuclear_test_961.ome.tif', pages: 1 },
];

describe.skipIf(!available('chromium', 'python', 'data'))(
  'harness: geotiff.js and zarrita.js in Chromium',
  () => {
    let tmp: string;
    let session: BrowserSession;
    let expected: { hashes: unknown[] };

    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'bfio-browser-harness-'));
      const written = [
        {
          kind: 'tiff',
          path: join(tmp, 'lzw-tiled.ome.tif'),
          shape: [2, 300, 200],
          dtype: 'uint16',
          axes: 'ZYX',
          compression: 'lzw',
          tile: [128, 128],
        },
        {
          kind: 'zarr-array',
          path: join(tmp, 'v3-zstd.zarr'),
          shape: [3, 100, 90],
          chunks: [1, 64, 64],
          dtype: 'uint16',
          zarr_format: 3,
          codec: 'zstd',
        },
        {
          kind: 'zarr-array',
          path: join(tmp, 'v2-zlib.zarr'),
          shape: [70, 50],
          chunks: [32, 32],
          dtype: 'float32',
          zarr_format: 2,
          codec: 'zlib',
        },
      ];
      const [peers, started] = await Promise.all([
        runPythonJson<{ hashes: unknown[] }>(PEERS, {
          write: written,
          hash: [
            ...TIFFS.map((t) => ({ kind: 'tiff-pages', path: dataPath(t.sample), pages: t.pages })),
            { kind: 'tiff-pages', path: written[0]!.path },
            { kind: 'zarr-array', path: written[1]!.path },
            { kind: 'zarr-array', path: written[2]!.path },
          ],
        }),
        startBrowserSession(new URL('../src/harness-page.ts', import.meta.url).pathname, join(tmp, 'page'), {
          tmp,
        }),
      ]);
      expected = peers;
      session = started;
    });

    afterAll(async () => {
      await session?.close({ artifacts: ARTIFACTS, name: 'harness' });
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('runs in a secure, cross-origin isolated page of headless Chromium', async () => {
      const facts = await runInPage(
        session.page.page,
        () => ({
          isolated: crossOriginIsolated,
          secure: isSecureContext,
          sab: typeof SharedArrayBuffer === 'function',
          agent: navigator.userAgent,
        }),
        undefined,
      );
      expect(facts).toMatchObject({ isolated: true, secure: true, sab: true });
      expect(facts.agent).toMatch(/HeadlessChrome\//);
    });

    it.each(TIFFS.map((t, i) => [t.sample, i] as const))(
      'geotiff.js reads %s as tifffile does',
      async (sample, i) => {
        const url = `${session.servers.dataBase}/data/${sample}`;
        const got = await runInPage(session.page.page, ([u, n]) => window.harness.geotiffPages(u, n), [
          url,
          TIFFS[i]!.pages,
        ] as const);
        expect(got.map((p) => p.planes)).toEqual((expected.hashes[i] as Planes[]).map((p) => p.planes));
      },
    );

    it('geotiff.js reads an LZW-tiled OME-TIFF written by tifffile in this run, over CORS Range requests', async () => {
      const before = session.servers.log.length;
      const got = await runInPage(
        session.page.page,
        (u) => window.harness.geotiffPages(u, 2),
        `${session.servers.dataBase}/tmp/lzw-tiled.ome.tif`,
      );
      expect(got.map((p) => p.planes)).toEqual((expected.hashes[2] as Planes[]).map((p) => p.planes));
      const requests = session.servers.log.slice(before);
      expect(requests.some((r) => r.method === 'GET' && r.range)).toBe(true);
    });

    it('zarrita.js reads a Zarr v3 zstd array and a Zarr v2 zlib array as zarr-python does', async () => {
      const v3 = await runInPage(
        session.page.page,
        (u) => window.harness.zarritaArray(u),
        `${session.servers.dataBase}/tmp/v3-zstd.zarr`,
      );
      const v2 = await runInPage(
        session.page.page,
        (u) => window.harness.zarritaArray(u),
        `${session.servers.dataBase}/tmp/v2-zlib.zarr`,
      );
      expect(v3.planes).toEqual((expected.hashes[3] as Planes).planes);
      expect(v2.planes).toEqual((expected.hashes[4] as Planes).planes);
    });

    it('a failing read in the page comes back as an error the test can read', async () => {
      const got = await runInPage(
        session.page.page,
        (u) =>
          window.harness.zarritaArray(u).then(
            () => null,
            (e) => window.harness.describeError(e),
          ),
        `${session.servers.dataBase}/tmp/no-such.zarr`,
      );
      expect(got?.message).toBeTruthy();
    });
  },
);
