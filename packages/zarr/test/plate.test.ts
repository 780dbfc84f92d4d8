/**
 * OME-Zarr plates (HCS) against ome-zarr-py, NGFF 0.4 and 0.5: a plate ome_zarr.writer writes (sparse wells,
 * several fields, no OME-XML) is described by `BioReader.plate` with the wells and fields Python wrote, each
 * field's series reading the pixels Python was given; a plate bfio's ZarrContainerWriter writes from an
 * OME-XML Plate is found by ome_zarr.reader's Plate and Well specs with every field's pixels, and its groups
 * validate against the NGFF plate, bf2raw, well and image schemas; `hcs: false`
 * writes plain series. One Python run does both directions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import { createOme, type OME, plateElement } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrContainerWriter } from '../src/index.js';

/** The plate reader both peers share (test-support/ome_zarr_plate.py). */
const SCHEMA_PEER = readFileSync(new URL('../../../test-support/ngff_schema.py', import.meta.url), 'utf8');
const PLATE_PEER = readFileSync(new URL('../../../test-support/ome_zarr_plate.py', import.meta.url), 'utf8');

const Y = 32;
const X = 48;
const VERSIONS = ['0.4', '0.5'] as const;
/** Wells (row, column, fields) of both plates: sparse, on a 2×3 plate. */
const WELLS = [
  { row: 0, column: 0, fields: 2 },
  { row: 0, column: 2, fields: 1 },
  { row: 1, column: 1, fields: 2 },
];
const ROWS = ['A', 'B'];
const COLUMNS = ['1', '2', '3'];
/** Distinct pixels per field: field k of the plate (in WELLS order) is k*40 + a ramp. */
const FIELDS = WELLS.flatMap((w) => Array.from({ length: w.fields }, (_, f) => ({ ...w, field: f })));
const PIXELS = FIELDS.map((_, k) => Array.from({ length: Y * X }, (_, i) => (k * 40 + (i % 37)) & 0xff));

const PEER = `${PLATE_PEER}
${SCHEMA_PEER}
import json, sys
import numpy as np
import zarr

from ome_zarr.io import parse_url
from ome_zarr.reader import Reader, Node, Plate, Well
from ome_zarr.writer import write_image, write_plate_metadata, write_well_metadata
from ome_zarr.format import FormatV04, FormatV05
inp = json.load(sys.stdin)
out = {"ours": {}, "plain": {}, "theirs": {}}
for v, path in inp["ours"].items():
    out["ours"][v] = read_plate(path)
    g = zarr.open_group(path, mode="r")
    # Every group against the spec's schemas: root (plate, bf2raw), wells, fields.
    out["ours"][v]["schema"] = [ngff_check(inp["spec"], v, "plate.schema", dict(g.attrs)),
                                ngff_check(inp["spec"], v, "bf2raw.schema", dict(g.attrs))] + [
        ngff_check(inp["spec"], v, "well.schema", dict(g[wp].attrs)) for wp in out["ours"][v]["wells"]] + [
        ngff_check(inp["spec"], v, "image.schema", dict(g[f"{wp}/{f['path']}"].attrs))
        for wp, fields in out["ours"][v]["wells"].items() for f in fields]
for v, path in inp["plain"].items():
    # ome-zarr-py finds no node at a bioformats2raw root without a plate: read its groups with zarr.
    g = zarr.open_group(path, mode="r")
    ngff = lambda attrs: attrs.get("ome", attrs)  # 0.5 nests NGFF keys under "ome"
    series = ngff(g["OME"].attrs)["series"]
    out["plain"][v] = {"plate": "plate" in ngff(g.attrs), "series": series,
                       "images": [next(Reader(parse_url(f"{path}/{s}"))()).data[0].shape[-2:] == (inp["Y"], inp["X"])
                                  for s in series]}
for v, path in inp["theirs"].items():
    fmt = FormatV04() if v == "0.4" else FormatV05()
    root = zarr.open_group(path, mode="w", zarr_format=2 if v == "0.4" else 3)
    rows, cols = inp["rows"], inp["columns"]
    wells = inp["wells"]
    write_plate_metadata(root, rows, cols, [f"{rows[w['row']]}/{cols[w['column']]}" for w in wells], fmt=fmt,
                         field_count=2)
    k = 0
    for w in wells:
        wg = root.require_group(rows[w["row"]]).require_group(cols[w["column"]])
        write_well_metadata(wg, [{"path": str(f)} for f in range(w["fields"])], fmt=fmt)
        for f in range(w["fields"]):
            data = np.array(inp["pixels"][k], dtype=np.uint8).reshape(1, 1, 1, inp["Y"], inp["X"])
            write_image(data, wg.require_group(str(f)), axes="tczyx", fmt=fmt, scale_factors=(2,))
            k += 1
    out["theirs"][v] = path
print(json.dumps(out))
`;

interface PeerOut {
  ours: Record<
    string,
    {
      rows: string[];
      columns: string[];
      wells: Record<string, Array<{ path: string; pixels: number[] }>>;
      field_count: number;
      schema: string[];
    }
  >;
  plain: Record<string, { plate: boolean; series: string[]; images: boolean[] }>;
  theirs: Record<string, string>;
}

/** An OME document with one image per field and a Plate naming them, as Bio-Formats describes plates. */
function plateOme(): OME {
  const base = createOme({ sizeX: X, sizeY: Y, type: 'uint8' });
  const images = FIELDS.map((_, k) => ({ ...base.images[0]!, id: `Image:${k}`, name: `field ${k}` }));
  let k = 0;
  const node = plateElement({
    id: 'Plate:0',
    name: 'test plate',
    rows: 2,
    columns: 3,
    rowNamingConvention: 'letter',
    columnNamingConvention: 'number',
    wells: WELLS.map((w) => ({
      row: w.row,
      column: w.column,
      samples: Array.from({ length: w.fields }, () => ({ imageId: `Image:${k}`, index: k++ })),
    })),
    acquisitions: [],
  });
  return { ...base, images, extra: { attributes: {}, children: [{ after: 0, node }] } };
}

async function writeContainer(path: string, v: '0.4' | '0.5', hcs: boolean): Promise<void> {
  const container = await ZarrContainerWriter.create(path, plateOme(), { ngffVersion: v, hcs });
  for (let k = 0; k < FIELDS.length; k++) {
    const w = await container.image(k, 'uint8');
    await w.writeRegion({ x: [0, X], y: [0, Y], z: [0, 1], c: [0], t: [0] }, Uint8Array.from(PIXELS[k]!));
    await w.close();
  }
  await container.close();
}

describe.skipIf(!available('python', 'data'))('OME-Zarr plates with ome-zarr-py', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-plate-'));
  let peer: PeerOut;
  const path = (kind: string, v: string) => join(dir, `${kind}-${v}.ome.zarr`);

  beforeAll(async () => {
    for (const v of VERSIONS) {
      await writeContainer(path('ours', v), v, true);
      await writeContainer(path('plain', v), v, false);
    }
    const paths = (kind: string) => Object.fromEntries(VERSIONS.map((v) => [v, path(kind, v)]));
    peer = await runPythonJson<PeerOut>(PEER, {
      ours: paths('ours'),
      plain: paths('plain'),
      theirs: paths('theirs'),
      spec: dataPath('ngff-spec'),
      rows: ROWS,
      columns: COLUMNS,
      wells: WELLS,
      pixels: PIXELS,
      Y,
      X,
    });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(VERSIONS)('NGFF %s: ome-zarr-py reads the plate we wrote: wells, fields, pixels', (v) => {
    const got = peer.ours[v]!;
    expect(got.rows).toEqual(ROWS);
    expect(got.columns).toEqual(COLUMNS);
    expect(got.field_count).toBe(2);
    expect(got.schema).toEqual(got.schema.map(() => 'ok'));
    expect(got.schema).toHaveLength(2 + WELLS.length + FIELDS.length);
    const expected: Record<string, Array<{ path: string; pixels: number[] }>> = {};
    FIELDS.forEach((f, k) => {
      const key = `${ROWS[f.row]}/${COLUMNS[f.column]}`;
      expected[key] = [...(expected[key] ?? []), { path: String(f.field), pixels: PIXELS[k]! }];
    });
    expect(got.wells).toEqual(expected);
    // bioformats2raw's extras: the OME-XML, and `series` in OME-XML image order.
    expect(existsSync(join(path('ours', v), 'OME', 'METADATA.ome.xml'))).toBe(true);
  });

  test.each(VERSIONS)('NGFF %s: hcs: false writes plain series 0, 1, … (no plate)', (v) => {
    expect(peer.plain[v]).toEqual({
      plate: false,
      series: FIELDS.map((_, k) => String(k)),
      images: FIELDS.map(() => true),
    });
  });

  test.each(VERSIONS)('NGFF %s: BioReader.plate describes the plate ome-zarr-py wrote', async (v) => {
    await using br = await BioReader.open(peer.theirs[v]!);
    const plate = br.plate!;
    expect(plate.rows).toEqual(ROWS);
    expect(plate.columns).toEqual(COLUMNS);
    expect(plate.fieldCount).toBe(2);
    expect(plate.wells.map((w) => [w.rowIndex, w.columnIndex, w.row, w.column, w.fields.length])).toEqual(
      WELLS.map((w) => [w.row, w.column, ROWS[w.row], COLUMNS[w.column], w.fields]),
    );
    for (const [k, f] of FIELDS.entries()) {
      const well = plate.wells.find((w) => w.rowIndex === f.row && w.columnIndex === f.column)!;
      br.series = well.fields[f.field]!.series;
      expect(Array.from((await br.read()).data as Uint8Array)).toEqual(PIXELS[k]);
    }
  });

  test('BioReader.plate of our plate, read back, names each field its series (OME-XML Plate)', async () => {
    await using br = await BioReader.open(path('ours', '0.5'));
    expect(br.details.layout).toBe('plate');
    const plate = br.plate!;
    expect(plate.name).toBe('test plate');
    for (const [k, f] of FIELDS.entries()) {
      const well = plate.wells.find((w) => w.rowIndex === f.row && w.columnIndex === f.column)!;
      br.series = well.fields[f.field]!.series;
      expect(Array.from((await br.read()).data as Uint8Array)).toEqual(PIXELS[k]);
    }
  });
});
