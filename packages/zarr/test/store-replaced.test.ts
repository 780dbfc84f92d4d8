/**
 * A store replaced while it is open (a writer renames a new folder into its place): the next read says so
 * (IoError ESTALE, open it again) instead of mixing two images; reads of the store as opened work until then.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BioReader, BioWriter, IoError } from '@bfio/core';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/index.js';

const TMP = join('/tmp', `bfio-zarr-replaced-${process.pid}`);

async function store(path: string, value: number): Promise<void> {
  await using bw = await BioWriter.create(path, { X: 64, Y: 64, dtype: 'uint16', overwrite: true });
  await bw.write({ data: new Uint16Array(64 * 64).fill(value), shape: [64, 64] });
}

describe('a store replaced under an open reader', () => {
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('reads as opened, then refuses with ESTALE once another folder took its place', async () => {
    const path = join(TMP, 'a.ome.zarr');
    const other = join(TMP, 'b.ome.zarr');
    await store(path, 7);
    await store(other, 9);
    await using br = await BioReader.open(path);
    const first = await br.read({ X: [0, 8], Y: [0, 8] });
    expect(Array.from(first.data as Uint16Array).every((v) => v === 7)).toBe(true);
    rmSync(path, { recursive: true });
    renameSync(other, path);
    const err = await br.read({ X: [0, 8], Y: [0, 8] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError & { code?: string }).code ?? String(err)).toMatch(/ESTALE/);
  });
});
