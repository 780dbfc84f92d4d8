/**
 * OME-Zarr label images (NGFF `labels`): an image group's `labels/` group lists label names; each
 * `labels/<name>` is a multiscales image of integer labels with `image-label` metadata (colors per label
 * value, properties, the source image). Written by `writeLabels` (pyramid levels by 'mode': the most
 * frequent label of each 2×2 block, so no label is invented or lost to averaging); listed by `readLabels`;
 * a label image itself is opened like any image, `BioReader.open(label.path)`.
 */
import {
  type DownsampleMode,
  dtypeOf,
  InvalidDataError,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import { createOme, type PixelType } from '@bfio/ome-xml';
import { join, readFile, writeFile } from '#platform';
import { exists, writeDocs } from './fs-helpers.js';
import { locateRoot, readNode, type ZarrFormat } from './layout.js';
import { groupDocuments } from './metadata-docs.js';
import { ngffRoot } from './ngff.js';
import { ZarrWriter } from './writer/index.js';

export interface LabelColor {
  labelValue: number;
  /** Red, green, blue, alpha, 0–255. */
  rgba: [number, number, number, number];
}

export interface LabelInfo {
  name: string;
  /** The label image group: open it with `BioReader.open(path)`. */
  path: string;
  colors: LabelColor[];
  /** Per-label properties as stored (`label-value` plus anything else). */
  properties: Array<Record<string, unknown>>;
  /** `source.image`: the image the labels annotate, relative to the label group (usually '../../'). */
  sourceImage?: string;
}

export interface WriteLabelsOptions {
  colors?: LabelColor[];
  properties?: Array<Record<string, unknown>>;
  /** Levels beyond full resolution (default: as many as halve the image down to 256 px or less, max 4). */
  pyramidLevels?: number;
  /** Pyramid downsampling: 'mode' (default), 'nearest' or 'max'; never 'mean', which invents labels. */
  downsample?: Exclude<DownsampleMode, 'mean'>;
  /** Replace a label image of the same name. */
  overwrite?: boolean;
}

/** A label image: integer labels in planar t,c,z,y,x order (length the product of `shape`). */
export interface LabelImage {
  data: TypedArray;
  shape: [number, number, number, number, number];
}

type Json = Record<string, unknown>;

const INTEGER = new Set(['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32']);

async function formatOf(image: string): Promise<ZarrFormat> {
  const located = await locateRoot(image);
  if (!located)
    throw new InvalidDataError(`${image} is not a Zarr group; labels go inside an OME-Zarr image`, image);
  const node = await readNode(located.root, '', located.format);
  if (!node || !Array.isArray(ngffRoot(node.attrs).ngff.multiscales))
    throw new InvalidDataError(
      `${image} is not an OME-Zarr image group (no multiscales); give the image's group, e.g. store.ome.zarr/0`,
      image,
    );
  return located.format;
}

/**
 * Writes `label` as the label image `name` of the OME-Zarr image group `image` (same NGFF version as the
 * image), and adds `name` to the image's `labels` group. Returns the label group's path.
 */
export async function writeLabels(
  image: string,
  name: string,
  label: LabelImage,
  options: WriteLabelsOptions = {},
): Promise<string> {
  if (!/^[^/\\]+$/.test(name) || name === '.' || name === '..')
    throw new InvalidDataError(`label name '${name}' must be one path segment`, image);
  const format = await formatOf(image);
  const dtype = dtypeOf(label.data);
  if (!dtype || !INTEGER.has(dtype))
    throw new UnsupportedError(
      `labels of ${image} must be integers (got ${dtype}); convert them first`,
      image,
    );
  const [t, c, z, y, x] = label.shape;
  if (label.data.length !== t * c * z * y * x)
    throw new InvalidDataError(
      `label '${name}' has ${label.data.length} values for shape ${label.shape.join('×')}`,
      image,
    );
  const path = join(image, 'labels', name);
  const pyramidLevels =
    options.pyramidLevels ?? Math.min(4, Math.max(0, Math.ceil(Math.log2(Math.max(x, y) / 256))));
  const writer = await ZarrWriter.create(
    path,
    createOme({ sizeX: x, sizeY: y, sizeZ: z, sizeC: c, sizeT: t, type: dtype as PixelType, name }),
    dtype,
    {
      ngffVersion: format === 3 ? '0.5' : '0.4',
      pyramidLevels,
      downsample: options.downsample ?? 'mode',
      overwrite: options.overwrite === true,
    },
  );
  try {
    await writer.writeRegion(
      {
        x: [0, x],
        y: [0, y],
        z: [0, z],
        c: Array.from({ length: c }, (_, i) => i),
        t: Array.from({ length: t }, (_, i) => i),
      },
      label.data,
    );
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const imageLabel: Json = {
    ...(format === 2 ? { version: '0.4' } : {}),
    colors: (options.colors ?? []).map((col) => ({ 'label-value': col.labelValue, rgba: col.rgba })),
    ...(options.properties ? { properties: options.properties } : {}),
    source: { image: '../../' },
  };
  await patchGroupAttributes(path, format, (ngff) => ({ ...ngff, 'image-label': imageLabel }));
  // The labels group lists every label image (kept when it exists: other names stay).
  const labelsDir = join(image, 'labels');
  const names = (await readLabelNames(labelsDir, format)) ?? [];
  if (!names.includes(name)) names.push(name);
  await writeDocs(
    labelsDir,
    groupDocuments(format, { ...(format === 3 ? { version: '0.5' } : {}), labels: names }),
  );
  return path;
}

async function readLabelNames(labelsDir: string, format: ZarrFormat): Promise<string[] | undefined> {
  if (!(await exists(labelsDir))) return undefined;
  const node = await readNode(labelsDir, '', format);
  const list = node ? ngffRoot(node.attrs).ngff.labels : undefined;
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : undefined;
}

/** Rewrites the NGFF attributes of a group bfio wrote (`.zattrs`, or `zarr.json`'s `attributes.ome`). */
async function patchGroupAttributes(
  dir: string,
  format: ZarrFormat,
  edit: (ngff: Json) => Json,
): Promise<void> {
  const file = join(dir, format === 3 ? 'zarr.json' : '.zattrs');
  const doc = JSON.parse(await readFile(file, 'utf8')) as Json;
  if (format === 3) {
    const attributes = (doc.attributes ?? {}) as Json;
    doc.attributes = { ...attributes, ome: edit((attributes.ome ?? {}) as Json) };
    await writeFile(file, JSON.stringify(doc, null, 2));
  } else await writeFile(file, JSON.stringify(edit(doc), null, 2));
}

/**
 * The label images of the OME-Zarr image group `image` (empty when it has none), with their colors and
 * properties. Label images the `labels` group lists but that are missing are left out.
 */
export async function readLabels(image: string): Promise<LabelInfo[]> {
  const located = await locateRoot(image);
  if (!located) throw new InvalidDataError(`${image} is not a Zarr group`, image);
  const names = (await readLabelNames(join(located.root, 'labels'), located.format)) ?? [];
  const out: LabelInfo[] = [];
  for (const name of names) {
    const node = await readNode(located.root, `labels/${name}`, located.format);
    if (!node) continue;
    const il = ngffRoot(node.attrs).ngff['image-label'];
    const meta = (typeof il === 'object' && il !== null ? il : {}) as Json;
    const colors: LabelColor[] = [];
    for (const col of Array.isArray(meta.colors) ? meta.colors : []) {
      const v = (col as Json)?.['label-value'];
      const rgba = (col as Json)?.rgba;
      // The spec allows booleans as label values (masks): true is 1.
      const labelValue = typeof v === 'boolean' ? Number(v) : v;
      if (typeof labelValue !== 'number' || !Array.isArray(rgba) || rgba.length !== 4) continue;
      colors.push({ labelValue, rgba: rgba.map(Number) as LabelColor['rgba'] });
    }
    const source = meta.source as Json | undefined;
    out.push({
      name,
      path: join(located.root, 'labels', name),
      colors,
      properties: Array.isArray(meta.properties) ? (meta.properties as Json[]) : [],
      ...(typeof source?.image === 'string' ? { sourceImage: source.image } : {}),
    });
  }
  return out;
}
