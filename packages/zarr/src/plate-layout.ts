/**
 * OME-Zarr plates (NGFF 0.4/0.5 HCS): the root `plate` (rows, columns, wells, acquisitions, field_count),
 * well groups `row/col` listing their fields (`well.images`), and fields `row/col/field` as image groups.
 * Written the way bioformats2raw writes a plate (root also marked `bioformats2raw.layout: 3`, `OME` listing
 * the field paths as `series` in OME-XML image order, for tools that do not know plates); read from any
 * producer (ome-zarr-py writes no OME-XML: the plate is then described from the NGFF metadata).
 */
import type { PlateLayout } from '@bfio/core';
import { type OME, type PlateInfo, plateElement, platesOf } from '@bfio/ome-xml';
import { readNode, type ZarrFormat } from './layout.js';
import { groupDocuments } from './metadata-docs.js';
import { ngffRoot } from './ngff.js';

type Json = Record<string, unknown>;

/** Each image's group in the plate, `row/col/field`, by image index. */
export function fieldPaths(layout: PlateLayout): Map<number, string> {
  const paths = new Map<number, string>();
  for (const w of layout.wells)
    for (const f of w.fields) paths.set(f.series, `${w.row}/${w.column}/${f.field}`);
  return paths;
}

/**
 * Relative group path → documents for the plate's groups (root, rows, wells), listing only the fields whose
 * image was written. Fields keep their paths, so a well may list `0` and `2` when `1` was not written.
 */
export function plateDocuments(
  format: ZarrFormat,
  layout: PlateLayout,
  written: ReadonlySet<number>,
): Map<string, Json> {
  const v4 = format === 2 ? { version: '0.4' } : {};
  const wells = layout.wells
    .map((w) => ({ ...w, fields: w.fields.filter((f) => written.has(f.series)) }))
    .filter((w) => w.fields.length > 0);
  const plate: Json = {
    ...(layout.name !== undefined ? { name: layout.name } : {}),
    rows: layout.rows.map((name) => ({ name })),
    columns: layout.columns.map((name) => ({ name })),
    wells: wells.map((w) => ({
      path: `${w.row}/${w.column}`,
      rowIndex: w.rowIndex,
      columnIndex: w.columnIndex,
    })),
    field_count: Math.max(...wells.map((w) => w.fields.length)),
    ...(layout.acquisitions.length
      ? { acquisitions: layout.acquisitions.map((a, id) => ({ id, ...(a.name ? { name: a.name } : {}) })) }
      : {}),
    ...v4,
  };
  const v5 = format === 3 ? { version: '0.5' } : {};
  const docs = new Map<string, Json>();
  docs.set('', groupDocuments(format, { ...v5, 'bioformats2raw.layout': 3, plate }));
  const plain =
    format === 3
      ? { 'zarr.json': { zarr_format: 3, node_type: 'group', attributes: {} } }
      : { '.zgroup': { zarr_format: 2 } };
  for (const row of new Set(wells.map((w) => w.row))) docs.set(row, plain);
  for (const w of wells) {
    const images = w.fields.map((f) => ({
      path: String(f.field),
      ...(f.acquisition !== undefined ? { acquisition: f.acquisition } : {}),
    }));
    docs.set(`${w.row}/${w.column}`, groupDocuments(format, { ...v5, well: { images, ...v4 } }));
  }
  return docs;
}

/**
 * The metadata with its Plate rebuilt for the images written (`imageId(i)`: image i's ID in the written
 * OME-XML): samples of images not written go, references follow the renumbered IDs.
 */
export function remapPlate(metadata: OME, written: ReadonlySet<number>, imageId: (i: number) => string): OME {
  if (!metadata.extra) return metadata;
  const plates = platesOf(metadata);
  let k = 0;
  const children = metadata.extra.children.map((child) => {
    if (!('Plate' in child.node)) return child;
    const plate = plates[k++] as PlateInfo;
    const wells = plate.wells.map((w) => ({
      ...w,
      samples: w.samples
        .filter((s) => s.imageIndex !== undefined && written.has(s.imageIndex))
        .map((s) => ({ ...s, imageId: imageId(s.imageIndex as number) })),
    }));
    return { ...child, node: plateElement({ ...plate, wells }) };
  });
  return { ...metadata, extra: { ...metadata.extra, children } };
}

/** The metadata without its plates (for one field's own OME-XML: the Plate's other images are not in it). */
export function withoutPlates(metadata: OME): OME {
  if (!metadata.extra) return metadata;
  const children = metadata.extra.children.filter((child) => !('Plate' in child.node));
  return { ...metadata, extra: { ...metadata.extra, children } };
}

/**
 * Fields of an NGFF plate, well by well (`row/col/field`), and the plate as OME-XML describes one, for stores
 * without OME-XML: sample `i` (in path order) refers to image `imageIds[i]` once the caller knows the IDs.
 */
export async function ngffPlate(
  root: string,
  format: ZarrFormat,
  plate: Json,
  consolidated?: Json,
): Promise<{ paths: string[]; describe: (imageIds: string[]) => PlateInfo }> {
  const names = (list: unknown): string[] =>
    Array.isArray(list) ? list.map((e) => String((e as { name?: unknown })?.name ?? '')) : [];
  const rows = names(plate.rows);
  const columns = names(plate.columns);
  const wells = Array.isArray(plate.wells) ? plate.wells : [];
  const paths: string[] = [];
  const found: Array<{
    row: number;
    column: number;
    first: number;
    count: number;
    acq: Array<number | undefined>;
  }> = [];
  const acquisitionIds = Array.isArray(plate.acquisitions)
    ? plate.acquisitions.map((a) => (a as { id?: unknown })?.id)
    : [];
  for (const w of wells) {
    const wellPath = (w as { path?: unknown }).path;
    if (typeof wellPath !== 'string') continue;
    const node = await readNode(root, wellPath, format, consolidated);
    if (!node) continue;
    const well = ngffRoot(node.attrs).ngff.well as
      | { images?: Array<{ path?: unknown; acquisition?: unknown }> }
      | undefined;
    const [rowName, colName] = wellPath.split('/');
    const rowIndex = (w as { rowIndex?: unknown }).rowIndex;
    const columnIndex = (w as { columnIndex?: unknown }).columnIndex;
    const entry = {
      row: typeof rowIndex === 'number' ? rowIndex : rows.indexOf(rowName ?? ''),
      column: typeof columnIndex === 'number' ? columnIndex : columns.indexOf(colName ?? ''),
      first: paths.length,
      count: 0,
      acq: [] as Array<number | undefined>,
    };
    for (const img of well?.images ?? []) {
      if (typeof img.path !== 'string') continue;
      paths.push(`${wellPath}/${img.path}`);
      entry.count++;
      const a = acquisitionIds.indexOf(img.acquisition);
      entry.acq.push(a >= 0 ? a : undefined);
    }
    if (entry.row >= 0 && entry.column >= 0) found.push(entry);
  }
  const describe = (imageIds: string[]): PlateInfo => ({
    id: 'Plate:0',
    ...(typeof plate.name === 'string' ? { name: plate.name } : {}),
    rows: rows.length || undefined,
    columns: columns.length || undefined,
    // NGFF names rows and columns freely; OME-XML only by convention, so keep them when they follow one.
    ...(rows.every((r, i) => r === String.fromCharCode(65 + i))
      ? { rowNamingConvention: 'letter' as const }
      : {}),
    ...(columns.every((c, i) => c === String(i + 1)) ? { columnNamingConvention: 'number' as const } : {}),
    wells: found.map((e, w) => ({
      id: `Well:${w}`,
      row: e.row,
      column: e.column,
      samples: Array.from({ length: e.count }, (_, s) => ({
        id: `WellSample:${w}:${s}`,
        index: e.first + s,
        imageId: imageIds[e.first + s],
        acquisition: e.acq[s],
      })),
    })),
    acquisitions: acquisitionIds.map((id, k) => {
      const a = (plate.acquisitions as Json[])[k] as Json;
      return {
        id: `PlateAcquisition:${String(id)}`,
        ...(typeof a.name === 'string' ? { name: a.name } : {}),
      };
    }),
  });
  return { paths, describe };
}
