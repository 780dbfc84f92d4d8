/**
 * The writer's rules, shared with the TIFF writer: typed errors for bad data, FileExistsError unless
 * overwriting, ClosedError after close, nothing left behind by abort or by a failed write, a half-written
 * store never visible at the target path. And canOpen's directory probe.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBfioError } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { zarrBackend } from '../src/backend.js';
import { ZarrReader } from '../src/reader/index.js';
import { ZarrWriter } from '../src/writer/index.js';

const TMP = join('/tmp', `bfio-zarr-rules-${process.pid}`);
const ome = createOme({ sizeX: 50, sizeY: 40, sizeC: 2, type: 'uint8' });
const region = {
  x: [0, 50] as [number, number],
  y: [0, 40] as [number, number],
  z: [0, 1] as [number, number],
  c: [0, 1],
  t: [0],
};

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('writer rules', () => {
  beforeAll(() => mkdirSync(TMP, { recursive: true }));
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('refuses wrong dtype, wrong length and out-of-image regions with InvalidDataError', async () => {
    const path = join(TMP, 'bad.ome.zarr');
    const w = await ZarrWriter.create(path, ome, 'uint8', {});
    const wrongType = await rejection(w.writeRegion(region, new Uint16Array(4000)));
    expect(isBfioError(wrongType, 'invalid-data')).toBe(true);
    expect((wrongType as Error).message).toContain(path);
    expect(isBfioError(await rejection(w.writeRegion(region, new Uint8Array(3999))), 'invalid-data')).toBe(
      true,
    );
    const outside = { ...region, x: [10, 60] as [number, number] };
    expect(isBfioError(await rejection(w.writeRegion(outside, new Uint8Array(4000))), 'invalid-data')).toBe(
      true,
    );
    await w.abort();
    // abort leaves nothing: no target, no temporary directory.
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(TMP).filter((n) => n.includes('bad.ome.zarr'))).toEqual([]);
  });

  it('keeps the store invisible until close, then ClosedError; FileExistsError unless overwrite', async () => {
    const path = join(TMP, 'once.ome.zarr');
    const w = await ZarrWriter.create(path, ome, 'uint8', { ngffVersion: '0.4' });
    await w.writeRegion(region, new Uint8Array(4000).fill(7));
    expect(existsSync(path)).toBe(false);
    await w.close();
    expect(existsSync(join(path, '.zattrs'))).toBe(true);
    expect(isBfioError(await rejection(w.writeRegion(region, new Uint8Array(4000))), 'closed')).toBe(true);
    expect(isBfioError(await rejection(ZarrWriter.create(path, ome, 'uint8', {})), 'file-exists')).toBe(true);
    const again = await ZarrWriter.create(path, ome, 'uint8', { overwrite: true });
    await again.writeRegion(region, new Uint8Array(4000).fill(9));
    await again.close();
    const r = await ZarrReader.open(path);
    const out = new Uint8Array(4000);
    await r.readRegion({ series: 0, level: 0 }, region, out);
    expect(out.every((v) => v === 9)).toBe(true);
    expect(r.format).toBe('OME-Zarr 0.5');
  });

  it('refuses options it cannot honour with typed errors before writing anything', async () => {
    const path = join(TMP, 'opts.ome.zarr');
    expect(
      isBfioError(
        await rejection(ZarrWriter.create(path, ome, 'uint8', { compression: 'lzw' })),
        'unsupported',
      ),
    ).toBe(true);
    expect(
      isBfioError(
        await rejection(ZarrWriter.create(path, ome, 'uint8', { compression: 'zlib' })),
        'unsupported',
      ),
    ).toBe(true);
    expect(
      isBfioError(
        await rejection(ZarrWriter.create(path, ome, 'uint8', { tileSize: 33, pyramidLevels: 1 })),
        'invalid-data',
      ),
    ).toBe(true);
    const mismatch = join(TMP, 'mismatch.ome.zarr');
    await (await ZarrWriter.create(mismatch, ome, 'uint8', {})).close();
    expect(
      isBfioError(
        await rejection(ZarrWriter.create(mismatch, ome, 'uint16', { append: true })),
        'invalid-data',
      ),
    ).toBe(true);
    expect(readdirSync(TMP).filter((n) => n.includes('opts'))).toEqual([]);
  });

  it('canOpen says yes for Zarr directories and why not otherwise', async () => {
    const probe = (path: string, isDirectory = true) =>
      zarrBackend.canOpen?.({ path, isDirectory, firstBytes: new Uint8Array() });
    const plain = join(TMP, 'plain');
    mkdirSync(plain, { recursive: true });
    writeFileSync(join(plain, 'x.txt'), 'x');
    expect(await probe(plain)).toMatch(/no Zarr metadata/);
    expect(await probe(join(plain, 'x.txt'), false)).toMatch(/not a directory/);
    if (available('data')) {
      expect(await probe(dataPath('neuroglancer-testdata/ome_zarr/simple_0.5'))).toBe(true);
      expect(await probe(dataPath('viv/fixtures/bioformats-zarr'))).toBe(true);
    }
    const r = await ZarrReader.open(join(TMP, 'once.ome.zarr'));
    await r.close();
    const closed = await rejection(r.readRegion({ series: 0, level: 0 }, region, new Uint8Array(4000)));
    expect(isBfioError(closed, 'closed')).toBe(true);
  });
});
