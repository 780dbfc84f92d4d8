/**
 * `plateLayout` (what `BioReader.plate` returns) on the OME-XML plates of bioformats2raw's own test resources
 * (row F only; well E6 only; 8×12 plates named by letter/number convention), against the same documents read
 * by Python's ElementTree: rows, columns, each well's row/column names and its fields' images in `Index`
 * order. One Python run for both documents.
 */
import { readFileSync } from 'node:fs';
import { parseOmeXml } from '@bfio/ome-xml';
import { beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { plateLayout } from '../src/index.js';

const FILES = ['bioformats2raw-testres/row-F-only.ome.xml', 'bioformats2raw-testres/E6-only.ome.xml'];

const PEER = `
import json, sys
import xml.etree.ElementTree as ET
NS = "{http://www.openmicroscopy.org/Schemas/OME/2016-06}"
def name(i, conv):
    if conv == "number":
        return str(i + 1)
    s, n = "", i + 1
    while n > 0:
        s = chr(65 + (n - 1) % 26) + s
        n = (n - 1) // 26
    return s
out = []
for path in json.load(sys.stdin):
    root = ET.parse(path).getroot()
    images = [im.get("ID") for im in root.findall(NS + "Image")]
    plate = root.find(NS + "Plate")
    rc, cc = plate.get("RowNamingConvention"), plate.get("ColumnNamingConvention")
    wells = []
    for w in sorted(plate.findall(NS + "Well"), key=lambda w: (int(w.get("Row")), int(w.get("Column")))):
        samples = sorted(w.findall(NS + "WellSample"), key=lambda s: int(s.get("Index")))
        wells.append({"row": name(int(w.get("Row")), rc), "column": name(int(w.get("Column")), cc),
                      "images": [images.index(s.find(NS + "ImageRef").get("ID")) for s in samples]})
    out.append({"rows": [name(i, rc) for i in range(int(plate.get("Rows")))],
                "columns": [name(i, cc) for i in range(int(plate.get("Columns")))],
                "name": plate.get("Name"), "wells": wells})
print(json.dumps(out))
`;

interface Peer {
  rows: string[];
  columns: string[];
  name: string;
  wells: Array<{ row: string; column: string; images: number[] }>;
}

describe.skipIf(!available('data', 'python'))('plateLayout of bioformats2raw test plates', () => {
  let peer: Peer[];
  beforeAll(async () => {
    peer = await runPythonJson<Peer[]>(
      PEER,
      FILES.map((f) => dataPath(f)),
    );
  }, 60_000);

  it.each(FILES.map((f, i) => [f, i] as const))('%s', (file, i) => {
    const ome = parseOmeXml(readFileSync(dataPath(file), 'utf8'), { file });
    // Series are images here (as for a reader showing every image): image i is series i.
    const layout = plateLayout(ome, (image) => image)!;
    const want = peer[i]!;
    expect(layout.name).toBe(want.name);
    expect(layout.rows).toEqual(want.rows);
    expect(layout.columns).toEqual(want.columns);
    expect(
      layout.wells.map((w) => ({ row: w.row, column: w.column, images: w.fields.map((f) => f.series) })),
    ).toEqual(want.wells);
    expect(layout.wells.flatMap((w) => w.fields.map((f) => f.field))).toEqual(
      want.wells.flatMap((w) => w.images.map((_, k) => k)),
    );
  });

  it('fields whose image is no series are left out; no plate gives undefined', () => {
    const ome = parseOmeXml(readFileSync(dataPath(FILES[0]!), 'utf8'));
    const layout = plateLayout(ome, (image) => (image % 2 === 0 ? image / 2 : undefined))!;
    expect(layout.wells.flatMap((w) => w.fields.map((f) => f.series))).toEqual(
      peer[0]!.wells
        .flatMap((w) => w.images)
        .filter((im) => im % 2 === 0)
        .map((im) => im / 2),
    );
    expect(plateLayout({ ...ome, extra: undefined }, (image) => image)).toBeUndefined();
  });
});
