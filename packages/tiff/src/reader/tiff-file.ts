/**
 * A TIFF file's structure: header, IFD chain and per-page facts, parsed with geotiff's IFD parser
 * (tags load lazily) and cached for the life of the reader. Pixels are never cached here.
 */
import { CorruptFileError, type DType, isBfioError, UnsupportedError } from '@bfio/core';
import { GeoTIFF, type ImageFileDirectory } from 'geotiff';
import { FIELD_TYPE_SIZE, Tag } from '../tiff-tags.js';
import { BlobSource, type ByteSource, openSource } from './file-source.js';

/** Everything the block reader needs to know about one IFD (a page or a SubIFD). */
export interface TiffPage {
  /** Byte offset of the IFD (its identity). */
  offset: number;
  width: number;
  height: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  /** 1 unsigned, 2 signed, 3 float. */
  sampleFormat: number;
  /** The dtype pixels are returned as, or why the page cannot be read. */
  dtype: DType | undefined;
  unsupported?: string;
  /** 1 chunky (samples interleaved), 2 planar (one block set per sample). */
  planar: number;
  compression: number;
  predictor: number;
  photometric: number;
  fillOrder: number;
  tiled: boolean;
  /** Block size: tile size, or (image width × rows per strip) for strips. */
  blockWidth: number;
  blockHeight: number;
  blocksAcross: number;
  blocksDown: number;
  offsets: ArrayLike<number>;
  byteCounts: ArrayLike<number>;
  jpegTables?: Uint8Array;
  subIfds: number[];
  newSubfileType: number;
  description?: string;
  software?: string;
  /** X/Y resolution in pixels per unit; unit 1 none, 2 inch, 3 centimeter. */
  xResolution?: number;
  yResolution?: number;
  resolutionUnit: number;
}

/** Tag numbers (shared with the writer). */
const TAG = Tag;

function first(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const v = (value as ArrayLike<number | bigint>)[0];
    return v === undefined ? undefined : Number(v);
  }
  return undefined;
}

function numbers(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number' || typeof value === 'bigint') return [Number(value)];
  if (ArrayBuffer.isView(value) || Array.isArray(value))
    return Array.from(value as ArrayLike<number>, Number);
  return [];
}

function ascii(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // TIFF ASCII values end with NUL; some writers pad with several.
  return value.replace(/\0+$/, '');
}

function rational(value: unknown): number | undefined {
  const v = numbers(value);
  if (v.length < 2 || !v[1]) return undefined;
  return v[0]! / v[1];
}

function dtypeOfPage(bits: number, format: number): { dtype?: DType; unsupported?: string } {
  if (format === 3) {
    if (bits === 16) return { dtype: 'float32' }; // float16 is widened (exactly) to float32
    if (bits === 32) return { dtype: 'float32' };
    if (bits === 64) return { dtype: 'float64' };
    return { unsupported: `${bits}-bit floating point samples` };
  }
  if (format !== 1 && format !== 2 && format !== 4) {
    return { unsupported: `SampleFormat ${format} (complex or unknown)` };
  }
  const signed = format === 2;
  if (bits === 1) return { dtype: 'uint8' };
  if (bits === 8) return { dtype: signed ? 'int8' : 'uint8' };
  if (bits === 16) return { dtype: signed ? 'int16' : 'uint16' };
  if (bits === 32) return { dtype: signed ? 'int32' : 'uint32' };
  if (signed) return { unsupported: `${bits}-bit signed integer samples` };
  // Packed odd bit depths unpack to the next whole-byte unsigned type, as tifffile does.
  if (bits < 8) return { dtype: 'uint8' };
  if (bits < 16) return { dtype: 'uint16' };
  if (bits < 32) return { dtype: 'uint32' };
  return { unsupported: `${bits}-bit integer samples` };
}

interface DeferredArrayInfo {
  arrayOffset: number;
  fieldType: number;
  length: number;
}

/** Bytes per value of each TIFF field type. */
const FIELD_SIZE = FIELD_TYPE_SIZE;

export class TiffFile {
  private readonly geotiff: GeoTIFF;
  private chain: Promise<number[]> | undefined;
  private readonly ifds = new Map<number, Promise<ImageFileDirectory>>();
  private readonly pages = new Map<number, Promise<TiffPage>>();

  private constructor(
    readonly source: ByteSource,
    readonly littleEndian: boolean,
    readonly bigTiff: boolean,
    readonly firstIfdOffset: number,
  ) {
    // The constructor is public in geotiff 3 (fromSource only parses the header we parse ourselves).
    this.geotiff = new (GeoTIFF as unknown as new (...args: unknown[]) => GeoTIFF)(
      source,
      littleEndian,
      bigTiff,
      firstIfdOffset,
      {},
    );
  }

  get path(): string {
    return this.source.path;
  }

  /** Whether the file is a File/Blob (which has no folder: no sibling files can be found next to it). */
  get fromBlob(): boolean {
    return this.source instanceof BlobSource;
  }

  /** `path`, or `blob` (a File/Blob named `path`) when given. */
  static async open(path: string, blob?: Blob): Promise<TiffFile> {
    const source = await openSource(path, blob);
    try {
      const header = parseHeader(path, await source.read(0, Math.min(16, source.size), 'TIFF header'));
      if (header.firstIfd >= source.size || header.firstIfd < 8) {
        throw new CorruptFileError(
          path,
          `the first IFD offset ${header.firstIfd} is outside the file (${source.size} bytes)`,
          header.bigTiff ? 8 : 4,
        );
      }
      return new TiffFile(source, header.littleEndian, header.bigTiff, header.firstIfd);
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** Offsets of the main IFD chain (one per page), validated against the file size and loops. */
  ifdOffsets(): Promise<number[]> {
    this.chain ??= (async () => {
      const offsets: number[] = [];
      const seen = new Set<number>();
      let offset = this.firstIfdOffset;
      while (offset !== 0) {
        if (seen.has(offset)) {
          throw new CorruptFileError(this.path, `the IFD chain loops back to offset ${offset}`, offset);
        }
        if (offset < 8 || offset + (this.bigTiff ? 8 : 2) > this.source.size) {
          // A next-IFD pointer past the end is what a truncated file looks like.
          throw new CorruptFileError(this.path, `IFD ${offsets.length} is past the end of the file`, offset);
        }
        seen.add(offset);
        offsets.push(offset);
        // Only the next pointer is needed here: pages are parsed when asked for (a 50,000-page chain
        // took 5 s to walk with a full parse of every IFD).
        offset = await this.checkIfdFits(offset);
      }
      return offsets;
    })();
    return this.chain;
  }

  private ifdAt(offset: number): Promise<ImageFileDirectory> {
    let p = this.ifds.get(offset);
    if (!p) {
      p = (async () => {
        await this.checkIfdFits(offset);
        try {
          return await this.geotiff.parser.parseFileDirectoryAt(offset);
        } catch (err) {
          // The source's own typed errors (an I/O error reading the file) are not corruption.
          if (isBfioError(err)) throw err;
          throw new CorruptFileError(this.path, `the IFD could not be parsed (${String(err)})`, offset, err);
        }
      })();
      this.ifds.set(offset, p);
    }
    return p;
  }

  /**
   * Checks the IFD at `offset` against the file's length before geotiff parses it: geotiff sizes its reads
   * by the entry count and each tag's count (an entry count of 2^64-1 or a tag claiming 2^31 values in a
   * 10 KB file made it allocate gigabytes, or loop for minutes), so both must fit in the file. Returns
   * the offset of the next IFD.
   */
  private async checkIfdFits(offset: number): Promise<number> {
    const size = this.source.size;
    const countSize = this.bigTiff ? 8 : 2;
    const entrySize = this.bigTiff ? 20 : 12;
    const word = this.bigTiff ? 8 : 4;
    const le = this.littleEndian;
    if (offset < 8 || offset + countSize > size) {
      throw new CorruptFileError(this.path, `an IFD offset points outside the file (${size} bytes)`, offset);
    }
    const [head] = await this.source.fetch([{ offset, length: countSize }]);
    const hv = new DataView(head!);
    const n = this.bigTiff ? Number(hv.getBigUint64(0, le)) : hv.getUint16(0, le);
    if (offset + countSize + n * entrySize + word > size) {
      throw new CorruptFileError(
        this.path,
        `the IFD claims ${n} entries, more than fit in the file (${size} bytes)`,
        offset,
      );
    }
    const [table] = await this.source.fetch([{ offset: offset + countSize, length: n * entrySize }]);
    const v = new DataView(table!);
    for (let i = 0; i < n; i++) {
      const at = i * entrySize;
      const count = this.bigTiff ? Number(v.getBigUint64(at + 4, le)) : v.getUint32(at + 4, le);
      const bytes = (FIELD_SIZE[v.getUint16(at + 2, le)] ?? 1) * count;
      if (bytes <= word) continue;
      const valueAt = this.bigTiff
        ? Number(v.getBigUint64(at + 4 + word, le))
        : v.getUint32(at + 4 + word, le);
      if (valueAt + bytes > size) {
        throw new CorruptFileError(
          this.path,
          `tag ${v.getUint16(at, le)} claims ${count} values (${bytes} bytes at byte ${valueAt}), past the end of the file (${size} bytes)`,
          offset + countSize + at,
        );
      }
    }
    const [next] = await this.source.fetch([{ offset: offset + countSize + n * entrySize, length: word }]);
    const nv = new DataView(next!);
    return this.bigTiff ? Number(nv.getBigUint64(0, le)) : nv.getUint32(0, le);
  }

  /** The page of main-chain IFD `index`. */
  async page(index: number): Promise<TiffPage> {
    const offsets = await this.ifdOffsets();
    const offset = offsets[index];
    if (offset === undefined) {
      throw new CorruptFileError(
        this.path,
        `the metadata refers to IFD ${index} but the file has only ${offsets.length} (cut short while being written or copied?); the planes in those ${offsets.length} IFDs still read, the rest needs a complete copy of the file`,
      );
    }
    return this.pageAt(offset);
  }

  /** The page whose IFD starts at `offset` (main chain or SubIFD). */
  pageAt(offset: number): Promise<TiffPage> {
    let p = this.pages.get(offset);
    if (!p) {
      p = this.parsePage(offset);
      this.pages.set(offset, p);
    }
    return p;
  }

  private async parsePage(offset: number): Promise<TiffPage> {
    if (offset < 8 || offset >= this.source.size) {
      throw new CorruptFileError(this.path, 'an IFD offset points outside the file', offset);
    }
    const ifd = await this.ifdAt(offset);
    const get = async (tag: number): Promise<unknown> => {
      try {
        if (!ifd.hasTag(tag)) return undefined;
        // geotiff 3.0.5 reads deferred arrays as little-endian whatever the file (big-endian offsets
        // come out byte-swapped), so large arrays are read here.
        const deferred = (
          ifd as unknown as { deferredArrays?: Map<number, DeferredArrayInfo> }
        ).deferredArrays?.get(tag);
        if (deferred) return await this.readArray(deferred.arrayOffset, deferred.fieldType, deferred.length);
        return await ifd.loadValue(tag);
      } catch (err) {
        throw new CorruptFileError(
          this.path,
          `tag ${tag} of the IFD could not be read (${String(err)})`,
          offset,
          err,
        );
      }
    };
    const width = first(await get(TAG.ImageWidth)) ?? 0;
    const height = first(await get(TAG.ImageLength)) ?? 0;
    const spp = first(await get(TAG.SamplesPerPixel)) ?? 1;
    const bitsList = numbers(await get(TAG.BitsPerSample));
    const bits = bitsList[0] ?? 1;
    const format = first(await get(TAG.SampleFormat)) ?? 1;
    // Some old writers put tile offsets in the strip tags; TileWidth decides.
    const tiled = ifd.hasTag(TAG.TileWidth) && (ifd.hasTag(TAG.TileOffsets) || ifd.hasTag(TAG.StripOffsets));
    const planar = first(await get(TAG.PlanarConfiguration)) ?? 1;
    const compression = first(await get(TAG.Compression)) ?? 1;
    let blockWidth: number;
    let blockHeight: number;
    let offsets: ArrayLike<number>;
    let byteCounts: ArrayLike<number>;
    if (tiled) {
      blockWidth = first(await get(TAG.TileWidth)) ?? 0;
      blockHeight = first(await get(TAG.TileLength)) ?? 0;
      offsets = numbers(await get(ifd.hasTag(TAG.TileOffsets) ? TAG.TileOffsets : TAG.StripOffsets));
      byteCounts = numbers(
        await get(ifd.hasTag(TAG.TileByteCounts) ? TAG.TileByteCounts : TAG.StripByteCounts),
      );
    } else {
      blockWidth = width;
      const rps = first(await get(TAG.RowsPerStrip));
      // RowsPerStrip absent or 2^32-1 means "one strip".
      blockHeight = rps === undefined || rps <= 0 || rps > height ? height : rps;
      offsets = numbers(await get(TAG.StripOffsets));
      byteCounts = numbers(await get(TAG.StripByteCounts));
    }
    const { dtype, unsupported: why } = dtypeOfPage(bits, format);
    let unsupported = why;
    if (!unsupported && bitsList.some((b) => b !== bits))
      unsupported = `mixed BitsPerSample ${bitsList.join(',')}`;
    // A size read from a retyped tag (FLOAT, RATIONAL) can be fractional or NaN, not only zero.
    const sizes = [width, height, blockWidth, blockHeight, spp];
    // SamplesPerPixel is a SHORT: a larger value comes from a retyped tag.
    if (!unsupported && (!sizes.every((n) => Number.isSafeInteger(n) && n > 0) || spp > 0xffff)) {
      unsupported = `invalid image or block size (${width}x${height}, block ${blockWidth}x${blockHeight}, ${spp} samples per pixel)`;
    }
    const blocksAcross = blockWidth > 0 ? Math.ceil(width / blockWidth) : 0;
    const blocksDown = blockHeight > 0 ? Math.ceil(height / blockHeight) : 0;
    const expected = blocksAcross * blocksDown * (planar === 2 ? spp : 1);
    if (!unsupported && (offsets.length < expected || (byteCounts.length < expected && compression !== 1))) {
      throw new CorruptFileError(
        this.path,
        `the IFD lists ${offsets.length} ${tiled ? 'tiles' : 'strips'} but the image needs ${expected}`,
        offset,
      );
    }
    const jpeg = await get(TAG.JPEGTables);
    return {
      offset,
      width,
      height,
      samplesPerPixel: spp,
      bitsPerSample: bits,
      sampleFormat: format,
      dtype,
      unsupported,
      planar,
      compression,
      predictor: first(await get(TAG.Predictor)) ?? 1,
      photometric: first(await get(TAG.Photometric)) ?? 1,
      fillOrder: first(await get(TAG.FillOrder)) ?? 1,
      tiled,
      blockWidth,
      blockHeight,
      blocksAcross,
      blocksDown,
      offsets,
      byteCounts,
      jpegTables:
        jpeg && ArrayBuffer.isView(jpeg) ? new Uint8Array(Array.from(jpeg as Uint8Array)) : undefined,
      subIfds: numbers(await get(TAG.SubIFDs)),
      newSubfileType: first(await get(TAG.NewSubfileType)) ?? 0,
      description: ascii(await get(TAG.ImageDescription)),
      software: ascii(await get(TAG.Software)),
      xResolution: rational(await get(TAG.XResolution)),
      yResolution: rational(await get(TAG.YResolution)),
      resolutionUnit: first(await get(TAG.ResolutionUnit)) ?? 2,
    };
  }

  /**
   * Every ImageDescription of the IFD at `offset`, in file order. Micro-Manager writes two (ImageJ, then
   * OME-XML); geotiff's tag map keeps only one of them.
   */
  async descriptions(offset: number): Promise<string[]> {
    const countSize = this.bigTiff ? 8 : 2;
    const entrySize = this.bigTiff ? 20 : 12;
    const head = await this.source.read(offset, countSize, 'IFD entry count');
    const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const le = this.littleEndian;
    const n = this.bigTiff ? Number(hv.getBigUint64(0, le)) : hv.getUint16(0, le);
    const entries = await this.source.read(offset + countSize, n * entrySize, 'IFD entries');
    const v = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const at = i * entrySize;
      if (v.getUint16(at, le) !== 270) continue;
      const count = this.bigTiff ? Number(v.getBigUint64(at + 4, le)) : v.getUint32(at + 4, le);
      const inline = this.bigTiff ? 8 : 4;
      const valueAt = at + (this.bigTiff ? 12 : 8);
      const bytes =
        count <= inline
          ? entries.subarray(valueAt, valueAt + count)
          : await this.source.read(
              this.bigTiff ? Number(v.getBigUint64(valueAt, le)) : v.getUint32(valueAt, le),
              count,
              'ImageDescription',
            );
      out.push(new TextDecoder('utf-8').decode(bytes).replace(/\0+$/, ''));
    }
    return out;
  }

  /** A tag's value array stored at `offset`, decoded with the file's byte order. */
  private async readArray(offset: number, type: number, count: number): Promise<number[]> {
    const size = FIELD_SIZE[type];
    if (!size) throw new Error(`unknown TIFF field type ${type}`);
    const n = type === 5 || type === 10 ? count * 2 : count;
    const bytes = await this.source.read(offset, size * count, 'a tag value array');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = this.littleEndian;
    const out = new Array<number>(n);
    const step = type === 5 || type === 10 ? 4 : size;
    for (let i = 0; i < n; i++) {
      const at = i * step;
      switch (type) {
        case 1:
        case 2:
        case 7:
          out[i] = view.getUint8(at);
          break;
        case 6:
          out[i] = view.getInt8(at);
          break;
        case 3:
          out[i] = view.getUint16(at, le);
          break;
        case 8:
          out[i] = view.getInt16(at, le);
          break;
        case 4:
        case 5:
        case 13:
          out[i] = view.getUint32(at, le);
          break;
        case 9:
        case 10:
          out[i] = view.getInt32(at, le);
          break;
        case 11:
          out[i] = view.getFloat32(at, le);
          break;
        case 12:
          out[i] = view.getFloat64(at, le);
          break;
        case 16:
        case 18:
          out[i] = Number(view.getBigUint64(at, le));
          break;
        case 17:
          out[i] = Number(view.getBigInt64(at, le));
          break;
      }
    }
    return out;
  }

  /** A page that can be read, or a typed error saying why not. */
  static readable(file: string, page: TiffPage): DType {
    if (!page.dtype || page.unsupported) {
      throw new UnsupportedError(
        `${file}: cannot read this TIFF page: ${page.unsupported ?? 'unknown pixel type'}`,
        file,
      );
    }
    return page.dtype;
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

export interface TiffHeader {
  littleEndian: boolean;
  bigTiff: boolean;
  firstIfd: number;
}

/** Parse the 8- or 16-byte TIFF header; throws CorruptFileError when it is not one. */
export function parseHeader(path: string, bytes: Uint8Array): TiffHeader {
  const why = tiffMagic(bytes);
  if (why !== true) throw new CorruptFileError(path, why, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = bytes[0] === 0x49;
  const bigTiff = view.getUint16(2, littleEndian) === 43;
  if (bigTiff) {
    if (bytes.length < 16) throw new CorruptFileError(path, 'the BigTIFF header is truncated', 0);
    return { littleEndian, bigTiff, firstIfd: Number(view.getBigUint64(8, littleEndian)) };
  }
  return { littleEndian, bigTiff, firstIfd: view.getUint32(4, littleEndian) };
}

/** True when the bytes start like a TIFF or BigTIFF file, else a reason. */
export function tiffMagic(bytes: Uint8Array): true | string {
  if (bytes.length < 8) return 'the file is shorter than a TIFF header';
  const ii = bytes[0] === 0x49 && bytes[1] === 0x49;
  const mm = bytes[0] === 0x4d && bytes[1] === 0x4d;
  if (!ii && !mm) return 'not a TIFF file (no II/MM byte-order mark)';
  const magic = ii ? bytes[2]! | (bytes[3]! << 8) : (bytes[2]! << 8) | bytes[3]!;
  if (magic === 42) return true;
  if (magic === 43) {
    const size = ii ? bytes[4]! | (bytes[5]! << 8) : (bytes[4]! << 8) | bytes[5]!;
    return size === 8 ? true : `BigTIFF with unsupported offset size ${size}`;
  }
  return `not a TIFF file (magic number ${magic}, expected 42 or 43)`;
}
