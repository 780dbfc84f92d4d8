/**
 * Reading OME-Zarr (NGFF 0.1–0.5, Zarr v2 and v3, bioformats2raw and plate layouts, bare arrays) through
 * zarrita. Pixels are fetched with `zarr.get` on slices and copied into the caller's planar T,C,Z,Y,X buffer,
 * whatever the store's axis order.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import {
  asIoError,
  ClosedError,
  CorruptFileError,
  type DType,
  fetchWithRetry,
  IoError,
  isBfioError,
  isRemote,
  type LevelInfo,
  type OpenOptions,
  type ReaderBackend,
  type Region,
  type SelectedImage,
  type SeriesInfo,
  systemErrorCode,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import { type OME, plateElement, platesOf } from '@bfio/ome-xml';
import * as zarr from 'zarrita';
import { checkCodecs } from './check-codecs.js';
import { ChunkCache, type ChunkEntry, DEFAULT_CHUNK_CACHE_BYTES, type DecodedChunk } from './chunk-cache.js';
import { chunkNamer, strictStore } from './chunk-keys.js';
import { CodecPool, PoolUnavailable } from './codec-pool.js';
import { registerCodecs } from './codecs.js';
import {
  absentChunk,
  chunkLocation,
  type DirectChunks,
  directChunks,
  fetchChunk,
  loadDirect,
} from './direct-chunks.js';
import {
  locateRoot,
  type NodeInfo,
  readConsolidated,
  readNode,
  readText,
  type ZarrFormat,
} from './layout.js';
import { joinLocation } from './location.js';
import {
  AXES,
  type AxisName,
  type NgffMultiscale,
  ngffRoot,
  parseMultiscale,
  parseOmeroChannels,
  quantityFromNgff,
} from './ngff.js';
import { emptyOme, parseOmeXml, synthesizeImage } from './ome.js';
import { ngffPlate } from './plate-layout.js';
import { NodeStore } from './store.js';

type AnyArray = zarr.Array<zarr.DataType, zarr.Readable>;

/** Spare chunk buffers kept per size for reuse. */
const MAX_SPARE = 8;

/** Options of the Zarr reader beyond the common OpenOptions. */
export interface ZarrOpenOptions extends OpenOptions {
  /** Bytes of decoded chunks kept for later reads (default 128 MiB; 0 disables the cache). */
  chunkCacheBytes?: number;
}

/** One resolution level: its array and where each of our axes t,c,z,y,x is in it (-1: absent). */
interface Level {
  array: AnyArray;
  /** axisOf[i] = index in the array of AXES[i], or -1. */
  axisOf: number[];
  /** Set when chunks can be read and decoded on a worker without zarrita. */
  direct?: DirectChunks;
  /** How error messages name the chunk at some coordinates (its key in the store). */
  chunkName: (coords: readonly number[]) => string;
}

interface Series {
  path: string;
  dtype: DType;
  levels: Level[];
  info: SeriesInfo;
}

const DTYPES: Record<string, DType> = {
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  float32: 'float32',
  float64: 'float64',
  // Widened: bfio has no 64-bit integer or boolean pixel types (bfio itself turns int64 into float64).
  int64: 'float64',
  uint64: 'float64',
  bool: 'uint8',
};

/** Maps array axes to ours from names; undefined when some name is not one of t,c,z,y,x. */
function axesFromNames(
  names: readonly string[],
  shape: readonly number[],
  file: string,
): number[] | undefined {
  const axisOf = [-1, -1, -1, -1, -1];
  for (let i = 0; i < names.length; i++) {
    const k = AXES.indexOf(names[i]?.toLowerCase() as AxisName);
    if (k < 0) {
      // An axis bfio has no name for is fine when it has one element (we read index 0).
      if ((shape[i] ?? 1) === 1) continue;
      throw new UnsupportedError(
        `${file} has an axis '${names[i]}' of size ${shape[i]}; bfio reads only t, c, z, y and x axes`,
        file,
      );
    }
    if (axisOf[k] !== -1) return undefined;
    axisOf[k] = i;
  }
  return axisOf;
}

/** bfio's assumption for arrays without axis names: the last dimensions are T,C,Z,Y,X. */
function assumedAxes(ndim: number): number[] {
  const axisOf = [-1, -1, -1, -1, -1];
  for (let i = 0; i < ndim; i++) axisOf[5 - ndim + i] = i;
  return axisOf;
}

/** Maximal runs of consecutive ascending indices in an index list: [outStart, first, length]. */
function runs(list: readonly number[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let i = 0;
  while (i < list.length) {
    let n = 1;
    while (i + n < list.length && list[i + n] === (list[i] as number) + n) n++;
    out.push([i, list[i] as number, n]);
    i += n;
  }
  return out;
}

export class ZarrReader implements ReaderBackend {
  readonly format: string;
  readonly metadata: OME;
  readonly series: readonly SeriesInfo[];
  readonly details: Readonly<Record<string, unknown>>;
  private readonly all: Series[];
  private closed = false;
  /** Decoded chunks, shared by all series and levels of this reader. */
  private readonly cache: ChunkCache;
  /** Direct chunk reads on @bfio/core's shared worker pool (undefined: zarrita on this thread). */
  private readonly pool: CodecPool | undefined;
  /** Chunks decoded at once per readRegion (the codec workers' queue depth). */
  private readonly lanes: number;
  /** Memory of dropped chunks, by size, to decode the next chunks into. */
  private readonly spare = new Map<number, ArrayBuffer[]>();
  /** A local store's root folder and its identity at open (see `checkUnchanged`). */
  private identity: { root: string; id: string } | undefined;

  private constructor(
    private readonly file: string,
    format: string,
    metadata: OME,
    all: Series[],
    details: Record<string, unknown>,
    options: ZarrOpenOptions,
  ) {
    const cacheBytes = options.chunkCacheBytes ?? DEFAULT_CHUNK_CACHE_BYTES;
    this.cache = new ChunkCache(Number.isFinite(cacheBytes) && cacheBytes > 0 ? cacheBytes : 0, (chunk) =>
      this.recycle(chunk),
    );
    this.lanes = Math.max(2, 2 * (options.maxWorkers ?? availableParallelism()) + 2);
    this.pool = CodecPool.get(options.maxWorkers);
    this.format = format;
    this.metadata = metadata;
    this.all = all;
    this.series = all.map((s) => s.info);
    this.details = details;
  }

  static async open(file: string, options: ZarrOpenOptions = {}): Promise<ZarrReader> {
    registerCodecs();
    const located = await locateRoot(file);
    if (!located)
      throw new CorruptFileError(file, 'no Zarr metadata (zarr.json, .zgroup, .zarray or .zattrs) found');
    const { root, format } = located;
    // Taken before any metadata is read: a store replaced from here on is noticed by every read.
    const identity = isRemote(root) ? undefined : await folderIdentity(root);
    // A store at an http(s) URL is read through zarrita's FetchStore (chunks inside shards by range
    // requests); a local one through NodeStore, whose direct chunk plans let the codec workers read files.
    const remote = isRemote(root);
    const store = remote
      ? new zarr.FetchStore(root, { fetch: (request: Request) => fetchWithRetry(request) })
      : new NodeStore(root);
    const consolidated = format === 2 ? await readConsolidated(root) : undefined;
    if (consolidated && store instanceof NodeStore) await store.useConsolidated();
    const loc = zarr.root(options.strict ? strictStore(store, file) : store);
    const details: Record<string, unknown> = { zarrFormat: format, consolidated: consolidated !== undefined };

    const node = await readNode(root, '', format, consolidated).catch((err: unknown) => {
      if (isBfioError(err, 'io-error')) throw err;
      throw new CorruptFileError(file, `unreadable Zarr metadata: ${String(err)}`, undefined, err);
    });
    if (!node) throw new CorruptFileError(file, 'no Zarr metadata found at the root');

    const plans = new WeakMap<AnyArray, DirectChunks>();
    const namers = new WeakMap<AnyArray, Level['chunkName']>();
    const planFor = async (rel: string, array: AnyArray) => {
      const bytes = await store.get(`/${rel ? `${rel}/` : ''}${format === 3 ? 'zarr.json' : '.zarray'}`);
      let meta: Record<string, unknown> | undefined;
      try {
        if (bytes) meta = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      } catch {
        // zarrita parsed it already; an odd document just means no direct path.
      }
      if (meta) checkCodecs(file, rel, meta, format);
      const name = chunkNamer(meta, format, rel);
      namers.set(array, name);
      const plan =
        meta &&
        directChunks(
          meta,
          format,
          rel ? joinLocation(root, rel) : root,
          options.fillValue ?? array.fillValue,
        );
      if (!plan) {
        // zarrita fills absent chunks with the array's own fill_value; another one would be silently ignored.
        if (options.fillValue !== undefined && options.fillValue !== array.fillValue)
          throw new UnsupportedError(
            `${file}: a fill value for absent chunks (${options.fillValue}) is supported for little-endian uncompressed or zstd arrays; this array (${rel || 'root'}) keeps its own fill_value ${String(array.fillValue)}`,
            file,
          );
        return;
      }
      // A remote store's chunks are fetched here and decoded (and placed) on the workers.
      const absent = options.strict
        ? (coords: readonly number[]): never => {
            throw new CorruptFileError(
              file,
              `${name(coords)} is missing (strict reading: an absent chunk is an error, not the fill value); restore it, or read without --strict to get the fill value`,
            );
          }
        : undefined;
      plans.set(array, { ...plan, ...(remote ? { remote: true } : {}), ...(absent ? { absent } : {}) });
    };
    const levelOf = (array: AnyArray, axisOf: number[]): Level => ({
      array,
      axisOf,
      direct: plans.get(array),
      chunkName: namers.get(array) ?? ((coords) => `chunk [${coords.join(',')}]`),
    });
    const openArray = async (rel: string): Promise<AnyArray> => {
      const array = await openZarrita(rel);
      checkArrayShape(file, rel, array);
      await planFor(rel, array);
      return array;
    };
    const openZarrita = async (rel: string): Promise<AnyArray> => {
      const where = rel ? loc.resolve(rel) : loc;
      try {
        return (format === 3
          ? await zarr.open.v3(where, { kind: 'array' })
          : await zarr.open.v2(where, { kind: 'array', attrs: false })) as unknown as AnyArray;
      } catch (err) {
        const why = String(err);
        if (/unsupported or unknown d(ata)?_?type|Unknown or unsupported dataType/i.test(why)) {
          throw new UnsupportedError(
            `${file}: the array '${rel || '/'}' has a data type bfio cannot read (${why})`,
            file,
          );
        }
        throw new CorruptFileError(
          file,
          `cannot open the Zarr array '${rel || '/'}': ${why}`,
          undefined,
          err,
        );
      }
    };

    // A bare array: one image, axes from dimension names when they are ours, else bfio's TCZYX assumption.
    if (node.kind === 'array') {
      const array = await openArray('');
      const names =
        array.dimensionNames ??
        (Array.isArray(node.attrs._ARRAY_DIMENSIONS)
          ? (node.attrs._ARRAY_DIMENSIONS as string[])
          : undefined);
      let axisOf = names ? axesFromNames(names, array.shape, file) : undefined;
      if (!axisOf) {
        if (array.shape.length > 5)
          throw new UnsupportedError(
            `${file} has ${array.shape.length} dimensions; bfio reads up to 5`,
            file,
          );
        axisOf = assumedAxes(array.shape.length);
        details.assumedAxes = `no axis names: the last ${array.shape.length} dimensions are taken as ${'TCZYX'.slice(5 - array.shape.length)} (bfio's convention)`;
      }
      const series = makeSeries(file, '', [levelOf(array, axisOf)], 0);
      const image = synthesizeImage({ ...imageFacts(series, 0, basename(file)), channels: [] });
      details.layout = 'array';
      return new ZarrReader(
        file,
        `Zarr v${format} array`,
        { ...emptyOme(), images: [image] },
        [series],
        details,
        options,
      );
    }

    const { ngff, version } = ngffRoot(node.attrs);
    let paths: string[];
    let omeXmlFile = located.omeXmlFile;
    let ngffPlateInfo: Awaited<ReturnType<typeof ngffPlate>> | undefined;
    const hasPlate = typeof ngff.plate === 'object' && ngff.plate !== null;
    if (ngff['bioformats2raw.layout'] !== undefined) {
      // bioformats2raw plates list their fields as `series` too (the plate's image order).
      details.layout = hasPlate ? 'plate' : 'bioformats2raw';
      paths = await bioformats2rawSeries(root, format, consolidated);
      if (paths.length === 0 && hasPlate) {
        ngffPlateInfo = await ngffPlate(root, format, ngff.plate as Record<string, unknown>, consolidated);
        paths = ngffPlateInfo.paths;
      }
      if (paths.length === 0)
        throw new CorruptFileError(file, 'a bioformats2raw container without series groups');
      omeXmlFile ??= `${root}/OME/METADATA.ome.xml`;
    } else if (Array.isArray(ngff.multiscales)) {
      details.layout = 'image';
      paths = [''];
      omeXmlFile ??= `${root}/OME/METADATA.ome.xml`;
    } else if (hasPlate) {
      details.layout = 'plate';
      ngffPlateInfo = await ngffPlate(root, format, ngff.plate as Record<string, unknown>, consolidated);
      paths = ngffPlateInfo.paths;
    } else {
      throw new CorruptFileError(
        file,
        'a Zarr group without OME-NGFF multiscales, plate or bioformats2raw layout; open one of its arrays directly',
      );
    }

    // The full OME-XML, when the store carries it, is the metadata; NGFF fills in what it lacks.
    const xml = omeXmlFile ? await readText(omeXmlFile) : undefined;
    let metadata: OME = emptyOme();
    if (xml !== undefined) {
      try {
        metadata = parseOmeXml(xml, { clean: options.cleanMetadata !== false, file: omeXmlFile });
        details.omeXml = omeXmlFile;
      } catch (err) {
        throw new CorruptFileError(
          file,
          `its OME-XML (${omeXmlFile}) does not parse: ${String(err)}`,
          undefined,
          err,
        );
      }
    }

    const all: Series[] = [];
    const versions = new Set<string>();
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      const group: NodeInfo | undefined = path ? await readNode(root, path, format, consolidated) : node;
      if (!group) throw new CorruptFileError(file, `series group '${path}' is missing`);
      const sub = path ? ngffRoot(group.attrs) : { ngff, version };
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
        const array = await openArray(path ? `${path}/${ds.path}` : ds.path);
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
        levels.push(levelOf(array, axisOf));
        scales.push(ds.scale);
      }
      const series = makeSeries(file, path, levels, i);
      series.info.levels = withDownsampling(series.info.levels, levels, scales);
      all.push(series);
      const existing = metadata.images[i];
      if (existing) {
        series.info = { ...series.info, imageIndex: i };
        continue;
      }
      // No OME-XML image for this series: describe it from NGFF.
      const level0 = levels[0] as Level;
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
        channels: parseOmeroChannels(sub.ngff),
      });
      series.info = { ...series.info, imageIndex: metadata.images.length };
      metadata = { ...metadata, images: [...metadata.images, image] };
    }
    if (ngffPlateInfo && platesOf(metadata).length === 0) {
      // No OME-XML Plate (ome-zarr-py writes none): describe it from NGFF, so BioReader.plate works alike.
      const ids = all.map((s) => metadata.images[s.info.imageIndex]?.id ?? '');
      const node = plateElement(ngffPlateInfo.describe(ids));
      const extra = metadata.extra ?? { attributes: {}, children: [] };
      metadata = { ...metadata, extra: { ...extra, children: [...extra.children, { after: 0, node }] } };
    }
    const ngffVersion = [...versions].join(', ') || undefined;
    details.ngffVersion = ngffVersion;
    details.axes = all.map((s) =>
      (s.levels[0] as Level).axisOf
        .map((a, k) => [a, AXES[k]] as const)
        .filter(([a]) => a >= 0)
        .sort((p, q) => p[0] - q[0])
        .map(([, n]) => n)
        .join(''),
    );
    details.chunks = all.map((s) => (s.levels[0] as Level).array.chunks);
    details.seriesPaths = paths;
    const reader = new ZarrReader(
      file,
      ngffVersion ? `OME-Zarr ${ngffVersion}` : `Zarr v${format}`,
      metadata,
      all,
      details,
      options,
    );
    if (identity) reader.identity = { root, id: identity };
    return reader;
  }

  async readRegion(
    selection: SelectedImage,
    region: Region,
    out: TypedArray,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed) throw new ClosedError('BioReader', this.file);
    const series = this.all[selection.series];
    const level = series?.levels[selection.level];
    if (!series || !level) {
      throw new CorruptFileError(this.file, `no series ${selection.series} level ${selection.level}`);
    }
    const { array, axisOf } = level;
    const nx = region.x[1] - region.x[0];
    const ny = region.y[1] - region.y[0];
    const nz = region.z[1] - region.z[0];
    const nc = region.c.length;
    const outStride: Vec5 = [nc * nz * ny * nx, nz * ny * nx, ny * nx, nx, 1];
    const absentT: Piece[] = region.t.map((_, out) => ({ out, at: 0, n: 1 }));
    const absentC: Piece[] = region.c.map((_, out) => ({ out, at: 0, n: 1 }));
    // Per array axis: the touched chunks, each with the pieces (runs) of the region inside it.
    const ndim = array.shape.length;
    const perAxis: Array<Map<number, Piece[]>> = [];
    const ourAxis: number[] = new Array(ndim).fill(-1);
    for (let a = 0; a < ndim; a++) {
      const k = axisOf.indexOf(a);
      ourAxis[a] = k;
      const size = array.chunks[a] as number;
      if (k < 0) perAxis.push(new Map([[0, [{ out: 0, at: 0, n: 1 }]]]));
      else if (k === 0) perAxis.push(piecesOfList(region.t, size));
      else if (k === 1) perAxis.push(piecesOfList(region.c, size));
      else perAxis.push(piecesOfRange((k === 2 ? region.z : k === 3 ? region.y : region.x) as Span, size));
    }
    const chunkIds = product(perAxis.map((m) => [...m.keys()]));
    const prefix = `${selection.series}/${selection.level}/`;
    const onError = (coords: number[]) => this.decodeFailure(level, coords);
    const chunkElements = (array.chunks as number[]).reduce((a, b) => a * b, 1);
    const viaZarrita = async (coords: number[]) => {
      const chunk = (await array.getChunk(coords, { signal })) as DecodedChunk;
      // zarrita views whatever a codec returns as the chunk: a stream that decodes to another size (a wrong
      // or damaged chunk) would read as cut or zero-padded pixels. zarr-python refuses it; so do we.
      const n = (chunk.data as { length: number }).length;
      if (n !== chunkElements)
        throw new Error(`the chunk decodes to ${n} elements, ${chunkElements} expected`);
      return chunk;
    };
    const { direct } = level;
    const load = (coords: number[]): Promise<DecodedChunk> => {
      const pool = direct ? this.pool : undefined;
      if (!pool || !direct) return viaZarrita(coords);
      return loadDirect(pool, direct, coords, (bytes) => this.takeSpare(bytes)).catch((err: unknown) => {
        if (err instanceof PoolUnavailable) return viaZarrita(coords);
        throw err;
      });
    };
    const fetch = (coords: number[]): Promise<ChunkEntry> =>
      this.cache.acquire(prefix + coords.join(','), () => load(coords)).catch(onError(coords));
    /**
     * The blocks of the region inside chunk `coords` for a chunk with element strides `chunkStride` (array
     * axes): `fn(src, dst, counts)` per block, with the chunk's strides along our t,c,z,y,x in `stride`.
     */
    const blocksOf = (
      coords: number[],
      chunkStride: readonly number[],
      fn: (src: number, dst: number, counts: Vec5, stride: Vec5) => void,
    ) => {
      // Our axis k → the chunk's stride and the pieces along it (absent axes: one element, stride 0).
      const stride: Vec5 = [0, 0, 0, 0, 0];
      // Axes the array lacks have size 1: every requested index (repeats included) reads element 0.
      const pieces: Piece[][] = [absentT, absentC, SINGLE, SINGLE, SINGLE];
      for (let a = 0; a < ndim; a++) {
        const k = ourAxis[a] as number;
        if (k < 0) continue;
        stride[k] = chunkStride[a] as number;
        pieces[k] = perAxis[a]?.get(coords[a] as number) as Piece[];
      }
      // The fixed offset of axes bfio has no name for (size 1, index 0 inside chunk 0): nothing to add.
      for (const pt of pieces[0] as Piece[])
        for (const pc of pieces[1] as Piece[])
          for (const pz of pieces[2] as Piece[])
            for (const py of pieces[3] as Piece[])
              for (const px of pieces[4] as Piece[]) {
                const src =
                  pt.at * stride[0] +
                  pc.at * stride[1] +
                  pz.at * stride[2] +
                  py.at * stride[3] +
                  px.at * stride[4];
                const dst =
                  pt.out * outStride[0] +
                  pc.out * outStride[1] +
                  pz.out * outStride[2] +
                  py.out * outStride[3] +
                  px.out;
                fn(src, dst, [pt.n, pc.n, pz.n, py.n, px.n], stride);
              }
    };
    const place = (coords: number[], chunk: DecodedChunk) =>
      blocksOf(coords, chunk.stride, (src, dst, counts, stride) =>
        copyStrided(chunk.data, src, stride, out, dst, outStride, counts),
      );
    // A shared output (BioReader's default for large reads) lets the codec workers place the pixels of
    // direct chunks themselves: no decoded chunk crosses threads and the main thread copies nothing.
    const target =
      this.pool && direct && out instanceof direct.Ctor && isShared(out)
        ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
        : undefined;
    /**
     * Whether chunk `coords` goes to a worker that places it: not when it is cached or being decoded, and,
     * while caching, only when the region uses all of it (a chunk only partly used is the one a
     * neighbouring window will want again, so it goes through the cache).
     */
    const placedByWorker = (coords: number[]): boolean => {
      if (!target || this.cache.has(prefix + coords.join(','))) return false;
      if (this.cache.maxBytes === 0) return true;
      for (let a = 0; a < ndim; a++) {
        const c = coords[a] as number;
        const size = array.chunks[a] as number;
        const valid = Math.min(size, (array.shape[a] as number) - c * size);
        if (!covers(perAxis[a]?.get(c) ?? [], valid)) return false;
      }
      return true;
    };
    /** Has a worker read, decode and place chunk `coords`; false when the pool cannot (do it here). */
    const placeOnWorker = async (coords: number[]): Promise<boolean> => {
      const plan = direct as DirectChunks;
      const pool = this.pool as CodecPool;
      const blocks: number[] = [];
      let srcStride: Vec5 = [0, 0, 0, 0, 0];
      blocksOf(coords, plan.stride, (src, dst, counts, stride) => {
        blocks.push(src, dst, ...counts);
        srcStride = stride;
      });
      const bytes = plan.Ctor.BYTES_PER_ELEMENT;
      let placed: boolean;
      try {
        const where = await chunkLocation(plan, coords);
        if (plan.remote) {
          const raw = where && (await fetchChunk(where));
          if (raw) {
            await pool.decodeChunk(
              raw,
              plan.codec,
              plan.elements * bytes,
              { target: target as Uint8Array, bytes, srcStride, dstStride: outStride, blocks },
              signal,
            );
          } else place(coords, absentChunk(plan, coords));
          return true;
        }
        placed =
          where !== undefined &&
          (await pool.placeChunk(
            where.path,
            plan.codec,
            plan.elements * bytes,
            { target: target as Uint8Array, bytes, srcStride, dstStride: outStride, blocks },
            signal,
            where.range,
          ));
      } catch (err) {
        if (err instanceof PoolUnavailable) return false;
        return onError(coords)(err);
      }
      if (!placed) place(coords, absentChunk(plan, coords));
      return true;
    };
    // Decode a bounded number of chunks at a time; each is placed as soon as it arrives.
    let next = 0;
    const lane = async () => {
      while (next < chunkIds.length) {
        const coords = chunkIds[next++] as number[];
        signal?.throwIfAborted();
        if (placedByWorker(coords) && (await placeOnWorker(coords))) continue;
        const entry = await fetch(coords);
        try {
          place(coords, entry.chunk as DecodedChunk);
        } finally {
          this.cache.release(entry);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.lanes, chunkIds.length) }, lane));
    await this.checkUnchanged();
  }

  /**
   * Writers replace a store by renaming a new folder into its place, and chunks are read by path: a read
   * overlapping the swap would mix the two images (or, between the renames, read fill values). One stat
   * after each read notices it, so a read is all of the image opened, or an error saying to open it again.
   */
  private async checkUnchanged(): Promise<void> {
    if (this.identity && (await folderIdentity(this.identity.root)) !== this.identity.id)
      throw new IoError(this.file, 'read', 'ESTALE');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
    this.spare.clear();
  }

  /** Keeps a dropped chunk's memory for a later decode (a few buffers per size). */
  private recycle(chunk: DecodedChunk): void {
    const data = chunk.data as { buffer?: unknown; byteOffset?: number; byteLength?: number };
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer) || data.byteOffset !== 0 || buffer.byteLength !== data.byteLength)
      return;
    if (buffer.byteLength < 65536 || this.closed) return;
    const list = this.spare.get(buffer.byteLength) ?? [];
    if (list.length >= MAX_SPARE) return;
    list.push(buffer);
    this.spare.set(buffer.byteLength, list);
  }

  private takeSpare(bytes: number): ArrayBuffer | undefined {
    return this.spare.get(bytes)?.pop();
  }

  /**
   * Turns a chunk's codec/store failure into a CorruptFileError naming the store, the chunk's key and, inside
   * a shard, its byte offset (aborts, network failures and errors already typed pass through).
   */
  private decodeFailure(level: Level, coords: number[]): (err: unknown) => Promise<never> {
    return async (err) => {
      if ((err as { name?: string } | null)?.name === 'AbortError') throw err;
      if (isBfioError(err)) throw err; // network, missing chunk (strict), or already named
      // The disk failing under the store is not damage to the store.
      if (systemErrorCode(err)) throw asIoError(err, this.file, 'read');
      let offset: number | undefined;
      if (level.direct?.shard) {
        const where = await chunkLocation(level.direct, coords).catch(() => undefined);
        offset = where?.range?.[0];
      }
      throw new CorruptFileError(
        this.file,
        `${level.chunkName(coords)} cannot be decoded (${errorText(err)}); the store is damaged: restore that object from a good copy`,
        offset,
        err,
      );
    };
  }
}

/** A folder's device and inode (a folder renamed into its place has others), or undefined when it is gone. */
async function folderIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Copies a 5-D strided block (t,c,z,y,x) from `src` at `srcBase` into `out` at `base`, converting when needed. */
/**
 * The spec's rules zarrita does not enforce: shape entries are non-negative integers, chunk entries positive
 * integers, one per dimension. `chunks: [0, 0]` would otherwise "read" (as the fill value) and a rank
 * mismatch fail later with an unrelated TypeError.
 */
function checkArrayShape(file: string, rel: string, array: AnyArray): void {
  const where = `array '${rel || '/'}'`;
  const { shape, chunks } = array as unknown as { shape: unknown; chunks: unknown };
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new CorruptFileError(
      file,
      `the ${where} has an invalid shape ${JSON.stringify(shape)} (non-negative integers expected); fix its metadata`,
    );
  }
  if (!Array.isArray(chunks) || !chunks.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new CorruptFileError(
      file,
      `the ${where} has invalid chunks ${JSON.stringify(chunks)} (positive integers expected); fix its metadata`,
    );
  }
  if (chunks.length !== shape.length) {
    throw new CorruptFileError(
      file,
      `the ${where} has ${shape.length} dimensions but ${chunks.length} chunk sizes; fix its metadata`,
    );
  }
}

function copyStrided(
  src: ArrayLike<unknown>,
  srcBase: number,
  stride: Vec5,
  out: TypedArray,
  base: number,
  outStride: Vec5,
  counts: Vec5,
): void {
  const [tn, cn, nz, ny, nx] = counts;
  const [sT, sC, sZ, sY, sX] = stride;
  const [oT, oC, oZ, oY] = outStride;
  const typed =
    ArrayBuffer.isView(src) && !(src instanceof BigInt64Array) && !(src instanceof BigUint64Array);
  const getter = (src as { get?: (i: number) => unknown }).get;
  for (let t = 0; t < tn; t++) {
    for (let c = 0; c < cn; c++) {
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          const s = srcBase + t * sT + c * sC + z * sZ + y * sY;
          const d = base + t * oT + c * oC + z * oZ + y * oY;
          if (typed && (sX === 1 || nx === 1)) {
            out.set((src as TypedArray).subarray(s, s + nx), d);
          } else if (typed) {
            const a = src as TypedArray;
            for (let x = 0; x < nx; x++) out[d + x] = a[s + x * sX] as number;
          } else if (typeof getter === 'function') {
            for (let x = 0; x < nx; x++) out[d + x] = Number(getter.call(src, s + x * sX));
          } else {
            const a = src as ArrayLike<unknown>;
            for (let x = 0; x < nx; x++) out[d + x] = Number(a[s + x * sX]);
          }
        }
      }
    }
  }
}

function isShared(out: TypedArray): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && out.buffer instanceof SharedArrayBuffer;
}

/** Whether pieces (along one axis, inside one chunk) cover all `valid` elements [0, valid) of the chunk. */
function covers(pieces: readonly Piece[], valid: number): boolean {
  const sorted = [...pieces].sort((p, q) => p.at - q.at);
  let end = 0;
  for (const p of sorted) {
    if (p.at > end) return false;
    end = Math.max(end, p.at + p.n);
  }
  return end >= valid;
}

type Vec5 = [number, number, number, number, number];
type Span = readonly [number, number];

/** A run of the region inside one chunk along one axis: output index, index inside the chunk, length. */
interface Piece {
  out: number;
  at: number;
  n: number;
}

const SINGLE: Piece[] = [{ out: 0, at: 0, n: 1 }];

function addPiece(map: Map<number, Piece[]>, chunk: number, piece: Piece): void {
  const list = map.get(chunk);
  if (list) list.push(piece);
  else map.set(chunk, [piece]);
}

/** A half-open range split at chunk boundaries. */
function piecesOfRange([lo, hi]: Span, chunk: number): Map<number, Piece[]> {
  const map = new Map<number, Piece[]>();
  for (let i = lo; i < hi; ) {
    const c = Math.floor(i / chunk);
    const end = Math.min(hi, (c + 1) * chunk);
    addPiece(map, c, { out: i - lo, at: i - c * chunk, n: end - i });
    i = end;
  }
  return map;
}

/** An index list (any order): runs of consecutive ascending indices, split at chunk boundaries. */
function piecesOfList(list: readonly number[], chunk: number): Map<number, Piece[]> {
  const map = new Map<number, Piece[]>();
  for (const [out, first, n] of runs(list)) {
    for (const [c, pieces] of piecesOfRange([first, first + n], chunk))
      for (const p of pieces) addPiece(map, c, { ...p, out: p.out + out });
  }
  return map;
}

/** Every combination of one value per list (the last list varies fastest). */
function product(lists: number[][]): number[][] {
  let acc: number[][] = [[]];
  for (const list of lists) acc = acc.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return acc;
}

/**
 * Each level's pixel size relative to level 0 along x, y, z from the multiscales scales, where every level
 * has one (ome-zarr-py records the size ratio, bfio and bioformats2raw exact powers of two: the store says).
 */
function withDownsampling(
  infos: LevelInfo[],
  levels: Level[],
  scales: Array<number[] | undefined>,
): LevelInfo[] {
  const scale0 = scales[0];
  if (!scale0 || scales.some((s) => !s)) return infos;
  return infos.map((info, l) => {
    const scale = scales[l] as number[];
    const { axisOf } = levels[l] as Level;
    const factor = (k: number) => {
      const a = axisOf[k] as number;
      const s0 = a >= 0 ? scale0[a] : undefined;
      const s = a >= 0 ? scale[a] : undefined;
      return s0 && s && Number.isFinite(s / s0) && s / s0 > 0 ? s / s0 : 1;
    };
    return { ...info, downsample: { x: factor(4), y: factor(3), z: factor(2) } };
  });
}

function makeSeries(file: string, path: string, levels: Level[], index: number): Series {
  const first = levels[0] as Level;
  const dtype = DTYPES[first.array.dtype];
  if (!dtype) {
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''} stores ${first.array.dtype} values, which bfio cannot represent`,
      file,
    );
  }
  const infos: LevelInfo[] = levels.map(({ array, axisOf }) => {
    const size = (k: number) => {
      const a = axisOf[k] as number;
      return a >= 0 ? (array.shape[a] as number) : 1;
    };
    const chunk = (k: number) => {
      const a = axisOf[k] as number;
      return a >= 0 ? (array.chunks[a] as number) : 1;
    };
    return {
      sizeT: size(0),
      sizeC: size(1),
      sizeZ: size(2),
      sizeY: size(3),
      sizeX: size(4),
      tileHeight: chunk(3),
      tileWidth: chunk(4),
    };
  });
  // Each channel becomes an OME Channel element: a shape claiming 10^15 channels (sparse arrays are valid
  // Zarr) would build that many before the first read.
  const empty = infos.findIndex((l) => [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX].includes(0));
  if (empty >= 0) {
    // Valid Zarr (an array with no elements), but not an image: there is nothing to read.
    const l = infos[empty] as LevelInfo;
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''}: level ${empty} is empty (T,C,Z,Y,X = ${l.sizeT},${l.sizeC},${l.sizeZ},${l.sizeY},${l.sizeX}); an image needs at least one pixel, so check the array's shape`,
      file,
    );
  }
  const channels = infos[0]?.sizeC ?? 1;
  if (channels > MAX_CHANNELS) {
    throw new UnsupportedError(
      `${file}${path ? ` (series '${path}')` : ''} has ${channels} channels, more than bfio describes (${MAX_CHANNELS}); if the shape is right, open the array with the channel axis read as another axis (or split it)`,
      file,
    );
  }
  return { path, dtype, levels, info: { imageIndex: index, dtype, levels: infos } };
}

/** The most channels one series may have (each is an OME Channel in the metadata). */
const MAX_CHANNELS = 65_536;

function imageFacts(series: Series, index: number, name: string) {
  const l0 = series.info.levels[0] as LevelInfo;
  return {
    index,
    name,
    dtype: series.dtype,
    sizeX: l0.sizeX,
    sizeY: l0.sizeY,
    sizeZ: l0.sizeZ,
    sizeC: l0.sizeC,
    sizeT: l0.sizeT,
  };
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
