/**
 * The storage failing under `bfio convert`: a full disk (a 1 MiB tmpfs the test mounts; where mounting is
 * not permitted, ENOSPC injected by fault-shim.c), EIO on write and on fsync of the output, EIO reading the
 * source. Each is a typed error naming the file and what to do, exit 3 for the output and 2 for the input,
 * and nothing that looks like an image is left at the target (nor our temporaries beside it); a previous
 * image being replaced stays byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, IN_CI, which } from '../../../test-support/env.js';
import { buildShim, faultEnv, type Run, runCli, treeDigest } from './fault-support.js';

/** 1080×1080 uint16 (2.2 MiB of pixels): more than the small file system holds, uncompressed or not. */
const SOURCE = dataPath('polus-image-tools/r01_c01_x01_y01_z01.ome.tif');
/** A small image (150 KB as OME-TIFF) that fits, to be replaced. */
const SMALL = dataPath('exampletiffs/ometiff_testdata/singles/4D-series.ome.tif');

const OUTPUTS = [
  { name: 'out.ome.tif', args: ['--compression', 'none'] },
  { name: 'out.ome.zarr', args: ['--ngff-version', '0.5'] },
  { name: 'out.ome.zarr', args: ['--ngff-version', '0.4'] },
];

const hasGcc = which('gcc') !== undefined;
if (!hasGcc) {
  if (IN_CI) throw new Error('CI=true but gcc (to build the fault-injection shim) is missing');
  console.warn('\n!!! SKIPPING fault-injection tests: gcc is not installed\n');
}

/** The output failed: exit 3, a message naming it and the remedy, nothing left in `dir` but `keep`. */
function expectOutputFailure(r: Run, target: string, cause: RegExp, dir: string, keep: string[] = []): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toContain(`Cannot write ${target}`);
  expect(r.stderr).toMatch(cause);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(readdirSync(dir).sort()).toEqual(keep);
}

describe.skipIf(!hasGcc || !available('data'))('bfio convert when the storage fails', () => {
  let root: string;
  let shim: string;
  /** The full-disk folder: a mounted 1 MiB tmpfs, or (mount refused) a plain folder with ENOSPC injected. */
  let small: string;
  let mounted = false;
  let fullDiskEnv: Record<string, string> = {};

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bfio-faults-'));
    shim = buildShim();
    small = join(root, 'small');
    mkdirSync(small);
    // BFIO_TEST_NO_MOUNT=1 takes the fallback, to test it where mounting works.
    const mount = process.env.BFIO_TEST_NO_MOUNT
      ? { status: 1, stderr: 'BFIO_TEST_NO_MOUNT is set' }
      : spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small], { encoding: 'utf8' });
    mounted = mount.status === 0;
    if (!mounted) {
      console.warn(`mount refused (${mount.stderr.trim()}): ENOSPC is injected after 1 MiB instead`);
      fullDiskEnv = faultEnv(shim, { path: `${small}/`, op: 'write', errno: 'ENOSPC', after: 1 << 20 });
    }
  });

  afterAll(() => {
    if (mounted) spawnSync('umount', [small]);
    if (root) rmSync(root, { recursive: true, force: true });
    if (shim) rmSync(join(shim, '..'), { recursive: true, force: true });
  });

  it.each(OUTPUTS)('a full disk: $name $args → exit 3, nothing left', async ({ name, args }) => {
    const target = join(small, name);
    const r = await runCli(['convert', SOURCE, target, '--tile-size', '256', ...args], fullDiskEnv);
    expectOutputFailure(
      r,
      target,
      /no space is left on the device; free space on it or write elsewhere/,
      small,
    );
  });

  it('a full disk while replacing an image keeps the previous one byte for byte', async () => {
    const target = join(small, 'prev.ome.tif');
    const made = await runCli(['convert', SMALL, target]);
    expect(made.code, made.stderr).toBe(0);
    const before = treeDigest(target);
    const r = await runCli(
      ['convert', SOURCE, target, '--overwrite', '--compression', 'none', '--tile-size', '256'],
      fullDiskEnv,
    );
    expectOutputFailure(r, target, /\(ENOSPC\)/, small, ['prev.ome.tif']);
    expect(treeDigest(target)).toBe(before);
    rmSync(target);
  });

  describe.each([
    { op: 'write' as const, after: 0 },
    { op: 'write' as const, after: 300_000 },
    { op: 'fsync' as const, after: 0 },
  ])('EIO on $op of the output after $after bytes', ({ op, after }) => {
    it.each(OUTPUTS.slice(0, op === 'fsync' ? 1 : 2))(
      '$name → exit 3, nothing left',
      async ({ name, args }) => {
        const dir = join(root, `eio-${op}-${after}-${name}`);
        mkdirSync(dir);
        const target = join(dir, name);
        const r = await runCli(
          ['convert', SOURCE, target, '--tile-size', '256', ...args],
          faultEnv(shim, { path: `${dir}/`, op, after }),
        );
        expectOutputFailure(r, target, /the device reported an I\/O error.*\(EIO\)/, dir);
      },
    );
  });

  it('EIO on fsync while replacing an image keeps the previous one', async () => {
    const dir = join(root, 'eio-fsync-replace');
    mkdirSync(dir);
    const target = join(dir, 'prev.ome.tif');
    const made = await runCli(['convert', SMALL, target]);
    expect(made.code, made.stderr).toBe(0);
    const before = treeDigest(target);
    const r = await runCli(
      ['convert', SOURCE, target, '--overwrite', '--tile-size', '256'],
      faultEnv(shim, { path: `${dir}/`, op: 'fsync' }),
    );
    expectOutputFailure(r, target, /\(EIO\)/, dir, ['prev.ome.tif']);
    expect(treeDigest(target)).toBe(before);
  });

  describe('EIO reading the source → exit 2, a typed input error naming it', () => {
    let zarrSource: string;
    beforeAll(async () => {
      zarrSource = join(root, 'source.ome.zarr');
      const r = await runCli(['convert', SOURCE, zarrSource, '--tile-size', '256']);
      expect(r.code, r.stderr).toBe(0);
    });

    // 0: the format probe's first read; 1 MB: tile reads (on the codec workers' descriptor).
    it.each([
      { source: 'tiff', after: 0 },
      { source: 'tiff', after: 1_000_000 },
      { source: 'zarr', after: 0 },
      { source: 'zarr', after: 500_000 },
    ])('$source source, failing after $after bytes', async ({ source, after }) => {
      const input = source === 'tiff' ? SOURCE : zarrSource;
      const dir = join(root, `eio-read-${source}-${after}`);
      mkdirSync(dir);
      const target = join(dir, 'out.ome.tif');
      // The shim matches /proc/self/fd names, which are real paths: the data folder may be reached by a symlink.
      const r = await runCli(
        ['convert', input, target],
        faultEnv(shim, { path: realpathSync(input), op: 'read', after }),
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/Cannot read \S+.*the device reported an I\/O error.*\(EIO\)/);
      expect(r.stderr).toContain(input);
      expect(r.stderr).not.toMatch(/corrupt|unexpected error|\n\s+at /);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
