/**
 * TIFFs read over HTTP by byte ranges, from a loopback server that answers like an object store: a plain
 * OME-TIFF, a multi-file OME-TIFF set (opened through a member whose metadata points at the master file,
 * and through its companion .ome file), a SubIFD pyramid and a JPEG tiled TIFF. Each must read exactly as
 * the same file read from disk (series, levels, shapes, every pixel); a missing URL is a typed error.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { allocate, BioReader, isBfioError } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { type Fault, serveWithFaults } from '../../../test-support/faulty-http-server.js';
import { type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { runPythonJson } from '../../../test-support/python.js';
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
      // Larger than the 64 KiB a remote open fetches first, so its blocks take requests of their own.
      const rel = 'hubmap-portal-containers/geomx_ome.ome.tiff';
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

  it('opening fetches the first 64 KiB with the size: no later request of the open reads inside them', async () => {
    for (const rel of [
      'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
      'hubmap-portal-containers/geomx_ome.ome.tiff',
    ]) {
      log.length = 0;
      const remote = await TiffReader.open(`${base}/data/${rel}`);
      const local = await TiffReader.open(dataPath(rel));
      const starts = log
        .filter((r) => r.method === 'GET')
        .map((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1] ?? Number.NaN));
      expect(log[0]?.range, rel).toBe('bytes=0-65535');
      // Header, first IFD and whatever else lies in the prefix came with it (each was a request before).
      expect(
        starts.slice(1).filter((s) => !(s >= 65536)),
        `${rel}: ${starts}`,
      ).toEqual([]);
      expect(await readerSummary(remote, allocate)).toEqual(await readerSummary(local, allocate));
      await remote.close();
      await local.close();
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

/** A strip-per-row OME-TIFF (15 pages × 167 one-row strips) and a 512²-tiled pyramid, as tifffile reads them. */
const MERGED = {
  strips: 'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
  tiles: 'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
};

describe.skipIf(!ok || !available('python'))('TIFF over HTTP: neighbouring blocks in one request', () => {
  let server: Server;
  let base: string;
  const log: RequestLog = [];
  /** tifffile's pixels of series 0, level 0 (sha256 of its C,Z,Y,X array) and its number of blocks. */
  let peer: Record<string, { sha256: string; blocks: number }>;
  beforeAll(async () => {
    ({ server, base } = await serveLikeObjectStore({ data: dataPath('') }, log));
    peer = await runPythonJson(
      `
import hashlib, json, sys, tifffile
out = {}
for name, path in json.load(sys.stdin).items():
    with tifffile.TiffFile(path) as t:
        s = t.series[0]
        a = s.asarray()
        out[name] = {'sha256': hashlib.sha256(a.tobytes()).hexdigest(),
                     'blocks': sum(len(p.dataoffsets) for p in s.pages)}
print(json.dumps(out))
`,
      Object.fromEntries(Object.entries(MERGED).map(([k, rel]) => [k, dataPath(rel)])),
    );
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const sha = (a: { data: ArrayBufferView }) =>
    createHash('sha256')
      .update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))
      .digest('hex');

  it.each(Object.keys(MERGED))('%s: pixels as tifffile, far fewer requests than blocks', async (name) => {
    const rel = MERGED[name as keyof typeof MERGED];
    await using br = await BioReader.open(`${base}/data/${rel}`);
    log.length = 0;
    // shared: false too, the path where blocks are decoded in workers and placed here.
    for (const shared of [true, false]) {
      log.length = 0;
      const a = await br.read({}, { shared, squeeze: false });
      expect(sha(a)).toBe(peer[name]!.sha256);
      const gets = log.filter((r) => r.method === 'GET').length;
      // The 2,505 strips of 439 bytes were 2,505 requests (15 now: a page's strips are one request); the
      // pyramid's 3 tiles of level 0 (one per channel) were 3 (1 now).
      expect(gets, `${gets} requests for ${peer[name]!.blocks} blocks`).toBeLessThanOrEqual(
        Math.ceil(peer[name]!.blocks / 8),
      );
    }
  });

  it('a server answering merged requests wrongly: the same pixels or a typed error, never others', async () => {
    const faulty = await serveWithFaults();
    const faults: Fault[] = [
      'wrong-content-range',
      'short-body',
      'truncated-body',
      'ignore-range',
      'status-500',
    ];
    process.env.BFIO_HTTP_BACKOFF_MS = '1';
    try {
      const outcomes = new Set<string>();
      for (let salt = 1; salt <= 8; salt++) {
        const prefix = faulty.register(`s${salt}`, { root: dataPath(''), faults, percent: 40, salt });
        try {
          await using br = await BioReader.open(`${prefix}/${MERGED.strips}`);
          expect(sha(await br.read({}, { squeeze: false }))).toBe(peer.strips!.sha256);
          outcomes.add('pixels');
        } catch (err) {
          expect(isBfioError(err), String(err)).toBe(true);
          outcomes.add((err as { code?: string }).code ?? 'typed');
        } finally {
          faulty.release(`s${salt}`);
        }
      }
      expect(outcomes.size).toBeGreaterThan(0);
    } finally {
      delete process.env.BFIO_HTTP_BACKOFF_MS;
      await faulty.close();
    }
  });
});
