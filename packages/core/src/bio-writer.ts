/**
 * `BioWriter`: writes an image region by region through whichever backend writes the target.
 *
 * Like bfio, the image's properties (sizes, dtype, channel names, physical sizes, metadata) are settable
 * until the first write and read-only afterwards. Unlike bfio, the lock really engages: a late change
 * throws `ReadOnlyError` instead of being silently dropped. The backend file is created at the first write
 * (or at close, giving a zero-filled image), so property changes before then shape the file.
 */
import { type Channel, createOme, type OME, type Quantity } from '@bfio/ome-xml';
import { existsSync, resolve } from '#platform';
import type { Backend, CreateOptions, Region, WriterBackend } from './backend.js';
import { isRemote, regionLength } from './backend.js';
import {
  allocate,
  type DType,
  dtypeFromPixelType,
  dtypeOf,
  isDType,
  pixelTypeFromDType,
  type TypedArray,
} from './dtype.js';
import { asIoError, ClosedError, FileExistsError, InvalidDataError, ReadOnlyError } from './errors/index.js';
import { copyStrided, NDArray, planarStrides } from './ndarray.js';
import { type Extent, type ListArg, toList, toRange } from './region.js';
import { selectWriteBackend } from './registry.js';

export interface BioWriterOptions extends CreateOptions {
  /** Force a backend by name ('tiff', 'zarr', 'bioformats'). */
  backend?: string;
  /** Start from this metadata (e.g. a reader's); its first Image is written. */
  metadata?: OME;
  /** Take dtype and shape (Y, X, Z, C, T; missing trailing axes = 1) from an array. */
  image?: NDArray;
  X?: number;
  Y?: number;
  Z?: number;
  C?: number;
  T?: number;
  dtype?: DType;
  channelNames?: string[];
  physicalSizeX?: Quantity;
  physicalSizeY?: Quantity;
  physicalSizeZ?: Quantity;
}

/** Where `write` puts the data: X/Y/Z start offsets (bfio's convention), C/T index lists. */
export interface WriteArgs {
  X?: number;
  Y?: number;
  Z?: number;
  C?: ListArg;
  T?: ListArg;
  /** A level of `CreateOptions.levelSizes` (1, 2, …) the caller fills itself; default 0, full resolution. */
  level?: number;
}

/** Data for `write`: an NDArray in Y,X,Z,C,T order (fewer axes = trailing size 1), or a C-order buffer + shape. */
export type WriteData = NDArray | { data: TypedArray; shape: readonly number[] };

function cloneOme(ome: OME): OME {
  return structuredClone(ome);
}

export class BioWriter {
  readonly path: string;
  #backendDef: Backend;
  #options: BioWriterOptions;
  #metadata: OME;
  #backend: Promise<WriterBackend> | undefined;
  #closed = false;
  #pending = new Set<Promise<void>>();

  private constructor(path: string, backend: Backend, metadata: OME, options: BioWriterOptions) {
    this.path = path;
    this.#backendDef = backend;
    this.#metadata = metadata;
    this.#options = options;
  }

  /**
   * Prepares a writer for `path`. The backend is chosen by extension (`.ome.tif` → tiff, `.ome.zarr` →
   * zarr) unless forced. Throws `FileExistsError` when the target exists and `overwrite` is not set.
   */
  static async create(path: string, options: BioWriterOptions = {}): Promise<BioWriter> {
    // A URL is refused by the registry with a typed error (resolve() would turn it into a local path).
    const abs = isRemote(path) ? path : resolve(path);
    const backend = await selectWriteBackend(abs, options.backend);
    backend.checkCreateOptions?.(abs, options);
    // Object-store targets are checked by the backend (it knows whether a key or a prefix is the image).
    if (!options.overwrite && !options.append && !isRemote(abs) && existsSync(abs))
      throw new FileExistsError(abs);
    const metadata = BioWriter.#initialMetadata(options, abs);
    const writer = new BioWriter(abs, backend, metadata, options);
    return writer;
  }

  static #initialMetadata(options: BioWriterOptions, file: string): OME {
    let ome: OME;
    if (options.metadata) {
      ome = cloneOme(options.metadata);
      if (ome.images.length === 0) throw new InvalidDataError('metadata has no Image to write', file);
      ome.images = [ome.images[0]!];
    } else {
      ome = createOme({ sizeX: 1, sizeY: 1, type: 'uint8' });
    }
    const pixels = ome.images[0]!.pixels;
    if (options.image) {
      const shape = options.image.expand5D().shape;
      [pixels.sizeY, pixels.sizeX, pixels.sizeZ, pixels.sizeC, pixels.sizeT] = shape as number[] as [
        number,
        number,
        number,
        number,
        number,
      ];
      pixels.type = pixelTypeFromDType(options.image.dtype);
    }
    const set = (key: 'sizeX' | 'sizeY' | 'sizeZ' | 'sizeC' | 'sizeT', v: number | undefined) => {
      if (v !== undefined) pixels[key] = BioWriter.#checkSize(key.slice(4), v, file);
    };
    set('sizeX', options.X);
    set('sizeY', options.Y);
    set('sizeZ', options.Z);
    set('sizeC', options.C);
    set('sizeT', options.T);
    if (options.dtype !== undefined) {
      if (!isDType(options.dtype))
        throw new InvalidDataError(`unsupported dtype '${String(options.dtype)}'`, file);
      pixels.type = pixelTypeFromDType(options.dtype);
    }
    if (options.physicalSizeX) pixels.physicalSizeX = { ...options.physicalSizeX };
    if (options.physicalSizeY) pixels.physicalSizeY = { ...options.physicalSizeY };
    if (options.physicalSizeZ) pixels.physicalSizeZ = { ...options.physicalSizeZ };
    BioWriter.#normalizeChannels(ome, options.channelNames);
    return ome;
  }

  static #checkSize(axis: string, v: number, file: string): number {
    if (!Number.isInteger(v) || v < 1)
      throw new InvalidDataError(`${axis} must be a positive integer, got ${v}`, file);
    return v;
  }

  /**
   * One Channel per C with SamplesPerPixel 1 (writers store channels as separate planes), names kept.
   * TiffData and Planes describe the source file's layout, not ours: the backend writes its own.
   */
  static #normalizeChannels(ome: OME, names?: string[]): void {
    const pixels = ome.images[0]!.pixels;
    const old: Channel[] = [];
    for (const ch of pixels.channels) {
      const spp = Math.max(1, ch.samplesPerPixel ?? 1);
      for (let s = 0; s < spp; s++) old.push(ch);
    }
    const channels: Channel[] = [];
    for (let c = 0; c < pixels.sizeC; c++) {
      const src = old[c];
      const channel: Channel = src
        ? { ...structuredClone(src), id: `Channel:0:${c}`, samplesPerPixel: 1 }
        : { id: `Channel:0:${c}`, samplesPerPixel: 1 };
      const name = names?.[c];
      if (name !== undefined) channel.name = name;
      channels.push(channel);
    }
    pixels.channels = channels;
    pixels.tiffData = [];
    pixels.planes = pixels.planes.filter(
      (p) => p.theZ < pixels.sizeZ && p.theC < pixels.sizeC && p.theT < pixels.sizeT,
    );
    pixels.interleaved = false;
    pixels.bigEndian = false;
    if (pixels.type === 'bit') pixels.type = 'uint8';
  }

  // ---- properties (settable until the first write) -------------------------------------------------

  /** True once pixels have been written: the properties are then fixed. */
  get readOnly(): boolean {
    return this.#backend !== undefined;
  }

  get backendName(): string {
    return this.#backendDef.name;
  }

  get #pixels() {
    return this.#metadata.images[0]!.pixels;
  }

  #mutable(property: string): void {
    this.#check();
    if (this.readOnly) throw new ReadOnlyError(property, this.path);
  }

  /** A copy of the metadata that will be written. Set it (before writing) to replace it. */
  get metadata(): OME {
    return cloneOme(this.#metadata);
  }
  set metadata(ome: OME) {
    this.#mutable('metadata');
    this.#metadata = BioWriter.#initialMetadata({ metadata: ome }, this.path);
  }

  get X(): number {
    return this.#pixels.sizeX;
  }
  set X(v: number) {
    this.#mutable('X');
    this.#pixels.sizeX = BioWriter.#checkSize('X', v, this.path);
  }
  get Y(): number {
    return this.#pixels.sizeY;
  }
  set Y(v: number) {
    this.#mutable('Y');
    this.#pixels.sizeY = BioWriter.#checkSize('Y', v, this.path);
  }
  get Z(): number {
    return this.#pixels.sizeZ;
  }
  set Z(v: number) {
    this.#mutable('Z');
    this.#pixels.sizeZ = BioWriter.#checkSize('Z', v, this.path);
  }
  get C(): number {
    return this.#pixels.sizeC;
  }
  set C(v: number) {
    this.#mutable('C');
    this.#pixels.sizeC = BioWriter.#checkSize('C', v, this.path);
    BioWriter.#normalizeChannels(this.#metadata);
  }
  get T(): number {
    return this.#pixels.sizeT;
  }
  set T(v: number) {
    this.#mutable('T');
    this.#pixels.sizeT = BioWriter.#checkSize('T', v, this.path);
  }

  get shape(): [number, number, number, number, number] {
    return [this.Y, this.X, this.Z, this.C, this.T];
  }

  get dtype(): DType {
    return dtypeFromPixelType(this.#pixels.type, this.path);
  }
  set dtype(v: DType) {
    this.#mutable('dtype');
    if (!isDType(v)) throw new InvalidDataError(`unsupported dtype '${String(v)}'`, this.path);
    this.#pixels.type = pixelTypeFromDType(v);
  }

  get channelNames(): string[] {
    return this.#pixels.channels.map((c) => c.name ?? '');
  }
  set channelNames(names: string[]) {
    this.#mutable('channelNames');
    if (names.length !== this.C) {
      throw new InvalidDataError(`${names.length} channel names given for ${this.C} channels`, this.path);
    }
    BioWriter.#normalizeChannels(this.#metadata, names);
  }

  get physicalSizeX(): Quantity | undefined {
    return this.#pixels.physicalSizeX;
  }
  set physicalSizeX(q: Quantity | undefined) {
    this.#mutable('physicalSizeX');
    this.#pixels.physicalSizeX = q ? { ...q } : undefined;
  }
  get physicalSizeY(): Quantity | undefined {
    return this.#pixels.physicalSizeY;
  }
  set physicalSizeY(q: Quantity | undefined) {
    this.#mutable('physicalSizeY');
    this.#pixels.physicalSizeY = q ? { ...q } : undefined;
  }
  get physicalSizeZ(): Quantity | undefined {
    return this.#pixels.physicalSizeZ;
  }
  set physicalSizeZ(q: Quantity | undefined) {
    this.#mutable('physicalSizeZ');
    this.#pixels.physicalSizeZ = q ? { ...q } : undefined;
  }

  get extent(): Extent {
    return { X: this.X, Y: this.Y, Z: this.Z, C: this.C, T: this.T };
  }

  // ---- writing -----------------------------------------------------------------------------------

  #open(): Promise<WriterBackend> {
    if (!this.#backend) {
      const { backend: _b, metadata: _m, image: _i, ...createOptions } = this.#options;
      this.#backend = this.#backendDef.create!(
        this.path,
        cloneOme(this.#metadata),
        this.dtype,
        createOptions,
      );
    }
    return this.#backend;
  }

  /**
   * Writes `data` (Y,X,Z,C,T; fewer axes mean trailing size 1) with its first pixel at X/Y/Z and its
   * channels/timepoints at the C/T lists (default: 0.. in order). Regions may be unaligned and written in
   * any order; concurrent writes of disjoint regions are safe.
   */
  async write(data: WriteData, at: WriteArgs = {}): Promise<void> {
    this.#check();
    const array = data instanceof NDArray ? data : new NDArray(data.data, data.shape);
    if (array.ndim > 5)
      throw new InvalidDataError(
        `data has ${array.ndim} axes; bfio writes at most 5 (Y, X, Z, C, T)`,
        this.path,
      );
    if (array.data.length < 1 || dtypeOf(array.data) === undefined) {
      throw new InvalidDataError('data must be a non-empty typed array of a supported dtype', this.path);
    }
    if (!(data instanceof NDArray) && data.data.length !== array.size) {
      throw new InvalidDataError(
        `data has ${data.data.length} elements but shape (${data.shape.join(', ')}) needs ${array.size}`,
        this.path,
      );
    }
    if (array.dtype !== this.dtype) {
      throw new InvalidDataError(
        `data is ${array.dtype} but ${this.path} is ${this.dtype}; convert it first`,
        this.path,
      );
    }
    const full = array.expand5D();
    const [ny, nx, nz, nc, nt] = full.shape as [number, number, number, number, number];
    const x0 = at.X ?? 0;
    const y0 = at.Y ?? 0;
    const z0 = at.Z ?? 0;
    const level = at.level ?? 0;
    const sizes = this.#options.levelSizes as Array<[number, number]> | undefined;
    const [sizeX, sizeY] = level === 0 ? [this.X, this.Y] : (sizes?.[level - 1] ?? [0, 0]);
    if (level !== 0 && (!Number.isInteger(level) || !sizes?.[level - 1]))
      throw new InvalidDataError(
        `level ${level} of ${this.path} is not one of the levels given by levelSizes (${sizes?.length ?? 0})`,
        this.path,
      );
    const region: Region = {
      x: toRange('X', [x0, x0 + nx], sizeX, this.path),
      y: toRange('Y', [y0, y0 + ny], sizeY, this.path),
      z: toRange('Z', [z0, z0 + nz], this.Z, this.path),
      c: toList('C', at.C ?? Array.from({ length: nc }, (_, i) => i), this.C, this.path),
      t: toList('T', at.T ?? Array.from({ length: nt }, (_, i) => i), this.T, this.path),
    };
    if (region.c.length !== nc || region.t.length !== nt) {
      throw new InvalidDataError(
        `data has ${nc} channel(s) and ${nt} timepoint(s) but C=[${region.c}] and T=[${region.t}] were given`,
        this.path,
      );
    }
    // Data already laid out planar (a C-order (Y, X) plane, or a read result) goes to the backend as is:
    // the contract says backends copy what they keep, so the caller's buffer is never retained or detached.
    const want = planarStrides(ny, nx, nz, nc);
    const length = regionLength(region);
    const asIs =
      full.offset === 0 &&
      full.data.length === length &&
      full.shape.every((n, d) => n === 1 || full.strides[d] === want[d]);
    let planar = full.data;
    if (!asIs) {
      planar = allocate(this.dtype, length);
      copyStrided(full, planar, want, 0);
    }
    // A full disk or a failing device surfaces as a bare system error: name the target and the fix.
    const backend = await this.#open().catch((err) => Promise.reject(asIoError(err, this.path, 'write')));
    const task = level ? backend.writeRegion(region, planar, level) : backend.writeRegion(region, planar);
    this.#pending.add(task);
    try {
      await task;
    } catch (err) {
      throw asIoError(err, this.path, 'write');
    } finally {
      this.#pending.delete(task);
    }
  }

  /** Finishes the file (valid and complete only after this resolves). */
  async close(): Promise<void> {
    if (this.#closed) return;
    // A writer closed before any write still makes its file (zero-filled), as bfio does.
    try {
      const backend = await this.#open();
      this.#closed = true;
      await Promise.allSettled(this.#pending);
      await backend.close();
    } catch (err) {
      throw asIoError(err, this.path, 'write');
    }
  }

  /** Stops writing and removes what was written (no half-written file is left behind). */
  async abort(): Promise<void> {
    this.#closed = true;
    // A backend that failed to be created left nothing to remove (and its error was reported then).
    const backend = await this.#backend?.catch(() => undefined);
    await backend?.abort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('BioWriter', this.path);
  }
}
