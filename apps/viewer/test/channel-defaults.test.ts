import { describe, expect, it } from 'vitest';
import {
  dataRange,
  defaultColors,
  initialWindow,
  omeColor,
  sliderRange,
  statsLevel,
} from '../src/channel-defaults.js';

describe('channel defaults', () => {
  it('reads OME colours (signed RGBA integers, red in the high byte)', () => {
    expect(omeColor(-1)).toEqual([255, 255, 255]); // 0xFFFFFFFF
    expect(omeColor(-16776961)).toEqual([255, 0, 0]); // 0xFF0000FF
    expect(omeColor(16711935)).toEqual([0, 255, 0]); // 0x00FF00FF
    expect(omeColor(65535)).toEqual([0, 0, 255]); // 0x0000FFFF
  });

  it("uses the file's colours when each channel has its own", () => {
    expect(defaultColors(2, [-16776961, 65535])).toEqual([
      [255, 0, 0],
      [0, 0, 255],
    ]);
    // All white (Bio-Formats' default) or missing for one: the viewer's own.
    expect(defaultColors(2, [-1, -1])).toEqual([
      [0, 255, 0],
      [255, 0, 255],
    ]);
    expect(defaultColors(3, [-16776961, undefined, 65535])).toEqual([
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ]);
  });

  it('gives one channel grey and many channels distinct colours', () => {
    expect(defaultColors(1)).toEqual([[255, 255, 255]]);
    const eight = defaultColors(8).map((c) => c.join());
    expect(new Set(eight.slice(0, 7)).size).toBe(7);
  });

  it('spans the pixel type on sliders for 8 bits, whole bits of the data for 16, the data otherwise', () => {
    expect(sliderRange('uint8', 3, 9)).toEqual([0, 255]);
    expect(sliderRange('int8', 3, 9)).toEqual([-128, 127]);
    expect(sliderRange('uint16', 3, 4095)).toEqual([0, 4095]); // 12-bit camera data
    expect(sliderRange('uint16', 3, 4096)).toEqual([0, 8191]);
    expect(sliderRange('uint16', 0, 60000)).toEqual([0, 65535]);
    expect(sliderRange('uint16', 0, 9)).toEqual([0, 255]); // never fewer than 8 bits
    expect(sliderRange('int16', -1000, 900)).toEqual([-1024, 1023]);
    expect(sliderRange('int16', 0, 100)).toEqual([0, 127]);
    expect(sliderRange('float32', -0.5, 2)).toEqual([-0.5, 2]);
    expect(sliderRange('float32', 2, 2)).toEqual([2, 3]);
  });

  it('takes the data range, ignoring NaN, and never an empty window', () => {
    expect(dataRange(new Float32Array([Number.NaN, 3, -2, Number.NaN]))).toEqual([-2, 3]);
    expect(dataRange(new Float32Array([Number.NaN]))).toEqual([0, 0]);
    expect(initialWindow(7, 7)).toEqual([7, 8]);
    expect(initialWindow(0, 4095)).toEqual([0, 4095]);
  });
});

describe('the level contrast is measured on', () => {
  it('is the finest level of at most a quarter megapixel, not a pyramid tail of a few pixels', () => {
    const hubmap = [439, 219, 109, 54, 27, 13, 6, 3].map((x, i) => ({
      sizeX: x,
      sizeY: Math.max(1, 167 >> i),
    }));
    expect(statsLevel(hubmap)).toBe(0);
    const slide = [40000, 20000, 10000, 5000, 2500, 1250, 625, 312].map((x) => ({ sizeX: x, sizeY: x }));
    expect(statsLevel(slide)).toBe(7); // 625² is 0.39 MP; 312² fits
    expect(statsLevel(slide, 1024 * 1024)).toBe(6);
    expect(statsLevel([{ sizeX: 5000, sizeY: 5000 }])).toBe(0); // no small level: the coarsest (read centre only)
    expect(
      statsLevel([
        { sizeX: 4000, sizeY: 4000 },
        { sizeX: 2000, sizeY: 2000 },
      ]),
    ).toBe(1);
  });
});
