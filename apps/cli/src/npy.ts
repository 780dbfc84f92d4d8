/**
 * NumPy `.npy` (format 1.0) writer, so a region read by `bfio read` can be checked with `numpy.load`.
 */
import { writeFile } from 'node:fs/promises';
import { type NDArray, numpyTypestr } from '@bfio/core';

/** The .npy bytes of `array` in C order (copying only when its layout is not C order already). */
export function encodeNpy(array: NDArray): Uint8Array {
  const c = array.toContiguous();
  const shape = c.shape.length === 1 ? `(${c.shape[0]},)` : `(${c.shape.join(', ')})`;
  let header = `{'descr': '${numpyTypestr(c.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = `${header}${' '.repeat(pad % 64)}\n`;
  const out = new Uint8Array(10 + header.length + c.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  // Typed arrays are host-endian; every platform Node supports here is little-endian, as the descr says.
  out.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), 10 + header.length);
  return out;
}

export async function writeNpy(path: string, array: NDArray): Promise<void> {
  await writeFile(path, encodeNpy(array));
}
