import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { convertToOmeTiff } from '../src/convert.js';
import { SAMPLE, writeSample } from '../src/sample.js';

const ok = available('python');
const dir = mkdtempSync(join(tmpdir(), 'bfio-converter-'));
const sample = join(dir, 'sample.ome.tif');

// tifffile reads the sample and every output; bfio 2.5 reads the WIPP files (what WIPP plugins use).
const PEERS = `
import json, sys, hashlib
import numpy as np, tifffile
from bfio import BioReader
job = json.load(sys.stdin)
src = tifffile.TiffFile(job["sample"])
s = src.series[0]
ref = s.asarray()  # axes from the OME-XML
out = {"axes": s.axes, "shape": list(ref.shape), "tiled": [], "wipp": []}
def as_zcyx(a, axes):
    for ax in "ZCYX":
        if ax not in axes: a = a[np.newaxis]; axes = ax + axes
    return np.transpose(a, [axes.index(ax) for ax in "ZCYX"])
ref = as_zcyx(ref, s.axes)
for f in job["tiled"]:
    with tifffile.TiffFile(f) as tf:
        p = tf.pages[0]
        got = as_zcyx(tf.series[0].asarray(), tf.series[0].axes)
        out["tiled"].append({"equal": bool(np.array_equal(got, ref)), "tile": [p.tilelength, p.tilewidth], "compression": int(p.compression)})
for f, z, c in job["wipp"]:
    with BioReader(f, backend="python") as br:
        got = br[:, :, :, 0, 0]
        got = got if got.ndim == 3 else got[:, :, np.newaxis]
        want = np.transpose(ref[:, c], (1, 2, 0))
        out["wipp"].append({"equal": bool(np.array_equal(got, want)), "shape": [br.Y, br.X, br.Z, br.C, br.T], "cnames": list(br.channel_names)})
print(json.dumps(out))
`;

describe.skipIf(!ok)('the demo converter (the seed\'s "Scalable Tiled Tiff" example)', () => {
  let tiled: Awaited<ReturnType<typeof convertToOmeTiff>>;
  let wipp: Awaited<ReturnType<typeof convertToOmeTiff>>;
  let peer: any;
  beforeAll(async () => {
    await writeSample(sample);
    tiled = await convertToOmeTiff(sample, join(dir), { overwrite: true, tileSize: 512 });
    wipp = await convertToOmeTiff(sample, dir, { wipp: true, overwrite: true });
    peer = await runPythonJson(PEERS, {
      sample,
      tiled: tiled.map((f) => f.path),
      wipp: wipp.map((f) => [f.path, 0, f.channels[0]]),
    });
  });

  it('writes one 512-tiled Deflate OME-TIFF equal to the source in tifffile', () => {
    expect(tiled).toHaveLength(1);
    expect(tiled[0]!.shape).toEqual([SAMPLE.Y, SAMPLE.X, SAMPLE.Z, SAMPLE.C, SAMPLE.T]);
    expect(peer.tiled).toEqual([{ equal: true, tile: [512, 512], compression: 8 }]);
  });

  it('WIPP mode: one file per channel and timepoint that bfio 2.5 reads pixel-identical', () => {
    expect(wipp.map((f) => f.path.replace(dir, ''))).toEqual([
      '/sample_c0_t0.ome.tif',
      '/sample_c1_t0.ome.tif',
      '/sample_c2_t0.ome.tif',
    ]);
    for (const w of peer.wipp) {
      expect(w.equal).toBe(true);
      expect(w.shape).toEqual([SAMPLE.Y, SAMPLE.X, SAMPLE.Z, 1, 1]);
    }
    expect(peer.wipp.map((w: any) => w.cnames[0])).toEqual(['DAPI', 'GFP', 'mCherry']);
  });

  it('keeps channel names and physical sizes', async () => {
    await using br = await BioReader.open(tiled[0]!.path);
    expect(br.channelNames).toEqual(['DAPI', 'GFP', 'mCherry']);
    expect(br.physicalSizeX).toEqual({ value: 0.325, unit: 'µm' });
    expect(br.physicalSizeZ).toEqual({ value: 1.5, unit: 'µm' });
  });

  it('refuses to overwrite an existing output unless asked', async () => {
    const err = await convertToOmeTiff(sample, dir).catch((e) => e);
    expect(isBfioError(err, 'file-exists')).toBe(true);
  });
});
