/**
 * `BioReader.blocks` over an OME-TIFF tifffile writes (Z planes, two channels, 32² tiles, zlib): the TIFF
 * backend has no `readRegions`, so each batch is read region by region into its part of the iterator's shared
 * buffer. Every voxel of every block must be the formula tifffile was given, each visited once, for the
 * channel asked for only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ok = available('python');
const [C, Z, Y, X] = [2, 12, 70, 90];
const voxel = (c: number, z: number, y: number, x: number) =>
  (c * 40009 + z * 7919 + y * 1031 + x * 31 + ((z * y * x) % 113)) % 65536;

const WRITE = `
import json, sys, warnings
warnings.filterwarnings('ignore')
import numpy as np, tifffile
a = json.load(sys.stdin)
C, Z, Y, X = a['shape']
c, z, y, x = np.meshgrid(*[np.arange(n, dtype=np.int64) for n in (C, Z, Y, X)], indexing='ij')
v = ((c * 40009 + z * 7919 + y * 1031 + x * 31 + ((z * y * x) % 113)) % 65536).astype(np.uint16)
tifffile.imwrite(a['file'], v, ome=True, metadata={'axes': 'CZYX'}, tile=(32, 32), compression='zlib')
print(json.dumps({'ok': True}))
`;

let dir = '';
let file = '';

beforeAll(async () => {
  if (!ok) return;
  dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-blocks-'));
  file = join(dir, 'volume.ome.tif');
  await runPythonJson(WRITE, { file, shape: [C, Z, Y, X] });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ok)('BioReader.blocks over a TIFF (one read per block)', () => {
  it('blocks of channel 1 cut at the edges: every voxel as tifffile was given it, each once', async () => {
    await using br = await BioReader.open(file, { maxWorkers: 2 });
    expect([br.C, br.Z, br.Y, br.X]).toEqual([C, Z, Y, X]);
    const seen = new Uint8Array(Z * Y * X);
    let blocks = 0;
    let wrong = 0;
    for await (const b of br.blocks({ shape: [5, 32, 40], C: [1] })) {
      blocks++;
      expect(b.region.C).toBe(1);
      expect(b.region.T).toBe(0);
      const data = b.data.data as Uint16Array;
      let i = 0;
      for (let z = b.region.Z[0]; z < b.region.Z[1]; z++)
        for (let y = b.region.Y[0]; y < b.region.Y[1]; y++)
          for (let x = b.region.X[0]; x < b.region.X[1]; x++) {
            if (data[i++] !== voxel(1, z, y, x)) wrong++;
            seen[(z * Y + y) * X + x]!++;
          }
      expect(i).toBe(data.length);
    }
    // 12 × 70 × 90 in 5 × 32 × 40 blocks: 3 × 3 × 3.
    expect(blocks).toBe(27);
    expect(wrong).toBe(0);
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('an abort stops the iteration with its reason; the reader reads on', async () => {
    await using br = await BioReader.open(file, { maxWorkers: 2 });
    const stop = new AbortController();
    let n = 0;
    let error: unknown;
    try {
      for await (const _ of br.blocks({ shape: [1, 16, 16], signal: stop.signal })) {
        if (++n === 2) stop.abort(new Error('enough'));
      }
    } catch (err) {
      error = err;
    }
    expect((error as Error | undefined)?.message).toBe('enough');
    expect(n).toBe(2);
    const a = await br.read({ C: 0, Z: 3, Y: [5, 6], X: [7, 9] });
    expect([...(a.data as Uint16Array)]).toEqual([voxel(0, 3, 5, 7), voxel(0, 3, 5, 8)]);
  });
});
