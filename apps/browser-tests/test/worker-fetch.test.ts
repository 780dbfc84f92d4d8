/**
 * Large reads in a cross-origin isolated page: the result is shared memory, and the codec workers fetch,
 * decode and place the blocks (OME-TIFF tiles) and chunks (OME-Zarr objects, ranges of shards) themselves, so
 * the page's thread sends only the header and metadata requests. Pixels against tifffile / zarr-python; a
 * missing chunk is the fill value, as zarr-python reads it; a server failing each first request sends every
 * block back to the page's thread, which retries and reads the same pixels.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPage, runInPage } from '../../../test-support/browser/page.js';
import { startBrowserTestServers } from '../../../test-support/browser/servers.js';
import { type BrowserSession, startBrowserSession } from '../../../test-support/browser/session.js';
import { available } from '../../../test-support/env.js';
import { type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { runPythonJson } from '../../../test-support/python.js';
import type { SharedRead } from '../src/shared-read-page.js';
import { ARTIFACTS, PEERS, type Planes } from './peer-types.js';

const IMAGES = [
  // 64 Deflate tiles with the horizontal predictor (the chain's unfilter runs on the worker too).
  {
    kind: 'tiff',
    name: 'deflate-2048.ome.tif',
    shape: [2048, 2048],
    axes: 'YX',
    dtype: 'uint16',
    compression: 'zlib',
    predictor: 'horizontal',
    tile: [256, 256],
    blocks: 64,
  },
  // 64 zstd chunk objects, one of them deleted below (the fill value stands for it).
  {
    kind: 'ome-zarr',
    name: 'chunks-2048.ome.zarr',
    version: '0.5',
    shape: [1, 2048, 2048],
    axes: 'cyx',
    dtype: 'uint16',
    chunks: [1, 256, 256],
    levels: 1,
    blocks: 64,
  },
  // 256 zstd chunks in 16 shards: the workers fetch byte ranges of the shards.
  {
    kind: 'ome-zarr',
    name: 'sharded-2048.ome.zarr',
    version: '0.5',
    shape: [1, 2048, 2048],
    axes: 'cyx',
    dtype: 'uint16',
    chunks: [1, 128, 128],
    shards: [1, 512, 512],
    levels: 1,
    blocks: 256,
  },
];

describe.skipIf(!available('chromium', 'python'))('codec workers fetch their own blocks in a page', () => {
  let tmp: string;
  let session: BrowserSession;
  let flaky: { base: string; log: RequestLog; close: () => Promise<void> };
  const expected = new Map<string, Planes>();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bfio-browser-worker-fetch-'));
    const specs = IMAGES.map((image) => ({ ...image, path: join(tmp, image.name) }));
    const [, started] = await Promise.all([
      runPythonJson(PEERS, { write: specs }),
      startBrowserSession(
        new URL('../src/shared-read-page.ts', import.meta.url).pathname,
        join(tmp, 'page'),
        {
          tmp,
        },
      ),
    ]);
    session = started;
    // A chunk the store lacks (zarr-python writes every chunk of this image): zarr-python reads fill values.
    await rm(join(tmp, 'chunks-2048.ome.zarr', 's0', 'c', '0', '3', '2'));
    const peers = await runPythonJson<{ hashes: Planes[][][] }>(PEERS, {
      hash: specs.map((s) => ({ kind: s.kind === 'tiff' ? 'tiff-series' : 'ome-zarr', path: s.path })),
    });
    for (const [i, image] of IMAGES.entries()) expected.set(image.name, peers.hashes[i]![0]![0]!);
    // The first request for each path and range fails with 503: the worker's own fetch of every block.
    const log: RequestLog = [];
    const server = await serveLikeObjectStore(
      { tmp },
      log,
      { times: 1, failWith: 503 },
      {
        cors: true,
        headers: { 'cache-control': 'no-store' },
      },
    );
    flaky = {
      base: server.base.replace('127.0.0.1', 'localhost'),
      log,
      close: () => new Promise<void>((done) => server.server.close(() => done())),
    };
  });

  afterAll(async () => {
    await session?.close({ artifacts: ARTIFACTS, name: 'worker-fetch' });
    await flaky?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const read = (url: string) => runInPage(session.page.page, (u) => window.sharedRead.read(u), url);

  it.each(IMAGES.map((image) => [image.name, image.blocks] as const))(
    '%s: the workers fetch its %i blocks, the pixels are the peers',
    async (name, blocks) => {
      const before = session.servers.log.length;
      const got: SharedRead = await read(`${session.servers.dataBase}/tmp/${name}`);
      const want = expected.get(name)!;
      expect(got.shared).toBe(true);
      expect(got.shape).toEqual(want.shape);
      expect(got.planes).toEqual(want.planes);
      // The server saw a request per block more than the page's thread sent: the workers' own.
      const served = session.servers.log.length - before;
      expect(served - got.pageRequests).toBeGreaterThanOrEqual(blocks);
    },
  );

  it.each(IMAGES.map((image) => [image.name, image.blocks] as const))(
    '%s from a server failing every first request: the page retries each of its %i blocks, same pixels',
    async (name, blocks) => {
      const before = flaky.log.length;
      const got = await read(`${flaky.base}/tmp/${name}`);
      expect(got.planes).toEqual(expected.get(name)!.planes);
      // Every block was asked for twice (the worker's request failed), the second time by the page.
      expect(got.pageRequests).toBeGreaterThanOrEqual(blocks - 1);
      expect(flaky.log.length - before).toBeGreaterThanOrEqual(2 * (blocks - 1));
    },
  );

  it('without cross-origin isolation (no shared memory) the workers still fetch and decode the TIFF tiles', async () => {
    // The result is a plain array the page places into; the bytes never pass through the page's thread.
    const plain = await startBrowserTestServers(session.bundle.dir, { tmp }, { isolated: false });
    const page = await openTestPage(session.browser, plain.pageUrl);
    try {
      expect(await runInPage(page.page, () => crossOriginIsolated, undefined)).toBe(false);
      const before = plain.log.length;
      const got: SharedRead = await runInPage(
        page.page,
        (u) => window.sharedRead.read(u),
        `${plain.dataBase}/tmp/deflate-2048.ome.tif`,
      );
      expect(got.shared).toBe(false);
      expect(got.planes).toEqual(expected.get('deflate-2048.ome.tif')!.planes);
      expect(plain.log.length - before - got.pageRequests).toBeGreaterThanOrEqual(64);
    } finally {
      await page.close();
      await plain.close();
    }
  });
});
