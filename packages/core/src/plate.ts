/**
 * A multi-well plate (HCS) as the series of a file: which series is which field of which well. Built from the
 * OME-XML `Plate` (Bio-Formats, OME-TIFF, bioformats2raw stores; the Zarr backend writes one from an NGFF
 * `plate` that has no OME-XML), so every backend gives the same answer.
 */
import { type OME, type PlateInfo, plateAxisName, platesOf } from '@bfio/ome-xml';

export interface PlateField {
  /** The series (`BioReader.series`) showing this field. */
  series: number;
  /** 0-based field of view within the well (the NGFF image path in the well group). */
  field: number;
  /** Index into `PlateLayout.acquisitions`, when the plate has acquisitions. */
  acquisition?: number;
}

export interface PlateWellLayout {
  /** Row and column names ('A', '1'), as the plate names them; the NGFF well path is `row/column`. */
  row: string;
  column: string;
  /** 0-based row and column. */
  rowIndex: number;
  columnIndex: number;
  fields: PlateField[];
}

export interface PlateLayout {
  id: string;
  name?: string;
  /** Every row and column name of the plate, in order (also those without wells). */
  rows: string[];
  columns: string[];
  /** Wells with at least one field that is a series of the file, row by row. */
  wells: PlateWellLayout[];
  acquisitions: Array<{ id: string; name?: string }>;
  /** The most fields any well has. */
  fieldCount: number;
}

/**
 * The first plate of `metadata` with its fields mapped to series (`seriesOfImage(i)`: the series showing
 * `metadata.images[i]`, or undefined when none does: such fields are left out). Undefined without a plate or
 * when no field is a series.
 */
export function plateLayout(
  metadata: OME,
  seriesOfImage: (imageIndex: number) => number | undefined,
): PlateLayout | undefined {
  const plate: PlateInfo | undefined = platesOf(metadata)[0];
  if (!plate) return undefined;
  const wells: PlateWellLayout[] = [];
  for (const well of [...plate.wells].sort((a, b) => a.row - b.row || a.column - b.column)) {
    const samples = well.samples
      .map((s, order) => ({ s, order }))
      // Fields in `Index` order where given (Bio-Formats numbers them), else document order.
      .sort((a, b) => (a.s.index ?? a.order) - (b.s.index ?? b.order) || a.order - b.order);
    const fields: PlateField[] = [];
    for (const { s } of samples) {
      const series = s.imageIndex === undefined ? undefined : seriesOfImage(s.imageIndex);
      if (series === undefined) continue;
      fields.push({
        series,
        field: fields.length,
        ...(s.acquisition !== undefined ? { acquisition: s.acquisition } : {}),
      });
    }
    if (fields.length === 0) continue;
    wells.push({
      row: plateAxisName(well.row, plate.rowNamingConvention, 'row'),
      column: plateAxisName(well.column, plate.columnNamingConvention, 'column'),
      rowIndex: well.row,
      columnIndex: well.column,
      fields,
    });
  }
  if (wells.length === 0) return undefined;
  const nRows = Math.max(plate.rows ?? 0, ...wells.map((w) => w.rowIndex + 1));
  const nCols = Math.max(plate.columns ?? 0, ...wells.map((w) => w.columnIndex + 1));
  return {
    id: plate.id,
    ...(plate.name !== undefined ? { name: plate.name } : {}),
    rows: Array.from({ length: nRows }, (_, i) => plateAxisName(i, plate.rowNamingConvention, 'row')),
    columns: Array.from({ length: nCols }, (_, i) =>
      plateAxisName(i, plate.columnNamingConvention, 'column'),
    ),
    wells,
    acquisitions: plate.acquisitions.map((a) => ({
      id: a.id,
      ...(a.name !== undefined ? { name: a.name } : {}),
    })),
    fieldCount: Math.max(...wells.map((w) => w.fields.length)),
  };
}
