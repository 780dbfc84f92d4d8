/**
 * Reading OME-Zarr (NGFF 0.1–0.5, Zarr v2 and v3, bioformats2raw and plate layouts, bare arrays) through
 * zarrita. Pixels are fetched with `zarr.get` on slices and copied into the caller's planar T,C,Z,Y,X buffer,
 * whatever the store's axis order.
 */
import { basename } from 'node:path';
import {
  ClosedError,
  CorruptFileError,
  type DType,
  type LevelInfo,
  type OpenOptions,
  type ReaderBackend,
  type Region,
  type SelectedImage,
  type SeriesInfo,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import type { OME } from '@bfio/ome-xml';
import * as zarr from 'zarrita';
import { registerCodecs } from './codecs.js';
import {
  locateRoot,
  type NodeInfo,
  readConsolidated,
  readNode,
  readText,
  type ZarrFormat,
} from './layout.js';
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
import { NodeStore } from './store.js';

type AnyArray = zarr.Array<zarr.DataType, NodeStore>;

/** One resolution level: its array and where each of our axes t,c,z,y,x is in it (-1: absent). */
interface Level {
  array: AnyArray;
  /** axisOf[i] = index in the array of AXES[i], or -1. */
  axisOf: number[];
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

  private constructor(
    private readonly file: string,
    format: string,
    metadata: OME,
    all: Series[],
    details: Record<string, unknown>,
  ) {
    this.format = format;
    this.metadata = metadata;
    this.all = all;
    this.series = all.map((s) => s.info);
    this.details = details;
  }

  static async open(file: string, options: OpenOptions = {}): Promise<ZarrReader> {
    registerCodecs();
    const located = await locateRoot(file);
    if (!located)
      throw new CorruptFileError(file, 'no Zarr metadata (zarr.json, .zgroup, .zarray or .zattrs) found');
    const { root, format } = located;
    const store = new NodeStore(root);
    const consolidated = format === 2 ? await readConsolidated(root) : undefined;
    if (consolidated) await store.useConsolidated();
    const loc = zarr.root(store);
    const details: Record<string, unknown> = { zarrFormat: format, consolidated: consolidated !== undefined };

    const node = await readNode(root, '', format, consolidated).catch((err: unknown) => {
      throw new CorruptFileError(file, `unreadable Zarr metadata: ${String(err)}`, undefined, err);
    });
    if (!node) throw new CorruptFileError(file, 'no Zarr metadata found at the root');

    const openArray = async (rel: string): Promise<AnyArray> => {
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
      const series = makeSeries(file, '', [{ array, axisOf }], 0);
      const image = synthesizeImage({ ...imageFacts(series, 0, basename(file)), channels: [] });
      details.layout = 'array';
      return new ZarrReader(
        file,
        `Zarr v${format} array`,
        { ...emptyOme(), images: [image] },
        [series],
        details,
      );
    }

    const { ngff, version } = ngffRoot(node.attrs);
    let paths: string[];
    let omeXmlFile = located.omeXmlFile;
    if (ngff['bioformats2raw.layout'] !== undefined) {
      details.layout = 'bioformats2raw';
      paths = await bioformats2rawSeries(root, format, consolidated);
      if (paths.length === 0)
        throw new CorruptFileError(file, 'a bioformats2raw container without series groups');
      omeXmlFile ??= `${root}/OME/METADATA.ome.xml`;
    } else if (Array.isArray(ngff.multiscales)) {
      details.layout = 'image';
      paths = [''];
      omeXmlFile ??= `${root}/OME/METADATA.ome.xml`;
    } else if (typeof ngff.plate === 'object' && ngff.plate !== null) {
      details.layout = 'plate';
      paths = await plateSeries(root, format, ngff.plate as Record<string, unknown>, consolidated);
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
        levels.push({ array, axisOf });
        scales.push(ds.scale);
      }
      const series = makeSeries(file, path, levels, i);
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
    return new ZarrReader(
      file,
      ngffVersion ? `OME-Zarr ${ngffVersion}` : `Zarr v${format}`,
      metadata,
      all,
      details,
    );
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
    const ndim = array.shape.length;
    const outStride = [nc * nz * ny * nx, nz * ny * nx, ny * nx, nx, 1];
    const spans: Array<[number, number]> = [[0, 0], [0, 0], region.z, region.y, region.x];
    const jobs: Promise<void>[] = [];
    for (const [tOut, t0, tn] of runs(region.t)) {
      for (const [cOut, c0, cn] of runs(region.c)) {
        spans[0] = [t0, t0 + tn];
        spans[1] = [c0, c0 + cn];
        const sel: zarr.Slice[] = Array.from({ length: ndim }, () => zarr.slice(0, 1));
        for (let k = 0; k < 5; k++) {
          const a = axisOf[k] as number;
          if (a >= 0) sel[a] = zarr.slice(...(spans[k] as [number, number]));
        }
        const counts = [tn, cn, nz, ny, nx];
        const base = tOut * (outStride[0] as number) + cOut * (outStride[1] as number);
        jobs.push(
          zarr.get(array, sel, { signal }).then(
            (chunk) => {
              const src = chunk as unknown as { data: ArrayLike<unknown>; stride: number[] };
              const stride = axisOf.map((a) => (a >= 0 ? (src.stride[a] as number) : 0));
              copyStrided(src.data, stride, out, outStride, base, counts);
            },
            this.decodeFailure(series.path, selection.level),
          ),
        );
      }
    }
    await Promise.all(jobs);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Turns zarrita's codec/store failures into a CorruptFileError naming the store (aborts pass through). */
  private decodeFailure(path: string, level: number): (err: unknown) => never {
    return (err) => {
      if ((err as { name?: string } | null)?.name === 'AbortError') throw err;
      const where = `${path ? `series '${path}' ` : ''}level ${level}`;
      throw new CorruptFileError(this.file, `cannot read pixels of ${where}: ${String(err)}`, undefined, err);
    };
  }
}

/** Copies a 5-D strided block (t,c,z,y,x) into `out` at `base` with `outStride`, converting when needed. */
function copyStrided(
  src: ArrayLike<unknown>,
  stride: number[],
  out: TypedArray,
  outStride: number[],
  base: number,
  counts: number[],
): void {
  const [tn, cn, nz, ny, nx] = counts as [number, number, number, number, number];
  const [sT, sC, sZ, sY, sX] = stride as [number, number, number, number, number];
  const [oT, oC, oZ, oY] = outStride as [number, number, number, number, number];
  const typed =
    ArrayBuffer.isView(src) && !(src instanceof BigInt64Array) && !(src instanceof BigUint64Array);
  const getter = (src as { get?: (i: number) => unknown }).get;
  for (let t = 0; t < tn; t++) {
    for (let c = 0; c < cn; c++) {
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          const s = t * sT + c * sC + z * sZ + y * sY;
          const d = base + t * oT + c * oC + z * oZ + y * oY;
          if (typed && sX === 1) {
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
  return { path, dtype, levels, info: { imageIndex: index, dtype, levels: infos } };
}

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

/** Fields of a plate, well by well: `row/col/field`. */
async function plateSeries(
  root: string,
  format: ZarrFormat,
  plate: Record<string, unknown>,
  consolidated?: Record<string, unknown>,
): Promise<string[]> {
  const wells = Array.isArray(plate.wells) ? plate.wells : [];
  const paths: string[] = [];
  for (const w of wells) {
    const wellPath = (w as { path?: unknown }).path;
    if (typeof wellPath !== 'string') continue;
    const node = await readNode(root, wellPath, format, consolidated);
    if (!node) continue;
    const well = ngffRoot(node.attrs).ngff.well as { images?: Array<{ path?: unknown }> } | undefined;
    for (const img of well?.images ?? [])
      if (typeof img.path === 'string') paths.push(`${wellPath}/${img.path}`);
  }
  return paths;
}
