/**
 * The writer's failure behaviour: typed errors for misuse, no file at the target unless close() succeeded
 * (abort, or a process killed mid-write), and the existing-target rule.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBfioError } from '@bfio/core';
import type { Region } from '@bfio/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTiffWriter } from '../src/writer/index.js';
import { makeImage, omeFor } from './writer-fixtures.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = resolve(HERE, '..');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-writer-errors-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const img = makeImage(3, 'uint16', { sizeX: 70, sizeY: 50, sizeZ: 1, sizeC: 2, sizeT: 1 }, 'XYZCT');
const full: Region = { x: [0, 70], y: [0, 50], z: [0, 1], c: [0], t: [0] };

async function expectTag(promise: Promise<unknown>, tag: string, mentions?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a '${tag}' error`).toBeDefined();
  expect(isBfioError(error), String(error)).toBe(true);
  expect((error as { tag: string }).tag).toBe(tag);
  if (mentions) expect((error as Error).message).toContain(mentions);
}

/** The target's directory holds nothing but what the test put there. */
function leftovers(target: string): string[] {
  const name = target.split('/').pop()!;
  return readdirSync(dirname(target)).filter((f) => f === name || f.startsWith(`.${name}.bfio-tmp-`));
}

describe('TIFF writer misuse', () => {
  it('rejects writes after close and after abort (ClosedError)', async () => {
    const path = join(dir, 'closed.ome.tif');
    const w = await createTiffWriter(path, omeFor(img), 'uint16', { tileSize: 16 });
    await w.close();
    await expectTag(w.writeRegion(full, new Uint16Array(70 * 50)), 'closed', path);
    const path2 = join(dir, 'aborted.ome.tif');
    const w2 = await createTiffWriter(path2, omeFor(img), 'uint16', { tileSize: 16 });
    await w2.abort();
    await expectTag(w2.writeRegion(full, new Uint16Array(70 * 50)), 'closed', path2);
  });

  it('rejects the wrong dtype, the wrong length, repeated channels and out-of-range regions', async () => {
    const path = join(dir, 'invalid.ome.tif');
    const w = await createTiffWriter(path, omeFor(img), 'uint16', { tileSize: 16 });
    await expectTag(w.writeRegion(full, new Float32Array(70 * 50)), 'invalid-data', path);
    await expectTag(w.writeRegion(full, new Uint16Array(70 * 50 - 1)), 'invalid-data', path);
    await expectTag(
      w.writeRegion({ ...full, c: [1, 1] }, new Uint16Array(2 * 70 * 50)),
      'invalid-data',
      path,
    );
    await expectTag(w.writeRegion({ ...full, x: [0, 71] }, new Uint16Array(71 * 50)), 'out-of-range', path);
    await expectTag(w.writeRegion({ ...full, c: [2] }, new Uint16Array(70 * 50)), 'out-of-range', path);
    // A tile completed by one write cannot be written again (its bytes are already in the file).
    await w.writeRegion({ ...full, x: [0, 16], y: [0, 16] }, new Uint16Array(256));
    await expectTag(
      w.writeRegion({ ...full, x: [8, 9], y: [8, 9] }, new Uint16Array(1)),
      'invalid-data',
      path,
    );
    await w.abort();
  });

  it('rejects bad options and metadata before creating anything', async () => {
    const path = join(dir, 'options.ome.tif');
    const ome = omeFor(img);
    await expectTag(createTiffWriter(path, ome, 'uint16', { tileSize: 100 }), 'invalid-data', path);
    await expectTag(createTiffWriter(path, ome, 'uint16', { tileSize: [64, 8] }), 'invalid-data', path);
    await expectTag(createTiffWriter(path, ome, 'uint8', {}), 'invalid-data', 'uint16');
    await expectTag(createTiffWriter(path, ome, 'uint16', { pyramidLevels: 6 }), 'invalid-data', path);
    await expectTag(createTiffWriter(path, ome, 'uint16', { compression: 'blosc-lz4' }), 'unsupported', path);
    await expectTag(
      createTiffWriter(path, ome, 'uint16', { compression: 'none', predictor: true }),
      'invalid-data',
    );
    // WIPP files hold one channel and one timepoint.
    await expectTag(createTiffWriter(path, ome, 'uint16', { wipp: true }), 'invalid-data', 'C=2');
    expect(leftovers(path)).toEqual([]);
    const nowhere = join(dir, 'no-such-dir', 'x.ome.tif');
    await expectTag(createTiffWriter(nowhere, ome, 'uint16', {}), 'invalid-data', nowhere);
  });

  it('refuses an existing target unless overwrite, and replaces it with overwrite', async () => {
    const path = join(dir, 'exists.ome.tif');
    writeFileSync(path, 'not a tiff');
    await expectTag(createTiffWriter(path, omeFor(img), 'uint16', {}), 'file-exists', path);
    expect(readFileSync(path, 'utf8')).toBe('not a tiff');
    const w = await createTiffWriter(path, omeFor(img), 'uint16', { overwrite: true, tileSize: 32 });
    await w.writeRegion({ ...full, c: [0, 1] }, img.planes);
    // Until close() the old file is untouched.
    expect(readFileSync(path, 'utf8')).toBe('not a tiff');
    await w.close();
    const head = readFileSync(path).subarray(0, 4);
    expect([...head]).toEqual([0x49, 0x49, 42, 0]);
    expect(leftovers(path)).toEqual(['exists.ome.tif']);
  });

  it('does not replace a target that appeared while writing (without overwrite)', async () => {
    const path = join(dir, 'race.ome.tif');
    const w = await createTiffWriter(path, omeFor(img), 'uint16', { tileSize: 32 });
    await w.writeRegion({ ...full, c: [0, 1] }, img.planes);
    writeFileSync(path, 'someone else');
    await expectTag(w.close(), 'file-exists', path);
    expect(readFileSync(path, 'utf8')).toBe('someone else');
    expect(leftovers(path)).toEqual(['race.ome.tif']);
  });

  it('abort() leaves no file, and close() on an unwritten image writes zeros', async () => {
    const path = join(dir, 'abort.ome.tif');
    const w = await createTiffWriter(path, omeFor(img), 'uint16', { tileSize: 16 });
    await w.writeRegion({ ...full, x: [3, 40], y: [5, 33] }, new Uint16Array(37 * 28).fill(7));
    expect(leftovers(path).length).toBe(1); // the hidden temporary file only
    expect(existsSync(path)).toBe(false);
    await w.abort();
    expect(leftovers(path)).toEqual([]);

    const empty = join(dir, 'empty.ome.tif');
    const e = await createTiffWriter(empty, omeFor(img), 'uint16', { tileSize: 16, compression: 'none' });
    await e.close();
    // 2 planes × 5 × 4 tiles of 16 × 16 uint16, all written (zero) and uncompressed.
    expect(statSync(empty).size).toBeGreaterThan(2 * 20 * 512);
  });

  it('a process killed mid-write leaves no file at the target path', async () => {
    const target = join(dir, 'killed.ome.tif');
    const script = join(dir, 'kill-child.mts');
    const writerUrl = new URL('../src/writer/index.ts', import.meta.url).href;
    const fixturesUrl = new URL('./writer-fixtures.ts', import.meta.url).href;
    writeFileSync(
      script,
      `
import { readdirSync, statSync } from 'node:fs';
import { createTiffWriter } from ${JSON.stringify(writerUrl)};
import { makeImage, omeFor, extract } from ${JSON.stringify(fixturesUrl)};
const img = makeImage(9, 'uint16', { sizeX: 600, sizeY: 400, sizeZ: 1, sizeC: 1, sizeT: 1 }, 'XYZCT');
const w = await createTiffWriter(${JSON.stringify(target)}, omeFor(img), 'uint16', { tileSize: 64 });
const half = { x: [0, 600], y: [0, 200], z: [0, 1], c: [0], t: [0] };
await w.writeRegion(half, extract(img, half));
// writeRegion resolves once its tiles are queued for encoding: wait for some to be in the file.
const dir = ${JSON.stringify(dir)};
const written = () => readdirSync(dir).some((f) => f.startsWith('.killed.ome.tif.bfio-tmp-') && statSync(dir + '/' + f).size > 16);
while (!written()) await new Promise((r) => setTimeout(r, 5));
console.log('half written');
process.kill(process.pid, 'SIGKILL');
`,
    );
    const { code, signal, stdout, stderr } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      stdout: string;
      stderr: string;
    }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PACKAGE_DIR });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    });
    expect(stdout, stderr).toContain('half written');
    expect(signal, `exit code ${code}: ${stderr}`).toBe('SIGKILL');
    expect(existsSync(target)).toBe(false);
    // What was written went to the hidden temporary file.
    const temps = leftovers(target);
    expect(temps.length).toBe(1);
    expect(temps[0]!.startsWith('.killed.ome.tif.bfio-tmp-')).toBe(true);
    expect(statSync(join(dir, temps[0]!)).size).toBeGreaterThan(16);
    // The next writer of the same target removes it (its process is gone); the new file is whole.
    const again = await createTiffWriter(target, omeFor(img), 'uint16', { tileSize: 16 });
    expect(leftovers(target)).toHaveLength(1); // only the new writer's own temporary
    expect(leftovers(target)[0]).not.toBe(temps[0]);
    await again.writeRegion({ ...full, c: [0, 1] }, img.planes);
    await again.close();
    expect(leftovers(target)).toEqual(['killed.ome.tif']);
  });
});
