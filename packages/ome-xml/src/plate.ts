/**
 * OME-XML plates (HCS): the `Plate` → `Well` → `WellSample` → `ImageRef` elements, and `PlateAcquisition`.
 * The model keeps them as unparsed children of `OME` (`ome.extra`), so this module reads them from there
 * and builds them back, rather than widening the core model for one use.
 */
import type { OME, XmlNode } from './model.js';
import { attrsOf, element, elementsOf, tagOf } from './xml-nodes.js';

export type NamingConvention = 'letter' | 'number';

export interface PlateWellSample {
  id?: string;
  /** The sample's `Index` (Bio-Formats numbers samples across the plate). */
  index?: number;
  /** The `ID` of the image the sample shows (`ImageRef`). */
  imageId?: string;
  /** That image's index in `ome.images` (undefined when no image has the ID). */
  imageIndex?: number;
  /** Index in `Plate.acquisitions` of the `PlateAcquisition` referencing this sample. */
  acquisition?: number;
}

export interface PlateWell {
  id?: string;
  /** 0-based row and column. */
  row: number;
  column: number;
  samples: PlateWellSample[];
}

export interface PlateAcquisitionInfo {
  id: string;
  name?: string;
  maximumFieldCount?: number;
}

export interface PlateInfo {
  id: string;
  name?: string;
  /** Declared size (may be absent: then the extent of the wells). */
  rows?: number;
  columns?: number;
  rowNamingConvention?: NamingConvention;
  columnNamingConvention?: NamingConvention;
  wells: PlateWell[];
  acquisitions: PlateAcquisitionInfo[];
}

const int = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
};
const convention = (v: string | undefined): NamingConvention | undefined =>
  v === 'letter' || v === 'number' ? v : undefined;

/** The plates of an OME document (none for most files). */
export function platesOf(ome: OME): PlateInfo[] {
  const imageIndex = new Map(ome.images.map((im, i) => [im.id, i]));
  const plates: PlateInfo[] = [];
  for (const { node } of ome.extra?.children ?? []) {
    if (tagOf(node) !== 'Plate') continue;
    const a = attrsOf(node);
    const kids = elementsOf(node);
    const acquisitions: PlateAcquisitionInfo[] = [];
    const acquisitionOf = new Map<string, number>();
    for (const pa of kids.filter((k) => tagOf(k) === 'PlateAcquisition')) {
      const pattrs = attrsOf(pa);
      const k = acquisitions.length;
      acquisitions.push({
        id: pattrs.ID ?? `PlateAcquisition:${k}`,
        name: pattrs.Name,
        maximumFieldCount: int(pattrs.MaximumFieldCount),
      });
      for (const ref of elementsOf(pa))
        if (tagOf(ref) === 'WellSampleRef' && attrsOf(ref).ID)
          acquisitionOf.set(attrsOf(ref).ID as string, k);
    }
    const wells: PlateWell[] = [];
    for (const w of kids.filter((k) => tagOf(k) === 'Well')) {
      const wa = attrsOf(w);
      const row = int(wa.Row);
      const column = int(wa.Column);
      if (row === undefined || column === undefined) continue;
      const samples = elementsOf(w)
        .filter((s) => tagOf(s) === 'WellSample')
        .map((s): PlateWellSample => {
          const sa = attrsOf(s);
          const ref = elementsOf(s).find((r) => tagOf(r) === 'ImageRef');
          const imageId = ref ? attrsOf(ref).ID : undefined;
          return {
            id: sa.ID,
            index: int(sa.Index),
            imageId,
            imageIndex: imageId === undefined ? undefined : imageIndex.get(imageId),
            acquisition: sa.ID === undefined ? undefined : acquisitionOf.get(sa.ID),
          };
        });
      wells.push({ id: wa.ID, row, column, samples });
    }
    plates.push({
      id: a.ID ?? `Plate:${plates.length}`,
      name: a.Name,
      rows: int(a.Rows),
      columns: int(a.Columns),
      rowNamingConvention: convention(a.RowNamingConvention),
      columnNamingConvention: convention(a.ColumnNamingConvention),
      wells,
      acquisitions,
    });
  }
  return plates;
}

/**
 * A row or column name as the plate's convention spells it: letters A…Z, AA… ('letter'), or 1-based numbers
 * ('number'). Without a convention rows are letters and columns numbers, as on plates and in bioformats2raw.
 */
export function plateAxisName(
  index: number,
  conv: NamingConvention | undefined,
  axis: 'row' | 'column',
): string {
  if ((conv ?? (axis === 'row' ? 'letter' : 'number')) === 'number') return String(index + 1);
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** A `Plate` element for `ome.extra` (the inverse of `platesOf`); `imageId` names each sample's image. */
export function plateElement(plate: PlateInfo): XmlNode {
  const attrs: Record<string, string> = { ID: plate.id };
  if (plate.name !== undefined) attrs.Name = plate.name;
  if (plate.rows !== undefined) attrs.Rows = String(plate.rows);
  if (plate.columns !== undefined) attrs.Columns = String(plate.columns);
  if (plate.rowNamingConvention) attrs.RowNamingConvention = plate.rowNamingConvention;
  if (plate.columnNamingConvention) attrs.ColumnNamingConvention = plate.columnNamingConvention;
  const sampleId = (w: number, s: number, sample: PlateWellSample) => sample.id ?? `WellSample:${w}:${s}`;
  const wells = plate.wells.map((well, w) =>
    element(
      'Well',
      { ID: well.id ?? `Well:${w}`, Column: String(well.column), Row: String(well.row) },
      well.samples.map((sample, s) => {
        const sa: Record<string, string> = { ID: sampleId(w, s, sample) };
        if (sample.index !== undefined) sa.Index = String(sample.index);
        return element('WellSample', sa, sample.imageId ? [element('ImageRef', { ID: sample.imageId })] : []);
      }),
    ),
  );
  // Schema order: Description?, Well*, AnnotationRef*, PlateAcquisition*.
  const acquisitions = plate.acquisitions.map((acq, k) =>
    element(
      'PlateAcquisition',
      { ID: acq.id, ...(acq.name !== undefined ? { Name: acq.name } : {}) },
      plate.wells.flatMap((well, w) =>
        well.samples.flatMap((sample, s) =>
          sample.acquisition === k ? [element('WellSampleRef', { ID: sampleId(w, s, sample) })] : [],
        ),
      ),
    ),
  );
  return element('Plate', attrs, [...wells, ...acquisitions]);
}
