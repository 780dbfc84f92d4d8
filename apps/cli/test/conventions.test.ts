/**
 * The flags `bfio convert` shares with bfconvert / bioformats2raw / raw2ometiff, one table row each, run on
 * real samples and checked by tifffile / zarr-python in one batched Python call (conventions-peer.py): level
 * counts and sizes (resolutions counted in total), tile size, codec and level, fill value, the pixels of each
 * downsampling mode computed by numpy from the source pixels, series / timepoint / channel selection. Rows
 * that must be refused check the exit code and message only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const ok = available('data', 'python');
const dir = mkdtempSync(join(tmpdir(), 'bfio-conventions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const peer = readFileSync(new URL('./conventions-peer.py', import.meta.url), 'utf8');

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

// 439 × 167 int8, values -1..96 (many repeats: mode differs from mean, nearest and max).
const SINGLE = 'exampletiffs/ometiff_testdata/singles/single-channel.ome.tif';
// T 7 × C 3 × 167 × 439 int8.
const TC = 'exampletiffs/ometiff_testdata/singles/multi-channel-time-series.ome.tif';
// Its own 8-level pyramid (SubIFDs, 439 × 167 down to 3 × 1), 3 channels uint8.
const PYRAMID = 'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif';
// Two series (Micro-Manager positions), 10 × 256 × 256 uint16 each.
const TWO_SERIES = 'exampletiffs/ometiff_testdata/singles/181003_multi_pos_time_course_1_MMStack.ome.tif';

interface Row {
  id: string;
  /** What the row shows, for the test name. */
  what: string;
  flags: string[];
  src: string;
  out: string;
  /** The peer's check and its parameters (see conventions-peer.py). */
  check: Record<string, unknown>;
  /** Made before the conversion (e.g. a source with absent chunks); returns the input path to convert. */
  prepare?: () => Promise<string>;
}

/** A copy of SINGLE as OME-Zarr (64² raw chunks) with the chunks at (y, x) tile indexes `absent` deleted. */
const ABSENT: Array<[number, number]> = [
  [0, 0],
  [1, 2],
];
let sparse: Promise<string> | undefined;
function sparseZarr(): Promise<string> {
  sparse ??= (async () => {
    const path = join(dir, 'sparse-src.ome.zarr');
    const r = await bfio('convert', dataPath(SINGLE), path, '--tile-size', '64', '--compression', 'none');
    if (r.code !== 0) throw new Error(r.err);
    for (const [y, x] of ABSENT) rmSync(join(path, '0', 'c', '0', '0', '0', String(y), String(x)));
    return path;
  })();
  return sparse;
}

const ROWS: Row[] = [
  {
    id: 'res-tiff',
    what: '--resolutions 3 writes 3 levels in total (bfconvert -pyramid-resolutions 3)',
    flags: ['--resolutions', '3', '--tile-size', '64'],
    src: SINGLE,
    out: 'res3.ome.tif',
    check: { kind: 'levels', total: 3 },
  },
  {
    id: 'pyramid-alias',
    what: '--pyramid 3 is the same total count (bioformats2raw --resolutions 3)',
    flags: ['--pyramid', '3', '--tile-size', '64'],
    src: SINGLE,
    out: 'pyr3.ome.zarr',
    check: { kind: 'levels', total: 3 },
  },
  {
    id: 'res-auto',
    what: '--resolutions auto stops at the first level no larger than 256 (bioformats2raw default)',
    flags: ['--resolutions', 'auto', '--tile-size', '64'],
    src: SINGLE,
    out: 'auto.ome.zarr',
    check: { kind: 'levels', auto: 256 },
  },
  {
    id: 'res-auto-64',
    what: '--resolutions auto --target-min-size 64',
    flags: ['--resolutions', 'auto', '--target-min-size', '64', '--tile-size', '64'],
    src: SINGLE,
    out: 'auto64.ome.tif',
    check: { kind: 'levels', auto: 64 },
  },
  ...(['mode', 'max', 'nearest', 'mean'] as const).flatMap((mode): Row[] => [
    {
      id: `ds-${mode}-tiff`,
      what: `--downsample ${mode} (OME-TIFF): every level equals numpy's ${mode} of 2×2 blocks`,
      flags: ['--resolutions', '4', '--downsample', mode, '--tile-size', '64'],
      src: SINGLE,
      out: `ds-${mode}.ome.tif`,
      check: { kind: 'downsample', mode },
    },
    {
      id: `ds-${mode}-zarr`,
      what: `--downsample ${mode} (OME-Zarr): every level equals numpy's ${mode} of 2×2 blocks`,
      flags: ['--resolutions', '4', '--downsample', mode, '--tile-size', '64'],
      src: SINGLE,
      out: `ds-${mode}.ome.zarr`,
      check: { kind: 'downsample', mode },
    },
  ]),
  ...(['ome.tif', 'ome.zarr'] as const).map(
    (ext): Row => ({
      id: `existing-${ext}`,
      what: `--use-existing-resolutions (${ext}): the source's 8 levels copied, pixel for pixel`,
      flags: ['--use-existing-resolutions', '--tile-size', '64'],
      src: PYRAMID,
      out: `existing.${ext}`,
      check: { kind: 'existing' },
    }),
  ),
  {
    id: 'deflate-0',
    what: '--compression-level 0 (deflate): tiles stored uncompressed, 32² tiles',
    flags: ['--compression', 'deflate', '--compression-level', '0', '--tile-size', '32'],
    src: SINGLE,
    out: 'deflate0.ome.tif',
    check: {
      kind: 'tiff-codec',
      want: { tile: [32, 32], compression: 'ADOBE_DEFLATE', stored: true, pixels: true },
    },
  },
  {
    id: 'deflate-9',
    what: '--compression-level 9 (deflate): tiles compressed',
    flags: ['--compression', 'deflate', '--compression-level', '9', '--tile-size', '64'],
    src: SINGLE,
    out: 'deflate9.ome.tif',
    check: {
      kind: 'tiff-codec',
      want: { tile: [64, 64], compression: 'ADOBE_DEFLATE', stored: false, pixels: true },
    },
  },
  {
    id: 'zstd-15',
    what: '--compression zstd --compression-level 15 (OME-Zarr codec level)',
    flags: ['--compression', 'zstd', '--compression-level', '15', '--tile-size', '128'],
    src: SINGLE,
    out: 'zstd15.ome.zarr',
    check: { kind: 'zarr-codec', want: { level: 15, chunks: [128, 128] } },
  },
  {
    id: 'fill-zarr',
    what: '--fill-value 7: absent source chunks become 7, and the arrays fill_value is 7',
    flags: ['--fill-value', '7', '--tile-size', '64'],
    src: SINGLE,
    out: 'fill.ome.zarr',
    check: { kind: 'fill', value: 7, absent: ABSENT },
    prepare: sparseZarr,
  },
  {
    id: 'fill-tiff',
    what: '--fill-value 7 to OME-TIFF: absent source chunks become 7',
    flags: ['--fill-value', '7', '--tile-size', '64'],
    src: SINGLE,
    out: 'fill.ome.tif',
    check: { kind: 'fill', value: 7, absent: ABSENT },
    prepare: sparseZarr,
  },
  {
    id: 'select',
    what: '--timepoint 3 --channel 2 keep that one plane (bfconvert -timepoint/-channel)',
    flags: ['--timepoint', '3', '--channel', '2'],
    src: TC,
    out: 'select.ome.tif',
    check: { kind: 'select', t: 3, c: 2 },
  },
  {
    id: 'series-list-zarr',
    what: '--series 1,0 writes both series into one bioformats2raw-layout OME-Zarr',
    flags: ['--series', '1,0', '--tile-size', '128'],
    src: TWO_SERIES,
    out: 'series.ome.zarr',
    check: { kind: 'series', outputs: { 0: 'series.ome.zarr/0', 1: 'series.ome.zarr/1' } },
  },
  {
    id: 'series-list-tiff',
    what: '--series 1,0 to OME-TIFF: one file per series (OUT_s<N>)',
    flags: ['--series', '1,0', '--tile-size', '128'],
    src: TWO_SERIES,
    out: 'series.ome.tif',
    check: { kind: 'series', outputs: { 0: 'series_s0.ome.tif', 1: 'series_s1.ome.tif' } },
  },
  {
    id: 'no-hcs',
    what: '--no-hcs is accepted (a non-plate converts as without it)',
    flags: ['--no-hcs', '--resolutions', '2', '--tile-size', '64'],
    src: SINGLE,
    out: 'nohcs.ome.zarr',
    check: { kind: 'levels', total: 2 },
  },
];

/** Flags that must be refused (exit 1) with a message naming the flag. */
const REFUSED: Array<[string[], RegExp]> = [
  [['--resolutions', '0'], /--resolutions counts resolutions in total/],
  [['--pyramid', '12'], /halves to nothing/],
  [['--resolutions', '2', '--pyramid', '2'], /alias/],
  [['--target-min-size', '64'], /--target-min-size goes with --resolutions auto/],
  [['--downsample', 'median'], /--downsample takes mean\|nearest\|mode\|max/],
  [['--compression', 'zstd', '--compression-level', '30'], /zstd is 1\.\.22/],
  [['--compression', 'lzw', '--compression-level', '3'], /lzw has no levels/],
  [['--fill-value', '300'], /not a int8 value/],
  [['--series', '0,5'], /--series 5: the input has 1 series/],
  [['--use-existing-resolutions', '--resolutions', '3'], /takes the levels the source has/],
  [['--channel', '0', '--channels', '0:1'], /--channel or --channels/],
];

describe.skipIf(!ok)('bfconvert / bioformats2raw conventions', () => {
  const runs: Record<string, { code: number; err: string }> = {};
  let peerResults: Record<string, { got: unknown; want: unknown }> = {};

  beforeAll(async () => {
    for (const row of ROWS) {
      const input = row.prepare ? await row.prepare() : dataPath(row.src);
      runs[row.id] = await bfio('convert', input, join(dir, row.out), ...row.flags);
    }
    const rows = ROWS.filter((r) => runs[r.id]?.code === 0).map((r) => {
      const outputs = r.check.outputs as Record<string, string> | undefined;
      return {
        id: r.id,
        src: dataPath(r.src),
        out: join(dir, r.out),
        ...r.check,
        ...(outputs
          ? { outputs: Object.fromEntries(Object.entries(outputs).map(([s, p]) => [s, join(dir, p)])) }
          : {}),
      };
    });
    peerResults = await runPythonJson(peer, rows);
  }, 85_000);

  it.each(ROWS.map((r) => [r.what, r] as const))('%s', (_what, row) => {
    expect(runs[row.id]?.code, runs[row.id]?.err).toBe(0);
    const r = peerResults[row.id];
    expect(r?.got).toEqual(r?.want);
  });

  it.each(REFUSED)('refuses %j', async (flags, message) => {
    const r = await bfio('convert', dataPath(SINGLE), join(dir, 'refused.ome.tif'), ...flags);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it('documents every flag of the table in --help, each with an example', async () => {
    const r = await bfio('convert', '--help');
    for (const flag of [
      '--resolutions',
      '--pyramid',
      '--target-min-size',
      '--downsample',
      '--use-existing-resolutions',
      '--compression-level',
      '--fill-value',
      '--series',
      '--timepoint',
      '--channel',
      '--no-hcs',
    ]) {
      expect(r.out).toContain(flag);
      expect(r.out, `an example of ${flag}`).toMatch(new RegExp(`(e\\.g\\.|bfio convert)[^\\n]*${flag}\\b`));
    }
  });
});
