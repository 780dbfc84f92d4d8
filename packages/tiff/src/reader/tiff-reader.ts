/**
 * The TIFF/OME-TIFF ReaderBackend: opens the file (or file set), maps planes once, then serves regions by
 * reading only the tiles/strips they touch. File handles and parsed IFDs are cached, and decoded blocks that
 * a read used only in part (the ones overlapping windows read again) in a bounded LRU.
 */

import { ChunkLane, sharedWorkerPool } from '@bfio/codecs';
import {
  BfioError,
  CorruptFileError,
  type DType,
  InvalidDataError,
  isBfioError,
  pixelTypeFromDType,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import {
  isRemote,
  Limiter,
  type ReaderBackend,
  type Region,
  type SelectedImage,
  type SeriesInfo,
} from '@bfio/core/backend';
import type { Image, OME, Quantity } from '@bfio/ome-xml';
import { createOme, parseOmeXml } from '@bfio/ome-xml';
import { basename, cores, dirname, resolve } from '#platform';
import { BlockCache, DEFAULT_CACHE_BYTES } from './block-cache.js';
import { compressionName } from './decode.js';
import { FileSet } from './file-set.js';
import { HttpSource } from './file-source.js';
import type { PageRef, SeriesLayout } from './layout.js';
import { readText, setFromBlob, siblingOf } from './location.js';
import { omeLayout } from './ome-layout.js';
import { genericLayout, type ImageJInfo, imagejLayout, parseImageJ } from './plain-layout.js';
import { type BlockContext, planeTasks, type Rect, runLimited, type SampleTarget } from './plane-reader.js';
import { TiffFile, type TiffPage } from './tiff-file.js';

export interface TiffReaderOptions {
  /** Blocks decoded at once (default: the number of cores). */
  maxWorkers?: number;
  cleanMetadata?: boolean;
  /**
   * Bytes of decoded blocks kept for reads that touch them again (overlapping windows); 0 disables.
   * Default 256 MiB. Only blocks a read uses in part are kept: a full read caches nothing.
   */
  cacheBytes?: number;
  /**
   * Where blocks are decoded: on @bfio/codecs' shared WorkerPool (default: decompression, byte swap and
   * predictor in a worker; with a SharedArrayBuffer-backed output the worker also places the rows), or with
   * async node:zlib on libuv's thread pool (byte swap, predictor and placement on the main thread).
   * Both use node:zlib; see bench/RESULTS.md ("Parallel codecs") for the measured difference.
   */
  decodeOn?: 'libuv' | 'workers';
  /** A tile or strip the file lacks is an error instead of zeros (see @bfio/core's OpenOptions). */
  strict?: boolean;
  /** What a tile or strip the file lacks reads as (default 0; see @bfio/core's OpenOptions). */
  fillValue?: number;
  /** Read this File/Blob (whose name is `path`) instead of a file or URL: `BioReader.open(blob)` sets it. */
  blob?: Blob;
}

/** What all reads of one reader share. */
interface ReadContext extends BlockContext {
  /** Blocks in flight per read (reading ahead of the decoders). */
  tasks: number;
}

function readContext(path: string, options: TiffReaderOptions, remote = false): ReadContext {
  const workers = Math.max(1, Math.floor(options.maxWorkers ?? cores()));
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  if (!Number.isFinite(cacheBytes) || cacheBytes < 0) {
    throw new InvalidDataError(
      `Cannot open ${path}: cacheBytes must be a number of bytes >= 0, not ${cacheBytes}`,
      path,
    );
  }
  const decodeOn = options.decodeOn ?? 'workers';
  if (decodeOn !== 'workers' && decodeOn !== 'libuv') {
    throw new InvalidDataError(
      `Cannot open ${path}: decodeOn must be 'workers' or 'libuv', not ${String(decodeOn)}`,
      path,
    );
  }
  const pool = decodeOn === 'workers' ? sharedWorkerPool() : undefined;
  // A reader entitled to every worker of the pool may queue one block more than it has workers: the pool
  // then hands a worker its next block the moment it posts a result, with no round trip through this
  // reader's promises in between (the pool's own size still bounds how many decode at once).
  const queued = pool && workers >= pool.maxWorkers ? 1 : 0;
  // A local file's Deflate, zstd and LZW blocks go to the chunk lane's threads when it is built (no worker boot,
  // no message per block); other codecs, remote files and `decodeOn: 'libuv'` (node:zlib) stay as they were.
  const chunkLane = pool && !remote ? ChunkLane.for(workers) : undefined;
  return {
    lane: chunkLane && { lane: chunkLane, limiter: new Limiter(chunkLane.depth) },
    // A remote file's blocks wait on requests, not on cores: keep more of them in flight.
    tasks: remote ? Math.max(16, 4 * workers) : workers + 2 + queued,
    limiter: new Limiter(workers + queued),
    inflight: new Map(),
    spares: [],
    cache: cacheBytes > 0 ? new BlockCache(cacheBytes) : undefined,
    decode: pool ? { pool } : {},
    strict: options.strict === true,
    fill: options.fillValue,
  };
}

const BINARY_ONLY = /<(?:[\w.-]+:)?BinaryOnly\b[^>]*?\bMetadataFile\s*=\s*"([^"]*)"/;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function micrometers(resolution: number | undefined, unit: number): Quantity | undefined {
  if (!resolution || !Number.isFinite(resolution) || resolution <= 0) return undefined;
  if (unit === 2) return { value: 25400 / resolution, unit: 'µm' };
  if (unit === 3) return { value: 10000 / resolution, unit: 'µm' };
  return undefined;
}

const MICRON = new Set(['micron', 'microns', 'um', 'µm', '\u00b5m', '\\u00B5m']);

/** OME metadata for a file without OME-XML: one Image per series. */
function synthesizeOme(path: string, layouts: SeriesLayout[], page0: TiffPage, imagej?: ImageJInfo): OME {
  let physX = micrometers(page0.xResolution, page0.resolutionUnit);
  let physY = micrometers(page0.yResolution, page0.resolutionUnit);
  let physZ: Quantity | undefined;
  if (imagej) {
    const unit = imagej.unit?.trim();
    if (unit && MICRON.has(unit) && page0.resolutionUnit === 1) {
      physX = page0.xResolution ? { value: 1 / page0.xResolution, unit: 'µm' } : undefined;
      physY = page0.yResolution ? { value: 1 / page0.yResolution, unit: 'µm' } : undefined;
    }
    if (unit && MICRON.has(unit) && imagej.spacing) physZ = { value: imagej.spacing, unit: 'µm' };
  }
  // createOme makes one valid Image; multi-series files get one per series with renumbered IDs.
  const images: Image[] = layouts.map((s, i) => {
    const l0 = s.levels[0]!;
    const image = createOme({
      sizeX: l0.sizeX,
      sizeY: l0.sizeY,
      sizeZ: l0.sizeZ,
      sizeC: l0.sizeC,
      sizeT: l0.sizeT,
      type: pixelTypeFromDType(s.dtype),
      dimensionOrder: 'XYCZT',
      name: layouts.length > 1 ? `${basename(path)} #${i}` : basename(path),
      ...(i === 0 && physX ? { physicalSizeX: physX } : {}),
      ...(i === 0 && physY ? { physicalSizeY: physY } : {}),
      ...(i === 0 && physZ ? { physicalSizeZ: physZ } : {}),
    }).images[0]!;
    image.id = `Image:${i}`;
    image.pixels.id = `Pixels:${i}`;
    image.pixels.channels.forEach((ch, c) => {
      ch.id = `Channel:${i}:${c}`;
    });
    return image;
  });
  return { instruments: [], images };
}

export class TiffReader implements ReaderBackend {
  readonly series: readonly SeriesInfo[];
  private closed = false;

  private constructor(
    readonly path: string,
    readonly format: string,
    readonly metadata: OME,
    private readonly layouts: SeriesLayout[],
    private readonly files: FileSet,
    readonly details: Readonly<Record<string, unknown>>,
    private readonly ctx: ReadContext,
  ) {
    this.series = layouts.map((s) => ({
      imageIndex: s.imageIndex,
      dtype: s.dtype,
      levels: s.levels.map(({ planes: _planes, ...info }) => info),
    }));
  }

  static async open(path: string, options: TiffReaderOptions = {}): Promise<TiffReader> {
    const ctx = readContext(path, options, isRemote(path));
    // The codec workers boot (~50 ms each, loading the codecs) while the IFDs and OME-XML are parsed, not
    // after, when the first read would wait for them.
    // Not when the lane decodes (a local file): its JPEG or PackBits blocks, if any, start them when needed.
    if (!ctx.lane) ctx.decode.pool?.warm(Math.max(1, Math.floor(options.maxWorkers ?? cores())));
    const clean = options.cleanMetadata ?? true;
    const blob = options.blob;
    const abs = isRemote(path) || blob ? path : resolve(path);
    if (abs.toLowerCase().endsWith('.companion.ome') || abs.toLowerCase().endsWith('.ome.xml')) {
      if (blob) throw setFromBlob(abs, 'a companion OME-XML file');
      return TiffReader.openCompanion(abs, clean, ctx);
    }
    const file = await TiffFile.open(abs, blob);
    try {
      return await TiffReader.openTiff(abs, file, clean, ctx, 0);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  private static async openCompanion(path: string, clean: boolean, ctx: ReadContext): Promise<TiffReader> {
    const xml = await readText(path);
    let ome: OME;
    try {
      ome = parseOmeXml(xml, { clean, file: path });
    } catch (err) {
      throw new CorruptFileError(
        path,
        `the companion OME-XML cannot be parsed (${errorText(err)})`,
        undefined,
        err,
      );
    }
    const files = new FileSet();
    try {
      const { series, warnings } = await omeLayout(ome, files, path, -1);
      const first = await files.file(series[0]?.levels[0]?.planes.find(Boolean)?.file ?? 0);
      const page0 = await first.page(0);
      fixSizes(ome, series);
      return new TiffReader(
        path,
        'OME-TIFF',
        ome,
        series,
        files,
        details(first, page0, 'OME (companion file)', files, warnings),
        ctx,
      );
    } catch (err) {
      await files.close();
      throw err;
    }
  }

  private static async openTiff(
    path: string,
    file: TiffFile,
    clean: boolean,
    ctx: ReadContext,
    depth: number,
  ): Promise<TiffReader> {
    const page0 = await file.page(0);
    const warnings: string[] = [];
    let description = page0.description ?? '';
    const isOme = (d: string) => /<(?:[\w.-]+:)?OME[\s>]/.test(d);
    if (!isOme(description)) {
      const all = await file.descriptions(page0.offset);
      description = all.find(isOme) ?? description;
    }
    if (isOme(description)) {
      const binaryOnly = BINARY_ONLY.exec(description);
      if (binaryOnly && depth === 0) {
        // A member of a multi-file set without the metadata: open the set through its metadata file.
        const target = siblingOf(dirname(path), binaryOnly[1]!);
        if (target !== path && file.fromBlob) {
          await file.close();
          throw setFromBlob(path, `one file of a multi-file OME-TIFF whose metadata is in ${binaryOnly[1]}`);
        }
        if (target !== path) {
          await file.close();
          const missing = (err: unknown) => {
            if ((err as NodeJS.ErrnoException)?.code !== 'ENOENT') return err;
            return new BfioError(
              'not-found',
              `${path} is one file of a multi-file OME-TIFF whose metadata is in ${target}, which is missing; keep the files of the set together (copy ${basename(target)} next to ${basename(path)})`,
              { file: path, cause: err },
            );
          };
          if (target.toLowerCase().endsWith('.ome') || target.toLowerCase().endsWith('.xml')) {
            return TiffReader.openCompanion(target, clean, ctx).catch((err: unknown) => {
              throw missing(err);
            });
          }
          const master = await TiffFile.open(target).catch((err: unknown) => {
            throw missing(err);
          });
          try {
            return await TiffReader.openTiff(target, master, clean, ctx, depth + 1);
          } catch (err) {
            await master.close().catch(() => undefined);
            throw err;
          }
        }
      }
      let ome: OME | undefined;
      try {
        ome = parseOmeXml(description, { clean, file: path });
      } catch (err) {
        warnings.push(`OME-XML could not be parsed (${errorText(err)}); read as a plain TIFF`);
      }
      if (ome && ome.images.length > 0) {
        const files = new FileSet({ path, file });
        try {
          const { series, warnings: w } = await omeLayout(ome, files, path, 0);
          fixSizes(ome, series);
          return new TiffReader(
            path,
            'OME-TIFF',
            ome,
            series,
            files,
            details(file, page0, 'OME', files, [...warnings, ...w]),
            ctx,
          );
        } catch (err) {
          // Keep the file open for the plain fallback only when the failure was the metadata's fault.
          if (!isBfioError(err, 'corrupt-file', 'unsupported') || depth > 0) throw err;
          warnings.push(`OME-XML does not match the file (${errorText(err)}); read as a plain TIFF`);
          files.detach(0);
          await files.close();
        }
      } else if (ome) {
        warnings.push('OME-XML has no Image; read as a plain TIFF');
      }
    }
    const files = new FileSet({ path, file });
    const imagej = parseImageJ(page0.description);
    let layouts: SeriesLayout[] | undefined;
    let kind = 'plain';
    if (imagej) {
      const layout = await imagejLayout(file, 0, imagej);
      if (layout) {
        layouts = [layout];
        kind = 'ImageJ';
      } else {
        warnings.push('ImageJ description does not fit the pages; read as a plain TIFF');
      }
    }
    layouts ??= await genericLayout(file, 0);
    if (layouts.length === 0) throw new CorruptFileError(path, 'the file has no image data');
    const ome = synthesizeOme(path, layouts, page0, kind === 'ImageJ' ? imagej : undefined);
    return new TiffReader(
      path,
      kind === 'ImageJ' ? 'ImageJ TIFF' : 'TIFF',
      ome,
      layouts,
      files,
      details(file, page0, kind, files, warnings),
      ctx,
    );
  }

  async readRegion(
    selection: SelectedImage,
    region: Region,
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed) throw new UnsupportedError(`${this.path} is closed`, this.path);
    const layout = this.layouts[selection.series];
    const level = layout?.levels[selection.level];
    if (!layout || !level) {
      throw new RangeError(`${this.path}: no series ${selection.series} level ${selection.level}`);
    }
    const rect: Rect = { x0: region.x[0], x1: region.x[1], y0: region.y[0], y1: region.y[1] };
    const planeSize = (rect.x1 - rect.x0) * (rect.y1 - rect.y0);
    const nZ = region.z[1] - region.z[0];
    const nC = region.c.length;
    if (planeSize === 0 || nZ === 0) return;
    const groups = new Map<string, { ref: PageRef; targets: SampleTarget[] }>();
    for (let ti = 0; ti < region.t.length; ti++) {
      for (let ci = 0; ci < nC; ci++) {
        for (let zi = 0; zi < nZ; zi++) {
          const t = region.t[ti]!;
          const c = region.c[ci]!;
          const z = region.z[0] + zi;
          const ref = level.planes[(t * level.sizeC + c) * level.sizeZ + z];
          const offset = ((ti * nC + ci) * nZ + zi) * planeSize;
          if (!ref) {
            out.fill(0, offset, offset + planeSize);
            continue;
          }
          const key = ref.virtual
            ? `v${ref.file}:${ref.virtual.offset}`
            : `${ref.file}:${ref.ifd}:${ref.subIfd}`;
          let g = groups.get(key);
          if (!g) {
            g = { ref, targets: [] };
            groups.set(key, g);
          }
          g.targets.push({ sample: ref.sample, out, offset });
        }
      }
    }
    const tasks: Array<() => Promise<void>> = [];
    const planned = new Map<HttpSource, Array<{ offset: number; length: number }>>();
    await Promise.all(
      [...groups.values()].map(async ({ ref, targets }) => {
        const { file, page } = await this.files.page(ref);
        if (page.width < level.sizeX || page.height < level.sizeY) {
          throw new CorruptFileError(
            file.path,
            `a plane IFD is ${page.width}x${page.height}, smaller than the image (${level.sizeX}x${level.sizeY})`,
            page.offset,
          );
        }
        const dtype = TiffFile.readable(file.path, page);
        if (dtype !== layout.dtype) {
          throw new CorruptFileError(
            file.path,
            `a plane IFD holds ${dtype} pixels in a ${layout.dtype} image`,
            page.offset,
          );
        }
        tasks.push(...planeTasks(file, page, rect, targets, this.ctx, rangesFor(planned, file.source)));
      }),
    );
    // A remote file's blocks are announced before they are read, so neighbours share one request.
    const forget = [...planned].map(([source, ranges]) => source.plans.expect(ranges));
    try {
      await runLimited(tasks, this.ctx.tasks, signal);
    } finally {
      for (const f of forget) f();
    }
  }

  /**
   * The stored page (and sample of it) of every plane slot of a level, indexed (t * sizeC + c) * sizeZ + z
   * (undefined = plane absent): for tools that reference the file's blocks in place (bfio refs).
   */
  async planePages(
    series: number,
    level: number,
  ): Promise<Array<{ file: TiffFile; page: TiffPage; sample: number } | undefined>> {
    const l = this.layouts[series]?.levels[level];
    if (!l) throw new RangeError(`${this.path}: no series ${series} level ${level}`);
    return Promise.all(
      l.planes.map(async (ref) => {
        if (!ref) return undefined;
        const { file, page } = await this.files.page(ref);
        return { file, page, sample: ref.sample };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.cache?.clear();
    await this.files.close();
  }
}

/** Where the byte ranges a read will fetch from `source` are collected, if it is a URL's. */
function rangesFor(
  planned: Map<HttpSource, Array<{ offset: number; length: number }>>,
  source: unknown,
): Array<{ offset: number; length: number }> | undefined {
  if (!(source instanceof HttpSource)) return undefined;
  const ranges = planned.get(source) ?? [];
  planned.set(source, ranges);
  return ranges;
}

/** Make the OME sizes agree with the layout where the file's IFDs decided (interleaved RGB with SizeC=1). */
function fixSizes(ome: OME, layouts: SeriesLayout[]): void {
  for (const s of layouts) {
    const pixels = ome.images[s.imageIndex]?.pixels;
    const l0 = s.levels[0]!;
    if (!pixels || pixels.sizeC === l0.sizeC) continue;
    pixels.sizeC = l0.sizeC;
    for (let c = pixels.channels.length; c < l0.sizeC; c++) {
      pixels.channels.push({ id: `Channel:${s.imageIndex}:${c}`, samplesPerPixel: 1 });
    }
  }
}

function details(
  file: TiffFile,
  page0: TiffPage,
  kind: string,
  files: FileSet,
  warnings: string[],
): Record<string, unknown> {
  return {
    kind,
    compression: compressionName(page0.compression),
    layout: page0.tiled
      ? `tiles ${page0.blockWidth}x${page0.blockHeight}`
      : `strips of ${page0.blockHeight} rows`,
    bigTiff: file.bigTiff,
    byteOrder: file.littleEndian ? 'little-endian' : 'big-endian',
    files: files.paths.length,
    ...(warnings.length ? { warnings } : {}),
  };
}

export type { DType };
