/**
 * The OME metadata of a file being written: validated against the writer's dtype, reduced to the one Image
 * the file holds, and given one TiffData per plane (IFD = plane index in the DimensionOrder).
 */
import { type DType, InvalidDataError, pixelTypeFromDType, UnsupportedError } from '@bfio/core';
import { type DimensionOrder, type OME, type Pixels, planeCoords } from '@bfio/ome-xml';
import { randomUUID } from '#platform';

const ORDERS: readonly DimensionOrder[] = ['XYZCT', 'XYZTC', 'XYCTZ', 'XYCZT', 'XYTCZ', 'XYTZC'];

/**
 * A copy of `metadata` ready for IFD0's ImageDescription. Only image 0 is kept: a TIFF file written here
 * holds one image, and an OME-TIFF must not list Images whose planes are in no IFD.
 */
export function prepareOme(file: string, metadata: OME, dtype: DType, rgb = false): OME {
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
  if (!rgb && pixels.channels.some((c) => (c.samplesPerPixel ?? 1) > 1)) {
    throw new UnsupportedError(
      `Cannot create ${file}: channels with SamplesPerPixel > 1 (interleaved RGB) are written with the rgb option only; set rgb: true or store each sample as its own channel`,
      file,
    );
  }
  pixels.bigEndian = false;
  pixels.interleaved = false;
  if (rgb) interleaveChannels(pixels);
  pixels.tiffData = tiffDataFor(pixels, rgb ? 1 : pixels.sizeC);
  ome.uuid ??= `urn:uuid:${randomUUID()}`;
  return ome;
}

/**
 * RGB as Bio-Formats writes it: one Channel of SamplesPerPixel 3 (SizeC stays 3), and Planes only for
 * TheC 0 (one IFD holds the three samples). The first channel's settings are kept; its name and colour
 * described one sample, not the RGB whole, so they go.
 */
function interleaveChannels(pixels: Pixels): void {
  const { name: _name, color: _color, ...first } = pixels.channels[0] ?? { id: 'Channel:0:0' };
  pixels.channels = [{ ...first, id: 'Channel:0:0', samplesPerPixel: 3 }];
  pixels.planes = pixels.planes.filter((p) => p.theC === 0);
}

/** One TiffData per IFD; `sizeC` counts IFD planes per Z/T (1 for RGB, whose IFDs hold all three samples). */
function tiffDataFor(pixels: Pixels, sizeC: number): Pixels['tiffData'] {
  const { sizeZ, sizeT, dimensionOrder } = pixels;
  const n = sizeZ * sizeC * sizeT;
  const out: Pixels['tiffData'] = [];
  for (let ifd = 0; ifd < n; ifd++) {
    const { z, c, t } = planeCoords(dimensionOrder, sizeZ, sizeC, sizeT, ifd);
    out.push({ ifd, firstZ: z, firstC: c, firstT: t, planeCount: 1 });
  }
  return out;
}
