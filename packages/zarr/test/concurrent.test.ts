/**
 * Acceptance 4: two processes appending disjoint halves of one store produce the same store, byte for byte,
 * as one process writing it all (pyramid level included). Also: appends in unaligned parts, one after the
 * other, merge with what is on disk (read-modify-write) to the same store.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/env.js';
import { ZarrWriter } from '../src/writer/index.js';
import { band, metadata, OPTIONS, SHAPE } from './support/image.js';

const TMP = join('/tmp', `bfio-zarr-concurrent-${process.pid}`);
const WORKER = join(import.meta.dirname, 'support', 'append-worker.ts');

function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return out;
}

function runWorker(store: string, y0: number, y1: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, store, String(y0), String(y1)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err}`)),
    );
  });
}

async function writeAll(path: string, parts: Array<[number, number]>): Promise<void> {
  const w = await ZarrWriter.create(path, metadata(), 'uint16', { ...OPTIONS, overwrite: true });
  for (const [y0, y1] of parts) {
    const { region, data } = band(y0, y1);
    await w.writeRegion(region, data);
  }
  await w.close();
}

async function append(path: string, y0: number, y1: number): Promise<void> {
  const w = await ZarrWriter.create(path, metadata(), 'uint16', { ...OPTIONS, append: true });
  const { region, data } = band(y0, y1);
  await w.writeRegion(region, data);
  await w.close();
}

describe('concurrent and appending writers', () => {
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('two processes writing disjoint halves give the same store as one process', async () => {
    const one = join(TMP, 'one.ome.zarr');
    const two = join(TMP, 'two.ome.zarr');
    await writeAll(one, [[0, SHAPE.Y]]);
    // The store is created (empty) first; both processes then append at the same time. The split is on a
    // multiple of chunk × 2^levels rows, so no chunk of any level is shared.
    await writeAll(two, []);
    await Promise.all([runWorker(two, 0, 128), runWorker(two, 128, SHAPE.Y)]);
    const a = tree(one);
    const b = tree(two);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    // 2 channels × 4 × 4 chunks at level 0, 2 × 2 × 2 at level 1.
    expect([...a.keys()].filter((k) => k.startsWith('0/c/')).length).toBe(32);
    expect([...a.keys()].filter((k) => k.startsWith('1/c/')).length).toBe(8);
    for (const [k, v] of a) expect(b.get(k)?.equals(v), k).toBe(true);
  });

  it('appends of unaligned parts, one after another, merge with the stored chunks', async () => {
    const one = join(TMP, 'one-b.ome.zarr');
    const parts = join(TMP, 'parts.ome.zarr');
    await writeAll(one, [[0, SHAPE.Y]]);
    await writeAll(parts, [[0, 100]]);
    await append(parts, 100, 171);
    await append(parts, 171, SHAPE.Y);
    const a = tree(one);
    const b = tree(parts);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k)?.equals(v), k).toBe(true);
  });
});
