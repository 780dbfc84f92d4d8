import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  registerKnownBackend,
  SPECIFICATION_VERSION,
  selectReadBackend,
} from '../src/backend-api.js';
import {
  BioReader,
  BioWriter,
  isBfioError,
  NDArray,
  registerBackend,
  unregisterBackend,
} from '../src/index.js';
import { memoryBackend, planarIndex } from './memory-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-core-'));
const S = { X: 37, Y: 29, Z: 3, C: 4, T: 2 };
/** The pixel value at (x, y, z, c, t): distinct for every pixel, so misplaced data cannot go unnoticed. */
const value = (x: number, y: number, z: number, c: number, t: number) =>
  ((((t * S.C + c) * S.Z + z) * S.Y + y) * S.X + x) % 65521;

async function writeSample(path: string, pieces: number): Promise<void> {
  const bw = await BioWriter.create(path, { ...S, dtype: 'uint16', channelNames: ['a', 'b', 'c', 'd'] });
  // Write the image in unaligned strips of varying height, one (z, c, t) at a time, concurrently.
  const tasks: Promise<void>[] = [];
  for (let t = 0; t < S.T; t++)
    for (let c = 0; c < S.C; c++)
      for (let z = 0; z < S.Z; z++) {
        let y0 = 0;
        for (let k = 0; y0 < S.Y; k++) {
          const h = Math.min(S.Y - y0, 1 + ((k * 7 + pieces) % 11));
          const data = new Uint16Array(h * S.X);
          for (let y = 0; y < h; y++)
            for (let x = 0; x < S.X; x++) data[y * S.X + x] = value(x, y0 + y, z, c, t);
          tasks.push(bw.write({ data, shape: [h, S.X] }, { Y: y0, Z: z, C: [c], T: [t] }));
          y0 += h;
        }
      }
  await Promise.all(tasks);
  await bw.close();
}

beforeAll(async () => {
  registerBackend(memoryBackend);
  await writeSample(join(dir, 'a.mem'), 3);
});
afterAll(() => {
  unregisterBackend('memory');
});

describe('BioReader', () => {
  it('exposes bfio sizes, shape, dtype and channel names', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    expect([br.X, br.Y, br.Z, br.C, br.T]).toEqual([37, 29, 3, 4, 2]);
    expect(br.shape).toEqual([29, 37, 3, 4, 2]);
    expect(br.dtype).toBe('uint16');
    expect(br.channelNames).toEqual(['a', 'b', 'c', 'd']);
    expect(br.backendName).toBe('memory');
  });

  it('reads regions with X/Y/Z ranges and C/T lists, in Y,X,Z,C,T order', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const a = await br.read({ X: [5, 20], Y: [3, 17], Z: [1, 3], C: [3, 1], T: [1] });
    // Trailing T of size 1 is squeezed (bfio's rule); C of size 2 stays.
    expect(a.shape).toEqual([14, 15, 2, 2]);
    expect(a.axes).toBe('YXZC');
    for (let y = 0; y < 14; y++)
      for (let x = 0; x < 15; x++)
        for (let z = 0; z < 2; z++)
          for (const [ci, c] of [3, 1].entries())
            expect(a.get(y, x, z, ci)).toBe(value(x + 5, y + 3, z + 1, c, 1));
  });

  it('applies the squeeze rule: trailing singletons go while ndim > 2, middle ones stay', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    expect((await br.read({ Z: 0, C: 0, T: 0 })).shape).toEqual([29, 37]);
    expect((await br.read({ Z: 0, C: [0, 1], T: 0 })).shape).toEqual([29, 37, 1, 2]);
    expect((await br.read({ Z: [0, 3], C: 0, T: 0 })).shape).toEqual([29, 37, 3]);
    expect((await br.read({ X: 4, Y: 2, Z: 0, C: 0, T: 0 })).shape).toEqual([1, 1]);
    expect((await br.read({ Z: 0, C: 0, T: 0 }, { squeeze: false })).shape).toEqual([29, 37, 1, 1, 1]);
  });

  it('get() mirrors br[y, x, z, c, t]: ints, open ranges, negative indices, lists', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const a = await br.get([10, null], [null, 4], -1, [2, 0], 1);
    expect(a.shape).toEqual([19, 4, 1, 2]);
    expect(a.get(0, 3, 0, 0)).toBe(value(3, 10, 2, 2, 1));
    expect(a.get(18, 0, 0, 1)).toBe(value(0, 28, 2, 0, 1));
    const whole = await br.get();
    expect(whole.shape).toEqual([29, 37, 3, 4, 2]);
    // Python clamps slice ends: [0, 1000] on Y means the whole axis.
    expect((await br.get([0, 1000], 0, 0, 0, 0)).shape).toEqual([29, 1]);
  });

  it('gives a C-order copy that matches numpy layout', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const a = (await br.read({ X: [0, 3], Y: [0, 2], Z: 0, C: [0, 1], T: [0, 1] })).toContiguous();
    expect(a.shape).toEqual([2, 3, 1, 2, 2]);
    // C order: the last axis (T) varies fastest.
    expect(a.data[0]).toBe(value(0, 0, 0, 0, 0));
    expect(a.data[1]).toBe(value(0, 0, 0, 0, 1));
    expect(a.data[2]).toBe(value(0, 0, 0, 1, 0));
    expect(a.data[4]).toBe(value(1, 0, 0, 0, 0));
  });

  it('fills a caller-supplied array and checks its dtype and length', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const out = new Uint16Array(2 * 3);
    const a = await br.read({ X: [0, 3], Y: [0, 2], Z: 0, C: 0, T: 0 }, { out });
    expect(a.data).toBe(out);
    expect(out[4]).toBe(value(1, 1, 0, 0, 0));
    await expect(
      br.read({ X: [0, 3], Y: [0, 2], Z: 0, C: 0, T: 0 }, { out: new Float32Array(6) }),
    ).rejects.toSatisfy((e) => isBfioError(e, 'invalid-data'));
  });

  it('rejects out-of-range regions with the valid range in the message', async () => {
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const err = await br.read({ X: [30, 40] }).catch((e) => e);
    expect(isBfioError(err, 'out-of-range')).toBe(true);
    expect(err.message).toContain('[0, 37)');
    expect(err.message).toContain('a.mem');
    await expect(br.read({ C: [4] })).rejects.toThrow(/0 to 3/);
    await expect(br.read({ T: [-1] })).rejects.toSatisfy((e) => isBfioError(e, 'out-of-range'));
    await expect(br.read({ Z: [2, 2] })).rejects.toSatisfy((e) => isBfioError(e, 'out-of-range'));
    await expect(br.read({ X: [0.5, 2] })).rejects.toSatisfy((e) => isBfioError(e, 'invalid-data'));
    expect(() => {
      br.series = 1;
    }).toThrow(/series 1 is out of range/);
    expect(() => {
      br.level = 2;
    }).toThrow(/1 level/);
  });

  it('puts large results on a SharedArrayBuffer (workers fill it in place) unless told not to', async () => {
    const path = join(dir, 'big.mem');
    const bw = await BioWriter.create(path, { X: 1100, Y: 1000, dtype: 'uint32' });
    await bw.write({ data: new Uint32Array(1100 * 1000).fill(7), shape: [1000, 1100] });
    await bw.close();
    await using br = await BioReader.open(path);
    const big = await br.read();
    expect(big.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(big.get(999, 1099)).toBe(7);
    expect((await br.read({}, { shared: false })).data.buffer).toBeInstanceOf(ArrayBuffer);
    expect((await br.read({ X: [0, 10], Y: [0, 10] })).data.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('throws a typed error after close', async () => {
    const br = await BioReader.open(join(dir, 'a.mem'));
    await br.close();
    await expect(br.read()).rejects.toSatisfy((e) => isBfioError(e, 'closed'));
    await br.close(); // idempotent
  });

  it('reports missing files and unknown formats with what was tried', async () => {
    await expect(BioReader.open(join(dir, 'nope.mem'))).rejects.toSatisfy((e) => isBfioError(e, 'not-found'));
    const junk = join(dir, 'junk.xyz');
    writeFileSync(junk, 'not an image');
    const err = await BioReader.open(junk).catch((e) => e);
    expect(isBfioError(err, 'unknown-format')).toBe(true);
    expect(err.message).toContain('junk.xyz');
    expect(err.message).toContain('memory: extension not recognised');
  });

  it('says which package to install when a known backend is missing', async () => {
    registerKnownBackend('imaginary', '@bfio/imaginary-backend');
    const err = await BioReader.open(join(dir, 'a.mem'), { backend: 'imaginary' }).catch((e) => e);
    expect(isBfioError(err, 'missing-backend')).toBe(true);
    expect(err.message).toContain('npm i @bfio/imaginary-backend');
    expect(err.message).toContain('a.mem');
  });
});

describe('backend selection', () => {
  const fake = (name: string, extensions: string[], priority = 0, sniff = true): Backend => ({
    specificationVersion: SPECIFICATION_VERSION,
    name,
    packageName: `@test/${name}`,
    extensions,
    priority,
    sniff: sniff ? (i) => i.firstBytes[0] === 0x42 : undefined,
    open: async () => {
      throw new Error('not used');
    },
  });

  it('prefers the longest matching extension, then magic, then priority; a forced name wins', async () => {
    registerBackend(fake('generic', ['.tif', '.svs'], 0));
    registerBackend(fake('native', ['.ome.tif', '.tif'], 10));
    try {
      const f = join(dir, 'x.ome.tif');
      writeFileSync(f, 'B-magic');
      expect((await selectReadBackend(f)).name).toBe('native');
      const g = join(dir, 'x.svs');
      writeFileSync(g, 'B-magic');
      expect((await selectReadBackend(g)).name).toBe('generic');
      const h = join(dir, 'x.tif');
      writeFileSync(h, 'B-magic');
      expect((await selectReadBackend(h)).name).toBe('native'); // same extension length: priority
      const unknownExt = join(dir, 'x.dat');
      writeFileSync(unknownExt, 'B-magic');
      expect((await selectReadBackend(unknownExt)).name).toBe('native'); // magic only, priority
      expect((await selectReadBackend(f, 'generic')).name).toBe('generic');
    } finally {
      unregisterBackend('generic');
      unregisterBackend('native');
    }
  });

  it('refuses a backend built for another contract version', () => {
    expect(() => registerBackend({ ...fake('old', []), specificationVersion: 'v0' as never })).toThrow(
      /contract v0/,
    );
  });
});

describe('BioWriter', () => {
  it('round-trips unaligned, concurrent writes exactly', async () => {
    const path = join(dir, 'b.mem');
    await writeSample(path, 5);
    await using br = await BioReader.open(path);
    const all = await br.read({}, { squeeze: false });
    let bad = 0;
    for (let t = 0; t < S.T; t++)
      for (let c = 0; c < S.C; c++)
        for (let z = 0; z < S.Z; z++)
          for (let y = 0; y < S.Y; y++)
            for (let x = 0; x < S.X; x++) if (all.get(y, x, z, c, t) !== value(x, y, z, c, t)) bad++;
    expect(bad).toBe(0);
    expect(all.data[planarIndex(S, 36, 28, 2, 3, 1)]).toBe(value(36, 28, 2, 3, 1));
  });

  it('makes properties read-only after the first write (bfio never did)', async () => {
    const bw = await BioWriter.create(join(dir, 'c.mem'), { X: 4, Y: 4, dtype: 'uint8' });
    bw.X = 8; // still allowed
    bw.channelNames = ['only'];
    expect(bw.readOnly).toBe(false);
    await bw.write(new NDArray(new Uint8Array(16), [4, 4]));
    expect(bw.readOnly).toBe(true);
    expect(() => {
      bw.X = 16;
    }).toThrow(/X of .*c\.mem is read-only/);
    expect(() => {
      bw.dtype = 'uint16';
    }).toSatisfy((f: () => void) => {
      try {
        f();
        return false;
      } catch (e) {
        return isBfioError(e, 'read-only');
      }
    });
    await bw.close();
    await using br = await BioReader.open(join(dir, 'c.mem'));
    expect(br.X).toBe(8);
    expect(br.channelNames).toEqual(['only']);
  });

  it('rejects wrong dtype, wrong shape, out-of-range placement and writes after close', async () => {
    const bw = await BioWriter.create(join(dir, 'd.mem'), { X: 10, Y: 10, C: 2, dtype: 'float32' });
    await expect(bw.write({ data: new Uint16Array(4), shape: [2, 2] })).rejects.toThrow(
      /uint16 but .* is float32/,
    );
    await expect(bw.write({ data: new Float32Array(5), shape: [2, 2] })).rejects.toThrow(/5 elements/);
    await expect(bw.write({ data: new Float32Array(4), shape: [2, 2] }, { X: 9 })).rejects.toSatisfy((e) =>
      isBfioError(e, 'out-of-range'),
    );
    await expect(bw.write({ data: new Float32Array(8), shape: [2, 2, 1, 2] }, { C: [1] })).rejects.toThrow(
      /2 channel/,
    );
    await bw.write({ data: new Float32Array(8).fill(1.5), shape: [2, 2, 1, 2] }, { X: 8, Y: 8 });
    await bw.close();
    await expect(bw.write({ data: new Float32Array(4), shape: [2, 2] })).rejects.toSatisfy((e) =>
      isBfioError(e, 'closed'),
    );
    await using br = await BioReader.open(join(dir, 'd.mem'));
    expect(br.C).toBe(2);
    expect((await br.read({ X: [8, 10], Y: [8, 10], C: 1 })).data).toEqual(new Float32Array(4).fill(1.5));
    expect((await br.read({ X: [0, 2], Y: [0, 2], C: 0 })).data).toEqual(new Float32Array(4));
  });

  it('refuses to overwrite unless asked, and copies metadata from a reader', async () => {
    await expect(BioWriter.create(join(dir, 'a.mem'))).rejects.toSatisfy((e) =>
      isBfioError(e, 'file-exists'),
    );
    await using br = await BioReader.open(join(dir, 'a.mem'));
    const bw = await BioWriter.create(join(dir, 'a.mem'), { metadata: br.metadata, overwrite: true });
    expect(bw.shape).toEqual(br.shape);
    expect(bw.dtype).toBe('uint16');
    expect(bw.channelNames).toEqual(['a', 'b', 'c', 'd']);
    await bw.abort();
  });

  it('takes dtype and shape from an image', async () => {
    const image = new NDArray(new Int16Array(6 * 5 * 2), [6, 5, 2]);
    const bw = await BioWriter.create(join(dir, 'e.mem'), { image });
    expect(bw.shape).toEqual([6, 5, 2, 1, 1]);
    expect(bw.dtype).toBe('int16');
    await bw.abort();
  });
});
