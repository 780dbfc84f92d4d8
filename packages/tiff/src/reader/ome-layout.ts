/**
 * OME-TIFF plane mapping. Rules (Bio-Formats' OMETiffReader, which tifffile follows):
 * - Each OME Image is a series. Planes are numbered in the Pixels' DimensionOrder over Z, the *effective*
 *   channel count (SizeC / SamplesPerPixel: an interleaved RGB IFD holds several channels, one per sample)
 *   and T.
 * - TiffData: IFD, FirstZ/C/T (the first plane's coordinates), PlaneCount planes in consecutive IFDs.
 *   A TiffData with neither IFD nor PlaneCount covers all planes; one with an IFD but no PlaneCount covers 1.
 *   UUID/FileName points into another file of the set, resolved relative to the file that held the XML.
 *   No TiffData at all: the image's planes are the next IFDs of the file, in DimensionOrder.
 * - Pyramids: SubIFDs of each full-resolution plane are its lower levels (Bio-Formats ≥ 6 / tifffile).
 *   Older files that store reduced resolutions as extra Images stay separate series, as both Bio-Formats
 *   and tifffile present them.
 */
import { CorruptFileError, type DType, UnsupportedError } from '@bfio/core';
import type { Image, OME, TiffData } from '@bfio/ome-xml';
import { dirname } from '#platform';
import type { FileSet } from './file-set.js';
import { blockLayout, type LevelLayout, omePlaneIndex, type PageRef, type SeriesLayout } from './layout.js';
import { siblingOf } from './location.js';

export interface OmeLayoutResult {
  series: SeriesLayout[];
  warnings: string[];
}

/**
 * @param xmlDir directory of the file whose OME-XML this is (FileName attributes are relative to it)
 * @param xmlFile index in `files` of the TIFF that holds the XML, or -1 (companion `.ome` file)
 */
export async function omeLayout(
  ome: OME,
  files: FileSet,
  xmlPath: string,
  xmlFile: number,
): Promise<OmeLayoutResult> {
  const warnings: string[] = [];
  const dir = dirname(xmlPath);
  const series: SeriesLayout[] = [];
  let nextIfd = 0; // for Images without TiffData
  for (let i = 0; i < ome.images.length; i++) {
    const image = ome.images[i]!;
    const result = await imageLayout(image, i, files, dir, xmlPath, xmlFile, nextIfd, warnings, ome.uuid);
    if (!result) continue;
    nextIfd = result.nextIfd;
    series.push(result.layout);
  }
  return { series, warnings };
}

function fileIndex(
  files: FileSet,
  dir: string,
  xmlFile: number,
  uuid: TiffData['uuid'],
  xmlPath: string,
  ownUuid: string | undefined,
): number {
  const fileName = uuid?.fileName;
  // The document's own UUID means "this file", whatever FileName says (files get renamed).
  if (xmlFile >= 0 && ownUuid && uuid?.value && uuid.value.trim() === ownUuid.trim()) return xmlFile;
  if (!fileName) {
    if (xmlFile < 0)
      throw new CorruptFileError(xmlPath, 'a TiffData UUID has no FileName in a companion file');
    return xmlFile;
  }
  return files.add(siblingOf(dir, fileName));
}

/** Planes beyond which the metadata is checked against what its files can hold (below, tables are cheap). */
const PLANES_CHECKED = 100_000;
/** The smallest IFD: an entry count, one 12-byte entry, the next-IFD offset. */
const MIN_IFD_BYTES = 18;

/**
 * Every plane of an OME-TIFF is an IFD in one of its files, so the files' sizes bound the plane count. A
 * claim beyond that (a damaged or hostile SizeZ="1000000000") is refused before any per-plane table is
 * allocated, instead of exhausting memory.
 */
async function checkPlaneCapacity(
  nPlanes: number,
  image: Image,
  imageIndex: number,
  files: FileSet,
  dir: string,
  xmlFile: number,
  xmlPath: string,
  ownUuid: string | undefined,
): Promise<void> {
  if (Number.isSafeInteger(nPlanes) && nPlanes <= PLANES_CHECKED) return;
  const indexes = new Set<number>();
  if (xmlFile >= 0) indexes.add(xmlFile);
  for (const td of image.pixels.tiffData)
    indexes.add(fileIndex(files, dir, xmlFile, td.uuid, xmlPath, ownUuid));
  let bytes = 0;
  for (const i of indexes) bytes += (await files.file(i)).source.size;
  const capacity = Math.floor(bytes / MIN_IFD_BYTES);
  if (!Number.isSafeInteger(nPlanes) || nPlanes > capacity) {
    const p = image.pixels;
    throw new CorruptFileError(
      xmlPath,
      `the OME-XML of Image ${imageIndex} claims ${p.sizeZ} Z × ${p.sizeC} C × ${p.sizeT} T = ${nPlanes.toLocaleString('en-US')} planes, but its ${indexes.size} file(s) (${bytes.toLocaleString('en-US')} bytes) can hold at most ${capacity.toLocaleString('en-US')} image directories; the metadata is wrong (fix SizeZ/SizeC/SizeT) or files of the set are missing`,
    );
  }
}

async function imageLayout(
  image: Image,
  imageIndex: number,
  files: FileSet,
  dir: string,
  xmlPath: string,
  xmlFile: number,
  nextIfd: number,
  warnings: string[],
  ownUuid: string | undefined,
): Promise<{ layout: SeriesLayout; nextIfd: number } | undefined> {
  const p = image.pixels;
  const order = p.dimensionOrder;
  const tds = p.tiffData;
  const firstRef = (): { file: number; ifd: number } => {
    const td = tds[0];
    if (!td) return { file: Math.max(xmlFile, 0), ifd: nextIfd };
    return { file: fileIndex(files, dir, xmlFile, td.uuid, xmlPath, ownUuid), ifd: td.ifd };
  };
  const first = firstRef();
  const { page: firstPage } = await files.page({ ...first, subIfd: -1, sample: 0 });
  // Before its sizes are used: an unreadable page can claim any SamplesPerPixel.
  if (firstPage.unsupported) {
    throw new UnsupportedError(`${xmlPath}: OME Image ${imageIndex}: ${firstPage.unsupported}`, xmlPath);
  }
  const spp = firstPage.samplesPerPixel;
  let sizeC = p.sizeC;
  // Interleaved samples are channels; a SizeC that does not count them (SizeC=1 on an RGB IFD) is widened.
  if (spp > 1 && sizeC % spp !== 0) {
    warnings.push(
      `Image ${imageIndex}: SizeC=${sizeC} is not a multiple of SamplesPerPixel=${spp}; using ${spp * Math.max(1, Math.ceil(sizeC / spp))} channels`,
    );
    sizeC = spp * Math.max(1, Math.ceil(sizeC / spp));
  }
  const effC = sizeC / spp;
  const sizes = { Z: p.sizeZ, C: effC, T: p.sizeT };
  const nPlanes = sizes.Z * sizes.C * sizes.T;
  await checkPlaneCapacity(nPlanes, image, imageIndex, files, dir, xmlFile, xmlPath, ownUuid);
  const planeIfd: Array<{ file: number; ifd: number } | undefined> = new Array(nPlanes);
  let used = nextIfd;
  if (tds.length === 0) {
    const f = Math.max(xmlFile, 0);
    for (let k = 0; k < nPlanes; k++) planeIfd[k] = { file: f, ifd: nextIfd + k };
    used = nextIfd + nPlanes;
  } else {
    for (const td of tds) {
      const file = fileIndex(files, dir, xmlFile, td.uuid, xmlPath, ownUuid);
      const fz = Math.min(td.firstZ ?? 0, sizes.Z - 1);
      // FirstC counts effective channels; some writers count samples instead.
      const c0 = td.firstC ?? 0;
      const fc = Math.min(spp > 1 && c0 >= effC ? Math.floor(c0 / spp) : c0, sizes.C - 1);
      const ft = Math.min(td.firstT ?? 0, sizes.T - 1);
      const start = omePlaneIndex(order, sizes, { Z: fz, C: fc, T: ft });
      const count = td.planeCount ?? (tds.length === 1 && td.ifd === 0 ? nPlanes : 1);
      for (let k = 0; k < count && start + k < nPlanes; k++) planeIfd[start + k] = { file, ifd: td.ifd + k };
      used = Math.max(used, td.ifd + count);
    }
  }
  const missing = planeIfd.filter((x) => !x).length + (nPlanes - planeIfd.length);
  if (missing > 0)
    warnings.push(`Image ${imageIndex}: ${missing} of ${nPlanes} planes have no TiffData and read as zeros`);

  const levels: LevelLayout[] = [];
  const level0: LevelLayout = {
    sizeX: p.sizeX,
    sizeY: p.sizeY,
    sizeZ: sizes.Z,
    sizeC,
    sizeT: sizes.T,
    ...blockLayout(firstPage),
    planes: new Array(sizes.Z * sizeC * sizes.T),
  };
  for (let t = 0; t < sizes.T; t++) {
    for (let c = 0; c < sizeC; c++) {
      for (let z = 0; z < sizes.Z; z++) {
        const src = planeIfd[omePlaneIndex(order, sizes, { Z: z, C: Math.floor(c / spp), T: t })];
        level0.planes[(t * sizeC + c) * sizes.Z + z] = src
          ? { ...src, subIfd: -1, sample: c % spp }
          : undefined;
      }
    }
  }
  levels.push(level0);
  // SubIFD pyramid: the first plane's SubIFDs give the level count and sizes.
  for (let l = 0; l < firstPage.subIfds.length; l++) {
    const { page } = await files.page({ ...first, subIfd: l, sample: 0 });
    levels.push({
      sizeX: page.width,
      sizeY: page.height,
      sizeZ: sizes.Z,
      sizeC,
      sizeT: sizes.T,
      ...blockLayout(page),
      planes: level0.planes.map((ref): PageRef | undefined => (ref ? { ...ref, subIfd: l } : undefined)),
    });
  }
  if (firstPage.width !== p.sizeX || firstPage.height !== p.sizeY) {
    throw new CorruptFileError(
      files.paths[first.file] ?? xmlPath,
      `OME Image ${imageIndex} is ${p.sizeX}x${p.sizeY} but its first IFD (${first.ifd}) is ${firstPage.width}x${firstPage.height}`,
      firstPage.offset,
    );
  }
  const dtype: DType | undefined = firstPage.dtype;
  if (!dtype) {
    throw new UnsupportedError(
      `${xmlPath}: OME Image ${imageIndex}: ${firstPage.unsupported ?? 'unknown pixel type'}`,
      xmlPath,
    );
  }
  return { layout: { imageIndex, dtype, levels }, nextIfd: used };
}
