/**
 * Writes every key of a store view to a directory (metadata documents, then every chunk of every array the
 * metadata describes), so peers that read local stores (zarr-python, ome-zarr-py, the NGFF schemas) can check
 * what the view serves. Chunks are enumerated from the served array metadata, not from the view's internals.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StoreView } from '../../src/index.js';

interface ArrayDoc {
  prefix: string;
  shape: number[];
  chunks: number[];
  chunkKey: (coords: number[]) => string;
}

function arrayOf(key: string, text: string): ArrayDoc | undefined {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const prefix = key.slice(0, key.lastIndexOf('/'));
  if (key.endsWith('/zarr.json') && doc.node_type === 'array') {
    const grid = doc.chunk_grid as { configuration: { chunk_shape: number[] } };
    return {
      prefix,
      shape: doc.shape as number[],
      chunks: grid.configuration.chunk_shape,
      chunkKey: (c) => `${prefix}/c/${c.join('/')}`,
    };
  }
  if (key.endsWith('/.zarray')) {
    const sep = (doc.dimension_separator as string | undefined) ?? '.';
    return {
      prefix,
      shape: doc.shape as number[],
      chunks: doc.chunks as number[],
      chunkKey: (c) => `${prefix}/${c.join(sep)}`,
    };
  }
  return undefined;
}

function* gridCoords(grid: number[]): Generator<number[]> {
  const c = grid.map(() => 0);
  if (grid.some((n) => n === 0)) return;
  while (true) {
    yield [...c];
    let i = grid.length - 1;
    while (i >= 0) {
      c[i] = (c[i] as number) + 1;
      if ((c[i] as number) < (grid[i] as number)) break;
      c[i] = 0;
      i--;
    }
    if (i < 0) return;
  }
}

/** Materialises `view` under `dir`; returns how many chunks were written. */
export async function materialiseView(view: StoreView, dir: string): Promise<number> {
  const decoder = new TextDecoder();
  const arrays: ArrayDoc[] = [];
  for (const key of await view.metadataKeys()) {
    const bytes = await view.get(key);
    if (!bytes) throw new Error(`metadata key ${key} listed but not served`);
    const file = join(dir, key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
    const array = key.endsWith('.ome.xml') ? undefined : arrayOf(key, decoder.decode(bytes));
    if (array) arrays.push(array);
  }
  let chunks = 0;
  for (const a of arrays) {
    const grid = a.shape.map((n, i) => Math.ceil(n / (a.chunks[i] as number)));
    for (const coords of gridCoords(grid)) {
      const key = a.chunkKey(coords);
      const bytes = await view.get(key);
      if (!bytes) throw new Error(`chunk ${key} inside the grid is not served`);
      const file = join(dir, key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
      chunks++;
    }
  }
  return chunks;
}
