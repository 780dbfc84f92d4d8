import { describe, expect, it } from 'vitest';
import { compositeRGBA, windowed } from '../src/composite.js';

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
});
