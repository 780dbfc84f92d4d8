import type { DType } from '@bfio/core';

/**
 * Bio-Formats' FormatTools pixel type codes → bfio dtypes. BIT planes come out of openBytes one byte per pixel
 * (0 or 1), so they read as uint8, as tifffile and bfio present them.
 */
const BY_CODE: Record<number, DType> = {
  0: 'int8',
  1: 'uint8',
  2: 'int16',
  3: 'uint16',
  4: 'int32',
  5: 'uint32',
  6: 'float32',
  7: 'float64',
  8: 'uint8',
};

export function dtypeFromFormatTools(code: number): DType | undefined {
  return BY_CODE[code];
}

/** FormatTools pixel type names, as the writer's metadata spells them. */
export const PIXEL_TYPE_NAMES: Record<DType, string> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  float32: 'float',
  float64: 'double',
};
