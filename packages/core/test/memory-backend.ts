/**
 * An in-memory backend used only by core's tests: it stores whole images in a Map keyed by path, so
 * core's semantics (regions, squeeze, locking, errors, selection) can be tested without any file format.
 * The real proof of the contract is in the TIFF, Zarr and Bio-Formats backends' own tests.
 */
import { writeFileSync } from 'node:fs';
import type { OME } from '@bfio/ome-xml';
import { type Backend, type Region, SPECIFICATION_VERSION } from '../src/backend-api.js';
import { allocate, type DType, dtypeFromPixelType, type TypedArray } from '../src/index.js';

interface Stored {
  metadata: OME;
  dtype: DType;
  /** Full image, planar T,C,Z,Y,X. */
  data: TypedArray;
}

export const store = new Map<string, Stored>();

function sizes(ome: OME) {
  const p = ome.images[0]!.pixels;
  return { X: p.sizeX, Y: p.sizeY, Z: p.sizeZ, C: p.sizeC, T: p.sizeT };
}

/** Index of pixel (x, y, z, c, t) in a planar T,C,Z,Y,X buffer of the given sizes. */
export function planarIndex(
  s: { X: number; Y: number; Z: number; C: number },
  x: number,
  y: number,
  z: number,
  c: number,
  t: number,
) {
  return (((t * s.C + c) * s.Z + z) * s.Y + y) * s.X + x;
}

function copyRegion(
  full: TypedArray,
  s: ReturnType<typeof sizes>,
  region: Region,
  part: TypedArray,
  direction: 'read' | 'write',
) {
  let i = 0;
  for (const t of region.t)
    for (const c of region.c)
      for (let z = region.z[0]; z < region.z[1]; z++)
        for (let y = region.y[0]; y < region.y[1]; y++)
          for (let x = region.x[0]; x < region.x[1]; x++, i++) {
            const j = planarIndex(s, x, y, z, c, t);
            if (direction === 'read') part[i] = full[j]!;
            else full[j] = part[i]!;
          }
}

export const memoryBackend: Backend = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'memory',
  packageName: '@bfio/test-memory',
  extensions: ['.mem', '.ome.mem'],
  writeExtensions: ['.mem'],
  async canOpen(input) {
    return store.has(input.path) ? true : 'not in the memory store';
  },
  async open(path) {
    const stored = store.get(path)!;
    const s = sizes(stored.metadata);
    return {
      format: 'memory',
      metadata: stored.metadata,
      series: [
        {
          imageIndex: 0,
          dtype: stored.dtype,
          levels: [{ sizeX: s.X, sizeY: s.Y, sizeZ: s.Z, sizeC: s.C, sizeT: s.T }],
        },
      ],
      async readRegion(_sel, region, out) {
        copyRegion(stored.data, s, region, out, 'read');
      },
      async close() {},
    };
  },
  async create(path, metadata, dtype) {
    const s = sizes(metadata);
    if (dtype !== dtypeFromPixelType(metadata.images[0]!.pixels.type))
      throw new Error('dtype and metadata disagree');
    const data = allocate(dtype, s.X * s.Y * s.Z * s.C * s.T);
    return {
      async writeRegion(region, part) {
        copyRegion(data, s, region, part, 'write');
      },
      async close() {
        store.set(path, { metadata, dtype, data });
        writeFileSync(path, 'MEMORY');
      },
      async abort() {},
    };
  },
};
