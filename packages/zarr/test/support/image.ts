/** The deterministic test image shared by the concurrent-writer test and its worker processes. */
import type { Region } from '@bfio/core/backend';
import { createOme, type OME } from '@bfio/ome-xml';

export const SHAPE = { T: 1, C: 2, Z: 1, Y: 256, X: 200 } as const;
export const OPTIONS = { ngffVersion: '0.5', tileSize: 64, pyramidLevels: 1 } as const;

export function metadata(): OME {
  return createOme({
    sizeX: SHAPE.X,
    sizeY: SHAPE.Y,
    sizeC: SHAPE.C,
    type: 'uint16',
    channelNames: ['a', 'b'],
    name: 'halves',
  });
}

/** Pixel value at (c, y, x). */
const value = (c: number, y: number, x: number) => (c * 40503 + y * 313 + x * 7919) % 65536;

/** Rows [y0, y1) of the image as a region and its planar data. */
export function band(y0: number, y1: number): { region: Region; data: Uint16Array } {
  const region: Region = { x: [0, SHAPE.X], y: [y0, y1], z: [0, 1], c: [0, 1], t: [0] };
  const data = new Uint16Array(SHAPE.C * (y1 - y0) * SHAPE.X);
  let k = 0;
  for (let c = 0; c < SHAPE.C; c++)
    for (let y = y0; y < y1; y++) for (let x = 0; x < SHAPE.X; x++) data[k++] = value(c, y, x);
  return { region, data };
}
