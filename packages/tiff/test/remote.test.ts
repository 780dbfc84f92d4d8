/**
 * TIFFs read over HTTP by byte ranges, from a loopback server that answers like an object store: a plain
 * OME-TIFF, a multi-file OME-TIFF set (opened through a member whose metadata points at the master file,
 * and through its companion .ome file), a SubIFD pyramid and a JPEG tiled TIFF. Each must read exactly as
 * the same file read from disk (series, levels, shapes, every pixel); a missing URL is a typed error.
 */
import type { Server } from 'node:http';
import { allocate, BioReader, isBfioError } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { readerSummary } from '../../../test-support/regions.js';
import '../src/index.js';
import { TiffReader } from '../src/index.js';

const ok = available('data');

describe.skipIf(!ok)('TIFF over HTTP', () => {
  let server: Server;
  let base: string;
  const log: RequestLog = [];
  beforeAll(async () => {
    ({ server, base } = await serveLikeObjectStore({ data: dataPath('') }, log));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it.each([
    ['plain OME-TIFF', 'exampletiffs/ometiff_testdata/singles/single-channel.ome.tif'],
    [
      'multi-file set through a member',
      'exampletiffs/ometiff_testdata/multiples/master/multifile-Z3.ome.tiff',
    ],
    [
      'multi-file set through its companion',
      'exampletiffs/ometiff_testdata/multiples/companion/multifile.companion.ome',
    ],
    [
      'SubIFD pyramid',
      'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
    ],
    ['JPEG tiles', 'image-tiff/images/tiled-jpeg-rgb-u8.tif'],
  ])('%s reads as from disk', async (_name, rel) => {
    const local = await TiffReader.open(dataPath(rel));
    log.length = 0;
    const remote = await TiffReader.open(`${base}/data/${rel}`);
    expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
    // Pixels came by byte ranges.
    expect(
      log.filter((r) => r.method === 'GET').every((r) => r.range !== undefined || r.path.endsWith('.ome')),
    ).toBe(true);
    await local.close();
    await remote.close();
  });

  it('a flaky server (every request first dropped) still gives the same pixels, by retrying', async () => {
    const flakyLog: RequestLog = [];
    const flaky = await serveLikeObjectStore({ data: dataPath('') }, flakyLog, {
      times: 1,
      failWith: 'drop',
    });
    process.env.BFIO_HTTP_BACKOFF_MS = '1';
    try {
      const rel = 'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif';
      const local = await TiffReader.open(dataPath(rel));
      const remote = await TiffReader.open(`${flaky.base}/data/${rel}`);
      expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
      await local.close();
      await remote.close();
      // Every request was sent twice: dropped, then retried.
      const sent = new Map<string, number>();
      for (const r of flakyLog)
        sent.set(`${r.method} ${r.path} ${r.range}`, (sent.get(`${r.method} ${r.path} ${r.range}`) ?? 0) + 1);
      expect(sent.size).toBeGreaterThan(1);
      expect([...sent.values()].every((n) => n === 2)).toBe(true);
    } finally {
      delete process.env.BFIO_HTTP_BACKOFF_MS;
      await new Promise<void>((done) => flaky.server.close(() => done()));
    }
  });

  it('a server that ignores Range requests: the (small) file is read whole, same pixels', async () => {
    const plain = await serveLikeObjectStore({ data: dataPath('') }, [], undefined, { ranges: false });
    try {
      const rel = 'exampletiffs/ometiff_testdata/singles/single-channel.ome.tif';
      await using br = await BioReader.open(`${plain.base}/data/${rel}`);
      expect(br.backendName).toBe('tiff');
      const local = await TiffReader.open(dataPath(rel));
      const remote = await TiffReader.open(`${plain.base}/data/${rel}`);
      expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
      await local.close();
      await remote.close();
    } finally {
      await new Promise<void>((done) => plain.server.close(() => done()));
    }
  });

  it('BioReader picks the TIFF backend for a URL; a missing URL is a typed error naming it', async () => {
    const url = `${base}/data/exampletiffs/ometiff_testdata/singles/single-channel.ome.tif`;
    await using br = await BioReader.open(url);
    expect(br.backendName).toBe('tiff');
    expect(br.path).toBe(url);
    const missing = `${base}/data/nothing-here.ome.tif`;
    const err = await BioReader.open(missing).catch((e: unknown) => e);
    expect(isBfioError(err, 'not-found'), String(err)).toBe(true);
    expect((err as Error).message).toContain(missing);
  });
});
