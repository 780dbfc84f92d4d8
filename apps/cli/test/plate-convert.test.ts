/**
 * `bfio convert` of a Bio-Formats plate (a `.fake` test plate: 2 rows × 3 columns, 2 fields per well) to
 * OME-Zarr: ome-zarr-py's reader finds the plate (NGFF 0.4 and 0.5) with 2×3 wells and 2 fields each, every
 * field's pixels equal to Bio-Formats' read of its series (the fake plate orders series row, column, field);
 * `--no-hcs` writes the same series as plain groups 0…11; the OME-XML written validates against ome.xsd. One
 * Python run reads all outputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, type PlateLayout } from '@bfio/core';
import '@bfio/bioformats-java';
import '@bfio/zarr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

/** The plate reader both peers share (test-support/ome_zarr_plate.py). */
const PLATE_PEER = readFileSync(new URL('../../../test-support/ome_zarr_plate.py', import.meta.url), 'utf8');

const ok = available('java', 'bioformats-jar', 'python', 'data', 'xmllint');
const ROWS = ['A', 'B'];
const COLUMNS = ['1', '2', '3'];
/** Bio-Formats' fake plate numbers series row by row, then column, then field. */
const seriesOf = (r: number, c: number, f: number) => (r * COLUMNS.length + c) * 2 + f;

const PEER = `${PLATE_PEER}
import json, sys
import numpy as np
import zarr

from ome_zarr.io import parse_url
from ome_zarr.reader import Reader, Node, Plate, Well
inp = json.load(sys.stdin)
out = {"plates": {}, "plain": None}
for v, path in inp["plates"].items():
    out["plates"][v] = read_plate(path)
g = zarr.open_group(inp["plain"], mode="r")
ngff = lambda attrs: attrs.get("ome", attrs)
series = ngff(g["OME"].attrs)["series"]
out["plain"] = {"plate": "plate" in ngff(g.attrs), "series": series,
                "pixels": [np.asarray(next(Reader(parse_url(f"{inp['plain']}/{s}"))()).data[0]).ravel().tolist()
                           for s in series]}
print(json.dumps(out))
`;

interface PeerOut {
  plates: Record<
    string,
    {
      rows: string[];
      columns: string[];
      wells: Record<string, Array<{ path: string; pixels: number[] }>>;
      field_count: number;
    }
  >;
  plain: { plate: boolean; series: string[]; pixels: number[][] };
}

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe.skipIf(!ok)('bfio convert: a Bio-Formats plate to an OME-Zarr plate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-plate-convert-'));
  const fake = join(dir, 'plate&plates=1&plateRows=2&plateCols=3&fields=2&sizeX=64&sizeY=64.fake');
  const out = { '0.4': join(dir, 'p04.ome.zarr'), '0.5': join(dir, 'p05.ome.zarr') };
  const plain = join(dir, 'plain.ome.zarr');
  const subset = join(dir, 'subset.ome.zarr');
  /** Bio-Formats' pixels of each series. */
  const reference: number[][] = [];
  let bfPlate: PlateLayout | undefined;
  let peer: PeerOut;
  const runs: Record<string, { code: number; out: string; err: string }> = {};

  beforeAll(async () => {
    writeFileSync(fake, '');
    {
      await using br = await BioReader.open(fake, { backend: 'bioformats' });
      bfPlate = br.plate;
      for (let s = 0; s < br.seriesCount; s++) {
        br.series = s;
        reference.push(Array.from((await br.read()).data as Uint8Array));
      }
    }
    runs['0.5'] = await bfio('convert', fake, out['0.5'], '--json');
    runs['0.4'] = await bfio('convert', fake, out['0.4'], '--ngff-version', '0.4');
    runs.plain = await bfio('convert', fake, plain, '--no-hcs');
    runs.subset = await bfio('convert', fake, subset, '--series', '1,2,11');
    peer = await runPythonJson<PeerOut>(PEER, { plates: { ...out, subset }, plain });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Bio-Formats reads 12 distinct fields; BioReader.plate maps them to 2×3 wells of 2 fields', () => {
    expect(reference).toHaveLength(12);
    expect(new Set(reference.map((p) => p.join(','))).size).toBe(12);
    expect(bfPlate?.rows).toEqual(ROWS);
    expect(bfPlate?.columns).toEqual(COLUMNS);
    expect(bfPlate?.fieldCount).toBe(2);
    expect(bfPlate?.wells.map((w) => [w.row, w.column, w.fields.map((f) => [f.field, f.series])])).toEqual(
      ROWS.flatMap((row, r) =>
        COLUMNS.map((column, c) => [row, column, [0, 1].map((f) => [f, seriesOf(r, c, f)])]),
      ),
    );
  });

  it.each(['0.4', '0.5'] as const)(
    'NGFF %s: ome-zarr-py finds the plate, every field as Bio-Formats reads it',
    (v) => {
      expect(runs[v]!.code, runs[v]!.err).toBe(0);
      const got = peer.plates[v]!;
      expect(got.rows).toEqual(ROWS);
      expect(got.columns).toEqual(COLUMNS);
      expect(got.field_count).toBe(2);
      const expected = Object.fromEntries(
        ROWS.flatMap((row, r) =>
          COLUMNS.map((column, c) => [
            `${row}/${column}`,
            [0, 1].map((f) => ({ path: String(f), pixels: reference[seriesOf(r, c, f)] })),
          ]),
        ),
      );
      expect(got.wells).toEqual(expected);
    },
  );

  it('all series are converted without --series, and --json names the plate layout', () => {
    const report = JSON.parse(runs['0.5']!.out.trim().split('\n').pop()!) as {
      layout: string;
      images: Array<{ output: string }>;
    };
    expect(report.layout).toBe('plate');
    expect(report.images.map((i) => i.output)).toContain(`${out['0.5']}/B/3/1`);
  });

  it('--series 1,2,11 writes those fields, numbered from 0 in their wells', () => {
    expect(runs.subset!.code, runs.subset!.err).toBe(0);
    const got = peer.plates.subset!;
    expect(got.field_count).toBe(1);
    expect(got.wells).toEqual({
      'A/1': [{ path: '0', pixels: reference[seriesOf(0, 0, 1)] }],
      'A/2': [{ path: '0', pixels: reference[seriesOf(0, 1, 0)] }],
      'B/3': [{ path: '0', pixels: reference[seriesOf(1, 2, 1)] }],
    });
  });

  it('--no-hcs writes the series as plain groups 0…11 (bioformats2raw --no-hcs)', () => {
    expect(runs.plain!.code, runs.plain!.err).toBe(0);
    expect(peer.plain.plate).toBe(false);
    expect(peer.plain.series).toEqual(reference.map((_, s) => String(s)));
    expect(peer.plain.pixels).toEqual(reference);
  });

  it('the OME-XML of the plate (with its Plate) and of each field (without) are valid against ome.xsd', () => {
    const xml = readFileSync(join(out['0.5'], 'OME', 'METADATA.ome.xml'), 'utf8');
    expect(xml.match(/<WellSample /g)).toHaveLength(12);
    const schemas = dataPath('ome-xml-schema/released-schema');
    const files = [
      join(out['0.5'], 'OME', 'METADATA.ome.xml'),
      ...ROWS.flatMap((r) => COLUMNS.map((c) => join(out['0.4'], r, c, '1', 'OME', 'METADATA.ome.xml'))),
    ];
    const lint = spawnSync(
      'xmllint',
      ['--nonet', '--noout', '--schema', join(schemas, '2016-06', 'ome.xsd'), ...files],
      { encoding: 'utf8', env: { ...process.env, XML_CATALOG_FILES: join(schemas, 'catalog.xml') } },
    );
    expect(lint.status, lint.stderr).toBe(0);
  });

  it('the converted plate reads back with the same BioReader.plate as the source', async () => {
    await using br = await BioReader.open(out['0.5']);
    expect(br.plate?.wells).toEqual(bfPlate?.wells);
    expect(br.plate?.rows).toEqual(ROWS);
  });
});
