/**
 * TIFF constants shared by the reader and the writer: tag numbers, field types, and the values of the
 * enumerated tags bfio reads or writes (TIFF 6.0, Adobe's TIFF Technical Notes, BigTIFF, and the
 * registered private codes used for zstd).
 */

/** Tag numbers. */
export const Tag = {
  NewSubfileType: 254,
  SubfileType: 255,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  FillOrder: 266,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  DateTime: 306,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SubIFDs: 330,
  ExtraSamples: 338,
  SampleFormat: 339,
  JPEGTables: 347,
  YCbCrSubSampling: 530,
  ReferenceBlackWhite: 532,
} as const;
export type TagNumber = (typeof Tag)[keyof typeof Tag];

/** Field types and their sizes in bytes. */
export const FieldType = {
  BYTE: 1,
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  RATIONAL: 5,
  SBYTE: 6,
  UNDEFINED: 7,
  SSHORT: 8,
  SLONG: 9,
  SRATIONAL: 10,
  FLOAT: 11,
  DOUBLE: 12,
  /** A LONG that is an IFD offset (used for SubIFDs). */
  IFD: 13,
  LONG8: 16,
  SLONG8: 17,
  /** A LONG8 that is an IFD offset (BigTIFF SubIFDs). */
  IFD8: 18,
} as const;
export type FieldTypeNumber = (typeof FieldType)[keyof typeof FieldType];

export const FIELD_TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** Compression tag values. */
export const Compression = {
  None: 1,
  LZW: 5,
  JPEG: 7,
  /** Adobe Deflate: what tifffile, libtiff and bfio write. */
  AdobeDeflate: 8,
  PackBits: 32773,
  /** The old, unregistered Deflate code; readers must accept it, writers should not use it. */
  Deflate: 32946,
  /** zstd as registered by libtiff / tifffile / imagecodecs. */
  Zstd: 50000,
} as const;

export const Predictor = {
  None: 1,
  Horizontal: 2,
  FloatingPoint: 3,
} as const;

export const SampleFormat = {
  Uint: 1,
  Int: 2,
  Float: 3,
  Void: 4,
} as const;

export const Photometric = {
  MinIsWhite: 0,
  MinIsBlack: 1,
  RGB: 2,
  Palette: 3,
  YCbCr: 6,
} as const;

export const PlanarConfiguration = {
  Chunky: 1,
  Planar: 2,
} as const;

export const ResolutionUnit = {
  None: 1,
  Inch: 2,
  Centimeter: 3,
} as const;

/** NewSubfileType bit 0: a reduced-resolution version of another image (pyramid level). */
export const SUBFILE_REDUCED_RESOLUTION = 1;

/** Header magic: 42 for classic TIFF, 43 for BigTIFF. */
export const CLASSIC_MAGIC = 42;
export const BIGTIFF_MAGIC = 43;
