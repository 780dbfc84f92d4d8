/**
 * Shared by the store-view tests: reading every level of every series of a view with zarrita (series groups
 * from the bioformats2raw `OME` group when the root has that layout), and the Python that validates NGFF
 * attributes against the schemas in ../shared/data/ngff-spec.
 */
import { createHash } from 'node:crypto';
import * as zarr from 'zarrita';
import type { StoreView } from '../../src/index.js';

export interface LevelDigest {
  shape: number[];
  dtype: string;
  sha: string;
}

export function sha256(data: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');
}

type Attrs = Record<string, unknown>;
const ngffOf = (attrs: Attrs) => (attrs.ome ?? attrs) as Attrs;

/** Every level of every series as zarrita reads it through `view`, in series order, with the group attributes. */
export async function zarritaLevels(
  view: StoreView,
): Promise<{ series: LevelDigest[][]; rootAttrs: Attrs; imageAttrs: Attrs[] }> {
  const root = zarr.root(view);
  const rootAttrs = (await zarr.open(root, { kind: 'group' })).attrs as Attrs;
  let groups = [''];
  if (ngffOf(rootAttrs)['bioformats2raw.layout'] === 3) {
    const ome = (await zarr.open(root.resolve('OME'), { kind: 'group' })).attrs as Attrs;
    groups = ngffOf(ome).series as string[];
  }
  const series: LevelDigest[][] = [];
  const imageAttrs: Attrs[] = [];
  for (const g of groups) {
    const loc = g ? root.resolve(g) : root;
    const meta = ngffOf((await zarr.open(loc, { kind: 'group' })).attrs as Attrs);
    imageAttrs.push(meta);
    const levels: LevelDigest[] = [];
    for (const ds of (meta.multiscales as Array<{ datasets: Array<{ path: string }> }>)[0]!.datasets) {
      const array = await zarr.open(loc.resolve(ds.path), { kind: 'array' });
      const chunk = await zarr.get(array);
      levels.push({
        shape: chunk.shape,
        dtype: array.dtype,
        sha: sha256(chunk.data as unknown as ArrayBufferView),
      });
    }
    series.push(levels);
  }
  return { series, rootAttrs, imageAttrs };
}

/** Python: `validate(version, schema_file, attrs)` against the NGFF schemas under `inp['spec']`. */
export const VALIDATE_NGFF_PY = `
import glob, json, os
import jsonschema, referencing, referencing.jsonschema

def validate(v, name, attrs):
    spec = inp['spec']
    res = []
    for f in glob.glob(os.path.join(spec, v, 'schemas', '*.schema')):
        doc = json.load(open(f))
        res.append((doc['$id'], referencing.jsonschema.DRAFT202012.create_resource(doc)))
    schema = json.load(open(os.path.join(spec, v, 'schemas', name)))
    jsonschema.Draft202012Validator(schema, registry=referencing.Registry().with_resources(res)).validate(attrs)
`;
