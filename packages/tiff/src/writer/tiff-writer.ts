/**
 * The streaming tiled OME-TIFF writer.
 *
 * File layout: a 16-byte reserved header, then compressed tiles appended as they complete (in completion
 * order), then at close every IFD (one per Z/C/T plane in DimensionOrder order, each followed by its pyramid
 * SubIFDs), then the header's first-IFD offset. Because the IFDs come last, classic TIFF vs BigTIFF is decided
 * at close from the real size. Memory holds only partial tiles and the tiles being encoded.
 */

import { ChunkLane, sharedWorkerPool } from '@bfio/codecs';
import {
  bytesPerPixel,
  ClosedError,
  type DType,
  dtypeOf,
  FileExistsError,
  InvalidDataError,
  OutOfRangeError,
  type TypedArray,
  UnsupportedError,
} from '@bfio/core';
import {
  givenLevelSizes,
  Limiter,
  type Region,
  regionLength,
  sharedMemory,
  type WriterBackend,
} from '@bfio/core/backend';
import { buildOmeXml, type OME, type Pixels, planeIndex } from '@bfio/ome-xml';
import {
  BIGTIFF_MAGIC,
  CLASSIC_MAGIC,
  FieldType,
  Photometric,
  PlanarConfiguration,
  Predictor,
  ResolutionUnit,
  SampleFormat,
  SUBFILE_REDUCED_RESOLUTION,
  Tag,
} from '../tiff-tags.js';
import {
  COMPRESSION_TAG,
  deflateRoom,
  type EncodeSettings,
  encodesOnLane,
  encodesOnPool,
  encodeTile,
} from './codecs.js';
import { downsample2x } from './downsample.js';
import { type IfdEntry, type IfdSpec, ifdsByteLength, serializeIfds } from './ifd.js';
import { prepareOme } from './ome.js';
import { type ResolvedOptions, resolveOptions, type TiffCreateOptions } from './options.js';
import { pixelsPerCentimetre, toRational } from './resolution.js';
import { SampleJoiner } from './sample-join.js';
import { exists, TempFile } from './temp-file.js';
import { type ReadyTile, TileLevel } from './tile-level.js';

/** Bytes reserved at the start: enough for a BigTIFF header, so the choice can wait until close. */
const HEADER_BYTES = 16;
const CLASSIC_LIMIT = 2 ** 32 - 1;

/** A counting semaphore: bounds the tiles held by the encoder at once. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Like Promise.all, but waits for every promise to settle before rejecting with the first error. */
async function allOrFirstError(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

const SAMPLE_FORMAT: Record<DType, number> = {
  uint8: SampleFormat.Uint,
  uint16: SampleFormat.Uint,
  uint32: SampleFormat.Uint,
  int8: SampleFormat.Int,
  int16: SampleFormat.Int,
  int32: SampleFormat.Int,
  float32: SampleFormat.Float,
  float64: SampleFormat.Float,
};

const ascii = (text: string): Uint8Array => new TextEncoder().encode(`${text}\0`);

export async function createTiffWriter(
  path: string,
  metadata: OME,
  dtype: DType,
  options: TiffCreateOptions = {},
): Promise<WriterBackend> {
  if (options.wipp) {
    const pixels = metadata?.images?.[0]?.pixels;
    // bfio's python reader insists on XYZCT; with one channel and timepoint the order changes nothing else.
    if (pixels)
      metadata = {
        ...metadata,
        images: [{ ...metadata.images[0]!, pixels: { ...pixels, dimensionOrder: 'XYZCT' } }],
      };
  }
  const ome = prepareOme(path, metadata, dtype, options.rgb === true && !options.wipp);
  const pixels = ome.images[0]!.pixels;
  const resolved = resolveOptions(path, pixels, dtype, options);
  const given = givenLevelSizes(path, options, pixels.sizeX, pixels.sizeY);
  if (!resolved.overwrite && (await exists(path))) throw new FileExistsError(path);
  let file: TempFile;
  try {
    file = await TempFile.create(path, HEADER_BYTES);
  } catch (e) {
    // A missing directory or no write permission: say which file and why.
    throw new InvalidDataError(`Cannot create ${path}: ${(e as Error).message}`, path);
  }
  return new TiffWriter(path, ome, pixels, dtype, resolved, file, given);
}

class TiffWriter implements WriterBackend {
  private readonly levels: TileLevel[] = [];
  /** With interleaved RGB, per level: channel tiles waiting for the other samples of their pixel. */
  private readonly joiners: SampleJoiner[] = [];
  private readonly slots: Slots;
  private readonly encode: EncodeSettings;
  /** Set by close() or abort(): no more writes are accepted. */
  private closing = false;
  private finished = false;
  private failure: unknown;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Tile buffers back from the encoder, reused for the next tiles (no fresh pages to fault in). */
  private readonly freeTiles: ArrayBufferLike[] = [];
  /** Buffers the workers return compressed tiles in, reused once a tile is on disk. */
  private readonly freeOutputs: ArrayBufferLike[] = [];
  /**
   * Whether the tile and output buffers above are SharedArrayBuffers (when the codec workers encode and the
   * platform has them). Moved ArrayBuffers arrive as new buffers on the other side, and V8 counts every new
   * one as external memory: a 512 MiB Deflate write moved 2 GiB of them (tile there, tile and output back)
   * and its main thread ran 67 young-generation collections for "external memory pressure", 2.5–6 ms each,
   * while the workers waited on their replies. Shared buffers are allocated once and posted as they are.
   */
  private readonly shareBuffers: boolean;
  private readonly tileBytes: number;
  private readonly outputBytes: number;

  constructor(
    private readonly path: string,
    private readonly ome: OME,
    private readonly pixels: Pixels,
    private readonly dtype: DType,
    private readonly options: ResolvedOptions,
    private readonly file: TempFile,
    /** Sizes [X, Y] of levels 1.. the caller writes itself (`CreateOptions.levelSizes`): none is downsampled. */
    private readonly given?: Array<[number, number]>,
  ) {
    const planes = pixels.sizeZ * pixels.sizeC * pixels.sizeT;
    const sizes: Array<[number, number]> = given
      ? [[pixels.sizeX, pixels.sizeY], ...given]
      : Array.from({ length: options.pyramidLevels + 1 }, (_, k) => [
          Math.floor(pixels.sizeX / 2 ** k),
          Math.floor(pixels.sizeY / 2 ** k),
        ]);
    for (const [k, [width, height]] of sizes.entries()) {
      this.levels.push(new TileLevel(k, width, height, options.tileWidth, options.tileHeight, planes, dtype));
      this.joiners.push(new SampleJoiner(options.samples, dtype));
    }
    this.slots = new Slots(options.slots);
    this.encode = {
      codec: options.codec,
      level: options.level,
      predictor: options.predictor,
      dtype,
      tileWidth: options.tileWidth,
      samples: options.samples,
      quality: options.quality,
      pool: options.encodeOn === 'workers' ? sharedWorkerPool() : undefined,
    };
    // Deflate tiles go to the chunk lane's threads where it is built.
    const lanes = this.encode.pool?.maxWorkers ?? 1;
    const lane = this.encode.pool ? ChunkLane.for(lanes) : undefined;
    if (lane?.encodes) this.encode.lane = { lane, limiter: new Limiter(lane.depth) };
    // Start the encoders now: a codec worker takes ~0.1 s to start (its codec modules), which would
    // otherwise begin only when the first tile is ready, with every tile waiting behind it (the bench's
    // tile-by-tile write: first tile encoded at 123–135 ms instead of 146–160).
    if (encodesOnPool(this.encode)) this.encode.pool?.warm();
    this.tileBytes = options.tileWidth * options.tileHeight * bytesPerPixel(dtype);
    // Shared tiles only for workers: the lane reads and writes ordinary memory where it lies.
    this.shareBuffers = encodesOnPool(this.encode) && typeof SharedArrayBuffer === 'function';
    this.outputBytes = deflateRoom(this.tileBytes * options.samples);
  }

  async writeRegion(region: Region, data: TypedArray, level = 0): Promise<void> {
    if (this.closing) throw new ClosedError('BioWriter', this.path);
    if (this.failure) throw this.failure;
    const level0 = this.levels[level];
    if (!level0 || (level > 0 && !this.given))
      throw new InvalidDataError(
        `Cannot write ${this.path}: level ${level} is not a level given by levelSizes`,
        this.path,
      );
    this.checkRegion(region, data, level0);
    const [x0, x1] = region.x;
    const [y0, y1] = region.y;
    const [z0, z1] = region.z;
    const w = x1 - x0;
    const h = y1 - y0;
    if (w === 0 || h === 0 || z1 === z0 || region.c.length === 0 || region.t.length === 0) return;
    // Plane index of every (t, c, z) slab of `data`, in the order the slabs are stored.
    const planes: number[] = [];
    for (const t of region.t) {
      for (const c of region.c) {
        for (let z = z0; z < z1; z++) planes.push(this.tilePlane(z, c, t));
      }
    }
    // Check everything before storing anything, so a rejected write leaves no trace.
    for (const plane of planes) {
      const hit = level0.findClaimed(plane, y0, x0, h, w);
      if (hit) {
        throw new InvalidDataError(
          `Cannot write ${this.path}: plane ${plane} tile (row ${hit[0]}, column ${hit[1]}) is already complete and written; each pixel may be written once`,
          this.path,
        );
      }
    }
    const ready: ReadyTile[] = [];
    planes.forEach((plane, i) => {
      level0.place(plane, y0, x0, h, w, data, i * w * h, w, ready);
    });
    if (ready.length === 0) return;
    // Resolve once every complete tile has been copied out of `data` and handed to the encoder (each
    // holding one of the bounded slots): the caller may then reuse `data` and prepare its next region
    // while these tiles compress. Encoding or disk errors surface at the next write or at close().
    const starting = Promise.allSettled(ready.map((tile) => this.startTile(tile)));
    // Tracked now (synchronously), so a close() racing this write still waits for its tiles.
    const finished = starting.then((started) =>
      allOrFirstError(
        started.map((s) => (s.status === 'fulfilled' ? s.value.done : Promise.reject(s.reason))),
      ),
    );
    this.track(finished).catch(() => {});
    const failed = (await starting).find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * The tile grid plane of (z, c, t): the OME plane index, or with interleaved RGB the IFD plane (Z/T in
   * the DimensionOrder, C left out) times 3 plus the sample, so the three samples of an IFD sit side by side.
   */
  private tilePlane(z: number, c: number, t: number): number {
    const { sizeZ, sizeC, sizeT, dimensionOrder } = this.pixels;
    const samples = this.options.samples;
    if (samples === 1) return planeIndex(dimensionOrder, sizeZ, sizeC, sizeT, z, c, t);
    return planeIndex(dimensionOrder, sizeZ, 1, sizeT, z, 0, t) * samples + c;
  }

  private checkRegion(region: Region, data: TypedArray, level: TileLevel): void {
    const got = dtypeOf(data);
    if (got !== this.dtype) {
      throw new InvalidDataError(
        `Cannot write ${this.path}: data is ${got ?? data?.constructor?.name ?? typeof data}, the file's dtype is ${this.dtype}`,
        this.path,
      );
    }
    const p = this.pixels;
    const range = (axis: string, r: [number, number], size: number) => {
      if (!Number.isInteger(r[0]) || !Number.isInteger(r[1]) || r[0] < 0 || r[1] > size || r[0] > r[1]) {
        throw new OutOfRangeError(axis, `[${r[0]}, ${r[1]})`, `[0, ${size}]`, { file: this.path });
      }
    };
    range('X', region.x, level.width);
    range('Y', region.y, level.height);
    range('Z', region.z, p.sizeZ);
    const list = (axis: string, values: number[], size: number) => {
      for (const v of values) {
        if (!Number.isInteger(v) || v < 0 || v >= size) {
          throw new OutOfRangeError(axis, String(v), `0..${size - 1}`, { file: this.path });
        }
      }
      if (new Set(values).size !== values.length) {
        throw new InvalidDataError(
          `Cannot write ${this.path}: ${axis} indices repeat in one write`,
          this.path,
        );
      }
    };
    list('C', region.c, p.sizeC);
    list('T', region.t, p.sizeT);
    const expected = regionLength(region);
    if (data.length !== expected) {
      throw new InvalidDataError(
        `Cannot write ${this.path}: the region needs ${expected} pixels (T,C,Z,Y,X planar), got ${data.length}`,
        this.path,
      );
    }
  }

  /** Remember a pending operation so close()/abort() wait for it; record the first failure. */
  private async track<T>(promise: Promise<T>): Promise<T> {
    const guarded = promise.catch((e) => {
      this.failure ??= e;
      throw e;
    });
    const settled = guarded.then(
      () => {},
      () => {},
    );
    this.inflight.add(settled);
    try {
      return await guarded;
    } finally {
      this.inflight.delete(settled);
    }
  }

  /**
   * Memory for a tile's pixels: a recycled buffer, a new shared one (see `shareBuffers`), or none (the level
   * then allocates).
   */
  private tileMemory(): ArrayBufferLike | undefined {
    return this.freeTiles.pop() ?? (this.shareBuffers ? sharedMemory(this.tileBytes) : undefined);
  }

  /** Shared memory through core's accounting, so a closed writer's buffers are collected (see sharedMemory). */
  private memory(bytes: number): ArrayBufferLike {
    return this.shareBuffers ? sharedMemory(bytes) : new ArrayBuffer(bytes);
  }

  /** Encode and append one complete tile, and feed its 2× reduction to the next pyramid level. */
  private async processTile(tile: ReadyTile): Promise<void> {
    await (await this.startTile(tile)).done;
  }

  /**
   * Take a slot, copy the tile's pixels into its own buffer and start its 2× reduction; resolves with the
   * promise of its encoding and append (which releases the slot) once the caller's array is no longer needed.
   * (Wrapped in an object: an async function returning a bare promise would wait for it.)
   */
  private async startTile(tile: ReadyTile): Promise<{ done: Promise<void> }> {
    const level = this.levels[tile.level]!;
    let children: Promise<void>[] = [];
    await this.slots.acquire();
    let buffer: TypedArray;
    try {
      buffer = level.materialize(tile, tile.buffer ? undefined : this.tileMemory());
      const next = this.given ? undefined : this.levels[tile.level + 1];
      if (next) {
        const block = downsample2x(
          buffer,
          level.tileWidth,
          level.validHeight(tile.row),
          level.validWidth(tile.col),
          this.dtype,
          this.options.downsample,
        );
        const ready: ReadyTile[] = [];
        next.place(
          tile.plane,
          (tile.row * level.tileHeight) / 2,
          (tile.col * level.tileWidth) / 2,
          block.height,
          block.width,
          block.data,
          0,
          block.width,
          ready,
        );
        // Started now, awaited after this tile's slot is released (holding it would deadlock).
        children = ready.map((t) => this.processTile(t));
      }
    } catch (e) {
      this.slots.release();
      await Promise.allSettled(children);
      throw e;
    }
    const done = this.finishTile(tile, level, buffer, children);
    // Handled at once (its awaiter may come later): the first failure fails the next write and close().
    done.catch((e) => {
      this.failure ??= e;
    });
    return { done };
  }

  private async finishTile(
    tile: ReadyTile,
    level: TileLevel,
    buffer: TypedArray,
    children: Promise<void>[],
  ): Promise<void> {
    let failed = false;
    const recycle = (b: ArrayBufferLike) => {
      if (b.byteLength === this.tileBytes && this.freeTiles.length < this.options.slots)
        this.freeTiles.push(b);
    };
    try {
      let pixels: TypedArray | undefined = buffer;
      let key = level.key(tile.plane, tile.row, tile.col);
      const samples = this.options.samples;
      if (samples > 1) {
        // Interleaved RGB: the tile waits (without its slot) for the other samples of its IFD tile.
        key = level.key(Math.floor(tile.plane / samples), tile.row, tile.col);
        const joined = this.joiners[tile.level]!.add(key, tile.plane % samples, buffer);
        tile.buffer = undefined;
        pixels = joined?.data;
        for (const part of joined?.parts ?? []) recycle(part.buffer);
      }
      if (pixels) {
        const pooled = encodesOnPool(this.encode) || encodesOnLane(this.encode);
        const encoded = await encodeTile(pixels, this.encode, {
          owned: true,
          recycle,
          outputSpare: pooled ? (this.freeOutputs.pop() ?? this.memory(this.outputBytes)) : undefined,
        });
        tile.buffer = undefined;
        const offset = await this.file.append(encoded, 2);
        if (
          pooled &&
          encoded.buffer.byteLength === this.outputBytes &&
          this.freeOutputs.length < this.options.slots
        ) {
          this.freeOutputs.push(encoded.buffer);
        }
        level.offsets[key] = offset;
        level.byteCounts[key] = encoded.length;
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.slots.release();
      // Children already started must settle even when this tile failed (no unhandled rejections).
      if (failed) await Promise.allSettled(children);
    }
    await allOrFirstError(children);
  }

  private async settle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  async close(): Promise<void> {
    if (this.finished) return;
    if (this.closing) throw new ClosedError('BioWriter', this.path);
    this.closing = true;
    try {
      await this.settle();
      if (this.failure) throw this.failure;
      // Unfinished tiles (partly written or never written) are zero padded, level by level so each level's
      // last tiles feed the next before it is flushed.
      for (const level of this.levels) {
        const rest = level.claimRemaining();
        await allOrFirstError(rest.map((tile) => this.processTile(tile)));
      }
      await this.writeDirectories();
      await this.file.commit(this.options.overwrite);
      this.finished = true;
    } catch (e) {
      await this.file.discard();
      this.finished = true;
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.closing = true;
    await this.settle();
    await this.file.discard();
    this.finished = true;
  }

  private async writeDirectories(): Promise<void> {
    const dataEnd = Math.ceil(this.file.size / 8) * 8;
    const classic = this.directories(false);
    const fitsClassic = dataEnd + ifdsByteLength(classic, false) <= CLASSIC_LIMIT;
    const want = this.options.bigTiff;
    if (want === false && !fitsClassic) {
      throw new UnsupportedError(
        `Cannot finish ${this.path}: the file exceeds classic TIFF's 4 GiB limit; create it with bigTiff: true or 'auto'`,
        this.path,
      );
    }
    const bigTiff = want === true || !fitsClassic;
    const ifds = bigTiff ? this.directories(true) : classic;
    const { bytes, offsets } = serializeIfds(ifds, dataEnd, bigTiff);
    await this.file.writeAt(bytes, dataEnd);
    const header = new Uint8Array(HEADER_BYTES);
    const view = new DataView(header.buffer);
    header[0] = 0x49; // 'II': little-endian
    header[1] = 0x49;
    if (bigTiff) {
      view.setUint16(2, BIGTIFF_MAGIC, true);
      view.setUint16(4, 8, true); // bytes per offset
      view.setUint16(6, 0, true);
      view.setUint32(8, offsets[0]! % 2 ** 32, true);
      view.setUint32(12, Math.floor(offsets[0]! / 2 ** 32), true);
    } else {
      view.setUint16(2, CLASSIC_MAGIC, true);
      view.setUint32(4, offsets[0]!, true);
    }
    await this.file.writeAt(header, 0);
  }

  /** One IFD per plane in plane order, each followed by its pyramid SubIFDs. */
  private directories(bigTiff: boolean): IfdSpec[] {
    const samples = this.options.samples;
    // IFD planes: with interleaved RGB one IFD holds the three channel planes of the tile grid.
    const planes = this.levels[0]!.planes / samples;
    const perPlane = this.levels.length;
    const description = ascii(buildOmeXml(this.ome));
    const software = ascii(this.options.software);
    const ppcmX = pixelsPerCentimetre(this.pixels.physicalSizeX);
    const ppcmY = pixelsPerCentimetre(this.pixels.physicalSizeY);
    const offsetType = bigTiff ? FieldType.LONG8 : FieldType.LONG;
    const bitsPerSample = new Array<number>(samples).fill(8 * bytesPerPixel(this.dtype));
    const sampleFormat = new Array<number>(samples).fill(SAMPLE_FORMAT[this.dtype]);
    const jpeg = this.options.codec === 'jpeg';
    // RGB under JPEG is stored as YCbCr with 2×2 chroma subsampling, tagged as tifffile tags it.
    const photometric = samples === 1 ? Photometric.MinIsBlack : jpeg ? Photometric.YCbCr : Photometric.RGB;

    const ifds: IfdSpec[] = [];
    for (let plane = 0; plane < planes; plane++) {
      const base = plane * perPlane;
      this.levels.forEach((level, k) => {
        const start = plane * level.tilesPerPlane;
        // A given level's pixels are as much larger as it is smaller than level 0 (any ratio).
        const scale = this.given ? this.pixels.sizeX / level.width : 2 ** k;
        const entries: IfdEntry[] = [
          {
            tag: Tag.NewSubfileType,
            type: FieldType.LONG,
            values: [k === 0 ? 0 : SUBFILE_REDUCED_RESOLUTION],
          },
          { tag: Tag.ImageWidth, type: FieldType.LONG, values: [level.width] },
          { tag: Tag.ImageLength, type: FieldType.LONG, values: [level.height] },
          { tag: Tag.BitsPerSample, type: FieldType.SHORT, values: bitsPerSample },
          { tag: Tag.Compression, type: FieldType.SHORT, values: [COMPRESSION_TAG[this.options.codec]] },
          { tag: Tag.Photometric, type: FieldType.SHORT, values: [photometric] },
          { tag: Tag.SamplesPerPixel, type: FieldType.SHORT, values: [samples] },
          { tag: Tag.PlanarConfiguration, type: FieldType.SHORT, values: [PlanarConfiguration.Chunky] },
          { tag: Tag.Software, type: FieldType.ASCII, values: software },
          { tag: Tag.TileWidth, type: FieldType.LONG, values: [level.tileWidth] },
          { tag: Tag.TileLength, type: FieldType.LONG, values: [level.tileHeight] },
          {
            tag: Tag.TileOffsets,
            type: offsetType,
            values: level.offsets.subarray(start, start + level.tilesPerPlane),
          },
          {
            tag: Tag.TileByteCounts,
            type: offsetType,
            values: level.byteCounts.subarray(start, start + level.tilesPerPlane),
          },
          { tag: Tag.SampleFormat, type: FieldType.SHORT, values: sampleFormat },
        ];
        if (photometric === Photometric.YCbCr) {
          entries.push(
            { tag: Tag.YCbCrSubSampling, type: FieldType.SHORT, values: [2, 2] },
            {
              tag: Tag.ReferenceBlackWhite,
              type: FieldType.RATIONAL,
              values: [0, 1, 255, 1, 128, 1, 255, 1, 128, 1, 255, 1],
            },
          );
        }
        if (plane === 0 && k === 0) {
          entries.push({ tag: Tag.ImageDescription, type: FieldType.ASCII, values: description });
        }
        if (ppcmX !== undefined && ppcmY !== undefined) {
          entries.push(
            { tag: Tag.XResolution, type: FieldType.RATIONAL, values: toRational(ppcmX / scale) },
            { tag: Tag.YResolution, type: FieldType.RATIONAL, values: toRational(ppcmY / scale) },
            { tag: Tag.ResolutionUnit, type: FieldType.SHORT, values: [ResolutionUnit.Centimeter] },
          );
        } else {
          // No physical size: say so explicitly, as tifffile does.
          entries.push(
            { tag: Tag.XResolution, type: FieldType.RATIONAL, values: [1, 1] },
            { tag: Tag.YResolution, type: FieldType.RATIONAL, values: [1, 1] },
            { tag: Tag.ResolutionUnit, type: FieldType.SHORT, values: [ResolutionUnit.None] },
          );
        }
        if (this.options.predictor !== Predictor.None) {
          entries.push({ tag: Tag.Predictor, type: FieldType.SHORT, values: [this.options.predictor] });
        }
        if (k === 0) {
          ifds.push({
            entries,
            next: plane + 1 < planes ? base + perPlane : -1,
            subIfds: perPlane > 1 ? Array.from({ length: perPlane - 1 }, (_, i) => base + 1 + i) : undefined,
          });
        } else {
          ifds.push({ entries, next: -1 });
        }
      });
    }
    return ifds;
  }
}
