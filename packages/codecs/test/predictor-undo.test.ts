/**
 * The horizontal predictor's undo (TIFF Predictor 2) in C (native-copy/filters.c) and in JavaScript
 * (filters.mjs), against a reference written out here, on real bytes: every sample type, one and three samples
 * per pixel, a partial last row (left as it is), signed views, and bad arguments.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../test-support/env.js';
import { nativeCopy } from '../src/codecs/native-addons.mjs';
import { undoHorizontal, useNativeUndo } from '../src/filters.mjs';

const addon = nativeCopy();
const native = addon?.undoHorizontal?.bind(addon);
// Real content (a microscopy TIFF's bytes), 64 KiB of it.
const bytes = new Uint8Array(readFileSync(dataPath('polus-image-tools/bunny.ome.tif'))).slice(
  4096,
  4096 + 65536,
);

type U = Uint8Array | Uint16Array | Uint32Array;
const views: Array<[string, (b: ArrayBuffer) => U, number]> = [
  ['uint8', (b) => new Uint8Array(b), 0xff],
  ['uint16', (b) => new Uint16Array(b), 0xffff],
  ['uint32', (b) => new Uint32Array(b), 0xffffffff],
];

/** Each sample plus the same sample one pixel to the left, modulo the sample's width; whole rows only. */
function reference(samples: U, rowLength: number, stride: number, mask: number): number[] {
  const out = Array.from(samples);
  const rows = Math.floor(out.length / rowLength);
  for (let r = 0; r < rows; r++)
    for (let i = stride; i < rowLength; i++) {
      const k = r * rowLength + i;
      out[k] = mask === 0xffffffff ? (out[k]! + out[k - stride]!) >>> 0 : (out[k]! + out[k - stride]!) & mask;
    }
  return out;
}

afterAll(() => {
  if (native) useNativeUndo(native);
});

describe('undoHorizontal', () => {
  it('is built here (CI builds the addon; elsewhere the JavaScript loop is checked below)', () => {
    if (process.env.CI === 'true') expect(typeof native).toBe('function');
  });

  for (const [name, view, mask] of views) {
    for (const [rowLength, stride] of [
      [1000, 1],
      [1001, 1], // whole 16-byte vectors then a scalar tail, for every sample width
      [999, 3],
      [7, 1],
    ] as const) {
      it(`${name}, rows of ${rowLength}, ${stride} per pixel: C and JavaScript equal the reference`, () => {
        const want = reference(view(bytes.slice().buffer), rowLength, stride, mask);
        expect(want.length % rowLength).not.toBe(0); // a partial last row, left as it is
        if (native) {
          const got = view(bytes.slice().buffer);
          native(got, rowLength, stride);
          expect(Array.from(got)).toEqual(want);
        }
        useNativeUndo(undefined as never);
        try {
          const got = view(bytes.slice().buffer);
          undoHorizontal(got, rowLength, stride);
          expect(Array.from(got)).toEqual(want);
        } finally {
          if (native) useNativeUndo(native);
        }
      });
    }
  }

  it('a signed view undoes to the same bits as its unsigned twin', () => {
    const a = new Int16Array(bytes.slice().buffer);
    const b = new Uint16Array(bytes.slice().buffer);
    undoHorizontal(a, 500, 1);
    undoHorizontal(b, 500, 1);
    expect(Array.from(new Uint16Array(a.buffer))).toEqual(Array.from(b));
  });

  it.skipIf(!native)('refuses what it cannot do, before writing', () => {
    const f = new Float32Array(16);
    expect(() => native!(f as never, 4, 1)).toThrow(RangeError);
    expect(() => native!(new Uint16Array(8), 0, 1)).toThrow(RangeError);
    expect(() => native!(new Uint16Array(8), 4, 0)).toThrow(RangeError);
  });
});
