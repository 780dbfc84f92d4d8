/**
 * The tile-by-tile stream a pipeline writes (bench/tasks/io-task.ts `writeFull`): band after band, each cut
 * into whole tiles written one call each from arrays reused for the next band, several channels, edge tiles
 * narrower and shorter than the tile size. Large enough (~18 MiB of Deflate tiles) that the writer's
 * background flushes (temp-file.ts FLUSH_EVERY) run several times during the write, not only the close's
 * fsync. tifffile must read back every channel's pixels equal to the source.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Region } from '@bfio/core/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { createTiffWriter } from '../src/writer/index.js';
import { makeImage, omeFor, sha256 } from './writer-fixtures.js';

const SIZE_X = 2100; // 4 tiles of 512 and an edge tile of 52 columns
const SIZE_Y = 1900; // 3 tile rows of 512 and an edge row of 364
const CHANNELS = 3;
const TILE = 512;

const SCRIPT = `
import json, sys, hashlib
import numpy as np, tifffile
inp = json.load(sys.stdin)
with tifffile.TiffFile(inp['path']) as tf:
    p0 = tf.pages[0]
    a = tf.series[0].asarray()
    out = dict(shape=list(a.shape), dtype=str(a.dtype), tile=list(p0.tile), compression=int(p0.compression),
               sha=[hashlib.sha256(np.ascontiguousarray(a[c]).tobytes()).hexdigest() for c in range(a.shape[0])])
print(json.dumps(out))
`;

describe.skipIf(!available('python'))('TIFF writer: a tile-by-tile stream of several channels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-tile-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back equal in tifffile, edge tiles included, after background flushes', async () => {
    const img = makeImage(
      41,
      'uint16',
      { sizeX: SIZE_X, sizeY: SIZE_Y, sizeZ: 1, sizeC: CHANNELS, sizeT: 1 },
      'XYZCT',
    );
    const src = img.planes as Uint16Array;
    const path = join(dir, 'stream.ome.tif');
    const writer = await createTiffWriter(path, omeFor(img), 'uint16', {
      tileSize: TILE,
      compression: 'deflate',
      compressionLevel: 1,
    });
    // One array per (channel, tile column), reused band after band: each write resolves once the writer
    // has its own copy, so refilling the arrays for the next band must not change what was written.
    const columns = Math.ceil(SIZE_X / TILE);
    const arrays = Array.from({ length: CHANNELS * columns }, () => new Uint16Array(TILE * TILE));
    for (let y = 0; y < SIZE_Y; y += TILE) {
      const rows = Math.min(TILE, SIZE_Y - y);
      const writes: Promise<void>[] = [];
      for (let c = 0; c < CHANNELS; c++) {
        for (let col = 0; col < columns; col++) {
          const x = col * TILE;
          const w = Math.min(TILE, SIZE_X - x);
          const tile = arrays[c * columns + col]!.subarray(0, rows * w);
          const plane = c * SIZE_X * SIZE_Y;
          for (let r = 0; r < rows; r++) {
            const at = plane + (y + r) * SIZE_X + x;
            tile.set(src.subarray(at, at + w), r * w);
          }
          const region: Region = { x: [x, x + w], y: [y, y + rows], z: [0, 1], c: [c], t: [0] };
          writes.push(writer.writeRegion(region, tile));
        }
      }
      await Promise.all(writes);
      // Scribble over the arrays: the writer must hold its own copies by now.
      for (const a of arrays) a.fill(0xbeef);
    }
    await writer.close();
    // Several background flushes of 8 MiB ran during the write.
    expect(statSync(path).size).toBeGreaterThan(2 * 8 * 1024 * 1024);
    const got = await runPythonJson<{
      shape: number[];
      dtype: string;
      tile: number[];
      compression: number;
      sha: string[];
    }>(SCRIPT, { path });
    expect(got.shape).toEqual([CHANNELS, SIZE_Y, SIZE_X]);
    expect(got.dtype).toBe('uint16');
    expect(got.tile).toEqual([TILE, TILE]);
    expect(got.compression).toBe(8);
    for (let c = 0; c < CHANNELS; c++) {
      const plane = src.subarray(c * SIZE_X * SIZE_Y, (c + 1) * SIZE_X * SIZE_Y);
      expect(got.sha[c], `channel ${c}`).toBe(sha256(plane));
    }
  });
});
