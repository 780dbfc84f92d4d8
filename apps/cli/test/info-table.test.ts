/**
 * CLI acceptance 1: `bfio info FILE --json` (backend auto-selected) on every readable sample in the shared
 * MANIFEST gives the series count, sizes X Y Z C T, dtype and resolution levels that the format's own peer
 * sees: tifffile for TIFFs, zarr-python for Zarr stores and bare arrays (test/info-peer.py, one Python
 * process, headers only), Bio-Formats' ImageInfo (one JVM, packages/bioformats-java/test/ref-tool.ts) for the
 * other formats and for multi-file OME-TIFF sets described by a companion file.
 * A sample the peer cannot read must be refused with exit code 2 and a message naming it.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileRefTool,
  type InfoResult,
  parseInfo,
  runRefTool,
} from '../../../packages/bioformats-java/test/ref-tool.js';
import { DTYPE_OF, FILES as REFERENCE_FILES } from '../../../packages/bioformats-java/test/samples.js';
import { available, bioformatsJar, dataPath, manifest } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { zarrSamples } from '../../../test-support/zarr-samples.js';
import { main } from '../src/cli.js';

/**
 * Samples a peer reads that `bfio info` does not describe as the peer does, and why. The test fails when one
 * of these starts to match: remove it from the table then. This list must only shrink.
 */
const KNOWN_UNHANDLED: Record<string, string> = {
  'ome-zarr-examples/invalid/image-04.zarr':
    "invalid NGFF (the sample set's 'invalid' folder): dataset '1' has 2 dimensions where multiscales declares " +
    '3 axes; the zarr backend refuses the whole store (exit 2) while zarr-python opens level 0 alone',
};

/** Non-TIFF samples Bio-Formats has a reader for: the reference set of @bfio/bioformats-java's tests. */
const BIOFORMATS_FILES = REFERENCE_FILES;

const TIFF_EXT = /\.(tif|tiff|btf|tf2|tf8)$/i;

interface View {
  yxzct: number[];
  dtype: string;
  levels: number;
}
type PeerResult = { series: View[] } | { companion: string } | { error: string };
/** What one sample is, as `info --json` on each of its series says, compared as a whole. */
interface Described {
  backend: string;
  series: number;
  views: View[];
}

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

/** `info --json --series i` for each series the peer counts (at least one); a failure is returned, not thrown. */
async function describeWithCli(path: string, seriesCount: number): Promise<Described | { failed: string }> {
  const views: View[] = [];
  let first: Record<string, any> | undefined;
  for (let i = 0; i < Math.max(1, seriesCount); i++) {
    const r = await bfio('info', path, '--json', '--series', String(i));
    if (r.code !== 0) return { failed: `exit ${r.code}: ${r.err.trim()}` };
    const j = JSON.parse(r.out);
    first ??= j;
    views.push({ yxzct: [j.Y, j.X, j.Z, j.C, j.T], dtype: j.dtype, levels: j.levels });
  }
  return { backend: first!.backend, series: first!.series, views };
}

const ok = available('data', 'python');
const all = ok ? manifest().map((m) => m.path) : [];
const tiffs = all.filter((p) => TIFF_EXT.test(p));
const zarrs = ok ? zarrSamples(all) : [];
const peerScript = readFileSync(new URL('./info-peer.py', import.meta.url), 'utf8');
const peer: Record<string, PeerResult> = ok
  ? await runPythonJson<Record<string, PeerResult>>(peerScript, {
      tiffs: tiffs.map(dataPath),
      zarrs: zarrs.map(dataPath),
    })
  : {};
/** OME-TIFFs whose metadata is a companion .ome file: tifffile sees one file, Bio-Formats the set. */
const companionTiffs = tiffs.filter((f) => 'companion' in (peer[dataPath(f)] ?? {}));

describe.skipIf(!ok)('bfio info --json on every TIFF and Zarr sample equals tifffile / zarr-python', () => {
  it('covers the manifest', () => {
    expect(tiffs.length).toBeGreaterThan(250);
    expect(zarrs.length).toBeGreaterThan(100);
    for (const f of Object.keys(KNOWN_UNHANDLED))
      expect([...tiffs, ...zarrs, ...BIOFORMATS_FILES], `${f} is listed but not a sample`).toContain(f);
    // The peers themselves work: most samples have a view (a broken venv must not turn into "refused").
    const read = [...tiffs, ...zarrs].filter((f) => 'series' in (peer[dataPath(f)] ?? {}));
    expect(read.length).toBeGreaterThan(330);
  });

  const rows = [
    ...tiffs.filter((f) => !companionTiffs.includes(f)).map((f) => [f, 'tiff'] as const),
    ...zarrs.map((f) => [f, 'zarr'] as const),
  ];
  it.each(rows)('%s (%s)', async (file, backend) => {
    const path = dataPath(file);
    const want = peer[path];
    if (!want) throw new Error(`the peer printed nothing for ${path}`);
    if ('error' in want) {
      // Not readable by the peer either (metadata-only store, string dtype, invalid NGFF...): a typed refusal.
      const r = await bfio('info', path, '--json');
      expect(r.code, `${file}: the peer says "${want.error}"; we said ${r.out}`).toBe(2);
      expect(r.err).toContain(path);
      return;
    }
    if (!('series' in want)) throw new Error(`unexpected peer answer for ${path}`);
    const expected: Described = { backend, series: want.series.length, views: want.series };
    const got = await describeWithCli(path, want.series.length);
    const known = KNOWN_UNHANDLED[file];
    if (known) {
      expect(
        JSON.stringify(got) === JSON.stringify(expected),
        `${file} now matches its peer: remove it from KNOWN_UNHANDLED (${known})`,
      ).toBe(false);
      return;
    }
    expect(got, file).toEqual(expected);
  });
});

const okBf = ok && available('java', 'bioformats-jar');

describe.skipIf(!okBf)('bfio info --json on the other formats equals Bio-Formats ImageInfo', () => {
  const targets = [
    ...new Set(companionTiffs.map((f) => (peer[dataPath(f)] as { companion: string }).companion)),
  ];
  // [file, expected backend, the file whose ImageInfo describes it]. ImageInfo on a TIFF of a companion set
  // describes the set under the companion's name, so the set's TIFFs are compared with the companion's report.
  const rows = [
    ...BIOFORMATS_FILES.map((f) => [dataPath(f), 'bioformats', dataPath(f)] as const),
    // Multi-file OME-TIFF sets: the TIFF backend reads the whole set, as Bio-Formats does.
    ...targets.map((f) => [f, 'tiff', f] as const),
    ...companionTiffs.map((f) => {
      const target = (peer[dataPath(f)] as { companion: string }).companion;
      return [dataPath(f), 'tiff', target] as const;
    }),
  ];
  let info: Map<string, InfoResult>;

  beforeAll(() => {
    const jar = bioformatsJar()!;
    const args = [...new Set(rows.map(([, , ref]) => ref))].flatMap((path) => ['info', path]);
    info = parseInfo(runRefTool(jar, compileRefTool(jar), args));
  });

  it('covers the companion sets, and ImageInfo itself opened nearly everything', () => {
    expect(targets.length).toBeGreaterThanOrEqual(2);
    expect(rows.filter(([, , ref]) => info.get(ref)?.ok).length).toBeGreaterThanOrEqual(rows.length - 2);
  });

  it.each(rows)('%s (%s)', async (path, backend, refPath) => {
    const ref = info.get(refPath);
    expect(ref, `ImageInfo printed nothing for ${refPath}`).toBeDefined();
    if (!ref!.ok) {
      // Bio-Formats itself cannot read it: a typed refusal naming the file, not a hang.
      const r = await bfio('info', path, '--json');
      expect(r.code, r.out).toBe(2);
      expect(r.err).toContain(path);
      return;
    }
    const expected: Described = {
      backend,
      series: ref!.seriesCount,
      views: ref!.series.map((s) => ({
        yxzct: [s.height, s.width, s.sizeZ, s.sizeC, s.sizeT],
        dtype: DTYPE_OF[s.pixelType] ?? `unknown ImageInfo pixel type ${s.pixelType}`,
        levels: s.resolutions,
      })),
    };
    const got = await describeWithCli(path, ref!.seriesCount);
    const file = path.slice(dataPath('').length + 1);
    const known = KNOWN_UNHANDLED[file];
    if (known) {
      expect(JSON.stringify(got) === JSON.stringify(expected), `${file} now matches: unlist it`).toBe(false);
      return;
    }
    expect(got, path).toEqual(expected);
  });
});
