/**
 * OME-Zarr labels round trip against ome-zarr-py, NGFF 0.4 (Zarr v2) and 0.5 (Zarr v3): label images bfio
 * writes (`writeLabels`) validate against the NGFF label schema and are found by ome_zarr.reader as Label
 * nodes with our colours and pixels; label images
 * ome_zarr.writer.write_labels writes are listed by `readLabels` (names, colours, properties) and read by
 * BioReader equal to the array given to Python. One Python run does both directions.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { type LabelColor, readLabels, writeLabels, ZarrWriter } from '../src/index.js';

/** NGFF schema validation shared by the peers (test-support/ngff_schema.py). */
const SCHEMA_PEER = readFileSync(new URL('../../../test-support/ngff_schema.py', import.meta.url), 'utf8');

const Y = 100;
const X = 150;
// Blocks of 20×30 px: even-sized and aligned, so every 2×2 block is one label and any label-keeping
// downsampling gives label[::2, ::2] at level 1 (what the peer's level is compared with).
const LABEL = Uint16Array.from({ length: Y * X }, (_, i) => {
  const y = Math.floor(i / X);
  const x = i % X;
  return y < 20 && x < 30 ? 0 : 1 + ((Math.floor(y / 20) * 7 + Math.floor(x / 30)) % 5);
});
const HALF = Array.from({ length: (Y / 2) * (X / 2) }, (_, i) => {
  const r = Math.floor(i / (X / 2));
  const q = i % (X / 2);
  return LABEL[2 * r * X + 2 * q] as number;
});
const COLORS: LabelColor[] = [
  { labelValue: 1, rgba: [255, 0, 0, 255] },
  { labelValue: 2, rgba: [0, 255, 0, 128] },
  { labelValue: 5, rgba: [10, 20, 30, 40] },
];
const VERSIONS = ['0.4', '0.5'] as const;

const PEER = `${SCHEMA_PEER}
import json, sys
import numpy as np
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader, Label
from ome_zarr.writer import write_image, write_labels
from ome_zarr.format import FormatV04, FormatV05
inp = json.load(sys.stdin)
out = {"ours": {}, "theirs": {}}
for v, path in inp["ours"].items():
    nodes = list(Reader(parse_url(path))())
    lab = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
    n = lab[0]
    colors = {str(k): [round(c * 255) for c in rgba] for k, rgba in n.metadata.get("color", {}).items()}
    out["ours"][v] = {
        "labelNodes": len(lab),
        "colors": colors,
        "level0": np.asarray(n.data[0]).ravel().tolist(),
        "shape0": list(n.data[0].shape),
        "level1": np.asarray(n.data[1]).ravel().tolist(),
        "dtype": str(n.data[0].dtype),
        "schema": [ngff_check(inp["spec"], v, "label.schema", dict(zarr.open_group(f"{path}/labels/cells", mode="r").attrs))],
    }
label = np.array(inp["label"], dtype=np.uint16).reshape(inp["shape"])
for v, path in inp["theirs"].items():
    fmt = FormatV04() if v == "0.4" else FormatV05()
    root = zarr.open_group(path, mode="w", zarr_format=2 if v == "0.4" else 3)
    write_image(np.zeros(inp["shape"], dtype=np.uint8), root, axes="tczyx", fmt=fmt, scale_factors=(2,))
    meta = {"colors": [{"label-value": c["labelValue"], "rgba": c["rgba"]} for c in inp["colors"]],
            "properties": [{"label-value": 1, "class": "nucleus"}]}
    write_labels(label, root, name="cells", axes="tczyx", fmt=fmt, scale_factors=(2,), label_metadata=meta)
    out["theirs"][v] = path
print(json.dumps(out))
`;

interface PeerOut {
  ours: Record<
    string,
    {
      labelNodes: number;
      colors: Record<string, number[]>;
      level0: number[];
      shape0: number[];
      level1: number[];
      dtype: string;
      schema: string[];
    }
  >;
  theirs: Record<string, string>;
}

describe.skipIf(!available('python', 'data'))('OME-Zarr labels round trip with ome-zarr-py', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-labels-'));
  let peer: PeerOut;

  beforeAll(async () => {
    const ours: Record<string, string> = {};
    for (const v of VERSIONS) {
      const path = join(dir, `ours-${v}.ome.zarr`);
      const w = await ZarrWriter.create(path, createOme({ sizeX: X, sizeY: Y, type: 'uint8' }), 'uint8', {
        ngffVersion: v,
      });
      await w.close();
      await writeLabels(
        path,
        'cells',
        { data: LABEL, shape: [1, 1, 1, Y, X] },
        { colors: COLORS, pyramidLevels: 1 },
      );
      ours[v] = path;
    }
    const theirs = Object.fromEntries(VERSIONS.map((v) => [v, join(dir, `theirs-${v}.ome.zarr`)]));
    peer = await runPythonJson<PeerOut>(PEER, {
      ours,
      theirs,
      label: Array.from(LABEL),
      shape: [1, 1, 1, Y, X],
      colors: COLORS,
      spec: dataPath('ngff-spec'),
    });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(VERSIONS)('NGFF %s: ome-zarr-py finds our label image with its colours and pixels', (v) => {
    const got = peer.ours[v]!;
    expect(got.labelNodes).toBe(1);
    expect(got.schema).toEqual(['ok']);
    expect(got.dtype).toBe('uint16');
    expect(got.shape0).toEqual([1, 1, 1, Y, X]);
    expect(got.level0).toEqual(Array.from(LABEL));
    expect(got.level1).toEqual(HALF);
    expect(got.colors).toEqual(Object.fromEntries(COLORS.map((c) => [String(c.labelValue), c.rgba])));
  });

  test.each(VERSIONS)('NGFF %s: we list and read the labels ome-zarr-py wrote', async (v) => {
    const image = peer.theirs[v]!;
    const labels = await readLabels(image);
    expect(labels.map((l) => l.name)).toEqual(['cells']);
    const cells = labels[0]!;
    expect(cells.colors).toEqual(COLORS);
    expect(cells.properties).toEqual([{ 'label-value': 1, class: 'nucleus' }]);
    await using br = await BioReader.open(cells.path);
    expect(br.shape).toEqual([Y, X, 1, 1, 1]);
    expect(br.dtype).toBe('uint16');
    expect(Array.from((await br.read()).data as Uint16Array)).toEqual(Array.from(LABEL));
    br.level = 1;
    expect(Array.from((await br.read()).data as Uint16Array)).toEqual(HALF);
  });

  test('labels go into an image group only; a second label image is added to the list', async () => {
    const path = join(dir, 'ours-0.5.ome.zarr');
    await writeLabels(path, 'nuclei', { data: LABEL, shape: [1, 1, 1, Y, X] }, { pyramidLevels: 0 });
    expect((await readLabels(path)).map((l) => l.name)).toEqual(['cells', 'nuclei']);
    await expect(writeLabels(dir, 'x', { data: LABEL, shape: [1, 1, 1, Y, X] })).rejects.toMatchObject({
      name: expect.stringMatching(/Error/),
    });
    await expect(
      writeLabels(path, 'bad', { data: new Float32Array(Y * X), shape: [1, 1, 1, Y, X] }),
    ).rejects.toThrow(/must be integers/);
  });
});
