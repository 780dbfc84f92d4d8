/**
 * The OME metadata of a file being written: validated against the writer's dtype, reduced to the one Image
 * the file holds, and given one TiffData per plane (IFD = plane index in the DimensionOrder).
 */
import { randomUUID } from 'node:crypto';
import { type DType, InvalidDataError, pixelTypeFromDType, UnsupportedError } from '@bfio/core';
import { type DimensionOrder, type OME, type Pixels, planeCoords } from '@bfio/ome-xml';

const ORDERS: readonly DimensionOrder[] = ['XYZCT', 'XYZTC', 'XYCTZ', 'XYCZT', 'XYTCZ', 'XYTZC'];

/**
 * A copy of `metadata` ready for IFD0's ImageDescription. Only image 0 is kept: a TIFF file written here
 * holds one image, and an OME-TIFF must not list Images whose planes are in no IFD.
 */
export function prepareOme(file: string, metadata: OME, dtype: DType): OME {
  const image = metadata?.images?.[0];
  if (!image?.pixels) {
    throw new InvalidDataError(`Cannot create ${file}: the OME metadata has no Image with Pixels`, file);
  }
  const ome = structuredClone({ ...metadata, images: [image] }) as OME;
  const pixels = ome.images[0]!.pixels;
  for (const axis of ['sizeX', 'sizeY', 'sizeZ', 'sizeC', 'sizeT'] as const) {
    const v = pixels[axis];
    if (!Number.isInteger(v) || v < 1) {
      throw new InvalidDataError(
        `Cannot create ${file}: Pixels ${axis} must be a positive integer, got ${v}`,
        file,
      );
    }
  }
  pixels.dimensionOrder ??= 'XYZCT';
  if (!ORDERS.includes(pixels.dimensionOrder)) {
    throw new InvalidDataError(
      `Cannot create ${file}: unknown DimensionOrder '${pixels.dimensionOrder}'`,
      file,
    );
  }
  const type = pixelTypeFromDType(dtype);
  if (pixels.type !== undefined && pixels.type !== type) {
    throw new InvalidDataError(
      `Cannot create ${file}: the metadata says pixel type '${pixels.type}' but the writer's dtype is '${dtype}' ('${type}'); make them agree`,
      file,
    );
  }
  pixels.type = type;
  if (pixels.channels.some((c) => (c.samplesPerPixel ?? 1) > 1)) {
    throw new UnsupportedError(
      `Cannot create ${file}: channels with SamplesPerPixel > 1 (interleaved RGB) are not written by the TIFF writer; store each sample as its own channel`,
      file,
    );
  }
  pixels.bigEndian = false;
  pixels.interleaved = false;
  pixels.tiffData = tiffDataFor(pixels);
  ome.uuid ??= `urn:uuid:${randomUUID()}`;
  return ome;
}

function tiffDataFor(pixels: Pixels): Pixels['tiffData'] {
  const { sizeZ, sizeC, sizeT, dimensionOrder } = pixels;
  const n = sizeZ * sizeC * sizeT;
  const out: Pixels['tiffData'] = [];
  for (let ifd = 0; ifd < n; ifd++) {
    const { z, c, t } = planeCoords(dimensionOrder, sizeZ, sizeC, sizeT, ifd);
    out.push({ ifd, firstZ: z, firstC: c, firstT: t, planeCount: 1 });
  }
  return out;
}
