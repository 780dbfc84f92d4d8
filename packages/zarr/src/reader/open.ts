/**
 * Opening a store, step by step: the store and its root node (open-store.ts), then either a bare array or
 * the layout's series groups (series-layout.ts), the OME-XML (metadata.ts), each series' multiscales and
 * arrays (here), and the NGFF descriptions of what the OME-XML lacks.
 */
import { CorruptFileError, UnsupportedError } from '@bfio/core';
import type { OME } from '@bfio/ome-xml';
import { basename } from '#platform';
import { registerCodecs } from '../codecs.js';
import { readNode } from '../layout.js';
import { type NgffMultiscale, ngffRoot, parseMultiscale } from '../ngff.js';
import { emptyOme, synthesizeImage } from '../ome.js';
import { ArrayOpener } from './arrays.js';
import { assumedAxes, axesFromNames } from './axes.js';
import { describeSeries, type OpenedSeries, readOmeXml, summarize, withNgffPlate } from './metadata.js';
import { type OpenStore, openStore } from './open-store.js';
import type { ZarrOpenOptions } from './options.js';
import { imageFacts, type Level, makeSeries, type Series, withDownsampling } from './series.js';
import { seriesLayout } from './series-layout.js';

/** Everything the reader holds about an opened store. */
export interface OpenedZarr {
  /** How `format` names the store ('OME-Zarr 0.5', 'Zarr v2 array', ...). */
  format: string;
  metadata: OME;
  series: Series[];
  details: Record<string, unknown>;
  /** A local store's root folder and its identity at open. */
  identity?: { root: string; id: string };
}

export async function openZarr(file: string, options: ZarrOpenOptions): Promise<OpenedZarr> {
  registerCodecs();
  const store = await openStore(file, options);
  const arrays = new ArrayOpener(store);
  if (store.node.kind === 'array') return openBareArray(store, arrays);

  const { ngff, version } = ngffRoot(store.node.attrs);
  const layout = await seriesLayout(store, ngff);
  let metadata = await readOmeXml(file, layout.omeXmlFile, options, store.details);
  const all: Series[] = [];
  const versions = new Set<string>();
  for (let i = 0; i < layout.paths.length; i++) {
    const opened = await openSeries(store, arrays, layout.paths[i] as string, i, { ngff, version }, versions);
    all.push(opened.series);
    metadata = describeSeries(file, metadata, opened, i);
  }
  metadata = withNgffPlate(metadata, layout.plate, all);
  const ngffVersion = summarize(store.details, all, layout.paths, versions);
  return {
    format: ngffVersion ? `OME-Zarr ${ngffVersion}` : `Zarr v${store.format}`,
    metadata,
    series: all,
    details: store.details,
    identity: store.identity ? { root: store.root, id: store.identity } : undefined,
  };
}

/** A bare array: one image, axes from dimension names when they are ours, else bfio's TCZYX assumption. */
async function openBareArray(store: OpenStore, arrays: ArrayOpener): Promise<OpenedZarr> {
  const { file, node, details } = store;
  const array = await arrays.open('');
  const names =
    array.dimensionNames ??
    (Array.isArray(node.attrs._ARRAY_DIMENSIONS) ? (node.attrs._ARRAY_DIMENSIONS as string[]) : undefined);
  let axisOf = names ? axesFromNames(names, array.shape, file) : undefined;
  if (!axisOf) {
    if (array.shape.length > 5)
      throw new UnsupportedError(`${file} has ${array.shape.length} dimensions; bfio reads up to 5`, file);
    axisOf = assumedAxes(array.shape.length);
    details.assumedAxes = `no axis names: the last ${array.shape.length} dimensions are taken as ${'TCZYX'.slice(5 - array.shape.length)} (bfio's convention)`;
  }
  const series = makeSeries(file, '', [arrays.level(array, axisOf)], 0);
  const image = synthesizeImage({ ...imageFacts(series, 0, basename(file)), channels: [] });
  details.layout = 'array';
  return {
    format: `Zarr v${store.format} array`,
    metadata: { ...emptyOme(), images: [image] },
    series: [series],
    details,
    identity: store.identity ? { root: store.root, id: store.identity } : undefined,
  };
}

/** Series `i`: its group's multiscales and one level per dataset, each array's axes mapped to ours. */
async function openSeries(
  store: OpenStore,
  arrays: ArrayOpener,
  path: string,
  i: number,
  root: { ngff: Record<string, unknown>; version: string | undefined },
  versions: Set<string>,
): Promise<OpenedSeries> {
  const { file, details } = store;
  const group = path ? await readNode(store.root, path, store.format, store.consolidated) : store.node;
  if (!group) throw new CorruptFileError(file, `series group '${path}' is missing`);
  const sub = path ? ngffRoot(group.attrs) : root;
  if (sub.version) versions.add(sub.version);
  let ms: NgffMultiscale;
  try {
    ms = parseMultiscale(sub.ngff);
  } catch (err) {
    throw new CorruptFileError(file, `bad NGFF multiscales in '${path || '/'}': ${String(err)}`);
  }
  const levels: Level[] = [];
  const scales: Array<number[] | undefined> = [];
  for (const ds of ms.datasets) {
    const array = await arrays.open(path ? `${path}/${ds.path}` : ds.path);
    let axisOf: number[] | undefined;
    if (ms.axes) {
      if (ms.axes.length !== array.shape.length) {
        throw new CorruptFileError(
          file,
          `dataset '${ds.path}' has ${array.shape.length} dimensions but multiscales declares ${ms.axes.length} axes`,
        );
      }
      axisOf = axesFromNames(
        ms.axes.map((a) => a.name),
        array.shape,
        file,
      );
      if (!axisOf)
        throw new CorruptFileError(file, `multiscales axes repeat a name: ${ms.axes.map((a) => a.name)}`);
    } else {
      axisOf = assumedAxes(array.shape.length);
      details.assumedAxes = 'NGFF < 0.3 has no axes: the dimensions are taken as TCZYX';
    }
    levels.push(arrays.level(array, axisOf));
    scales.push(ds.scale);
  }
  const series = makeSeries(file, path, levels, i);
  series.info.levels = withDownsampling(series.info.levels, levels, scales);
  return { series, path, ngff: sub.ngff, multiscale: ms, scales };
}
