import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import {
  convertLength,
  convertTime,
  DIMENSION_ORDERS,
  type DimensionOrder,
  OmeXmlError,
  parseOmeXml,
  planeCoords,
  planeIndex,
} from '../src/index.js';

describe('convertLength', () => {
  it.each([
    [1, 'µm', 'nm', 1000],
    [1, 'um', 'nm', 1000],
    [1, '\u03bcm', 'nm', 1000], // Greek mu spelling
    [0.65, 'µm', 'nm', 650],
    [1, 'nm', 'µm', 0.001],
    [1, 'pm', 'µm', 0.000001],
    [1, 'Å', 'nm', 0.1],
    [10, 'Å', 'nm', 1],
    [1, 'mm', 'µm', 1000],
    [1, 'cm', 'mm', 10],
    [1, 'm', 'µm', 1e6],
    [2.54, 'cm', 'in', 1],
    [1, 'µm', 'µm', 1],
  ])('%d %s = %d %s', (v, from, to, want) => {
    expect(convertLength(v, from, to)).toBeCloseTo(want, 12);
  });

  it('is exact for powers of ten between SI units', () => {
    expect(convertLength(1, 'µm', 'nm')).toBe(1000);
    expect(convertLength(0.325, 'µm', 'nm')).toBe(325);
    expect(convertLength(3, 'nm', 'pm')).toBe(3000);
  });

  it('throws a typed error for units it cannot convert', () => {
    for (const unit of ['furlong', 'pixel', 'reference frame', 's']) {
      let err: unknown;
      try {
        convertLength(1, unit, 'µm');
      } catch (e) {
        err = e;
      }
      expect(OmeXmlError.isInstance(err), unit).toBe(true);
      expect((err as OmeXmlError).reason).toBe('unknown-unit');
      expect((err as OmeXmlError).message).toContain(`'${unit}'`);
    }
  });
});

describe('convertTime', () => {
  it.each([
    [1, 'h', 's', 3600],
    [1, 'min', 'ms', 60000],
    [1, 'µs', 'ns', 1000],
    [1, 's', 'ns', 1e9],
    [1500, 'ms', 's', 1.5],
    [90, 's', 'min', 1.5],
    [2, 'h', 'min', 120],
  ])('%d %s = %d %s', (v, from, to, want) => {
    expect(convertTime(v, from, to)).toBeCloseTo(want, 9);
  });

  it('refuses a length unit', () => {
    expect(() => convertTime(1, 'nm', 's')).toThrow(/time unit 'nm'/);
  });
});

/** The OME definition, written independently: nested loops, the first letter after XY innermost. */
function enumerate(order: DimensionOrder, sizes: { Z: number; C: number; T: number }) {
  const [a, b, c] = [order[2], order[3], order[4]] as Array<'Z' | 'C' | 'T'>;
  const out: Array<{ z: number; c: number; t: number }> = [];
  for (let k = 0; k < sizes[c]; k++) {
    for (let j = 0; j < sizes[b]; j++) {
      for (let i = 0; i < sizes[a]; i++) {
        const at = { Z: 0, C: 0, T: 0 };
        at[a] = i;
        at[b] = j;
        at[c] = k;
        out.push({ z: at.Z, c: at.C, t: at.T });
      }
    }
  }
  return out;
}

describe('planeIndex / planeCoords', () => {
  const sizes = { Z: 3, C: 2, T: 4 };
  it.each(DIMENSION_ORDERS.map((o) => [o]))('%s follows the OME plane order', (order) => {
    const planes = enumerate(order, sizes);
    expect(planes).toHaveLength(24);
    planes.forEach((p, index) => {
      expect(planeIndex(order, sizes.Z, sizes.C, sizes.T, p.z, p.c, p.t)).toBe(index);
      expect(planeCoords(order, sizes.Z, sizes.C, sizes.T, index)).toEqual(p);
    });
  });

  it('XYZCT: Z fastest, then C, then T', () => {
    expect(planeIndex('XYZCT', 5, 3, 2, 1, 0, 0)).toBe(1);
    expect(planeIndex('XYZCT', 5, 3, 2, 0, 1, 0)).toBe(5);
    expect(planeIndex('XYZCT', 5, 3, 2, 0, 0, 1)).toBe(15);
    expect(planeIndex('XYTCZ', 5, 3, 2, 0, 0, 1)).toBe(1);
  });

  it('rejects coordinates outside the sizes', () => {
    expect(() => planeIndex('XYZCT', 2, 2, 2, 2, 0, 0)).toThrow(RangeError);
    expect(() => planeCoords('XYZCT', 2, 2, 2, 8)).toThrow(RangeError);
    expect(() => planeIndex('XYZCT', 2, 2, 2, -1, 0, 0)).toThrow(RangeError);
  });

  const ok = available('data');
  it.skipIf(!ok)('matches the IFD numbers Micro-Manager wrote (XYCZT, one plane per TiffData)', () => {
    const ome = parseOmeXml(readFileSync(dataPath('ome-types/MMStack.ome.xml'), 'utf8'), {
      file: 'MMStack.ome.xml',
    });
    let checked = 0;
    for (const image of ome.images) {
      const p = image.pixels;
      expect(p.dimensionOrder).toBe('XYCZT');
      for (const td of p.tiffData) {
        expect(td.planeCount).toBe(1);
        expect(planeIndex(p.dimensionOrder, p.sizeZ, p.sizeC, p.sizeT, td.firstZ, td.firstC, td.firstT)).toBe(
          td.ifd,
        );
        expect(planeCoords(p.dimensionOrder, p.sizeZ, p.sizeC, p.sizeT, td.ifd)).toEqual({
          z: td.firstZ,
          c: td.firstC,
          t: td.firstT,
        });
        checked++;
      }
    }
    expect(checked).toBe(60); // 2 positions × 5 Z × 3 C × 2 T
  });
});
