/**
 * The page of browser-memory.test.ts: @bfio/core and @bfio/zarr bundled for the browser, writing OME-Zarr
 * stores into the page's in-memory file system with BioWriter and reading them back with BioReader.
 */
import { BioReader, BioWriter, memoryFiles, NDArray } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';

export interface MemoryWriteSpec {
  path: string;
  compression: 'none' | 'zstd' | 'zlib';
  ngffVersion: '0.4' | '0.5';
  shards?: [number, number, number, number, number];
  pyramidLevels?: number;
}

/** The image every test writes: X×Y×Z×C uint16, each value a function of its coordinates. */
export const SIZE = { X: 90, Y: 70, Z: 3, C: 2 };
const value = (x: number, y: number, z: number, c: number) => (x * 7 + y * 13 + z * 101 + c * 1009) % 65536;

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function write(spec: MemoryWriteSpec) {
  const { X, Y, Z, C } = SIZE;
  const bw = await BioWriter.create(spec.path, {
    X,
    Y,
    Z,
    C,
    T: 1,
    dtype: 'uint16',
    compression: spec.compression,
    ngffVersion: spec.ngffVersion,
    chunks: [1, 1, 1, 32, 32],
    ...(spec.shards ? { shards: spec.shards } : {}),
    pyramidLevels: spec.pyramidLevels ?? 0,
  });
  for (let z = 0; z < Z; z++)
    for (let c = 0; c < C; c++) {
      const plane = new Uint16Array(Y * X);
      for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) plane[y * X + x] = value(x, y, z, c);
      await bw.write(new NDArray(plane, [Y, X]), { Z: z, C: [c] });
    }
  await bw.close();

  const files: Record<string, string> = {};
  for (const p of memoryFiles.list(spec.path))
    files[p.slice(spec.path.length + 1)] = base64(memoryFiles.read(p)!);

  const reader = await BioReader.open(spec.path);
  try {
    const { data } = await reader.read({}, { squeeze: false, shared: false });
    let mismatches = 0;
    let i = 0;
    for (let c = 0; c < C; c++)
      for (let z = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++) if ((data as Uint16Array)[i++] !== value(x, y, z, c)) mismatches++;
    return { files, mismatches, backend: reader.backendName, levels: reader.levelCount, shape: reader.shape };
  } finally {
    await reader.close();
  }
}

/** What a call throws, as plain data. */
async function errorOf(run: () => Promise<unknown>) {
  try {
    await run();
    return null;
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    return { name: e.name, code: e.code, message: e.message };
  }
}

const bfioMemory = {
  write,
  /** Writing over an existing in-memory store without `overwrite`, and writing a TIFF, are typed errors. */
  refusals: (path: string) =>
    Promise.all([
      errorOf(() => BioWriter.create(path, { X: 4, Y: 4, dtype: 'uint8' })),
      errorOf(async () => {
        const bw = await BioWriter.create('/out.ome.tif', { X: 4, Y: 4, dtype: 'uint8' });
        await bw.close();
      }),
    ]),
  clear: (path: string) => memoryFiles.remove(path),
};

/** What the page puts on `globalThis` for the test (no DOM types needed on the Node side). */
export interface MemoryPageGlobals {
  bfioMemory: typeof bfioMemory;
}
(globalThis as unknown as MemoryPageGlobals).bfioMemory = bfioMemory;
