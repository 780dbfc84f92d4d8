/**
 * Which groups of a store are its series, by the OME-Zarr layout its root says: one image (multiscales), a
 * bioformats2raw container (series groups, plates too), or an NGFF plate (the fields of its wells).
 */
import { CorruptFileError } from '@bfio/core';
import { readNode, type ZarrFormat } from '../layout.js';
import { ngffRoot } from '../ngff.js';
import { ngffPlate } from '../plate-layout.js';
import type { OpenStore } from './open-store.js';

export type NgffPlateInfo = Awaited<ReturnType<typeof ngffPlate>>;

export interface SeriesLayout {
  /** The series groups, relative to the root ('' for the root itself). */
  paths: string[];
  /** Where the store's full OME-XML would be. */
  omeXmlFile?: string;
  /** The NGFF plate the series come from, when the layout is a plate. */
  plate?: NgffPlateInfo;
}

/** The series of a group root; sets `details.layout`. */
export async function seriesLayout(store: OpenStore, ngff: Record<string, unknown>): Promise<SeriesLayout> {
  const { file, root, format, consolidated, details } = store;
  const plateOf = () => ngffPlate(root, format, ngff.plate as Record<string, unknown>, consolidated);
  const hasPlate = typeof ngff.plate === 'object' && ngff.plate !== null;
  if (ngff['bioformats2raw.layout'] !== undefined) {
    // bioformats2raw plates list their fields as `series` too (the plate's image order).
    details.layout = hasPlate ? 'plate' : 'bioformats2raw';
    let paths = await bioformats2rawSeries(root, format, consolidated);
    let plate: NgffPlateInfo | undefined;
    if (paths.length === 0 && hasPlate) {
      plate = await plateOf();
      paths = plate.paths;
    }
    if (paths.length === 0)
      throw new CorruptFileError(file, 'a bioformats2raw container without series groups');
    return { paths, omeXmlFile: store.omeXmlFile ?? `${root}/OME/METADATA.ome.xml`, plate };
  }
  if (Array.isArray(ngff.multiscales)) {
    details.layout = 'image';
    return { paths: [''], omeXmlFile: store.omeXmlFile ?? `${root}/OME/METADATA.ome.xml` };
  }
  if (hasPlate) {
    details.layout = 'plate';
    const plate = await plateOf();
    return { paths: plate.paths, omeXmlFile: store.omeXmlFile, plate };
  }
  throw new CorruptFileError(
    file,
    'a Zarr group without OME-NGFF multiscales, plate or bioformats2raw layout; open one of its arrays directly',
  );
}

/** Series groups of a bioformats2raw container: `OME`'s `series` list, else groups 0, 1, 2, ... */
async function bioformats2rawSeries(
  root: string,
  format: ZarrFormat,
  consolidated?: Record<string, unknown>,
): Promise<string[]> {
  const omeGroup = await readNode(root, 'OME', format, consolidated);
  const listed = omeGroup ? ngffRoot(omeGroup.attrs).ngff.series : undefined;
  if (Array.isArray(listed) && listed.every((p) => typeof p === 'string')) return listed as string[];
  const paths: string[] = [];
  for (let i = 0; ; i++) {
    const node = await readNode(root, String(i), format, consolidated);
    if (!node) break;
    paths.push(String(i));
  }
  return paths;
}
