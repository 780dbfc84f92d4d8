/**
 * Acceptance 2: SubIFD pyramids (hubmap-portal-containers) give tifffile's levels, level shapes and level
 * pixels; the WIPP and polus-image-tools files read as OME-TIFF; multi-file OME-TIFF sets (master file
 * with UUID/FileName TiffData, BinaryOnly members, `.companion.ome` files, several Images across 24 files)
 * read as one image whose pixels equal the member files stacked in the metadata's order.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { allocate } from '@bfio/core';
import { describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { TiffReader } from '../src/index.js';

const ok = available('data', 'python');
const HUBMAP = dataPath('hubmap-portal-containers');
const pyramids = ok
  ? readdirSync(HUBMAP)
      .filter((f) => /\.tiff?$/i.test(f))
      .map((f) => join(HUBMAP, f))
  : [];
const COMPANION_DIR = dataPath('exampletiffs/ometiff_testdata/multiples/companion');
const MASTER_DIR = dataPath('exampletiffs/ometiff_testdata/multiples/master');
const VIV_DIR = dataPath('viv/avivator-data');
const NODE_DIR = dataPath('exampletiffs/ometiff_testdata/multiples/multi_image_node');

interface Level {
  shape: number[]; // T C Z Y X
  sha256: string;
}

const PYTHON = `
import sys, json, hashlib, os, logging, warnings
logging.disable(logging.CRITICAL); warnings.simplefilter('ignore')
import numpy as np, tifffile
def tczyx(axes, a):
    # the pyramid files' axes are subsets of TCZYXS; S counts as C
    axes = axes.replace('S', 'C')
    for ax in 'TCZ':
        if ax not in axes: a = a[np.newaxis]; axes = ax + axes
    a = np.transpose(a, [axes.index(x) for x in 'TCZYX'])
    return a
def entry(a):
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))
    return {'shape': list(a.shape), 'sha256': hashlib.sha256(a.tobytes()).hexdigest()}
inp = json.load(sys.stdin)
out = {'pyramids': {}, 'sets': {}}
for p in inp['pyramids']:
    with tifffile.TiffFile(p) as t:
        s = t.series[0]
        out['pyramids'][p] = [entry(tczyx(l.axes, l.asarray())) for l in s.levels]
for d in inp['stacks']:
    planes = []
    for z in range(1, 6):
        with tifffile.TiffFile(os.path.join(d, 'multifile-Z%d.ome.tiff' % z)) as t:
            planes.append(t.pages.first.asarray())  # the page itself, not tifffile's view of the set
    out['sets'][d] = entry(np.stack(planes)[np.newaxis, np.newaxis])
with tifffile.TiffFile(inp['node']) as t:
    out['node'] = [entry(tczyx(s.axes, s.asarray())) for s in t.series]
print(json.dumps(out))
`;

const expected = ok
  ? await runPythonJson<{ pyramids: Record<string, Level[]>; sets: Record<string, Level>; node: Level[] }>(
      PYTHON,
      {
        pyramids,
        stacks: [COMPANION_DIR, MASTER_DIR, VIV_DIR],
        node: join(NODE_DIR, 'TSeries-camp-005_Cycle00001_Ch1_000001.ome.tif'),
      },
    )
  : { pyramids: {}, sets: {}, node: [] };

async function readLevel(reader: TiffReader, series: number, level: number): Promise<Level> {
  const l = reader.series[series]!.levels[level]!;
  const data = allocate(reader.series[series]!.dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
  await reader.readRegion(
    { series, level },
    {
      x: [0, l.sizeX],
      y: [0, l.sizeY],
      z: [0, l.sizeZ],
      c: [...Array(l.sizeC).keys()],
      t: [...Array(l.sizeT).keys()],
    },
    data,
  );
  return {
    shape: [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX],
    sha256: createHash('sha256')
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest('hex'),
  };
}

async function withReader<T>(path: string, fn: (r: TiffReader) => Promise<T>): Promise<T> {
  const reader = await TiffReader.open(path);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

describe.skipIf(!ok)('pyramids and multi-file sets', () => {
  it('finds the hubmap pyramid files', () => expect(pyramids.length).toBe(5));

  for (const file of pyramids) {
    it(`levels of ${file.split('/').pop()}`, async () => {
      const want = expected.pyramids[file]!;
      await withReader(file, async (r) => {
        expect(r.series[0]!.levels.length).toBe(want.length);
        const got: Level[] = [];
        for (let l = 0; l < want.length; l++) got.push(await readLevel(r, 0, l));
        expect(got).toEqual(want);
      });
    });
  }

  it('reads every wipp/ and polus-image-tools/ file as OME-TIFF without warnings', async () => {
    const paths = [
      ...readdirSync(dataPath('wipp'), { recursive: true })
        .map(String)
        .map((p) => join(dataPath('wipp'), p)),
      ...readdirSync(dataPath('polus-image-tools'), { recursive: true })
        .map(String)
        .map((p) => join(dataPath('polus-image-tools'), p)),
    ].filter((p) => /\.ome\.tiff?$/i.test(p));
    expect(paths.length).toBeGreaterThanOrEqual(25);
    for (const p of paths) {
      await withReader(p, async (r) => {
        expect(r.format, p).toBe('OME-TIFF');
        expect(r.details.warnings, p).toBeUndefined();
        const level = await readLevel(r, 0, 0);
        expect(level.shape[3]! * level.shape[4]!, p).toBeGreaterThan(0);
      });
    }
  });

  const sets: Array<[string, string, string]> = [
    ['companion file', join(COMPANION_DIR, 'multifile.companion.ome'), COMPANION_DIR],
    ['BinaryOnly member of a companion set', join(COMPANION_DIR, 'multifile-Z4.ome.tiff'), COMPANION_DIR],
    ['master file', join(MASTER_DIR, 'multifile-Z1.ome.tiff'), MASTER_DIR],
    ['BinaryOnly member of a master set', join(MASTER_DIR, 'multifile-Z3.ome.tiff'), MASTER_DIR],
    ['viv companion file', join(VIV_DIR, 'multifile.companion.ome'), VIV_DIR],
  ];
  for (const [what, path, dir] of sets) {
    it(`reads a multi-file set as one image: ${what}`, async () => {
      await withReader(path, async (r) => {
        expect(r.series.length).toBe(1);
        expect(r.details.files).toBe(5);
        expect(await readLevel(r, 0, 0)).toEqual(expected.sets[dir]);
      });
    });
  }

  it('reads 3 Images spread over 24 files (multi_image_node) as 3 series', async () => {
    expect(expected.node.length).toBe(3);
    // Any member opens the whole set (members are BinaryOnly pointing at the first file).
    for (const name of [
      'TSeries-camp-005_Cycle00001_Ch1_000001.ome.tif',
      'TSeries-camp-005_Cycle00003_Ch2_000004.ome.tif',
    ]) {
      await withReader(join(NODE_DIR, name), async (r) => {
        const got: Level[] = [];
        for (let s = 0; s < r.series.length; s++) got.push(await readLevel(r, s, 0));
        expect(got).toEqual(expected.node);
      });
    }
  });
});
