import { describe, expect, it } from 'vitest';
import { compositeRGBA, windowed, windowTable } from '../src/composite.js';

const pixel = (rgba: Uint8ClampedArray, i: number) => Array.from(rgba.subarray(4 * i, 4 * i + 4));

describe('compositing', () => {
  it('maps the contrast window linearly onto the colour, clamped outside it', () => {
    const data = new Uint16Array([50, 100, 200, 300, 1000, 150]);
    const rgba = compositeRGBA(3, 2, [{ data, min: 100, max: 300, color: [255, 255, 255] }]);
    expect(pixel(rgba, 0)).toEqual([0, 0, 0, 255]); // below min
    expect(pixel(rgba, 1)).toEqual([0, 0, 0, 255]); // at min
    expect(pixel(rgba, 2)).toEqual([128, 128, 128, 255]); // half: 127.5 rounds up
    expect(pixel(rgba, 3)).toEqual([255, 255, 255, 255]); // at max
    expect(pixel(rgba, 4)).toEqual([255, 255, 255, 255]); // above max
    expect(pixel(rgba, 5)).toEqual([64, 64, 64, 255]); // a quarter: 63.75
  });

  it('scales each colour component by the windowed value', () => {
    const rgba = compositeRGBA(1, 1, [{ data: [0.5], min: 0, max: 1, color: [255, 128, 7] }]);
    expect(pixel(rgba, 0)).toEqual([128, 64, 4, 255]); // 127.5, 64, 3.5 → rounded half up
  });

  it('adds channels and saturates each component at 255', () => {
    const green = { data: new Uint8Array([255, 0, 255, 128]), min: 0, max: 255, color: [0, 255, 0] as const };
    const magenta = {
      data: new Uint8Array([0, 255, 255, 255]),
      min: 0,
      max: 255,
      color: [255, 0, 255] as const,
    };
    const rgba = compositeRGBA(2, 2, [green, magenta]);
    expect(pixel(rgba, 0)).toEqual([0, 255, 0, 255]);
    expect(pixel(rgba, 1)).toEqual([255, 0, 255, 255]);
    expect(pixel(rgba, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(rgba, 3)).toEqual([255, 128, 255, 255]);
    const twoReds = compositeRGBA(1, 1, [
      { data: [200], min: 0, max: 255, color: [255, 0, 0] },
      { data: [200], min: 0, max: 255, color: [255, 0, 0] },
    ]);
    expect(pixel(twoReds, 0)).toEqual([255, 0, 0, 255]); // 400 saturates
  });

  it('handles signed and float data, NaN and an empty window', () => {
    expect(windowed(-64, -128, 127)).toBeCloseTo(64 / 255, 12);
    expect(windowed(Number.NaN, 0, 1)).toBe(0);
    expect(windowed(5, 5, 5)).toBe(1); // a flat window is a threshold at its value
    expect(windowed(4.999, 5, 5)).toBe(0);
    expect(windowed(Number.POSITIVE_INFINITY, 0, 1)).toBe(1);
    const rgba = compositeRGBA(2, 1, [
      { data: new Float32Array([Number.NaN, 2.5]), min: 0, max: 5, color: [0, 0, 255] },
    ]);
    expect(pixel(rgba, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(rgba, 1)).toEqual([0, 0, 128, 255]);
  });

  it('gives black without channels and refuses buffers of the wrong size', () => {
    expect(pixel(compositeRGBA(1, 1, []), 0)).toEqual([0, 0, 0, 255]);
    expect(() => compositeRGBA(2, 2, [], new Uint8ClampedArray(3))).toThrow(RangeError);
    expect(() => compositeRGBA(2, 2, [{ data: [1, 2], min: 0, max: 1, color: [1, 1, 1] }])).toThrow(
      RangeError,
    );
  });

  it('gives the same bytes through the lookup table (large 8/16-bit planes) as computed per pixel', () => {
    const n = 300 * 300; // more pixels than a 16-bit table has entries
    const u16 = Uint16Array.from({ length: n }, (_, i) => (i * 7919) % 65536);
    const i16 = Int16Array.from({ length: n }, (_, i) => ((i * 104729) % 65536) - 32768);
    const i8 = Int8Array.from({ length: n }, (_, i) => ((i * 31) % 256) - 128);
    const looks = [
      { min: 1000, max: 50000, color: [255, 0, 200] as const },
      { min: -3000, max: 12000, color: [0, 255, 13] as const },
      { min: -100, max: 90, color: [77, 77, 255] as const },
    ];
    const typed = compositeRGBA(
      300,
      300,
      [u16, i16, i8].map((data, c) => ({ data, ...looks[c]! })),
    );
    const plain = compositeRGBA(
      300,
      300,
      [u16, i16, i8].map((data, c) => ({ data: Array.from(data), ...looks[c]! })),
    );
    expect(Buffer.from(typed).equals(Buffer.from(plain))).toBe(true);
    // And one pixel by hand: u16 7919·1 = 7919, i16 104729 % 65536 − 32768 = 6425, i8 31 − 128 = −97.
    const v = [(7919 - 1000) / 49000, (6425 + 3000) / 15000, (-97 + 100) / 190];
    expect(pixel(typed, 1)).toEqual([
      Math.floor(v[0]! * 255 + v[2]! * 77 + 0.5),
      Math.floor(v[1]! * 255 + v[2]! * 77 + 0.5),
      Math.min(255, Math.floor(v[0]! * 200 + v[1]! * 13 + v[2]! * 255 + 0.5)),
      255,
    ]);
  });

  it('composites in row bands, with a kept table, to the same bytes as at once', () => {
    const width = 70;
    const height = 50;
    const data = Uint16Array.from({ length: width * height }, (_, i) => (i * 977) % 65536);
    const layer = { data, min: 200, max: 60000, color: [10, 200, 255] as const };
    const whole = compositeRGBA(width, height, [layer]);
    const banded = new Uint8ClampedArray(width * height * 4);
    const table = windowTable(data, layer.min, layer.max);
    expect(table).toHaveLength(65536);
    for (let y = 0; y < height; y += 7)
      compositeRGBA(width, height, [{ ...layer, table }], banded, [y, y + 7]);
    expect(Buffer.from(banded).equals(Buffer.from(whole))).toBe(true);
    // A band writes only its rows.
    const one = compositeRGBA(width, height, [layer], new Uint8ClampedArray(width * height * 4), [3, 4]);
    expect(one.subarray(0, 3 * width * 4).every((v) => v === 0)).toBe(true);
    expect(
      Buffer.from(one.subarray(3 * width * 4, 4 * width * 4)).equals(
        Buffer.from(whole.subarray(3 * width * 4, 4 * width * 4)),
      ),
    ).toBe(true);
    expect(one.subarray(4 * width * 4).every((v) => v === 0)).toBe(true);
    expect(windowTable(new Float32Array(4), 0, 1)).toBeUndefined();
  });
});
