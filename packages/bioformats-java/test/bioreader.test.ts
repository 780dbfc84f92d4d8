/**
 * Acceptance 1 through the front class, as an app uses it: with @bfio/core and all three backends imported,
 * `BioReader.open(path)` picks Bio-Formats for every non-TIFF sample (auto-selection), and its series count,
 * per-series sizes, level count and dtype equal what Bio-Formats' own ImageInfo prints for the same jar (one
 * JVM run for the whole set). Acceptance 2's strip OME-TIFF reads the same through Java as through the
 * native TIFF backend, both through BioReader.
 */
import { BioReader, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import '../src/index.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { available, bioformatsJar, dataPath } from '../../../test-support/env.js';
import { compileRefTool, type InfoResult, parseInfo, runRefTool } from './ref-tool.js';
import { DTYPE_OF, FILES } from './samples.js';

const ok = available('data', 'java', 'bioformats-jar');
const WIPP = dataPath('wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif');

describe.skipIf(!ok)('BioReader auto-selects Bio-Formats for the non-TIFF samples', () => {
  let info: Map<string, InfoResult>;

  beforeAll(() => {
    const jar = bioformatsJar()!;
    const classes = compileRefTool(jar);
    info = parseInfo(
      runRefTool(
        jar,
        classes,
        FILES.flatMap((f) => ['info', dataPath(f)]),
      ),
    );
  });

  test.each(FILES)('%s: BioReader.open picks bioformats; series, sizes, dtype as ImageInfo', async (file) => {
    const path = dataPath(file);
    const ref = info.get(path);
    expect(ref, `ImageInfo printed nothing for ${file}`).toBeDefined();
    if (!ref!.ok) {
      // Bio-Formats itself cannot read it (testim_c.ics lacks its .ids): a typed error naming the file.
      const err = await BioReader.open(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBfioError(err)).toBe(true);
      expect((err as Error).message).toContain(path);
      return;
    }
    await using br = await BioReader.open(path);
    expect(br.backendName).toBe('bioformats');
    expect(br.seriesCount).toBe(ref!.seriesCount);
    ref!.series.forEach((s, i) => {
      br.series = i;
      expect({ X: br.X, Y: br.Y, Z: br.Z, C: br.C, T: br.T, dtype: br.dtype, levels: br.levelCount }).toEqual(
        {
          X: s.width,
          Y: s.height,
          Z: s.sizeZ,
          C: s.sizeC,
          T: s.sizeT,
          dtype: DTYPE_OF[s.pixelType],
          levels: s.resolutions,
        },
      );
      expect(br.image.pixels.channels.length).toBe(s.effectiveSizeC);
    });
  });

  test('strip OME-TIFF: BioReader through Java equals BioReader through the TIFF backend, pixel for pixel', async () => {
    await using native = await BioReader.open(WIPP);
    await using java = await BioReader.open(WIPP, { backend: 'bioformats' });
    expect(native.backendName).toBe('tiff');
    expect(java.backendName).toBe('bioformats');
    expect(java.shape).toEqual(native.shape);
    expect(java.dtype).toBe(native.dtype);
    const a = await native.read({}, { squeeze: false });
    const b = await java.read({}, { squeeze: false });
    expect(a.shape).toEqual(b.shape);
    expect(a.data.byteLength).toBe(
      native.X * native.Y * native.Z * native.C * native.T * native.bytesPerPixel,
    );
    expect(
      Buffer.compare(
        Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
        Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
      ),
    ).toBe(0);
    // Not a blank image (so equality means something).
    expect(new Set(a.data.subarray(0, 100_000)).size).toBeGreaterThan(10);
  });
});
