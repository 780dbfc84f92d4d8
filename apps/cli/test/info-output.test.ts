/**
 * `bfio info`'s human tables and `--thumbnail` against the formats' own peers:
 * - the Series table of OME-TIFFs (tifffile), an OME-Zarr of 3 series (zarr-python) and two RGB CZIs
 *   (Bio-Formats ImageInfo) lists the sizes X×Y×Z×C×T, dtype and level count the peer gives; channel names are
 *   distinct (the CZI's one RGB Channel "C1" of 3 samples was listed as C1, C1, C1);
 * - the thumbnail PNG, decoded by PIL, equals (±1) the composite rule of src/thumbnail.ts re-implemented in
 *   numpy (test/info-output-peer.py) on the pixels tifffile / zarr-python read from the level the rule picks,
 *   with the expected size; the CZIs' pixels are those bfconvert writes (read by tifffile), and of the
 *   CZI of 7 RGB Channels the first is drawn.
 * One Python process makes the coloured sample, one checks everything; one JVM runs ImageInfo and bfconvert.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileRefTool,
  type InfoResult,
  parseInfo,
  runRefTool,
} from '../../../packages/bioformats-java/test/ref-tool.js';
import { DTYPE_OF } from '../../../packages/bioformats-java/test/samples.js';
import { available, bioformatsJar, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const ok = available('data', 'python');
const okBf = ok && available('java', 'bioformats-jar');
const peerScript = readFileSync(new URL('./info-output-peer.py', import.meta.url), 'utf8');

type RGB = [number, number, number];
const DEFAULT_RGB: RGB[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
];
interface PeerView {
  yxzct: number[];
  dtype: string;
  levels: number;
}
interface Sample {
  id: string;
  /** What bfio opens. */
  file: () => string;
  series: number;
  size: number;
  /** The thumbnail's expected colours: the OME/omero ones the peer wrote or read, else the rule's defaults. */
  colours: RGB[];
  rgbU8: boolean;
  /** What the peer reads pixels from (the CZI: bfconvert's OME-TIFF of it). */
  peer: () => { kind: 'tiff' | 'zarr'; path: string };
  needsJava?: boolean;
  /** The channels drawn (default all): of several RGB Channels, the rule draws the first. */
  channels?: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'bfio-info-output-'));
let coloured = '';
let mask = '';
/** RGB CZIs: one Channel of 3 samples, and 7 such Channels (polarisation angles); bfconvert writes each. */
const CZIS = ['aicspylibczi/RGB-8bit.czi', 'aicspylibczi/RGB-multichannel.czi'];
const cziTiff = (i: number) => join(dir, `czi-${i}.ome.tif`);
const CMU = 'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr';

const SAMPLES: Sample[] = [
  {
    id: 'hubmap 3-channel 8-level OME-TIFF',
    file: () =>
      dataPath('hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif'),
    series: 0,
    size: 100,
    colours: DEFAULT_RGB,
    rgbU8: false,
    peer: () => ({ kind: 'tiff', path: SAMPLES[0]!.file() }),
  },
  {
    id: 'tifffile-written coloured 2-channel Z-stack pyramid',
    file: () => coloured,
    series: 0,
    size: 150,
    colours: [
      [255, 128, 0],
      [0, 255, 255],
    ],
    rgbU8: false,
    peer: () => ({ kind: 'tiff', path: coloured }),
  },
  {
    id: 'single-channel uint16 OME-TIFF',
    file: () => dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff'),
    series: 0,
    size: 128,
    colours: [[255, 255, 255]],
    rgbU8: false,
    peer: () => ({ kind: 'tiff', path: dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff') }),
  },
  {
    id: 'sparse mask (equal percentiles: stretched over its range)',
    file: () => mask,
    series: 0,
    size: 300,
    colours: [[255, 255, 255]],
    rgbU8: false,
    peer: () => ({ kind: 'tiff', path: mask }),
  },
  {
    id: 'bioformats2raw OME-Zarr, series 2 (4 levels)',
    file: () => dataPath(CMU),
    series: 2,
    size: 256,
    colours: DEFAULT_RGB,
    rgbU8: false,
    peer: () => ({ kind: 'zarr', path: dataPath(CMU) }),
  },
  ...CZIS.map(
    (f, i): Sample => ({
      id: `RGB CZI ${f} (Bio-Formats)`,
      file: () => dataPath(f),
      series: 0,
      size: 256,
      colours: DEFAULT_RGB,
      rgbU8: true,
      peer: () => ({ kind: 'tiff', path: cziTiff(i) }),
      needsJava: true,
      channels: [0, 1, 2],
    }),
  ),
];

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

/** The lines of one table section ("Series (…", "Channels of…"), header first, without the indent. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start < 0) throw new Error(`no '${title}' section in:\n${text}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l.slice(2));
  }
  return out;
}

/** Splits table rows into cells by the header's column starts. */
function cells(rows: string[]): Record<string, string>[] {
  const header = rows[0]!;
  const names = header.trim().split(/\s{2,}/);
  const starts = names.map((n) => header.indexOf(n));
  // The first Series column ('*' marker) has an empty header.
  if (header.startsWith(' ')) {
    names.unshift('mark');
    starts.unshift(0);
  }
  return rows
    .slice(1)
    .map((r) =>
      Object.fromEntries(names.map((n, i) => [n, r.slice(starts[i], starts[i + 1] ?? r.length).trim()])),
    );
}

function seriesViews(text: string): PeerView[] {
  return cells(section(text, 'Series (')).map((r) => {
    const [x, y, z, c, t] = r['X×Y×Z×C×T']!.split('×').map(Number);
    return { yxzct: [y!, x!, z!, c!, t!], dtype: r.dtype!, levels: Number(r.levels) };
  });
}

const texts = new Map<string, string>();
const pngs = new Map<string, string>();
let peer: {
  tables: Record<string, PeerView[]>;
  thumbs: Record<string, unknown>[];
};
let imageInfo: Map<string, InfoResult>;

describe.skipIf(!ok)('bfio info tables and --thumbnail against tifffile / zarr-python / Bio-Formats', () => {
  const samples = SAMPLES.filter((s) => okBf || !s.needsJava);

  beforeAll(async () => {
    ({ coloured, mask } = await runPythonJson<{ coloured: string; mask: string }>(peerScript, { make: dir }));
    if (okBf) {
      const jar = bioformatsJar()!;
      const args = CZIS.flatMap((f, i) => ['info', dataPath(f), 'convert', dataPath(f), '0', cziTiff(i)]);
      const text = runRefTool(jar, compileRefTool(jar), args);
      for (const [i, f] of CZIS.entries())
        expect(text, `bfconvert of ${f}`).toContain(`@@@CONVERTED true ${cziTiff(i)}`);
      imageInfo = parseInfo(text);
    }
    for (const s of samples) {
      const png = join(dir, `${samples.indexOf(s)}.png`);
      const r = await bfio(
        'info',
        s.file(),
        '--series',
        String(s.series),
        '--thumbnail',
        png,
        '--thumbnail-size',
        String(s.size),
      );
      if (r.code !== 0) throw new Error(`bfio info ${s.file()}: exit ${r.code}\n${r.err}`);
      texts.set(s.id, r.out);
      pngs.set(s.id, png);
    }
    peer = await runPythonJson(peerScript, {
      tables: {
        tiffs: samples.filter((s) => s.peer().kind === 'tiff' && !s.needsJava).map((s) => s.file()),
        zarrs: [[dataPath(CMU), ['0', '1', '2']]],
      },
      thumbs: samples.map((s) => ({
        ...s.peer(),
        series: s.series,
        size: s.size,
        colours: s.colours,
        rgb_u8: s.rgbU8,
        png: pngs.get(s.id),
        channels: s.channels ?? null,
      })),
    });
  }, 240_000);

  it.each(SAMPLES.filter((s) => !s.needsJava).map((s) => [s.id, s] as const))(
    'Series table of %s lists the sizes, dtype and levels the peer reads',
    (_, s) => {
      const want = peer.tables[s.file()];
      expect(want, s.file()).toBeDefined();
      expect(seriesViews(texts.get(s.id)!)).toEqual(want);
    },
  );

  it.skipIf(!okBf).each(CZIS)(
    'Series table of %s lists what ImageInfo reads; each RGB sample has its own name',
    (f) => {
      const info = imageInfo.get(dataPath(f));
      expect(info?.ok, `ImageInfo read ${f}`).toBe(true);
      const want = info!.series.map((v) => ({
        yxzct: [v.height, v.width, v.sizeZ, v.sizeC, v.sizeT],
        dtype: DTYPE_OF[v.pixelType],
        levels: v.resolutions,
      }));
      const text = texts.get(`RGB CZI ${f} (Bio-Formats)`)!;
      expect(seriesViews(text)).toEqual(want);
      expect(info!.series[0]!.rgb, 'ImageInfo: RGB channels of 3 samples').toBe(3);
      const names = cells(section(text, 'Channels of')).map((r) => r.name);
      expect(names).toHaveLength(info!.series[0]!.sizeC);
      expect(new Set(names).size).toBe(names.length);
      // The table is tables, not a JSON dump of the backend's details.
      expect(text).not.toMatch(/\[\{"/);
    },
  );

  it('every sample has distinct channel names, one row per channel', () => {
    for (const s of samples) {
      const text = texts.get(s.id)!;
      const c = seriesViews(text)[s.series]!.yxzct[3]!;
      const names = cells(section(text, 'Channels of')).map((r) => r.name);
      expect(names, s.id).toHaveLength(c);
      if (names.some((n) => n !== '-')) expect(new Set(names).size, `${s.id}: ${names}`).toBe(c);
    }
  });

  it('Channel table shows the OME names, colours and wavelengths tifffile wrote; pixel size with units', () => {
    const text = texts.get(SAMPLES[1]!.id)!;
    const rows = cells(section(text, 'Channels of'));
    expect(rows.map((r) => [r.name, r.colour, r.emission])).toEqual([
      ['DAPI', '#FF8000', '461 nm'],
      ['GFP', '#00FFFF', '509 nm'],
    ]);
    expect(cells(section(text, 'Series ('))[0]!['pixel size']).toBe('0.5×0.5 µm');
    const levels = cells(section(text, 'Levels of'));
    expect(levels.map((l) => l['X×Y×Z'])).toEqual(['420×300×3', '210×150×3', '105×75×3']);
    expect(levels.map((l) => l['pixel size'])).toEqual(['0.5×0.5 µm', '1×1 µm', '2×2 µm']);
  });

  it.each(samples.map((s, i) => [s.id, s, i] as const))(
    'thumbnail of %s equals the numpy composite of the level the peer reads',
    (_, s, i) => {
      const r = peer.thumbs[i] as {
        shape: number[];
        want_shape: number[];
        max_diff?: number;
        n_diff?: number;
        level: number;
        std?: number;
        error?: string;
      };
      expect(r.error, r.error).toBeUndefined();
      expect(r.shape).toEqual(r.want_shape);
      const side = Math.max(r.shape[0]!, r.shape[1]!);
      expect(side).toBeLessThanOrEqual(s.size);
      expect(r.max_diff, `${r.n_diff} values differ`).toBeLessThanOrEqual(1);
      // Not a blank image on both sides.
      expect(r.std).toBeGreaterThan(5);
      expect(texts.get(s.id)).toContain(`from level ${r.level} `);
    },
  );

  it('thumbnail sizes follow the rule: the level at least --thumbnail-size, shrunk to fit, never enlarged', () => {
    const shapes = Object.fromEntries(
      samples.map((s, i) => [s.id, (peer.thumbs[i] as { shape: number[] }).shape]),
    );
    // 439×167 level 0, 219×83 level 1, 109×41 level 2: size 100 takes level 2, shrunk to 100 wide.
    expect(shapes[SAMPLES[0]!.id]).toEqual([38, 100, 3]);
    expect(texts.get(SAMPLES[0]!.id)).toContain('from level 2 ');
    // 420×300, 210×150, 105×75: size 150 takes level 1 (210 wide), shrunk to 150×107.
    expect(shapes[SAMPLES[1]!.id]).toEqual([107, 150, 3]);
  });

  it('refuses a bad --thumbnail-size and an unwritable --thumbnail path', async () => {
    const f = SAMPLES[2]!.file();
    expect((await bfio('info', f, '--thumbnail', join(dir, 'x.png'), '--thumbnail-size', '0')).code).toBe(1);
    expect((await bfio('info', f, '--thumbnail-size', '64')).code).toBe(1);
    const r = await bfio('info', f, '--thumbnail', join(dir, 'no-such-dir', 'x.png'));
    expect(r.code).toBe(3);
    expect(r.err).toContain(join(dir, 'no-such-dir', 'x.png'));
  });
});
