import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const ok = available('data', 'python');
const dir = mkdtempSync(join(tmpdir(), 'bfio-cli-'));
const peerScript = readFileSync(new URL('./peer-views.py', import.meta.url), 'utf8');

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const FILES = [
  'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif',
  'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif',
  'polus-image-tools/bunny.ome.tif',
  'hubmap-portal-containers/geomx_ome.ome.tiff',
  'wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif',
];

interface PeerFile {
  path: string;
  shape: number[];
  dtype: string;
  levels: number;
  regions: boolean[];
}
interface PeerOutput {
  path: string;
  equal: boolean;
  shape: number[];
  want: number[];
  levels: number;
  levelShapes: number[][];
}

describe.skipIf(!ok)('bfio CLI on real files, checked by tifffile / zarr-python', () => {
  const infos = new Map<string, Record<string, any>>();
  const jobs: { files: any[]; outputs: any[] } = { files: [], outputs: [] };
  let peer: { files: PeerFile[]; outputs: PeerOutput[] };
  const source = dataPath('exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif');
  const multiSeries = dataPath(
    'exampletiffs/ometiff_testdata/singles/181003_multi_pos_time_course_1_MMStack.ome.tif',
  );
  const conversions: Array<{
    name: string;
    args: string[];
    kind: 'tiff' | 'zarr';
    sel: Record<string, unknown>;
    levels: number;
    source?: string;
    /** Files written inside `name` (a folder) or beside it, with what each must equal. */
    outputs?: Array<{ path: string; sel: Record<string, unknown> }>;
  }> = [
    {
      name: 'wipp',
      args: ['--wipp', '--max-workers', '1'],
      kind: 'tiff',
      sel: {},
      levels: 1,
      outputs: [0, 1, 2].map((c) => ({ path: `multi-channel-z-series_c${c}_t0.ome.tif`, sel: { c: [c] } })),
    },
    {
      name: 'series.ome.tif',
      args: ['--series', 'all', '--t', '0:3'],
      kind: 'tiff',
      sel: {},
      levels: 1,
      source: multiSeries,
      outputs: [0, 1].map((s) => ({ path: `../series_s${s}.ome.tif`, sel: { series: s, t: [0, 1, 2] } })),
    },
    {
      // --series all into one OME-Zarr: a bioformats2raw container, each series an image group.
      name: 'series-all.ome.zarr',
      args: ['--series', 'all', '--t', '0:3'],
      kind: 'zarr',
      sel: {},
      levels: 1,
      source: multiSeries,
      outputs: [0, 1].map((s) => ({ path: `${s}`, sel: { series: s, t: [0, 1, 2] } })),
    },
    { name: 'plain.ome.tif', args: [], kind: 'tiff', sel: {}, levels: 1 },
    {
      name: 'lzw64.ome.tif',
      args: ['--tile-size', '64', '--compression', 'lzw'],
      kind: 'tiff',
      sel: {},
      levels: 1,
    },
    {
      name: 'zstd-pyr.ome.tif',
      args: ['--compression', 'zstd', '--pyramid', '3', '--tile-size', '128'],
      kind: 'tiff',
      sel: {},
      levels: 3,
    },
    { name: 'none.ome.tif', args: ['--compression', 'none'], kind: 'tiff', sel: {}, levels: 1 },
    {
      name: 'crop.ome.tif',
      args: ['--crop', '100,20,200,90', '--channels', '1:3', '--z', '1:4'],
      kind: 'tiff',
      sel: { x: [100, 300], y: [20, 110], z: [1, 4], c: [1, 2] },
      levels: 1,
    },
    { name: 'ch.ome.tif', args: ['--channels', '2,0'], kind: 'tiff', sel: { c: [2, 0] }, levels: 1 },
    { name: 'v05.ome.zarr', args: ['--tile-size', '128'], kind: 'zarr', sel: {}, levels: 1 },
    // --format decides when the name says nothing: a Zarr store named 'forced.store'.
    {
      name: 'forced.store',
      args: ['--format', 'ome-zarr', '--compression', 'none', '--pyramid', '2'],
      kind: 'zarr',
      sel: {},
      levels: 2,
    },
    {
      // 128² chunks in 256² shards, pyramid levels sharded too.
      name: 'sharded.ome.zarr',
      args: ['--tile-size', '128', '--shard-size', '256', '--pyramid', '2'],
      kind: 'zarr',
      sel: {},
      levels: 2,
    },
    {
      name: 'v04.ome.zarr',
      args: ['--ngff-version', '0.4', '--crop', '10,10,300,150'],
      kind: 'zarr',
      sel: { x: [10, 310], y: [10, 160] },
      levels: 1,
    },
  ];

  beforeAll(async () => {
    let k = 0;
    for (const rel of FILES) {
      const path = dataPath(rel);
      const info = await bfio('info', path, '--json');
      expect(info.code, info.err).toBe(0);
      const j = JSON.parse(info.out);
      infos.set(path, j);
      // Random regions, deterministic per file.
      const regions = [];
      for (let r = 0; r < 4; r++) {
        const rnd = (n: number) => Math.floor((((k * 7919 + r * 104729 + n * 31) % 9973) / 9973) * n);
        const x0 = rnd(j.X);
        const y0 = rnd(j.Y);
        const x1 = Math.min(j.X, x0 + 1 + rnd(j.X - x0));
        const y1 = Math.min(j.Y, y0 + 1 + rnd(j.Y - y0));
        const z0 = rnd(j.Z);
        const c = r % 2 === 0 ? [j.C - 1] : Array.from({ length: j.C }, (_, i) => j.C - 1 - i);
        const npy = join(dir, `r${k}-${r}.npy`);
        const res = await bfio(
          'read',
          path,
          '--out',
          npy,
          '--x',
          `${x0}:${x1}`,
          '--y',
          `${y0}:${y1}`,
          '--z',
          `${z0}:`,
          '--c',
          c.join(','),
          '--t',
          `${j.T - 1}`,
        );
        expect(res.code, res.err).toBe(0);
        regions.push({ npy, x: [x0, x1], y: [y0, y1], z: [z0, j.Z], c, t: [j.T - 1] });
      }
      jobs.files.push({ path, regions });
      k++;
    }
    for (const c of conversions) {
      const out = join(dir, c.name);
      const res = await bfio('convert', c.source ?? source, out, ...c.args);
      expect(res.code, res.err).toBe(0);
      const outputs = c.outputs ?? [{ path: '', sel: c.sel }];
      for (const o of outputs)
        jobs.outputs.push({ path: join(out, o.path), kind: c.kind, source: c.source ?? source, sel: o.sel });
    }
    peer = await runPythonJson(peerScript, jobs);
  });

  it('info --json gives the sizes and dtype tifffile sees, with the documented keys', () => {
    for (const f of peer.files) {
      const j = infos.get(f.path)!;
      for (const key of [
        'format',
        'backend',
        'series',
        'levels',
        'X',
        'Y',
        'Z',
        'C',
        'T',
        'dtype',
        'channelNames',
        'physicalSize',
      ]) {
        expect(j, `${f.path} lacks ${key}`).toHaveProperty(key);
      }
      expect([j.Y, j.X, j.Z, j.C, j.T], f.path).toEqual(f.shape);
      expect(j.dtype, f.path).toBe(f.dtype);
      expect(j.levels, f.path).toBe(f.levels);
      expect(j.backend).toBe('tiff');
      expect(j.channelNames).toHaveLength(j.C);
    }
  });

  it('read writes .npy regions equal to tifffile reading the same region', () => {
    for (const f of peer.files) expect(f.regions, f.path).toEqual(f.regions.map(() => true));
  });

  it('convert gives files that read back pixel-identical, with exactly the sub-volume asked', () => {
    expect(peer.outputs).toHaveLength(jobs.outputs.length);
    for (const o of peer.outputs) {
      expect(o.equal, `${o.path}: got ${o.shape}, want ${o.want}`).toBe(true);
      const c = conversions.find((k) => o.path.includes(k.name.replace(/\.ome\.(tif|zarr)$/, '')))!;
      expect(o.levels, o.path).toBe(c.levels);
    }
    const pyr = peer.outputs.find((o) => o.path.endsWith('zstd-pyr.ome.tif'))!;
    // tifffile level shapes (C, Z, Y, X here): each level halves Y and X, rounding down (as Bio-Formats).
    expect(pyr.levelShapes.map((s) => s.slice(-2))).toEqual([
      [167, 439],
      [83, 219],
      [41, 109],
    ]);
  });

  it('info prints a readable summary by default', async () => {
    const r = await bfio('info', source);
    expect(r.code).toBe(0);
    // One Series row: sizes X×Y×Z×C×T then dtype (apps/cli/test/info-output.test.ts checks the tables fully).
    expect(r.out).toMatch(/\*\s+0\s+\S+\s+439×167×5×3×1\s+int8\s+1\s/);
  });
});

describe('bfio CLI exit codes and messages', () => {
  it('1 for usage errors, with help', async () => {
    expect((await bfio()).code).toBe(1);
    expect((await bfio('frobnicate')).code).toBe(1);
    expect((await bfio('info', '--bogus', 'x')).code).toBe(1);
    expect((await bfio('read', 'x.tif')).err).toMatch(/--out/);
    const h = await bfio('convert', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Examples:/);
    // Shards only for Zarr, and only whole tiles.
    const src = dataPath('wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif');
    const tif = await bfio('convert', src, join(dir, 'no.ome.tif'), '--shard-size', '2048');
    expect(tif.code).toBe(1);
    expect(tif.err).toMatch(/--shard-size is for OME-Zarr/);
    const odd = await bfio('convert', src, join(dir, 'no.ome.zarr'), '--shard-size', '1500');
    expect(odd.code).toBe(1);
    expect(odd.err).toMatch(/multiple of the tile size \(1024\)/);
  });

  it('2 for unreadable input, naming the file', async () => {
    const missing = join(dir, 'missing.ome.tif');
    const r = await bfio('info', missing);
    expect(r.code).toBe(2);
    expect(r.err).toContain(missing);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'definitely not an image');
    const u = await bfio('info', junk);
    expect(u.code).toBe(2);
    expect(u.err).toContain(junk);
  });

  it.skipIf(!ok)('2 for a truncated file, 3 when the output exists and --overwrite is missing', async () => {
    const cut = join(dir, 'cut.ome.tif');
    copyFileSync(dataPath('exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif'), cut);
    truncateSync(cut, 20000);
    const r = await bfio('read', cut, '--out', join(dir, 'cut.npy'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(cut);
    const out = join(dir, 'exists.ome.tif');
    writeFileSync(out, 'x');
    const e = await bfio(
      'convert',
      dataPath('wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif'),
      out,
    );
    expect(e.code).toBe(3);
    expect(e.err).toMatch(/--overwrite/);
    expect(readFileSync(out, 'utf8')).toBe('x');
    expect(existsSync(`${out}.tmp`)).toBe(false);
  });

  it.skipIf(!ok)(
    '3 when the output format cannot take an option (LZW into Zarr), and no store is left',
    async () => {
      const out = join(dir, 'lzw.ome.zarr');
      const r = await bfio(
        'convert',
        dataPath('wipp/PyramidBuilding/inputCollection/img_r001_c001.ome.tif'),
        out,
        '--compression',
        'lzw',
      );
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/compression 'lzw' cannot be written to Zarr/);
      expect(r.err).toContain(out);
      expect(existsSync(out)).toBe(false);
    },
  );
});

describe.skipIf(!ok)('bfio convert progress', () => {
  const bin = join(import.meta.dirname, '..', 'src', 'bin.ts');
  const tsx = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
  const src = dataPath('polus-image-tools/bunny.ome.tif');

  it('shows a progress bar on a terminal (pseudo-terminal via script(1)) and stays quiet when piped', () => {
    const out = join(dir, 'progress.ome.tif');
    const cmd = `${tsx} ${bin} convert ${src} ${out} --tile-size 64 --overwrite`;
    const tty = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(tty.status, tty.stdout + tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/\rconverting \[[#.]{30}\] \d+\/\d+ tiles\s+[\d.]+ MB\/s\s+ETA \d+ s/);
    expect(tty.stdout).toMatch(/wrote .*progress\.ome\.tif/);
    const piped = spawnSync(tsx, [bin, 'convert', src, out, '--tile-size', '64', '--overwrite', '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/converting/);
    const summary = JSON.parse(piped.stdout.trim());
    expect(summary.tiles).toBeGreaterThan(1);
    // The same sizes tifffile sees for bunny.ome.tif: 101 Z planes of 102 × 101... as `info` reports them.
    const peerShape = spawnSync(
      join(import.meta.dirname, '..', '..', '..', '.venv', 'bin', 'python'),
      ['-c', `import tifffile; s=tifffile.TiffFile('${src}').series[0]; print(dict(zip(s.axes, s.shape)))`],
      { encoding: 'utf8' },
    ).stdout;
    const axes = JSON.parse(peerShape.trim().replace(/'/g, '"')) as Record<string, number>;
    expect(summary.shape).toEqual([axes.Y, axes.X, axes.Z ?? axes.I ?? 1, axes.C ?? 1, axes.T ?? 1]);
  });
});
