/**
 * The store view's contract with whoever asks for keys (zarrita, `bfio serve`): names it does not present are
 * undefined (a 404), never a throw; byte ranges slice what `get` serves; the chunk cache stays within its
 * budget and concurrent requests for one chunk share one read; a source that turns out corrupt is a typed
 * BfioError; closing and aborting behave.
 */
import { copyFileSync, mkdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@bfio/tiff';
import { BioReader, isBfioError } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { openStoreView } from '../src/index.js';

const ok = available('data');
const TMP = join(tmpdir(), `bfio-store-view-keys-${process.pid}`);
/** 1080² uint16 in 1024² tiles: chunks of 2 MiB, a 2×2 grid. */
const TILED = 'polus-image-tools/r01_c01_x01_y01_z01.ome.tif';
const CHUNK_BYTES = 1024 * 1024 * 2;
/** Two series (bioformats2raw layout), two levels each. */
const MULTI = 'ome-zarr-py/bf2raw/fake-series-2.zarr';

describe.skipIf(!ok)('store view keys, ranges, cache and errors', () => {
  let reader: BioReader;
  beforeAll(async () => {
    mkdirSync(TMP, { recursive: true });
    reader = await BioReader.open(dataPath(TILED));
  });
  afterAll(async () => {
    await reader.close();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('malformed, escaping and out-of-range keys are undefined (NGFF 0.5)', async () => {
    const view = await openStoreView(reader, { ngffVersion: '0.5' });
    expect(await view.get('/0/c/0/0/0/1/1')).toBeInstanceOf(Uint8Array);
    const bad = [
      '',
      '/',
      '//zarr.json',
      '/../zarr.json',
      '/0/../zarr.json',
      '/./zarr.json',
      '/0\\zarr.json',
      '/0/zarr.json/',
      '/0/c/0/0/0/2/0', // y index past the grid
      '/0/c/0/1/0/0/0', // c index past the grid
      '/0/c/0/0/0/0', // too few indices
      '/0/c/0/0/0/0/0/0', // too many
      '/0/c/00/0/0/0/0', // not canonical
      '/0/c/-1/0/0/0/0',
      '/0/c/1e0/0/0/0/0',
      '/0/c/0x0/0/0/0/0',
      '/0/c/ 0/0/0/0/0',
      '/0/0/0/0/0/0', // Zarr v2 key in a v3 view
      '/1/c/0/0/0/0/0', // no level 1
      '/0/.zarray',
      '/.zgroup',
      '/OME/zarr.json', // single series: no OME group
      `/${'a/'.repeat(2000)}zarr.json`,
      '/0/c/0/0/0/99999999999999999999/0',
      '/0/c/0/0/0/0/0\u0000',
    ];
    for (const key of bad) expect(await view.get(key), key).toBeUndefined();
    // Keys without the leading '/' name the same thing (HTTP paths, fsspec-style keys).
    expect(await view.get('zarr.json')).toEqual(await view.get('/zarr.json'));
    await view.close();
  });

  it('NGFF 0.4 keys: v2 names with "/" separators, v3 names undefined', async () => {
    const view = await openStoreView(reader, { ngffVersion: '0.4' });
    expect(await view.get('/.zgroup')).toBeInstanceOf(Uint8Array);
    expect(await view.get('/0/.zarray')).toBeInstanceOf(Uint8Array);
    expect(await view.get('/0/0/0/0/1/1')).toBeInstanceOf(Uint8Array);
    for (const key of ['/zarr.json', '/0/zarr.json', '/0/c/0/0/0/0/0', '/0/0.0.0.0.0', '/0/0/0/0/2/0'])
      expect(await view.get(key), key).toBeUndefined();
    const keys = await view.metadataKeys();
    expect(keys).toContain('/OME/METADATA.ome.xml');
    expect(keys.every((k) => k.startsWith('/'))).toBe(true);
    await view.close();
  });

  it('multi-series sources: bioformats2raw keys, series and levels bounded', async () => {
    const view = await openStoreView(dataPath(MULTI));
    const keys = await view.metadataKeys();
    for (const k of [
      '/zarr.json',
      '/OME/zarr.json',
      '/OME/METADATA.ome.xml',
      '/0/zarr.json',
      '/1/1/zarr.json',
    ])
      expect(keys).toContain(k);
    expect(await view.get('/1/1/c/0/0/0/0/0')).toBeInstanceOf(Uint8Array);
    for (const key of [
      '/2/zarr.json',
      '/0/2/zarr.json',
      '/2/0/c/0/0/0/0/0',
      '/0/c/0/0/0/0/0',
      '/0/1/c/0/0/0/1/0',
    ])
      expect(await view.get(key), key).toBeUndefined();
    await view.close();
  });

  it('byte ranges are slices of the value (clipped at its end); bad ranges are undefined', async () => {
    const view = await openStoreView(reader, { codec: 'zstd' });
    for (const key of ['/zarr.json', '/0/c/0/0/0/1/0']) {
      const whole = (await view.get(key)) as Uint8Array;
      expect(await view.getRange(key, { offset: 3, length: 10 })).toEqual(whole.subarray(3, 13));
      expect(await view.getRange(key, { suffixLength: 7 })).toEqual(whole.subarray(whole.length - 7));
      expect(await view.getRange(key, { offset: whole.length - 2, length: 100 })).toEqual(
        whole.subarray(whole.length - 2),
      );
      expect(await view.getRange(key, { suffixLength: whole.length + 50 })).toEqual(whole);
      expect(await view.getRange(key, { offset: -1, length: 2 })).toBeUndefined();
      expect(await view.getRange(key, { offset: 0.5, length: 2 })).toBeUndefined();
    }
    expect(await view.getRange('/../x', { offset: 0, length: 1 })).toBeUndefined();
    await view.close();
  });

  it('the cache stays within cacheBytes while every chunk is read at once', async () => {
    const budget = Math.floor(2.5 * CHUNK_BYTES);
    const view = await openStoreView(reader, { cacheBytes: budget });
    let most = 0;
    const keys = [0, 1].flatMap((y) => [0, 1].map((x) => `/0/c/0/0/0/${y}/${x}`));
    await Promise.all(
      [...keys, ...keys].map(async (k) => {
        const bytes = await view.get(k);
        expect(bytes?.byteLength).toBe(CHUNK_BYTES);
        most = Math.max(most, view.cachedBytes);
      }),
    );
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(budget);
    // The two most recent chunks fit; the view goes on serving what was evicted.
    expect(view.cachedBytes).toBe(2 * CHUNK_BYTES);
    expect((await view.get(keys[0]!))?.byteLength).toBe(CHUNK_BYTES);
    await view.close();
    const none = await openStoreView(reader, { cacheBytes: 0 });
    await none.get(keys[0]!);
    expect(none.cachedBytes).toBe(0);
    await none.close();
  });

  it('concurrent requests for one chunk share one read (also without a cache)', async () => {
    const view = await openStoreView(reader, { cacheBytes: 0 });
    const key = '/0/c/0/0/0/1/1';
    const [a, b, c] = await Promise.all([view.get(key), view.get(key), view.get(key)]);
    expect(a).toBe(b);
    expect(a).toBe(c);
    // Sequential requests without a cache read again: a different buffer with the same bytes.
    const d = await view.get(key);
    expect(d === a).toBe(false); // (not .not.toBe: vitest deep-compares 2 MiB for its message)
    expect(Buffer.compare(d as Uint8Array, a as Uint8Array)).toBe(0);
    await view.close();
  });

  it("a request's abort rejects that request only; the shared read serves the others", async () => {
    const view = await openStoreView(reader, { cacheBytes: 0 });
    const key = '/0/c/0/0/0/0/0';
    const controller = new AbortController();
    const aborted = view.get(key, { signal: controller.signal });
    const other = view.get(key);
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toThrow('client went away');
    expect((await other)?.byteLength).toBe(CHUNK_BYTES);
    await view.close();
  });

  it('reads of other levels and series leave the reader as it was; close leaves a passed reader open', async () => {
    const multi = await BioReader.open(dataPath(MULTI));
    multi.series = 1;
    multi.level = 1;
    const view = await openStoreView(multi);
    await Promise.all(['/0/0/c/0/0/0/0/0', '/1/0/c/0/0/0/0/0', '/0/1/c/0/0/0/0/0'].map((k) => view.get(k)));
    expect([multi.series, multi.level]).toEqual([1, 1]);
    await view.close();
    expect(multi.closed).toBe(false);
    await multi.close();
  });

  it('a closed view refuses reads with a typed error; an opened-by-path source is closed with it', async () => {
    const view = await openStoreView(dataPath(TILED));
    await view.close();
    const err = await view.get('/zarr.json').catch((e: unknown) => e);
    expect(isBfioError(err, 'closed')).toBe(true);
  });

  it('a source whose tiles turn out to be missing fails the chunk with a typed BfioError', async () => {
    const copy = join(TMP, 'truncated.ome.tif');
    copyFileSync(dataPath(TILED), copy);
    const view = await openStoreView(copy);
    // The metadata was read at open; the tile data is then cut off.
    truncateSync(copy, 4096);
    const err = await view.get('/0/c/0/0/0/1/1').catch((e: unknown) => e);
    expect(isBfioError(err)).toBe(true);
    // The failure is not cached as a value: asking again fails again.
    expect(isBfioError(await view.get('/0/c/0/0/0/1/1').catch((e: unknown) => e))).toBe(true);
    await view.close();
  });

  it('options and sources are checked: unknown NGFF version or codec, negative cache, missing file', async () => {
    const e1 = await openStoreView(reader, { ngffVersion: '0.6' as '0.5' }).catch((e: unknown) => e);
    expect(isBfioError(e1, 'unsupported')).toBe(true);
    const e2 = await openStoreView(reader, { codec: 'lzw' as 'none' }).catch((e: unknown) => e);
    expect(isBfioError(e2, 'unsupported')).toBe(true);
    const e3 = await openStoreView(reader, { cacheBytes: -1 }).catch((e: unknown) => e);
    expect(isBfioError(e3, 'invalid-data')).toBe(true);
    const e4 = await openStoreView(join(TMP, 'no-such.ome.tif')).catch((e: unknown) => e);
    expect(isBfioError(e4, 'not-found')).toBe(true);
  });
});
