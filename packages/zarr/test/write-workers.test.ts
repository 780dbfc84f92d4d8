/**
 * Chunks big enough for the codec workers are encoded and written by the workers themselves
 * (the codec chain's `write` sink), whole chunks from recycled buffers; the store must read equal in zarr-python.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Region, regionLength } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrWriter } from '../src/writer/index.js';
import { watchPoolTasks } from './support/pool-tasks.js';

const PEER = `
import json, sys, base64, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
args = json.load(sys.stdin)
g = zarr.open_group(args['store'], mode='r')
a = g['0']
print(json.dumps({
  'level0': base64.b64encode(np.ascontiguousarray(a[...]).tobytes()).decode(),
  'chunks': list(a.chunks),
  'level': [c.to_dict() for c in a.metadata.codecs if c.to_dict()['name'] == 'zstd'][0]['configuration']['level'],
}))
`;

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-write-workers-${process.pid}`);
const STORE = join(TMP, 'ours.ome.zarr');
// 128² uint16 chunks (32 KiB): worth a worker. 2 channels, a partial last chunk row and column.
const [C, Y, X] = [2, 300, 520];
const image = new Uint16Array(C * Y * X);
for (let i = 0; i < image.length; i++) image[i] = (i * 2654435761) % 65521;

function cut(r: Region): Uint16Array {
  const out = new Uint16Array(regionLength(r));
  let k = 0;
  for (const c of r.c)
    for (let y = r.y[0]; y < r.y[1]; y++)
      for (let x = r.x[0]; x < r.x[1]; x++) out[k++] = image[(c * Y + y) * X + x] as number;
  return out;
}

const tasks: string[] = [];
let peer: { level0: string; chunks: number[]; level: number };

beforeAll(async () => {
  if (!ok) return;
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  await watchPoolTasks(
    (codec, _input, params) => {
      // A chunk write is an encode whose result the worker writes as the chunk file (the chain's `write` sink).
      tasks.push(params?.write ? 'write-chunk' : codec);
    },
    async () => {
      const w = await ZarrWriter.create(
        STORE,
        createOme({ sizeX: X, sizeY: Y, sizeC: C, type: 'uint16' }),
        'uint16',
        { tileSize: 128, compression: 'zstd', compressionLevel: 3 },
      );
      // Whole chunks, one per call, one call after the other: each call returns once fewer than the writer's
      // bound are in flight, so later chunks are copied into buffers the workers handed back.
      for (let y = 0; y < 256; y += 128)
        for (let x = 0; x < 512; x += 128)
          for (const c of [0, 1]) {
            const r: Region = { x: [x, x + 128], y: [y, y + 128], z: [0, 1], c: [c], t: [0] };
            await w.writeRegion(r, cut(r));
          }
      const writes: Promise<void>[] = [];
      // The rest in unaligned strips (partial chunks assembled first, the edge padded).
      writes.push(
        w.writeRegion(
          { x: [512, 520], y: [0, 256], z: [0, 1], c: [0, 1], t: [0] },
          cut({ x: [512, 520], y: [0, 256], z: [0, 1], c: [0, 1], t: [0] }),
        ),
      );
      for (let y = 256; y < Y; y += 11) {
        const r: Region = { x: [0, X], y: [y, Math.min(Y, y + 11)], z: [0, 1], c: [0, 1], t: [0] };
        writes.push(w.writeRegion(r, cut(r)));
      }
      await Promise.all(writes);
      await w.close();
    },
  );
  peer = await runPythonJson(PEER, { store: STORE });
}, 120_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe.skipIf(!ok)('chunks encoded and written by the codec workers', () => {
  it('reads back equal in zarr-python, at the zstd level asked', () => {
    expect(peer.chunks).toEqual([1, 1, 1, 128, 128]);
    expect(peer.level).toBe(3);
    expect(Buffer.from(peer.level0, 'base64').equals(Buffer.from(image.buffer))).toBe(true);
  });

  it('went to the workers as chunk writes', () => {
    // 2 × 3 × 5 chunks (the 32 KiB ones; none is smaller: edge chunks are stored padded to 128²).
    expect(tasks.filter((t) => t === 'write-chunk').length).toBe(30);
  });
});
