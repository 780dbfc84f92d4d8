/**
 * OME-TIFF through Bio-Formats' own OMETiffWriter (parity with bfio's java writer, and a cross-check of the
 * native TIFF writer).
 *
 * Bio-Formats' TIFF writer takes a plane's tiles in order and must not interleave planes, while the contract
 * allows unaligned regions in any order and concurrent calls. So pixels are gathered per plane in memory; a
 * plane is handed to Java tile by tile once all its pixels and all earlier planes have been written (writes
 * are serialised on one chain; the OME-TIFF writer numbers IFDs in call order). Planes never completed are
 * written at close with zeros where nothing was written. Memory: the planes not yet sent.
 *
 * Node → Java bytes: node-java has no fast path for byte[] arguments (a Buffer arrives as null), so the tile
 * goes over as a latin1 String, and a MethodHandle chain built from JDK pieces
 * (`saveBytes` ∘ `String.getBytes("ISO-8859-1")`) turns it back into byte[] inside Java: the bytes never
 * cross element by element and no helper class has to be compiled.
 */

import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  allocate,
  BfioError,
  bytesPerPixel,
  type CreateOptions,
  type DType,
  FileExistsError,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import { type Region, sweepStaleTemps, tempSibling, type WriterBackend } from '@bfio/core/backend';
import { buildOmeXml, type OME, planeIndex } from '@bfio/ome-xml';
import { javaMessage } from './errors.js';
import { bridge, type JavaBridge, type JavaObject } from './jvm.js';
import { PIXEL_TYPE_NAMES } from './pixel-types.js';

const COMPRESSION: Record<string, string> = {
  none: 'Uncompressed',
  lzw: 'LZW',
  deflate: 'zlib',
  zlib: 'zlib',
};

let saveBytesHandle: JavaObject | undefined;

/** (IFormatWriter, int no, String latin1, int x, int y, int w, int h) → writer.saveBytes(no, bytes, x, y, w, h). */
function saveBytesFromString(java: JavaBridge): JavaObject {
  if (saveBytesHandle) return saveBytesHandle;
  const cls = (name: string) => java.callStaticMethodSync('java.lang.Class', 'forName', name);
  const int = java.getStaticFieldValue('java.lang.Integer', 'TYPE');
  const voidType = java.getStaticFieldValue('java.lang.Void', 'TYPE');
  const bytes = cls('[B');
  const string = cls('java.lang.String');
  const lookup = java.callStaticMethodSync('java.lang.invoke.MethodHandles', 'publicLookup');
  const mt = (ret: JavaObject, ...params: JavaObject[]) =>
    java.callStaticMethodSync('java.lang.invoke.MethodType', 'methodType', ret, ...params);
  const save = lookup.findVirtualSync(
    cls('loci.formats.IFormatWriter'),
    'saveBytes',
    mt(voidType, int, bytes, int, int, int, int),
  );
  const getBytes = lookup.findVirtualSync(string, 'getBytes', mt(bytes, string));
  const latin1 = java.callStaticMethodSync(
    'java.lang.invoke.MethodHandles',
    'insertArguments',
    getBytes,
    1,
    'ISO-8859-1',
  );
  saveBytesHandle = java.callStaticMethodSync(
    'java.lang.invoke.MethodHandles',
    'filterArguments',
    save,
    2,
    latin1,
  );
  return saveBytesHandle;
}

/** The single-image OME the writer gets: pixel type, little-endian, planar, one sample per channel. */
function writerMetadata(metadata: OME, dtype: DType): OME {
  const first = metadata.images[0];
  if (!first)
    throw new BfioError('invalid-data', 'Cannot create an OME-TIFF without an Image in the metadata');
  const image = structuredClone(first);
  const px = image.pixels;
  px.type = PIXEL_TYPE_NAMES[dtype] as typeof px.type;
  px.bigEndian = false;
  px.interleaved = false;
  px.tiffData = [];
  if (px.extra)
    px.extra.children = px.extra.children.filter((c) => !('BinData' in c.node || 'MetadataOnly' in c.node));
  const channels = px.channels;
  px.channels = Array.from({ length: px.sizeC }, (_, i) => ({
    ...(channels.length === px.sizeC ? channels[i] : {}),
    id: `Channel:0:${i}`,
    samplesPerPixel: 1,
  }));
  return { ...metadata, images: [image] };
}

/** The options this writer refuses, checked by `BioWriter.create` too; returns the Java compression name. */
export function checkBioformatsWriterOptions(file: string, options: CreateOptions): string {
  if (options.pyramidLevels) {
    throw new UnsupportedError(
      `The Bio-Formats writer does not write pyramids (${file}); use the native TIFF backend`,
      file,
    );
  }
  const compression = COMPRESSION[options.compression ?? 'none'];
  if (!compression) {
    throw new UnsupportedError(
      `The Bio-Formats OME-TIFF writer does not do '${options.compression}' compression (${file}); use none, lzw or deflate`,
      file,
    );
  }
  return compression;
}

export async function createBioformatsWriter(
  path: string,
  metadata: OME,
  dtype: DType,
  options: CreateOptions,
): Promise<WriterBackend> {
  const file = resolve(path);
  if (existsSync(file) && !options.overwrite) throw new FileExistsError(file);
  const compression = checkBioformatsWriterOptions(file, options);
  const ome = writerMetadata(metadata, dtype);
  const px = ome.images[0]!.pixels;
  await sweepStaleTemps(file);
  const staging = tempSibling(file);
  const { java } = await bridge();
  const save = saveBytesFromString(java);
  const service = java.newInstanceSync('loci.formats.services.OMEXMLServiceImpl');
  const writer = java.newInstanceSync('loci.formats.out.OMETiffWriter');
  try {
    const store = service.createOMEXMLMetadataSync(buildOmeXml(ome));
    writer.setMetadataRetrieveSync(store);
    writer.setInterleavedSync(false);
    writer.setCompressionSync(compression);
    const planeBytes = px.sizeX * px.sizeY * bytesPerPixel(dtype);
    const total = planeBytes * px.sizeZ * px.sizeC * px.sizeT;
    writer.setBigTiffSync(Boolean(options.bigTiff ?? total > 2 ** 31));
    const [th, tw] =
      typeof options.tileSize === 'number'
        ? [options.tileSize, options.tileSize]
        : (options.tileSize ?? [1024, 1024]);
    // Bio-Formats rounds tile sizes to multiples of 16 and returns what it will use.
    const tileW: number = writer.setTileSizeXSync(Math.min(tw, px.sizeX));
    const tileH: number = writer.setTileSizeYSync(Math.min(th, px.sizeY));
    // Bio-Formats writes straight into its file, so it writes into a hidden sibling folder under the final
    // name (the OME-XML's TiffData FileName must match), and close() renames it into place: a process
    // killed mid-write leaves no file at the target, and an existing target stays intact until then.
    await mkdir(staging);
    await writer.setIdPromise(join(staging, basename(file)));
    return new BioformatsWriter(file, writer, save, ome, dtype, tileW, tileH, staging);
  } catch (err) {
    await writer.closePromise().catch(() => {});
    await rm(staging, { recursive: true, force: true });
    if (BfioError.isInstance(err)) throw err;
    throw new BfioError('backend-error', `Bio-Formats could not create ${file}: ${javaMessage(err)}`, {
      file,
      cause: err,
    });
  }
}

interface PlaneBuffer {
  data: TypedArray;
  filled: number;
}

class BioformatsWriter implements WriterBackend {
  private readonly planes = new Map<number, PlaneBuffer>();
  private readonly done = new Set<number>();
  private nextPlane = 0;
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly file: string,
    private readonly writer: JavaObject,
    private readonly save: JavaObject,
    private readonly ome: OME,
    private readonly dtype: DType,
    private readonly tileW: number,
    private readonly tileH: number,
    /** The hidden folder Bio-Formats writes into; the file moves to `file` only when complete. */
    private readonly staging: string,
  ) {}

  private get pixels() {
    return this.ome.images[0]!.pixels;
  }

  async writeRegion(region: Region, data: TypedArray): Promise<void> {
    if (this.finished)
      throw new BfioError('closed', `The Bio-Formats writer of ${this.file} is closed`, { file: this.file });
    const px = this.pixels;
    const w = region.x[1] - region.x[0];
    const h = region.y[1] - region.y[0];
    const planeLength = px.sizeX * px.sizeY;
    let offset = 0;
    for (const t of region.t)
      for (const c of region.c)
        for (let z = region.z[0]; z < region.z[1]; z++) {
          const no = planeIndex(px.dimensionOrder, px.sizeZ, px.sizeC, px.sizeT, z, c, t);
          if (this.done.has(no)) {
            throw new BfioError(
              'invalid-data',
              `Plane z=${z} c=${c} t=${t} of ${this.file} was already written out completely`,
              {
                file: this.file,
              },
            );
          }
          let plane = this.planes.get(no);
          if (!plane) {
            plane = { data: allocate(this.dtype, planeLength), filled: 0 };
            this.planes.set(no, plane);
          }
          for (let row = 0; row < h; row++) {
            const src = data.subarray(offset + row * w, offset + (row + 1) * w);
            plane.data.set(src as never, (region.y[0] + row) * px.sizeX + region.x[0]);
          }
          offset += w * h;
          plane.filled += w * h;
        }
    await this.flushReady();
  }

  /**
   * Bio-Formats' OME-TIFF writer numbers IFDs in call order, so planes go to Java strictly in plane order:
   * a completed plane waits for the planes before it.
   */
  private flushReady(): Promise<void> {
    const px = this.pixels;
    const planeLength = px.sizeX * px.sizeY;
    let last = this.chain;
    for (;;) {
      const plane = this.planes.get(this.nextPlane);
      if (!plane || plane.filled < planeLength) break;
      last = this.flush(this.nextPlane);
      this.nextPlane++;
    }
    return last;
  }

  /** Sends one whole plane to Java, tile by tile, after the planes already queued. */
  private flush(no: number): Promise<void> {
    const plane = this.planes.get(no);
    if (!plane || this.done.has(no)) return this.chain;
    this.planes.delete(no);
    this.done.add(no);
    const px = this.pixels;
    const bpp = bytesPerPixel(this.dtype);
    const bytes = Buffer.from(plane.data.buffer, plane.data.byteOffset, plane.data.byteLength);
    const run = async () => {
      for (let y = 0; y < px.sizeY; y += this.tileH) {
        const h = Math.min(this.tileH, px.sizeY - y);
        for (let x = 0; x < px.sizeX; x += this.tileW) {
          const w = Math.min(this.tileW, px.sizeX - x);
          const tile = Buffer.allocUnsafe(w * h * bpp);
          for (let row = 0; row < h; row++) {
            const start = ((y + row) * px.sizeX + x) * bpp;
            bytes.copy(tile, row * w * bpp, start, start + w * bpp);
          }
          await this.save.invokeWithArgumentsPromise(this.writer, no, tile.toString('latin1'), x, y, w, h);
        }
      }
    };
    this.chain = this.chain.then(run);
    return this.chain.catch((err) => {
      throw new BfioError(
        'backend-error',
        `Bio-Formats failed writing plane ${no} of ${this.file}: ${javaMessage(err)}`,
        {
          file: this.file,
          cause: err,
        },
      );
    });
  }

  async close(): Promise<void> {
    if (this.finished) return;
    const px = this.pixels;
    const count = px.sizeZ * px.sizeC * px.sizeT;
    // Planes never (fully) written still need their IFDs: zeros where nothing arrived.
    for (let no = this.nextPlane; no < count; no++) {
      if (!this.planes.has(no))
        this.planes.set(no, { data: allocate(this.dtype, px.sizeX * px.sizeY), filled: 0 });
      void this.flush(no).catch(() => {});
    }
    this.nextPlane = count;
    this.finished = true;
    try {
      await this.chain;
      await this.writer.closePromise();
      await rename(join(this.staging, basename(this.file)), this.file);
      await rm(this.staging, { recursive: true, force: true });
    } catch (err) {
      await this.abort();
      throw new BfioError('backend-error', `Bio-Formats failed finishing ${this.file}: ${javaMessage(err)}`, {
        file: this.file,
        cause: err,
      });
    }
  }

  async abort(): Promise<void> {
    this.finished = true;
    await this.chain.catch(() => {});
    await this.writer.closePromise().catch(() => {});
    await rm(this.staging, { recursive: true, force: true });
  }
}
