/**
 * The viewer's reads (tile grid, level factors, channel planes) and its metadata panel, in Node, on real
 * pyramids, against tifffile: the same code the page runs, minus the DOM.
 */
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { factRows, type ImageFacts, imageFacts } from '../src/image-facts.js';
import { levelFactors } from '../src/level-choice.js';
import { centreCell, readTile } from '../src/tile-source.js';
import { tileGrid, visibleTiles } from '../src/visible-tiles.js';

/** Pyramids: an RGB TIFF of 64² tiles (samples as channels), and an OME-TIFF of 3 named channels. */
const SAMPLES = [
  'openslide-python/boxes.tiff',
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
];

interface PeerLevel {
  shape: [number, number, number]; // C, Y, X
  dtype: string;
  pixels: string; // base64, C order
}
interface Peer {
  levels: PeerLevel[];
  channelNames: string[] | null;
  physicalSizeX: number | null;
  physicalSizeXUnit: string | null;
}

const PEER = `
import base64, json, sys
import numpy as np, tifffile
import xml.etree.ElementTree as ET
out = {}
for path in json.load(sys.stdin):
    with tifffile.TiffFile(path) as tif:
        s = tif.series[0]
        levels = []
        for lev in s.levels:
            a = lev.asarray()
            axes = lev.axes
            if axes.endswith('S'):  # YXS: samples are the channels
                a = np.moveaxis(a, -1, 0)
            elif a.ndim == 2:
                a = a[None]
            levels.append({'shape': list(a.shape), 'dtype': str(a.dtype),
                           'pixels': base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()})
        names = psx = unit = None
        if tif.ome_metadata:
            root = ET.fromstring(tif.ome_metadata)
            ns = {'o': root.tag.split('}')[0][1:]}
            px = root.find('o:Image/o:Pixels', ns)
            names = [c.get('Name', '') for c in px.findall('o:Channel', ns)]
            psx = float(px.get('PhysicalSizeX')) if px.get('PhysicalSizeX') else None
            unit = px.get('PhysicalSizeXUnit', 'µm') if psx is not None else None
        out[path] = {'levels': levels, 'channelNames': names, 'physicalSizeX': psx, 'physicalSizeXUnit': unit}
print(json.dumps(out))
`;

const CTOR = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array } as const;

describe.skipIf(!available('data', 'python'))('tiles and metadata, against tifffile', () => {
  let peer: Record<string, Peer>;
  beforeAll(async () => {
    peer = await runPythonJson<Record<string, Peer>>(PEER, SAMPLES.map(dataPath));
  });

  for (const sample of SAMPLES) {
    describe(sample, () => {
      let reader: BioReader;
      let facts: ImageFacts;
      beforeAll(async () => {
        reader = await BioReader.open(dataPath(sample));
        facts = imageFacts(reader, 0);
      });
      afterAll(() => reader?.close());

      it('the panel shows the sizes, pixel type, levels and channel names tifffile sees', () => {
        const p = peer[dataPath(sample)]!;
        const [c, y, x] = p.levels[0]!.shape;
        expect([facts.sizeC, facts.sizeY, facts.sizeX]).toEqual([c, y, x]);
        expect(facts.dtype).toBe(p.levels[0]!.dtype);
        expect(facts.levels.map((l) => [l.sizeY, l.sizeX])).toEqual(
          p.levels.map((l) => [l.shape[1], l.shape[2]]),
        );
        if (p.channelNames) expect(facts.channelNames).toEqual(p.channelNames);
        if (p.physicalSizeX !== null) {
          expect(facts.physicalSizeX?.value).toBeCloseTo(p.physicalSizeX, 9);
          expect(facts.physicalSizeX?.unit).toBe(p.physicalSizeXUnit);
        }
        const rows = new Map(factRows(facts));
        expect(rows.get('Size (X × Y)')).toBe(`${x} × ${y}`);
        expect(rows.get('Levels')!.split(', ')).toHaveLength(p.levels.length);
      });

      it('a cancelled tile read stops with an AbortError (the loader cancels tiles that left the view)', async () => {
        const controller = new AbortController();
        const base = facts.levels[0]!;
        const read = readTile(
          reader,
          { series: 0, level: 0, z: 0, t: 0 },
          centreCell(base.sizeX, base.sizeY),
          [0],
          controller.signal,
        );
        controller.abort();
        await expect(read).rejects.toMatchObject({ name: 'AbortError' });
      });

      it('every visible tile of every level reads as tifffile, channels in the order asked', async () => {
        const p = peer[dataPath(sample)]!;
        for (let level = 0; level < facts.levels.length; level++) {
          const pl = p.levels[level]!;
          const [nc, ny, nx] = pl.shape;
          const Ctor = CTOR[pl.dtype as keyof typeof CTOR];
          const bytes = Buffer.from(pl.pixels, 'base64');
          const expected = new Ctor(bytes.buffer, bytes.byteOffset, bytes.length / Ctor.BYTES_PER_ELEMENT);
          const grid = tileGrid(facts.levels[level]!, levelFactors(facts.levels, level));
          // The view: the middle of the image, half its size, in level-0 pixels.
          const base = facts.levels[0]!;
          const view = {
            x0: base.sizeX / 4,
            y0: base.sizeY / 4,
            x1: (3 * base.sizeX) / 4,
            y1: (3 * base.sizeY) / 4,
          };
          const tiles = visibleTiles(grid, view);
          expect(tiles.length).toBeGreaterThan(0);
          const channels = Array.from({ length: nc }, (_, i) => nc - 1 - i); // reversed
          for (const tile of tiles) {
            const planes = await readTile(reader, { series: 0, level, z: 0, t: 0 }, tile, channels);
            const w = tile.x[1] - tile.x[0];
            const h = tile.y[1] - tile.y[0];
            channels.forEach((c, i) => {
              const want = new Ctor(w * h);
              for (let yy = 0; yy < h; yy++) {
                const row = c * ny * nx + (tile.y[0] + yy) * nx + tile.x[0];
                want.set(expected.subarray(row, row + w), yy * w);
              }
              expect(planes[i], `level ${level} tile ${tile.tx},${tile.ty} channel ${c}`).toEqual(want);
            });
          }
        }
      });
    });
  }
});
