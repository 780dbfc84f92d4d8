/**
 * `bfio convert PATTERN OUT`: file patterns (WIPP/PolusAI filepattern syntax) read as one image. Real tiles
 * from ../shared/data/wipp/PyramidBuilding (376×281 uint16, LZW) linked into temp folders: a 3 × 4 grid
 * stitched with --grid r,c must equal numpy's np.block of the same files read by tifffile (output read by
 * zarr-python); the same files named as Z/C planes must equal np.stack (output read by tifffile); a missing
 * tile is the fill value plus a warning naming it; a tile of another size and a pattern matching nothing are
 * typed errors naming the file / the pattern; and converting an 8 × 8 grid of 2048² tiles (512 MiB) grows
 * the process's peak memory by far less than the mosaic (a child process measures its maxRSS).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, BioWriter, isBfioError } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';
import '../src/sequence/sequence-backend.js';

const TILES = dataPath('wipp/PyramidBuilding/inputCollection');
const tile = (r: number, c: number) => join(TILES, `img_r00${r}_c00${c}.ome.tif`);
const OTHER_SIZE = dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff'); // uint16 YX, not 376×281

const PEER = `
import json, sys
import numpy as np, tifffile, zarr
job = json.load(sys.stdin)
def zarr_yx(path):
    a = zarr.open_group(path, mode='r')['0'][...]
    return a.reshape(a.shape[-2:]) if a.size == a.shape[-1] * a.shape[-2] else a
def block(rows, fill):
    ref = tifffile.imread(next(f for row in rows for f in row if f))
    return np.block([[tifffile.imread(f) if f else np.full_like(ref, fill) for f in row] for row in rows])
out = {}
for name in ('grid', 'missing'):
    want = block(job[name]['rows'], job[name].get('fill', 0))
    got = zarr_yx(job[name]['out'])
    out[name] = {'shape': list(got.shape), 'want': list(want.shape), 'equal': bool(np.array_equal(got, want)),
                 'dtype': str(got.dtype)}
want = np.stack([np.stack([tifffile.imread(f) for f in zs]) for zs in job['stack']['planes']])  # Z, C, Y, X
with tifffile.TiffFile(job['stack']['out']) as tf:
    s = tf.series[0]
    got = s.asarray()
    axes = s.axes
order = [axes.index(a) for a in 'ZCYX']
got = np.transpose(got, order)
out['stack'] = {'axes': axes, 'shape': list(got.shape), 'want': list(want.shape), 'equal': bool(np.array_equal(got, want))}
print(json.dumps(out))
`;

interface Compared {
  shape: number[];
  want: number[];
  equal: boolean;
}

describe.skipIf(!available('python', 'data'))('file pattern sequences', () => {
  let dir: string;
  let peer: { grid: Compared; missing: Compared; stack: Compared & { axes: string } };
  const warnings: string[] = [];
  const gridRows = [1, 2, 3].map((r) => [1, 2, 3, 4].map((c) => tile(r, c)));
  const MISSING = [2, 3] as const; // row 2, column 3 (1-based names)
  const planes = [0, 1, 2].map((z) => [0, 1].map((c) => tile(z + 1, c + 1))); // Z × C

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-seq-'));
    for (const sub of ['grid', 'missing', 'stack', 'mismatch']) mkdirSync(join(dir, sub));
    for (const [r, row] of gridRows.entries())
      for (const [c, file] of row.entries()) {
        const name = `img_r00${r + 1}_c00${c + 1}.ome.tif`;
        symlinkSync(file, join(dir, 'grid', name));
        if (r + 1 !== MISSING[0] || c + 1 !== MISSING[1]) symlinkSync(file, join(dir, 'missing', name));
        symlinkSync(r === 0 && c === 1 ? OTHER_SIZE : file, join(dir, 'mismatch', name));
      }
    for (const [z, zs] of planes.entries())
      for (const [c, file] of zs.entries())
        symlinkSync(file, join(dir, 'stack', `plane_z${String(z).padStart(3, '0')}_c${c}.tif`));
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      const runs = [
        await cli(
          'convert',
          join(dir, 'grid', 'img_r{r:ddd}_c{c:ddd}.ome.tif'),
          join(dir, 'grid.ome.zarr'),
          '--grid',
          'r,c',
          '--tile-size',
          '256',
        ),
        await cli(
          'convert',
          join(dir, 'missing', 'img_r{r:d+}_c{c:d+}.ome.tif'),
          join(dir, 'missing.ome.zarr'),
          '--grid',
          'r,c',
          '--fill-value',
          '7',
        ),
        await cli('convert', join(dir, 'stack', 'plane_z{z:ddd}_c{c:d}.tif'), join(dir, 'stack.ome.tif')),
      ];
      for (const run of runs) expect(run, run.err).toMatchObject({ code: 0 });
    } finally {
      spy.mockRestore();
    }
    peer = await runPythonJson(PEER, {
      grid: { rows: gridRows, out: join(dir, 'grid.ome.zarr') },
      missing: {
        rows: gridRows.map((row, r) =>
          row.map((f, c) => (r + 1 === MISSING[0] && c + 1 === MISSING[1] ? null : f)),
        ),
        out: join(dir, 'missing.ome.zarr'),
        fill: 7,
      },
      stack: { planes, out: join(dir, 'stack.ome.tif') },
    });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stitches a 3 × 4 grid exactly as np.block of the tiles read by tifffile', () => {
    expect(peer.grid.want).toEqual([3 * 281, 4 * 376]);
    expect(peer.grid).toMatchObject({ shape: peer.grid.want, equal: true });
  });

  it('stacks per-plane files along Z and C exactly as np.stack', () => {
    expect(peer.stack.want).toEqual([3, 2, 281, 376]);
    expect(peer.stack).toMatchObject({ shape: peer.stack.want, equal: true });
  });

  it('one read across Z planes and reordered channels places every file where its own reader says', async () => {
    await using br = await BioReader.open(join(dir, 'stack', 'plane_z{z:ddd}_c{c:d}.tif'), {
      backend: 'filepattern',
    });
    // Y 100..200 and X 300..376 of Z 0..3, channels [1, 0] (reversed): planar C, Z, Y, X.
    const got = await br.read({ X: [300, 376], Y: [100, 200], Z: [0, 3], C: [1, 0] }, { squeeze: false });
    const parts: number[] = [];
    for (const c of [1, 0])
      for (let z = 0; z < 3; z++) {
        await using one = await BioReader.open(planes[z]![c]!);
        parts.push(...(await one.read({ X: [300, 376], Y: [100, 200] })).data);
      }
    expect(Array.from(got.data)).toEqual(parts);
  });

  it('fills a missing tile with the fill value and warns naming it', async () => {
    expect(peer.missing).toMatchObject({ shape: [3 * 281, 4 * 376], equal: true });
    const warning = warnings.join('');
    expect(warning).toMatch(/warning: 1 of 12 files .* missing/);
    expect(warning).toContain('img_r2_c3.ome.tif');
    expect(warning).toContain('fill value 7');
    // The fill value through the library: the missing tile's box holds it, a present tile its pixels.
    await using br = await BioReader.open(join(dir, 'missing', 'img_r{r:ddd}_c{c:ddd}.ome.tif'), {
      backend: 'filepattern',
      grid: ['r', 'c'],
      fillValue: 9,
    });
    const hole = await br.read({ X: [2 * 376, 3 * 376], Y: [281, 2 * 281] });
    expect(new Set(hole.data)).toEqual(new Set([9]));
    await using one = await BioReader.open(tile(2, 2));
    const next = await br.read({ X: [376, 2 * 376], Y: [281, 2 * 281] });
    expect(next.data).toEqual((await one.read()).data);
    // --strict (strict: true) makes the hole an error naming the pattern.
    const strict = await BioReader.open(join(dir, 'missing', 'img_r{r:ddd}_c{c:ddd}.ome.tif'), {
      backend: 'filepattern',
      grid: ['r', 'c'],
      strict: true,
    }).catch((e) => e);
    expect(isBfioError(strict, 'invalid-data')).toBe(true);
    expect(strict.message).toContain('img_r002_c003.ome.tif');
  });

  it('refuses tiles of another size with a typed error naming the file', async () => {
    const pattern = join(dir, 'mismatch', 'img_r{r:ddd}_c{c:ddd}.ome.tif');
    const run = await cli('convert', pattern, join(dir, 'mismatch.ome.zarr'), '--grid', 'r,c');
    expect(run.code).toBe(2);
    expect(run.err).toContain(join(dir, 'mismatch', 'img_r001_c002.ome.tif'));
    const err = await BioReader.open(pattern, { backend: 'filepattern', grid: 'r,c' }).catch((e) => e);
    expect(isBfioError(err, 'invalid-data')).toBe(true);
    expect(err.file).toBe(join(dir, 'mismatch', 'img_r001_c002.ome.tif'));
  });

  it('a pattern matching nothing is a typed error naming the pattern', async () => {
    const pattern = join(dir, 'grid', 'img_x{x:ddd}_y{y:ddd}.ome.tif');
    const run = await cli('convert', pattern, join(dir, 'none.ome.zarr'), '--grid', 'y,x');
    expect(run.code).toBe(2);
    expect(run.err).toContain(pattern);
    const err = await BioReader.open(pattern, { backend: 'filepattern' }).catch((e) => e);
    expect(isBfioError(err, 'invalid-data')).toBe(true);
    expect(err.file).toBe(pattern);
  });

  it('a grid variable the pattern lacks, or an unmapped varying variable, is a usage-level error', async () => {
    const pattern = join(dir, 'grid', 'img_r{r:ddd}_c{c:ddd}.ome.tif');
    expect((await cli('convert', pattern, join(dir, 'x.ome.zarr'), '--grid', 'r,q')).err).toMatch(
      /'q'.*not a variable/,
    );
    expect((await cli('convert', pattern, join(dir, 'x.ome.zarr'))).err).toMatch(/'r'.*--grid ROW,COL/);
    expect((await cli('convert', tile(1, 1), join(dir, 'x.ome.zarr'), '--grid', 'r,c')).code).toBe(1);
    expect((await cli('convert', join(dir, 'grid', 'img_r{r:x}.tif'), join(dir, 'x.ome.zarr'))).err).toMatch(
      /unknown type 'x'/,
    );
  });

  it('letter values of a c variable become the channel names, in sorted order', async () => {
    const named = join(dir, 'named');
    mkdirSync(named);
    symlinkSync(tile(1, 1), join(named, 'img_GFP.tif'));
    symlinkSync(tile(1, 2), join(named, 'img_DAPI.tif'));
    await using br = await BioReader.open(join(named, 'img_{c:c+}.tif'), { backend: 'filepattern' });
    expect([br.X, br.Y, br.C]).toEqual([376, 281, 2]);
    expect(br.channelNames).toEqual(['DAPI', 'GFP']);
    await using dapi = await BioReader.open(tile(1, 2));
    expect((await br.read({ C: [0] })).data).toEqual((await dapi.read()).data);
  });

  it('converts a 512 MiB mosaic with peak memory far below its size', async () => {
    // One 2048² uint16 tiled TIFF linked 64 times: an 8 × 8 grid (512 MiB), against a 1 × 1 grid first.
    const big = join(dir, 'big');
    mkdirSync(big);
    const src = join(big, 'src.ome.tif');
    {
      const bw = await BioWriter.create(src, {
        metadata: createOme({ sizeX: 2048, sizeY: 2048, type: 'uint16' }),
        tileSize: 1024,
        compression: 'none',
      });
      // Zeros, uncompressed: reading and encoding stay quick, while every file is still 8 MiB of pixels.
      const plane = new Uint16Array(2048 * 2048);
      await bw.write({ data: plane, shape: [2048, 2048] });
      await bw.close();
    }
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) {
        symlinkSync(src, join(big, `t_r${r}_c${c}.ome.tif`));
        if (r === 0 && c === 0) symlinkSync(src, join(big, `one_r${r}_c${c}.ome.tif`));
      }
    const script = join(big, 'measure.mts');
    writeFileSync(
      script,
      `import { main } from ${JSON.stringify(join(REPO_ROOT, 'apps/cli/src/cli.ts'))};
const io = { out: () => {}, err: (s: string) => console.error(s) };
const run = async (p: string, o: string) => {
  if ((await main(['convert', p, o, '--grid', 'r,c', '--tile-size', '1024'], io)) !== 0) process.exit(1);
  return process.resourceUsage().maxRSS * 1024;
};
const small = await run(${JSON.stringify(join(big, 'one_r{r:d}_c{c:d}.ome.tif'))}, ${JSON.stringify(join(big, 'one.ome.zarr'))});
const large = await run(${JSON.stringify(join(big, 't_r{r:d}_c{c:d}.ome.tif'))}, ${JSON.stringify(join(big, 'all.ome.zarr'))});
console.log(JSON.stringify({ small, large }));
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, BFIO_MAX_READ_BYTES: String(16 * 2 ** 20) },
      timeout: 90_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const { small, large } = JSON.parse(child.stdout.trim().split('\n').pop()!);
    const mosaic = 16384 * 16384 * 2;
    // The whole mosaic in memory would add 512 MiB; tile by tile adds a few tiles, open readers and what
    // the GC has not yet freed (measured: about 110-160 MiB for 4 × 4, 6 × 6 and 8 × 8 grids alike).
    expect(large - small, `peak RSS grew ${((large - small) / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(
      mosaic / 2,
    );
    await using out = await BioReader.open(join(big, 'all.ome.zarr'));
    expect([out.X, out.Y]).toEqual([16384, 16384]);
  }, 120_000);
});
