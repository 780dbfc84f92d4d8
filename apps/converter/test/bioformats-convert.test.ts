/**
 * Acceptance 3 of the Bio-Formats issue: every non-TIFF sample Bio-Formats opens, converted by the converter
 * app to tiled OME-TIFF (series 0 of each, every series of two multi-series LIFs), reads back in tifffile
 * pixel-identical to Bio-Formats' own view of the source: bfconvert's output for the same series and jar
 * (one JVM run for all), also read by tifffile (one Python run for all).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import '@bfio/bioformats-java';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileRefTool, runRefToolAsync } from '../../../packages/bioformats-java/test/ref-tool.js';
import { FILES } from '../../../packages/bioformats-java/test/samples.js';
import { available, bioformatsJar, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { type ConvertedFile, convertToOmeTiff } from '../src/convert.js';

const ok = available('data', 'java', 'bioformats-jar', 'python');

/** Multi-series files converted series by series (series of different shapes and axes). */
const ALL_SERIES: Record<string, number> = {
  'readlif/testdata_2channel_xz.lif': 3,
  'readlif/LeicaLASX_wavelength-sweep_example.lif': 3,
};
const JOBS: Array<[string, number]> = FILES.flatMap((f) =>
  Array.from({ length: ALL_SERIES[f] ?? 1 }, (_, s) => [f, s] as [string, number]),
);

// Both files normalised to planar T, C(×S), Z, Y, X (bfconvert keeps RGB interleaved as S; ours has C).
const PY_COMPARE = `
import json, sys, numpy as np, tifffile
def load(path):
    with tifffile.TiffFile(path) as tf:
        s = tf.series[0]
        a = s.asarray()
        axes = s.axes
        tiled = all(tf.pages[i].aspage().is_tiled for i in range(len(tf.pages)))
    for ax in 'TCZYXS':
        if ax not in axes:
            a = np.expand_dims(a, a.ndim)
            axes += ax
    a = np.transpose(a, [axes.index(ax) for ax in 'TCSZYX'])
    t, c, s_, z, y, x = a.shape
    return a.reshape(t, c * s_, z, y, x), tiled
out = []
for item in json.load(sys.stdin):
    ours, tiled = load(item['ours'])
    ref, _ = load(item['ref'])
    same = ours.shape == ref.shape and ours.dtype == ref.dtype and bool(np.array_equal(ours, ref))
    out.append({'equal': same, 'tiled': tiled, 'shape': list(ours.shape), 'refShape': list(ref.shape),
                'dtype': ours.dtype.name, 'refDtype': ref.dtype.name, 'distinct': int(np.unique(ref[..., :64, :64]).size)})
print(json.dumps(out))
`;

interface Compared {
  equal: boolean;
  tiled: boolean;
  shape: number[];
  refShape: number[];
  dtype: string;
  refDtype: string;
  distinct: number;
}

describe.skipIf(!ok)(
  'converter: Bio-Formats samples → tiled OME-TIFF, equal to bfconvert in tifffile',
  () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bfio-convert-bf-'));
    const refOk = new Map<string, boolean>();
    const converted = new Map<string, ConvertedFile | unknown>();
    const compared = new Map<string, Compared>();
    const key = (f: string, s: number) => `${f}#${s}`;
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    beforeAll(async () => {
      const jar = bioformatsJar()!;
      const args: string[] = [];
      for (const [i, [f, s]] of JOBS.entries())
        args.push('convert', dataPath(f), String(s), join(tmp, `ref${i}.ome.tif`));
      // bfconvert runs in its own JVM while this process converts the same series.
      const peer = runRefToolAsync(jar, compileRefTool(jar), args);
      const items: Array<{ ours: string; ref: string; key: string }> = [];
      for (const [i, [f, s]] of JOBS.entries()) {
        const dir = join(tmp, `ours${i}`);
        mkdirSync(dir);
        try {
          const [file] = await convertToOmeTiff(dataPath(f), dir, { series: s, tileSize: 256 });
          converted.set(key(f, s), file);
          items.push({ ours: file!.path, ref: join(tmp, `ref${i}.ome.tif`), key: key(f, s) });
        } catch (err) {
          converted.set(key(f, s), err);
        }
      }
      const text = await peer;
      for (const [i, [f, s]] of JOBS.entries())
        refOk.set(key(f, s), text.includes(`@@@CONVERTED true ${join(tmp, `ref${i}.ome.tif`)}`));
      const checkable = items.filter((it) => refOk.get(it.key));
      const results = await runPythonJson<Compared[]>(PY_COMPARE, checkable);
      for (const [i, it] of checkable.entries()) compared.set(it.key, results[i]!);
    });

    test('bfconvert (the peer) converted nearly all of them', () => {
      expect([...refOk.values()].filter(Boolean).length).toBeGreaterThanOrEqual(JOBS.length - 1);
    });

    test.each(JOBS)('%s series %i', (file, series) => {
      const k = key(file, series);
      const result = converted.get(k);
      if (!refOk.get(k)) {
        // Bio-Formats cannot read it either: the converter fails with a typed error naming the file.
        expect(isBfioError(result)).toBe(true);
        expect((result as Error).message).toContain(dataPath(file));
        return;
      }
      expect(result, `convert failed: ${String(result)}`).toHaveProperty('path');
      const c = compared.get(k)!;
      expect({ shape: c.shape, dtype: c.dtype }).toEqual({ shape: c.refShape, dtype: c.refDtype });
      expect(c.tiled).toBe(true);
      expect(c.equal).toBe(true);
    });
  },
);
