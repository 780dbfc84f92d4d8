/**
 * The three Java → Node routes return the same bytes: the JNI addon (the default where built, which
 * reference.test.ts checks against bfconvert for every pixel-checked sample), the /dev/shm route (the default
 * without the addon on Linux) and node-java's byte[] route, on
 * batched small planes (big-endian toxo.dv, a multi-plane LIF series), big RGB planes, partial-width windows
 * (scratch buffer + row copies), banded reads, a mapping that has to grow, and plane lists pipelined in many
 * sub-batches (a short last one, the second reader's too). The shared-memory file never
 * shows up in /dev/shm, and a bad `transfer` is a typed error.
 */
import { readdirSync } from 'node:fs';
import { allocate, isBfioError, type TypedArray } from '@bfio/core';
import type { ReaderBackend, Region } from '@bfio/core/backend';
import { describe, expect, test } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { wholeLevel } from '../../../test-support/regions.js';
import { openBioformats } from '../src/index.js';
import { PIPELINE, shmAvailable } from '../src/transfer.js';

const ok = available('data', 'java', 'bioformats-jar');
const shm = shmAvailable();
const jni = ok && available('bioformats-jni');

type Open = Awaited<ReturnType<typeof openBioformats>> & { transferKinds: string[] };

async function read(reader: ReaderBackend, series: number, region: Region): Promise<TypedArray> {
  const info = reader.series[series]!;
  const n = (region.x[1] - region.x[0]) * (region.y[1] - region.y[0]) * (region.z[1] - region.z[0]);
  const out = allocate(info.dtype, n * region.c.length * region.t.length);
  await reader.readRegion({ series, level: 0 }, region, out);
  return out;
}

const bytesOf = (a: TypedArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const ours = () => readdirSync('/dev/shm').filter((f) => f.startsWith(`bfio-bioformats-${process.pid}-`));

describe.skipIf(!ok || !shm)('Java → Node transfer routes', () => {
  const CASES: Array<
    [
      string,
      string,
      number,
      (l: { sizeX: number; sizeY: number; sizeZ: number; sizeC: number; sizeT: number }) => Region,
    ]
  > = [
    ['toxo.dv, every plane (batched, big-endian)', 'mrc/toxo.dv', 0, (l) => full(l)],
    [
      'toxo.dv, a window over shuffled channels',
      'mrc/toxo.dv',
      0,
      (l) => ({ ...full(l), x: [5, 77], y: [3, 120], c: [1, 0, 1] }),
    ],
    ['LIF xz series 1, every plane (batched)', 'readlif/testdata_2channel_xz.lif', 1, (l) => full(l)],
    ['SVS RGB 2220×2967 (big planes)', 'libvips/CMU-1-Small-Region.svs', 0, (l) => full(l)],
    [
      'SVS RGB, a window',
      'libvips/CMU-1-Small-Region.svs',
      0,
      (l) => ({ ...full(l), x: [1000, 1517], y: [7, 2900], c: [2] }),
    ],
  ];

  test.each(CASES)(
    '%s: jni and shm equal byte[] with 1 and 2 readers',
    async (_name, file, series, region) => {
      const path = dataPath(file);
      const a = (await openBioformats(path, { transfer: 'bytes', readers: 1 })) as Open;
      const others = [
        (await openBioformats(path, { transfer: 'shm', readers: 1 })) as Open,
        (await openBioformats(path, { transfer: 'shm', readers: 2 })) as Open,
      ];
      if (jni) {
        others.push((await openBioformats(path, { transfer: 'jni', readers: 1 })) as Open);
        others.push((await openBioformats(path, { transfer: 'jni', readers: 2 })) as Open);
      }
      try {
        const r = region(a.series[series]!.levels[0]!);
        const x = await read(a, series, r);
        expect(new Set(bytesOf(x)).size).toBeGreaterThan(1); // not blank, so equality means something
        for (const other of others) {
          // Twice: the second read reuses the Java buffer (and, with two readers, has both of them).
          for (let k = 0; k < 2; k++)
            expect(bytesOf(await read(other, series, r)).equals(bytesOf(x))).toBe(true);
        }
        expect(a.transferKinds).toEqual(['bytes']);
        expect(others[0]!.transferKinds).toEqual(['shm']);
        if (jni) expect(others[2]!.transferKinds).toEqual(['jni']);
        expect(ours()).toEqual([]); // unlinked as soon as both sides opened it
      } finally {
        await a.close();
        for (const other of others) await other.close();
      }
    },
  );

  test('banded reads and a growing mapping (shm), changing block sizes (jni) match byte[]', async () => {
    const path = dataPath('libvips/CMU-1-Small-Region.svs');
    const a = await openBioformats(path, { transfer: 'bytes', readers: 1 });
    // A 16-row window (1 MiB mapping), then bands of 1.3 MB (the mapping grows), then a 6-column strip: the
    // handles are rebuilt at each size change.
    const b = await openBioformats(path, { transfer: 'shm', readers: 1, maxChunkBytes: 2220 * 600 });
    // The JNI route on the same sizes: its Java buffer is re-made at each block size.
    const c = jni
      ? await openBioformats(path, { transfer: 'jni', readers: 2, maxChunkBytes: 2220 * 600 })
      : b;
    try {
      const l = a.series[0]!.levels[0]!;
      for (const r of [
        { ...full(l), y: [100, 116] as [number, number] },
        full(l),
        { ...full(l), x: [3, 9] as [number, number] },
      ]) {
        const expected = bytesOf(await read(a, 0, r));
        expect(bytesOf(await read(b, 0, r)).equals(expected)).toBe(true);
        expect(bytesOf(await read(c, 0, r)).equals(expected)).toBe(true);
      }
    } finally {
      await a.close();
      await b.close();
      if (c !== b) await c.close();
    }
  });

  test('a plane list pipelined in many sub-batches (short last one) matches byte[], twice', async () => {
    // toxo.dv (34 planes of 32 KiB, big-endian) in 12 sub-batches of 3 planes and a last one of 1.
    const saved = { ...PIPELINE };
    Object.assign(PIPELINE, { minBytes: 0, parts: 3, subBatchBytes: 96 * 1024 });
    const path = dataPath('mrc/toxo.dv');
    const a = await openBioformats(path, { transfer: 'bytes', readers: 1 });
    const b = await openBioformats(path, { transfer: 'shm', readers: 1 });
    const c = await openBioformats(path, { transfer: 'shm', readers: 2 });
    try {
      const r = full(a.series[0]!.levels[0]!);
      const x = bytesOf(await read(a, 0, r));
      for (let k = 0; k < 2; k++) {
        expect(bytesOf(await read(b, 0, r)).equals(x)).toBe(true);
        expect(bytesOf(await read(c, 0, r)).equals(x)).toBe(true);
      }
    } finally {
      Object.assign(PIPELINE, saved);
      await a.close();
      await b.close();
      await c.close();
    }
  });

  test('auto picks jni where the addon is built (else shm); an unknown transfer is a typed error', async () => {
    const r = (await openBioformats(dataPath('mrc/toxo.dv'))) as Open;
    try {
      await read(r, 0, full(r.series[0]!.levels[0]!));
      expect(r.transferKinds).toEqual([jni ? 'jni' : 'shm']);
      expect(r.details?.transfer).toBe('auto');
    } finally {
      await r.close();
    }
    const err = await openBioformats(dataPath('mrc/toxo.dv'), { transfer: 'pipe' as never }).catch((e) => e);
    expect(isBfioError(err)).toBe(true);
    expect(String(err.message)).toMatch(/transfer 'pipe'/);
  });
});

const full = wholeLevel;
