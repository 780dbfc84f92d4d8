/**
 * Acceptance 1 and 2: every non-TIFF sample Bio-Formats opens reads through our bridge with the series count,
 * per-series sizes, dtype and channel count that Bio-Formats' own ImageInfo prints (same jar), and, for a
 * representative set of files/series, pixels equal to what Bio-Formats' bfconvert writes, read back by tifffile.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, isBfioError } from '@bfio/core';
import type { ReaderBackend } from '@bfio/core/backend';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { available, bioformatsJar, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { bioformatsBackend } from '../src/index.js';
import { compileRefTool, type InfoResult, parseInfo, runRefTool } from './ref-tool.js';
import { DTYPE_OF, FILES, PIXEL_CHECKS, PY_READ } from './samples.js';

const ok = available('data', 'java', 'bioformats-jar', 'python');

describe.skipIf(!ok)('Bio-Formats reference (ImageInfo, bfconvert)', () => {
  const jar = bioformatsJar()!;
  const tmp = mkdtempSync(join(tmpdir(), 'bfio-bf-ref-'));
  let info: Map<string, InfoResult>;
  const peer = new Map<string, { shape: number[]; dtype: string; raw: string }>();

  beforeAll(async () => {
    const classes = compileRefTool(jar);
    const args: string[] = [];
    for (const f of FILES) args.push('info', dataPath(f));
    for (const [i, [f, s]] of PIXEL_CHECKS.entries())
      args.push('convert', dataPath(f), String(s), join(tmp, `ref${i}.ome.tif`));
    const text = runRefTool(jar, classes, args);
    info = parseInfo(text);
    for (const [i] of PIXEL_CHECKS.entries()) {
      expect(text, `bfconvert of ${PIXEL_CHECKS[i]![0]}`).toContain(
        `@@@CONVERTED true ${join(tmp, `ref${i}.ome.tif`)}`,
      );
    }
    const items = PIXEL_CHECKS.map((_, i) => ({
      tiff: join(tmp, `ref${i}.ome.tif`),
      raw: join(tmp, `ref${i}.raw`),
    }));
    const shapes = await runPythonJson<Array<{ shape: number[]; dtype: string }>>(PY_READ, items);
    PIXEL_CHECKS.forEach(([f, s], i) => {
      peer.set(`${f}#${s}`, { ...shapes[i]!, raw: items[i]!.raw });
    });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('ImageInfo opened most samples (the peer itself works)', () => {
    const opened = FILES.filter((f) => info.get(dataPath(f))?.ok);
    expect(opened.length).toBeGreaterThanOrEqual(FILES.length - 2);
  });

  test.each(FILES)('%s: series, sizes, dtype, channels as ImageInfo', async (file) => {
    const path = dataPath(file);
    const ref = info.get(path);
    expect(ref, `ImageInfo printed nothing for ${file}`).toBeDefined();
    if (!ref!.ok) {
      // Bio-Formats itself cannot read it: we must fail with a typed error naming the file, not hang.
      const err = await bioformatsBackend.open!(path, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBfioError(err)).toBe(true);
      expect((err as Error).message).toContain(path);
      return;
    }
    expect(await bioformatsBackend.canOpen!({ path, firstBytes: new Uint8Array(), isDirectory: false })).toBe(
      true,
    );
    const reader = await bioformatsBackend.open!(path, {});
    try {
      expect(reader.series.length).toBe(ref!.seriesCount);
      expect(reader.metadata.images.length).toBe(ref!.seriesCount);
      ref!.series.forEach((s, i) => {
        const level = reader.series[i]!.levels[0]!;
        expect({ x: level.sizeX, y: level.sizeY, z: level.sizeZ, c: level.sizeC, t: level.sizeT }).toEqual({
          x: s.width,
          y: s.height,
          z: s.sizeZ,
          c: s.sizeC,
          t: s.sizeT,
        });
        expect(reader.series[i]!.levels.length).toBe(s.resolutions);
        expect(reader.series[i]!.dtype).toBe(DTYPE_OF[s.pixelType]);
        // OME-XML's SizeC counts samples, as ImageInfo's SizeC does; its Channels are the effective channels.
        const px = reader.metadata.images[reader.series[i]!.imageIndex]!.pixels;
        expect(px.sizeC).toBe(s.sizeC);
        expect(px.channels.length).toBe(s.effectiveSizeC);
      });
    } finally {
      await reader.close();
    }
  });

  test.each(PIXEL_CHECKS)(
    '%s series %i: pixels equal bfconvert output read by tifffile',
    async (file, series) => {
      const ref = peer.get(`${file}#${series}`)!;
      const reader: ReaderBackend = await bioformatsBackend.open!(dataPath(file), {});
      try {
        const info = reader.series[series]!;
        const l = info.levels[0]!;
        expect(ref.shape).toEqual([l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX]);
        expect(ref.dtype).toBe(info.dtype);
        const out = allocate(info.dtype, l.sizeT * l.sizeC * l.sizeZ * l.sizeY * l.sizeX);
        const region = {
          x: [0, l.sizeX] as [number, number],
          y: [0, l.sizeY] as [number, number],
          z: [0, l.sizeZ] as [number, number],
          c: [...Array(l.sizeC).keys()],
          t: [...Array(l.sizeT).keys()],
        };
        await reader.readRegion({ series, level: 0 }, region, out);
        const expected = readFileSync(ref.raw);
        expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), expected)).toBe(0);
        // A sub-region with shuffled/repeated channels and an offset window matches the same reference.
        if (l.sizeX > 8 && l.sizeY > 8) {
          const c = l.sizeC > 1 ? [l.sizeC - 1, 0, l.sizeC - 1] : [0];
          const sub = {
            x: [3, l.sizeX - 2] as [number, number],
            y: [5, l.sizeY - 1] as [number, number],
            z: [l.sizeZ - 1, l.sizeZ] as [number, number],
            c,
            t: [l.sizeT - 1],
          };
          const w = sub.x[1] - sub.x[0];
          const h = sub.y[1] - sub.y[0];
          const part = allocate(info.dtype, w * h * c.length);
          // A small chunk limit (about 1/7 of a plane) forces banded transfers, the path planes > 2 GiB take.
          const chunk = Math.max(64, Math.ceil((l.sizeX * l.sizeY * part.BYTES_PER_ELEMENT) / 7));
          const banded = await bioformatsBackend.open!(dataPath(file), { maxChunkBytes: chunk });
          try {
            await banded.readRegion({ series, level: 0 }, sub, part);
          } finally {
            await banded.close();
          }
          const whole = allocate(info.dtype, expected.byteLength / part.BYTES_PER_ELEMENT);
          new Uint8Array(whole.buffer).set(expected);
          const plane = l.sizeX * l.sizeY;
          let mismatches = 0;
          c.forEach((ci, k) => {
            const base = (((l.sizeT - 1) * l.sizeC + ci) * l.sizeZ + (l.sizeZ - 1)) * plane;
            for (let y = 0; y < h; y++)
              for (let x = 0; x < w; x++) {
                if (part[k * w * h + y * w + x] !== whole[base + (sub.y[0] + y) * l.sizeX + sub.x[0] + x])
                  mismatches++;
              }
          });
          expect(mismatches).toBe(0);
        }
      } finally {
        await reader.close();
      }
    },
  );
});
