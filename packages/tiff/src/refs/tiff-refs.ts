/**
 * kerchunk / fsspec ReferenceFileSystem (version 1) for a TIFF: an OME-Zarr 0.4 group (Zarr v2) whose chunk
 * keys point at the byte ranges of the TIFF's own tiles or strips, with the TIFF's compression and predictor
 * as the arrays' codecs, so zarr-python over fsspec reads the file in place. Layouts Zarr cannot describe
 * are refused with an UnsupportedError naming the file and the reason.
 */
import { bytesPerPixel, OutOfRangeError, UnsupportedError } from '@bfio/core';
import { isRemote } from '@bfio/core/backend';
import type { Quantity } from '@bfio/ome-xml';
import { dirname, relative, sep, base64 as toBase64 } from '#platform';
import { decompress } from '../reader/decode.js';
import type { TiffFile, TiffPage } from '../reader/tiff-file.js';
import { TiffReader } from '../reader/tiff-reader.js';
import { paddedChunk } from './padded-chunk.js';
import { type ChunkCodecs, chunkCodecs, zarrDtype } from './zarr-codec.js';

/** A reference: inline text (metadata, `base64:` data) or [url, offset, length] of the target's bytes. */
export type Reference = string | [string, number, number];

export interface ReferenceFileSystem {
  version: 1;
  refs: Record<string, Reference>;
}

export interface TiffRefsOptions {
  /** The series to describe (default 0). */
  series?: number;
  /**
   * Where readers of the references will find the TIFF: a URL or directory that replaces the TIFF's own
   * directory in every reference (default: the file's absolute path or URL).
   */
  url?: string;
}

const AXES = ['t', 'c', 'z', 'y', 'x'];

/** OME length units → NGFF (UDUNITS-2) names; other units leave the axis without one. */
const NGFF_UNITS: Record<string, string> = {
  µm: 'micrometer',
  um: 'micrometer',
  nm: 'nanometer',
  mm: 'millimeter',
  cm: 'centimeter',
  m: 'meter',
  Å: 'angstrom',
  pm: 'picometer',
};

function axisScale(q: Quantity | undefined): { scale: number; unit?: string } {
  if (!q || !Number.isFinite(q.value) || q.value <= 0) return { scale: 1 };
  const unit = NGFF_UNITS[q.unit];
  return unit ? { scale: q.value, unit } : { scale: 1 };
}

function refuse(path: string, level: number, why: string): never {
  throw new UnsupportedError(
    `${path}: cannot be described as Zarr references (level ${level}): ${why}. ` +
      'Serve it decoded with `bfio serve`, or convert it with `bfio convert`.',
    path,
  );
}

/** What all stored planes of one level share, checked plane by plane. */
interface LevelFormat {
  page: TiffPage;
  littleEndian: boolean;
  dtype: string;
  codecs: ChunkCodecs;
}

function levelFormat(
  path: string,
  level: number,
  planes: Array<{ file: TiffFile; page: TiffPage; sample: number } | undefined>,
  size: { x: number; y: number },
): LevelFormat | undefined {
  let format: LevelFormat | undefined;
  for (const plane of planes) {
    if (!plane) continue;
    const { file, page } = plane;
    if (page.unsupported) refuse(path, level, page.unsupported);
    // The codec decides first: a JPEG file is refused for its JPEG, whatever else it has.
    const dtype = zarrDtype(page, file.littleEndian);
    if (typeof dtype !== 'string') refuse(path, level, dtype.problem);
    const codecs = chunkCodecs(page, [1, 1, 1, page.blockHeight, page.blockWidth], dtype);
    if ('problem' in codecs) refuse(path, level, codecs.problem);
    if (page.samplesPerPixel > 1 && page.planar !== 2) {
      refuse(
        path,
        level,
        `its ${page.samplesPerPixel} samples per pixel are interleaved (PlanarConfiguration 1), so a block holds (y, x, sample) while OME-Zarr orders channels before y and x`,
      );
    }
    if (page.photometric === 6)
      refuse(path, level, 'YCbCr pixels need a colour conversion no Zarr codec does');
    if (page.width < size.x || page.height < size.y) {
      refuse(path, level, `a plane's IFD is ${page.width}x${page.height}, smaller than the level`);
    }
    if (!format) {
      format = { page, littleEndian: file.littleEndian, dtype, codecs };
      continue;
    }
    const p = format.page;
    const differs =
      page.blockWidth !== p.blockWidth ||
      page.blockHeight !== p.blockHeight ||
      page.compression !== p.compression ||
      page.predictor !== p.predictor ||
      page.bitsPerSample !== p.bitsPerSample ||
      page.sampleFormat !== p.sampleFormat ||
      page.fillOrder !== p.fillOrder ||
      file.littleEndian !== format.littleEndian;
    if (differs) {
      refuse(
        path,
        level,
        'its planes differ in block size, compression, predictor, sample type or byte order',
      );
    }
  }
  return format;
}

/** The location of `file` as the references name it. */
function locate(mainPath: string, file: string, url: string | undefined): string {
  if (url === undefined) return file;
  const rel = isRemote(file)
    ? file.slice(file.lastIndexOf('/') + 1)
    : relative(dirname(mainPath), file).split(sep).join('/');
  return `${url.replace(/\/+$/, '')}/${rel}`;
}

/** Whole rows a compressed block decodes to (an edge tile cut short holds fewer than the tile). */
async function decodedRows(
  file: TiffFile,
  page: TiffPage,
  offset: number,
  count: number,
  full: number,
  rowBytes: number,
): Promise<number> {
  const raw = await file.source.read(offset, count, 'an edge tile');
  const { bytes } = await decompress(file.path, page, raw, offset, full, file.littleEndian, {});
  return Math.min(page.blockHeight, Math.floor(bytes.length / rowBytes));
}

function base64(bytes: Uint8Array): string {
  return `base64:${toBase64(bytes)}`;
}

/**
 * The references of one series of the TIFF at `path` (local path or http(s) URL): `.zgroup`, `.zattrs`
 * (NGFF 0.4 multiscales over the file's own pyramid levels), per level `N/.zarray` and one key per stored
 * block. Absent planes and blocks with offset or byte count 0 get no key, so they read as the fill value 0.
 */
export async function tiffReferences(
  path: string,
  options: TiffRefsOptions = {},
): Promise<ReferenceFileSystem> {
  const reader = await TiffReader.open(path);
  try {
    const seriesIndex = options.series ?? 0;
    const series = reader.series[seriesIndex];
    if (!series) {
      throw new OutOfRangeError('series', String(seriesIndex), `0..${reader.series.length - 1}`, {
        file: path,
      });
    }
    const pixels = reader.metadata.images[series.imageIndex]?.pixels;
    const x = axisScale(pixels?.physicalSizeX);
    const y = axisScale(pixels?.physicalSizeY);
    const z = axisScale(pixels?.physicalSizeZ);
    const level0 = series.levels[0]!;
    const refs: Record<string, Reference> = {};
    refs['.zgroup'] = JSON.stringify({ zarr_format: 2 });
    const axes = [
      { name: 't', type: 'time' },
      { name: 'c', type: 'channel' },
      { name: 'z', type: 'space', ...(z.unit ? { unit: z.unit } : {}) },
      { name: 'y', type: 'space', ...(y.unit ? { unit: y.unit } : {}) },
      { name: 'x', type: 'space', ...(x.unit ? { unit: x.unit } : {}) },
    ];
    const datasets = series.levels.map((l, k) => ({
      path: String(k),
      coordinateTransformations: [
        {
          type: 'scale',
          scale: [
            1,
            1,
            z.scale * (level0.sizeZ / l.sizeZ),
            y.scale * (level0.sizeY / l.sizeY),
            x.scale * (level0.sizeX / l.sizeX),
          ],
        },
      ],
    }));
    const name = reader.metadata.images[series.imageIndex]?.name ?? path.slice(path.lastIndexOf('/') + 1);
    refs['.zattrs'] = JSON.stringify({ multiscales: [{ version: '0.4', name, axes, datasets }] });
    for (let k = 0; k < series.levels.length; k++) {
      await addLevel(refs, reader, path, seriesIndex, k, options.url);
    }
    return { version: 1, refs };
  } finally {
    await reader.close();
  }
}

async function addLevel(
  refs: Record<string, Reference>,
  reader: TiffReader,
  path: string,
  seriesIndex: number,
  k: number,
  url: string | undefined,
): Promise<void> {
  const info = reader.series[seriesIndex]!.levels[k]!;
  const dtypeOut = reader.series[seriesIndex]!.dtype;
  const planes = await reader.planePages(seriesIndex, k);
  const format = levelFormat(path, k, planes, { x: info.sizeX, y: info.sizeY });
  if (!format) refuse(path, k, 'no plane of the level is stored in the file');
  const { page: first, codecs } = format;
  const bw = first.blockWidth;
  const bh = first.blockHeight;
  const chunks = [1, 1, 1, bh, bw];
  refs[`${k}/.zarray`] = JSON.stringify({
    zarr_format: 2,
    shape: [info.sizeT, info.sizeC, info.sizeZ, info.sizeY, info.sizeX],
    chunks,
    dtype: format.dtype,
    compressor: codecs.compressor,
    filters: codecs.filters,
    fill_value: 0,
    order: 'C',
    dimension_separator: '/',
  });
  refs[`${k}/.zattrs`] = JSON.stringify({ _ARRAY_DIMENSIONS: AXES });
  const itemSize = first.bitsPerSample / 8;
  const across = Math.ceil(info.sizeX / bw);
  const down = Math.ceil(info.sizeY / bh);
  for (let t = 0; t < info.sizeT; t++) {
    for (let c = 0; c < info.sizeC; c++) {
      for (let z = 0; z < info.sizeZ; z++) {
        const plane = planes[(t * info.sizeC + c) * info.sizeZ + z];
        if (!plane) continue;
        const { page } = plane;
        const base = page.planar === 2 ? plane.sample * page.blocksAcross * page.blocksDown : 0;
        const target = locate(path, plane.file.path, url);
        for (let by = 0; by < down; by++) {
          // Rows the file holds for this block: strips end at the image; tiles should be padded, but some
          // writers cut the last row of tiles at the image's edge.
          const imageRows = Math.min(bh, page.height - by * bh);
          for (let bx = 0; bx < across; bx++) {
            const index = base + by * page.blocksAcross + bx;
            const offset = Number(page.offsets[index] ?? 0);
            const count = Number(page.byteCounts[index] ?? 0);
            if (offset === 0 || (count === 0 && page.compression !== 1)) continue;
            const key = `${k}/${t}/${c}/${z}/${by}/${bx}`;
            const full = bh * bw * itemSize;
            let storedRows = page.tiled ? bh : imageRows;
            if (page.compression === 1) {
              storedRows = Math.min(storedRows, Math.floor((count || full) / (bw * itemSize)));
            } else if (page.tiled && imageRows < bh) {
              storedRows = await decodedRows(plane.file, page, offset, count, full, bw * itemSize);
            }
            const short = storedRows < bh;
            if (!short) {
              refs[key] = [target, offset, page.compression === 1 ? full : count];
              continue;
            }
            if (bytesPerPixel(dtypeOut) !== itemSize) {
              refuse(
                path,
                k,
                `a short block of ${first.bitsPerSample}-bit samples cannot be padded into a whole chunk`,
              );
            }
            const validRows = Math.min(storedRows, info.sizeY - by * bh);
            const validCols = Math.min(bw, info.sizeX - bx * bw);
            refs[key] = base64(
              await paddedChunk({
                reader,
                series: seriesIndex,
                level: k,
                dtype: dtypeOut,
                itemSize,
                littleEndian: format.littleEndian,
                t,
                c,
                z,
                x0: bx * bw,
                y0: by * bh,
                cols: bw,
                validCols,
                rows: bh,
                validRows,
                codecs,
              }),
            );
          }
        }
      }
    }
  }
}
