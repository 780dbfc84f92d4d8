/**
 * OME-Zarr read over HTTP: real sample stores (NGFF 0.4 on Zarr v2, 0.5 on v3, a bioformats2raw container)
 * and a sharded store we write, served by a loopback HTTP server that answers like an object store (GET with
 * Range, HEAD, 404 for keys that do not exist, no directory listings). Each must read exactly as the same
 * store read from disk: series, levels, shapes, physical sizes and every pixel. Plus the typed errors for a
 * URL with no store, a TIFF at a URL (local backends decline it) and writing to a URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, BioReader, BioWriter, isBfioError } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { readerSummary } from '../../../test-support/regions.js';
import '../src/index.js';
import { ZarrReader } from '../src/reader/index.js';
import { ZarrWriter } from '../src/writer/index.js';

const ok = available('data');
const TMP = mkdtempSync(join(tmpdir(), 'bfio-zarr-remote-'));

describe.skipIf(!ok)('OME-Zarr over HTTP', () => {
  let server: Server;
  let base: string;
  const log: RequestLog = [];
  beforeAll(async () => {
    ({ server, base } = await serveLikeObjectStore({ data: dataPath(''), tmp: TMP }, log));
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    rmSync(TMP, { recursive: true, force: true });
  });

  it.each([
    ['NGFF 0.4 (Zarr v2)', 'neuroglancer-testdata/ome_zarr/simple_0.4'],
    ['NGFF 0.5 (Zarr v3)', 'neuroglancer-testdata/ome_zarr/simple_0.5'],
    ['bioformats2raw container with OME-XML', 'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr'],
  ])('%s reads as from disk', async (_name, rel) => {
    const local = await ZarrReader.open(dataPath(rel));
    const remote = await ZarrReader.open(`${base}/data/${rel}`);
    expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
    expect(remote.format).toBe(local.format);
    await local.close();
    await remote.close();
  });

  it('a flaky store (every request first answered 503 Slow Down) still gives the same pixels', async () => {
    const flaky = await serveLikeObjectStore({ data: dataPath('') }, [], { times: 1, failWith: 503 });
    process.env.BFIO_HTTP_BACKOFF_MS = '1';
    try {
      const rel = 'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr';
      const local = await ZarrReader.open(dataPath(rel));
      const remote = await ZarrReader.open(`${flaky.base}/data/${rel}`);
      expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
      await local.close();
      await remote.close();
    } finally {
      delete process.env.BFIO_HTTP_BACKOFF_MS;
      await new Promise<void>((done) => flaky.server.close(() => done()));
    }
  });

  it('a sharded store we wrote reads through range requests, auto-selected by BioReader', async () => {
    const path = join(TMP, 'sharded.ome.zarr');
    const w = await ZarrWriter.create(
      path,
      createOme({ sizeX: 300, sizeY: 200, sizeC: 2, type: 'uint16' }),
      'uint16',
      {
        chunks: [1, 1, 1, 64, 64],
        shards: [1, 1, 1, 128, 128],
        pyramidLevels: 1,
      },
    );
    const data = new Uint16Array(300 * 200 * 2).map((_, i) => (i * 7919) % 65521);
    await w.writeRegion({ x: [0, 300], y: [0, 200], z: [0, 1], c: [0, 1], t: [0] }, data);
    await w.close();
    log.length = 0;
    const url = `${base}/tmp/sharded.ome.zarr`;
    await using br = await BioReader.open(url);
    expect(br.backendName).toBe('zarr');
    expect(br.path).toBe(url);
    const a = (await br.read({}, { squeeze: false })).toContiguous();
    await using local = await BioReader.open(path);
    const b = (await local.read({}, { squeeze: false })).toContiguous();
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(new Set(a.data).size).toBeGreaterThan(1000);
    // Chunks came out of shard files by byte range, not as whole files.
    expect(log.some((r) => r.path.includes('/c/') && r.range !== undefined)).toBe(true);
    // A server that ignores Range (python -m http.server) sends whole shards: still the same pixels.
    const plain = await serveLikeObjectStore({ tmp: TMP }, [], undefined, { ranges: false });
    try {
      await using pr = await BioReader.open(`${plain.base}/tmp/sharded.ome.zarr`);
      const c = (await pr.read({}, { squeeze: false })).toContiguous();
      expect(Buffer.from(c.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    } finally {
      await new Promise<void>((done) => plain.server.close(() => done()));
    }
  });

  it('typed errors: no store at the URL, a URL that is no image, writing to a URL', async () => {
    const missing = `${base}/data/no-such-store.ome.zarr`;
    const err = await BioReader.open(missing).catch((e: unknown) => e);
    expect(isBfioError(err), String(err)).toBe(true);
    expect((err as Error).message).toContain(missing);
    // Not a store and not an image: every backend declines, and the error says why.
    const text = `${base}/data/MANIFEST.tsv`;
    const err2 = await BioReader.open(text).catch((e: unknown) => e);
    expect(isBfioError(err2, 'unknown-format'), String(err2)).toBe(true);
    expect((err2 as Error).message).toMatch(/zarr: extension not recognised; tiff: magic bytes/);
    const err3 = await BioWriter.create(`${base}/tmp/out.ome.zarr`, { X: 4, Y: 4, dtype: 'uint8' }).catch(
      (e: unknown) => e,
    );
    expect(isBfioError(err3, 'unsupported'), String(err3)).toBe(true);
    // Nobody listening: a network error (no retries here, to keep the test short).
    const { server: gone, base: goneBase } = await serveLikeObjectStore({ tmp: TMP });
    await new Promise<void>((done) => gone.close(() => done()));
    process.env.BFIO_HTTP_RETRIES = '0';
    try {
      const offline = await BioReader.open(`${goneBase}/tmp/x.ome.zarr`).catch((e: unknown) => e);
      expect(isBfioError(offline, 'network'), String(offline)).toBe(true);
      expect((offline as Error).message).toContain(goneBase);
    } finally {
      delete process.env.BFIO_HTTP_RETRIES;
    }
  });
});
