/**
 * OME plane ordering. In a DimensionOrder such as XYZCT the first letter after XY varies fastest:
 * index = z + sizeZ * (c + sizeC * t) for XYZCT.
 */
import type { DimensionOrder } from './model.js';

export interface PlaneCoords {
  z: number;
  c: number;
  t: number;
}

function axes(order: DimensionOrder): ['Z' | 'C' | 'T', 'Z' | 'C' | 'T', 'Z' | 'C' | 'T'] {
  if (!/^XY(ZCT|ZTC|CTZ|CZT|TCZ|TZC)$/.test(order)) throw new RangeError(`unknown DimensionOrder '${order}'`);
  return [order[2], order[3], order[4]] as ['Z' | 'C' | 'T', 'Z' | 'C' | 'T', 'Z' | 'C' | 'T'];
}

function checkIndex(name: string, value: number, size: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= size) {
    throw new RangeError(`${name}=${value} is outside [0, ${size})`);
  }
}

/** Linear plane index of (z, c, t). Throws RangeError for out-of-range coordinates. */
export function planeIndex(
  dimensionOrder: DimensionOrder,
  sizeZ: number,
  sizeC: number,
  sizeT: number,
  z: number,
  c: number,
  t: number,
): number {
  checkIndex('z', z, sizeZ);
  checkIndex('c', c, sizeC);
  checkIndex('t', t, sizeT);
  const size = { Z: sizeZ, C: sizeC, T: sizeT };
  const at = { Z: z, C: c, T: t };
  const [a, b, d] = axes(dimensionOrder);
  return at[a] + size[a] * (at[b] + size[b] * at[d]);
}

/** Inverse of planeIndex. Throws RangeError when index ≥ sizeZ·sizeC·sizeT. */
export function planeCoords(
  dimensionOrder: DimensionOrder,
  sizeZ: number,
  sizeC: number,
  sizeT: number,
  index: number,
): PlaneCoords {
  checkIndex('plane index', index, sizeZ * sizeC * sizeT);
  const size = { Z: sizeZ, C: sizeC, T: sizeT };
  const [a, b, d] = axes(dimensionOrder);
  const out = { Z: 0, C: 0, T: 0 };
  out[a] = index % size[a];
  const rest = Math.floor(index / size[a]);
  out[b] = rest % size[b];
  out[d] = Math.floor(rest / size[b]);
  return { z: out.Z, c: out.C, t: out.T };
}
