/**
 * The OME metadata of an opened store: its full OME-XML when it carries one, else (per series, and for a
 * plate) what NGFF says, so BioReader describes every store alike; and the `details` summary.
 */
import { CorruptFileError } from '@bfio/core';
import { type OME, plateElement, platesOf } from '@bfio/ome-xml';
import { basename } from '#platform';
import { readText } from '../layout.js';
import { type NgffMultiscale, parseOmeroChannels, quantityFromNgff } from '../ngff.js';
import { emptyOme, parseOmeXml, synthesizeImage } from '../ome.js';
import { axisOrder } from './axes.js';
import type { ZarrOpenOptions } from './options.js';
import { imageFacts, type Level, type Series } from './series.js';
import type { NgffPlateInfo } from './series-layout.js';

/** The store's OME-XML parsed (empty OME when it has none); sets `details.omeXml`. */
export async function readOmeXml(
  file: string,
  omeXmlFile: string | undefined,
  options: ZarrOpenOptions,
  details: Record<string, unknown>,
): Promise<OME> {
  const xml = omeXmlFile ? await readText(omeXmlFile) : undefined;
  if (xml === undefined) return emptyOme();
  try {
    const metadata = parseOmeXml(xml, { clean: options.cleanMetadata !== false, file: omeXmlFile });
    details.omeXml = omeXmlFile;
    return metadata;
  } catch (err) {
    throw new CorruptFileError(
      file,
      `its OME-XML (${omeXmlFile}) does not parse: ${String(err)}`,
      undefined,
      err,
    );
  }
}

/** A series as opened from its group: the multiscales it was read from and its levels' scales. */
export interface OpenedSeries {
  series: Series;
  path: string;
  ngff: Record<string, unknown>;
  multiscale: NgffMultiscale;
  scales: Array<number[] | undefined>;
}

/**
 * Links series `i` to its OME Image: the OME-XML's i-th image when there is one, else an image described
 * from NGFF (sizes, physical sizes and units, omero channels), appended to the metadata.
 */
export function describeSeries(file: string, metadata: OME, opened: OpenedSeries, i: number): OME {
  const { series, path, ngff, multiscale: ms, scales } = opened;
  if (metadata.images[i]) {
    series.info = { ...series.info, imageIndex: i };
    return metadata;
  }
  const level0 = series.levels[0] as Level;
  const scale0 = scales[0];
  const unit = (k: number) => {
    const a = level0.axisOf[k] as number;
    return a >= 0 ? ms.axes?.[a]?.unit : undefined;
  };
  const scaleOf = (k: number) => {
    const a = level0.axisOf[k] as number;
    return a >= 0 && scale0 ? scale0[a] : undefined;
  };
  const image = synthesizeImage({
    ...imageFacts(series, metadata.images.length, ms.name ?? (path || basename(file))),
    physicalSizeX: quantityFromNgff(scaleOf(4), unit(4)),
    physicalSizeY: quantityFromNgff(scaleOf(3), unit(3)),
    physicalSizeZ: quantityFromNgff(scaleOf(2), unit(2)),
    timeIncrement: quantityFromNgff(scaleOf(0), unit(0)),
    channels: parseOmeroChannels(ngff),
  });
  series.info = { ...series.info, imageIndex: metadata.images.length };
  return { ...metadata, images: [...metadata.images, image] };
}

/** With no OME-XML Plate (ome-zarr-py writes none), one described from NGFF, so BioReader.plate works alike. */
export function withNgffPlate(metadata: OME, plate: NgffPlateInfo | undefined, all: Series[]): OME {
  if (!plate || platesOf(metadata).length > 0) return metadata;
  const ids = all.map((s) => metadata.images[s.info.imageIndex]?.id ?? '');
  const node = plateElement(plate.describe(ids));
  const extra = metadata.extra ?? { attributes: {}, children: [] };
  return { ...metadata, extra: { ...extra, children: [...extra.children, { after: 0, node }] } };
}

/** The NGFF version(s), axis orders, chunk shapes and series groups, as `details` reports them. */
export function summarize(
  details: Record<string, unknown>,
  all: Series[],
  paths: string[],
  versions: ReadonlySet<string>,
): string | undefined {
  const ngffVersion = [...versions].join(', ') || undefined;
  details.ngffVersion = ngffVersion;
  details.axes = all.map((s) => axisOrder((s.levels[0] as Level).axisOf));
  details.chunks = all.map((s) => (s.levels[0] as Level).array.chunks);
  details.seriesPaths = paths;
  return ngffVersion;
}
