/**
 * The strip OME-TIFF through Java vs tifffile (acceptance 2), the OMETiffWriter round trip, typed errors,
 * 1-vs-2 reader parity and speed on the largest multi-plane sample, and the Java → Node transfer rate.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, isBfioError } from '@bfio/core';
import type { ReaderBackend, Region } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { wholeLevel } from '../../../test-support/regions.js';
import { bioformatsBackend, resolveJar, start } from '../src/index.js';

const ok = available('data', 'java', 'bioformats-jar', 'python');
const jni = ok && available('bioformats-jni');
const WIPP = dataPath('wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif');
// The largest multi-plane non-TIFF sample (30 planes, 2.4 MB): acceptance 5.
const CZI = dataPath('aicspylibczi/CD_s_1_t_3_c_2_z_5.czi');

const full = wholeLevel;

describe.skipIf(!ok)('Bio-Formats backend', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bfio-bf-misc-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeAll(async () => {
    const info = await start();
    console.log(
      `Bio-Formats ${info.bioformatsVersion} on Java ${info.javaVersion} (${info.jarSource}: ${info.classpath.join(':')})`,
    );
  });

  test('strip OME-TIFF (wipp) reads through Java with the same pixels as tifffile', async () => {
    const reader = await bioformatsBackend.open!(WIPP, {});
    try {
      const info = reader.series[0]!;
      const l = info.levels[0]!;
      const out = allocate(info.dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
      await reader.readRegion({ series: 0, level: 0 }, full(l), out);
      const raw = join(tmp, 'wipp.raw');
      const peer = await runPythonJson<{ shape: number[]; dtype: string }>(
        `import json, sys, tifffile, numpy as np
a = tifffile.imread(json.load(sys.stdin))
a.astype(a.dtype.newbyteorder('<')).tofile(${JSON.stringify(raw)})
print(json.dumps({'shape': list(a.shape), 'dtype': a.dtype.name}))`,
        WIPP,
      );
      expect(peer.dtype).toBe(info.dtype);
      expect(peer.shape.slice(-2)).toEqual([l.sizeY, l.sizeX]);
      const expected = (await import('node:fs')).readFileSync(raw);
      expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), expected)).toBe(0);
    } finally {
      await reader.close();
    }
  });

  test('two Java readers read all planes equal to one, and report the speed ratio', async () => {
    const one = await bioformatsBackend.open!(CZI, { readers: 1 });
    const two = await bioformatsBackend.open!(CZI, { readers: 2 });
    try {
      const l = one.series[0]!.levels[0]!;
      const a = allocate('uint16', l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
      const b = allocate('uint16', a.length);
      await one.readRegion({ series: 0, level: 0 }, full(l), a); // warm-up
      await two.readRegion({ series: 0, level: 0 }, full(l), b); // asks for the second reader
      const count = () => (two as unknown as { readerCount: number }).readerCount;
      for (let i = 0; i < 400 && count() < 2; i++) await new Promise((res) => setTimeout(res, 50));
      expect(count()).toBe(2);
      // Warm both routes (the JIT compiles the second reader's handle chains after ~100 calls).
      for (let i = 0; i < 150; i++) {
        await one.readRegion({ series: 0, level: 0 }, full(l), a);
        await two.readRegion({ series: 0, level: 0 }, full(l), b);
      }
      b.fill(0);
      await two.readRegion({ series: 0, level: 0 }, full(l), b);
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
      const time = async (r: ReaderBackend, out: typeof a) => {
        const t0 = performance.now();
        for (let i = 0; i < 20; i++) await r.readRegion({ series: 0, level: 0 }, full(l), out);
        return performance.now() - t0;
      };
      const t1 = await time(one, a);
      const t2 = await time(two, b);
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
      expect(new Set(a).size).toBeGreaterThan(10); // real content
      console.log(
        `CD_s_1_t_3_c_2_z_5.czi all ${l.sizeZ * l.sizeC * l.sizeT} planes x20: 1 reader ${t1.toFixed(0)} ms, 2 readers ${t2.toFixed(0)} ms, ratio ${(t1 / t2).toFixed(2)}`,
      );
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('a plane that fails to decode: a typed error naming the file, whichever reader hits it; readers stay usable', async () => {
    // 8 deflate planes of noise (1 MiB each: nothing compresses, and Bio-Formats' 1 MB stream buffer cannot
    // hold them all) written by Bio-Formats' own writer; after opening, the compressed bytes of one plane are
    // overwritten (offsets from tifffile), so Java's inflate fails inside that plane's openBytes. With two
    // readers this small read (8 MiB) is split: planes 0-3 on the main thread (synchronous), 4-7 on the other.
    const [X, Y, Z] = [1024, 512, 8];
    const value = (i: number, z: number) => (Math.imul(i + z * 999_983, 2654435761) >>> 13) & 0xffff;
    const source = join(tmp, 'deflate8.ome.tif');
    const w = await bioformatsBackend.create!(
      source,
      createOme({ sizeX: X, sizeY: Y, sizeZ: Z, type: 'uint16' }),
      'uint16',
      {
        tileSize: 128,
        compression: 'deflate',
      },
    );
    for (let z = 0; z < Z; z++) {
      const plane = allocate('uint16', X * Y);
      for (let i = 0; i < plane.length; i++) plane[i] = value(i, z);
      await w.writeRegion({ x: [0, X], y: [0, Y], z: [z, z + 1], c: [0], t: [0] }, plane);
    }
    await w.close();
    const pages = await runPythonJson<{ offsets: number[][]; counts: number[][] }>(
      `import json, sys, tifffile
with tifffile.TiffFile(json.load(sys.stdin)) as f:
    print(json.dumps({"offsets": [list(p.dataoffsets) for p in f.pages], "counts": [list(p.databytecounts) for p in f.pages]}))`,
      source,
    );
    expect(pages.offsets.length).toBe(Z);
    const bytes = readFileSync(source);
    const full8: Region = { x: [0, X], y: [0, Y], z: [0, Z], c: [0], t: [0] };
    const cases: Array<[number, number, 'jni' | 'shm']> = [];
    for (const transfer of jni ? (['jni', 'shm'] as const) : (['shm'] as const))
      for (const [readers, broken] of [
        [1, 4],
        [2, 1],
        [2, 5],
      ])
        cases.push([readers!, broken!, transfer]);
    for (const [readers, broken, transfer] of cases) {
      // Same file name in its own folder: the OME-XML names the file its planes are in.
      const dir = join(tmp, `broken-${transfer}-${readers}-${broken}`);
      mkdirSync(dir);
      const path = join(dir, 'deflate8.ome.tif');
      writeFileSync(path, bytes);
      const r = await bioformatsBackend.open!(path, { readers, transfer });
      try {
        const all = allocate('uint16', X * Y * Z);
        await r.readRegion({ series: 0, level: 0 }, full8, all); // opens the second reader too
        const count = () => (r as unknown as { readerCount: number }).readerCount;
        for (let i = 0; i < 400 && count() < readers; i++) await new Promise((res) => setTimeout(res, 50));
        expect(count()).toBe(readers);
        const damaged = Buffer.from(bytes);
        pages.offsets[broken]!.forEach((offset, k) => {
          damaged.fill(0xab, offset, offset + pages.counts[broken]![k]!);
        });
        writeFileSync(path, damaged);
        for (let attempt = 0; attempt < 3; attempt++) {
          const err = await r.readRegion({ series: 0, level: 0 }, full8, all).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isBfioError(err, 'corrupt-file')).toBe(true);
          expect((err as Error).message).toContain(path);
        }
        // Every other plane still reads, and right: no reader was left locked by the failures.
        for (const z of [0, 3, 4, 7].filter((p) => p !== broken)) {
          const plane = allocate('uint16', X * Y);
          await r.readRegion({ series: 0, level: 0 }, { ...full8, z: [z, z + 1] }, plane);
          expect(plane[0]).toBe(value(0, z));
          expect(plane[X * Y - 1]).toBe(value(X * Y - 1, z));
        }
      } finally {
        await r.close();
      }
    }
  });

  test('Java → Node transfer rate (uncompressed OME-TIFF written by OMETiffWriter)', async () => {
    // 4096 x 2048 uint16 x 4 planes, uncompressed: the rate is the bridge, not a codec.
    const ome = createOme({ sizeX: 4096, sizeY: 2048, sizeZ: 4, type: 'uint16' });
    const path = join(tmp, 'big.ome.tif');
    const w = await bioformatsBackend.create!(path, ome, 'uint16', { tileSize: 1024 });
    const plane = allocate('uint16', 4096 * 2048);
    for (let i = 0; i < plane.length; i++) plane[i] = (i * 7) & 0xffff;
    for (let z = 0; z < 4; z++)
      await w.writeRegion({ x: [0, 4096], y: [0, 2048], z: [z, z + 1], c: [0], t: [0] }, plane);
    await w.close();
    const r = await bioformatsBackend.open!(path, { readers: 1 });
    try {
      const out = allocate('uint16', 4096 * 2048 * 4);
      const region: Region = { x: [0, 4096], y: [0, 2048], z: [0, 4], c: [0], t: [0] };
      await r.readRegion({ series: 0, level: 0 }, region, out);
      const t0 = performance.now();
      await r.readRegion({ series: 0, level: 0 }, region, out);
      const s = (performance.now() - t0) / 1000;
      console.log(
        `Java → Node: ${(out.byteLength / 1e6 / s).toFixed(0)} MB/s (64 MiB, one reader, incl. Bio-Formats' own TIFF read)`,
      );
      expect(out[12345]).toBe((12345 * 7) & 0xffff);
      expect(out[3 * 4096 * 2048 + 999]).toBe((999 * 7) & 0xffff);
    } finally {
      await r.close();
    }
  });

  test('OMETiffWriter output (tiled, LZW, unaligned regions in any order) reads back identical in tifffile', async () => {
    const ome = createOme({ sizeX: 300, sizeY: 200, sizeZ: 2, sizeC: 3, type: 'int16' });
    const path = join(tmp, 'written.ome.tif');
    const w = await bioformatsBackend.create!(path, ome, 'int16', { tileSize: 128, compression: 'lzw' });
    const value = (x: number, y: number, z: number, c: number) =>
      ((x * 13 + y * 7 + z * 1000 + c * 3000) % 65536) - 32768;
    // Write in unaligned 70x90 blocks, planes interleaved, last block first.
    const blocks: Region[] = [];
    for (let y = 0; y < 200; y += 90)
      for (let x = 0; x < 300; x += 70)
        blocks.push({
          x: [x, Math.min(300, x + 70)],
          y: [y, Math.min(200, y + 90)],
          z: [0, 2],
          c: [2, 0, 1],
          t: [0],
        });
    for (const b of blocks.reverse()) {
      const w_ = b.x[1] - b.x[0];
      const h = b.y[1] - b.y[0];
      const data = allocate('int16', w_ * h * 2 * 3);
      let i = 0;
      for (const c of b.c)
        for (let z = 0; z < 2; z++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w_; x++) data[i++] = value(b.x[0] + x, b.y[0] + y, z, c);
      await w.writeRegion(b, data);
    }
    await w.close();
    const peer = await runPythonJson<{
      axes: string;
      shape: number[];
      tile: number[];
      compression: string;
      mismatches: number;
    }>(
      `import json, sys, tifffile, numpy as np
p = json.load(sys.stdin)
with tifffile.TiffFile(p) as tf:
    s = tf.series[0]; a = s.asarray(); page = tf.pages[0]
    z, c, y, x = np.meshgrid(np.arange(2), np.arange(3), np.arange(200), np.arange(300), indexing='ij')
    exp = ((x * 13 + y * 7 + z * 1000 + c * 3000) % 65536 - 32768).astype(np.int16)
    got = a.reshape(3, 2, 200, 300) if s.axes == 'CZYX' else np.moveaxis(a.reshape(2, 3, 200, 300), 0, 1) if s.axes == 'ZCYX' else None
    print(json.dumps({'axes': s.axes, 'shape': list(a.shape), 'tile': [page.tilelength, page.tilewidth], 'compression': page.compression.name,
                      'mismatches': int((np.moveaxis(got, 0, 1) != exp).sum()) if got is not None else -1}))`,
      path,
    );
    expect(peer.tile).toEqual([128, 128]);
    expect(peer.compression).toBe('LZW');
    expect(peer.mismatches).toBe(0);
  });

  test('create refuses an existing file unless overwrite; abort leaves nothing', async () => {
    const path = join(tmp, 'exists.ome.tif');
    writeFileSync(path, 'x');
    const ome = createOme({ sizeX: 16, sizeY: 16, type: 'uint8' });
    await expect(bioformatsBackend.create!(path, ome, 'uint8', {})).rejects.toMatchObject({
      tag: 'file-exists',
    });
    // Bio-Formats writes into a hidden sibling folder: the target is untouched until close() renames the
    // finished file over it, and abort() removes the folder (the old file survives).
    const staged = () => readdirSync(tmp).filter((n) => n.startsWith('.exists.ome.tif.bfio-tmp-'));
    const w = await bioformatsBackend.create!(path, ome, 'uint8', { overwrite: true });
    expect(staged()).toHaveLength(1);
    await w.abort();
    expect(readFileSync(path, 'utf8')).toBe('x');
    expect(staged()).toEqual([]);
    const w2 = await bioformatsBackend.create!(path, ome, 'uint8', { overwrite: true });
    await w2.writeRegion({ x: [0, 16], y: [0, 16], z: [0, 1], c: [0], t: [0] }, new Uint8Array(256).fill(9));
    expect(readFileSync(path, 'utf8')).toBe('x');
    await w2.close();
    expect(staged()).toEqual([]);
    expect(readFileSync(path).subarray(0, 2).toString('latin1')).toMatch(/II|MM/);
  });

  test('a file Bio-Formats does not know gives a typed error naming it', async () => {
    const path = join(tmp, 'noise.czi');
    writeFileSync(path, Buffer.alloc(5000, 3));
    const err = await bioformatsBackend.open!(path, {}).catch((e: unknown) => e);
    expect(isBfioError(err)).toBe(true);
    expect((err as Error).message).toContain(path);
    expect(
      await bioformatsBackend.canOpen!({ path, firstBytes: new Uint8Array(), isDirectory: false }),
    ).not.toBe(true);
  });

  test('a missing jar is a java-unavailable error saying what to run', () => {
    let err: unknown;
    try {
      resolveJar('/nonexistent/bioformats_package.jar');
    } catch (e) {
      err = e;
    }
    expect(isBfioError(err, 'java-unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/bfio bioformats install/);
  });
});
