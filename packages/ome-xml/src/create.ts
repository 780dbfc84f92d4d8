/**
 * createOme: a valid single-image OME for writers and for readers of formats without OME-XML.
 */
import type { Channel, DimensionOrder, OME, PixelType, Quantity } from './model.js';
import { DIMENSION_ORDERS, PIXEL_TYPES } from './model.js';

export interface CreateOmeOptions {
  sizeX: number;
  sizeY: number;
  sizeZ?: number;
  /** Number of samples along C (an RGB image with samplesPerPixel=3 has sizeC=3 and one Channel). */
  sizeC?: number;
  sizeT?: number;
  type: PixelType;
  dimensionOrder?: DimensionOrder;
  /** One name per Channel element, i.e. sizeC / samplesPerPixel names. */
  channelNames?: string[];
  physicalSizeX?: Quantity;
  physicalSizeY?: Quantity;
  physicalSizeZ?: Quantity;
  name?: string;
  samplesPerPixel?: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`createOme: ${name} must be a positive integer, got ${v}`);
  return v;
}

export function createOme(opts: CreateOmeOptions): OME {
  const sizeX = positiveInt('sizeX', opts.sizeX);
  const sizeY = positiveInt('sizeY', opts.sizeY);
  const sizeZ = positiveInt('sizeZ', opts.sizeZ ?? 1);
  const sizeC = positiveInt('sizeC', opts.sizeC ?? 1);
  const sizeT = positiveInt('sizeT', opts.sizeT ?? 1);
  const spp = positiveInt('samplesPerPixel', opts.samplesPerPixel ?? 1);
  const dimensionOrder = opts.dimensionOrder ?? 'XYZCT';
  if (!DIMENSION_ORDERS.includes(dimensionOrder))
    throw new RangeError(`createOme: unknown dimensionOrder '${dimensionOrder}'`);
  if (!PIXEL_TYPES.includes(opts.type)) throw new RangeError(`createOme: unknown pixel type '${opts.type}'`);
  if (sizeC % spp !== 0)
    throw new RangeError(`createOme: sizeC=${sizeC} is not a multiple of samplesPerPixel=${spp}`);
  const nChannels = sizeC / spp;
  if (opts.channelNames && opts.channelNames.length !== nChannels) {
    throw new RangeError(`createOme: ${opts.channelNames.length} channel names for ${nChannels} channels`);
  }
  for (const [k, q] of [
    ['physicalSizeX', opts.physicalSizeX],
    ['physicalSizeY', opts.physicalSizeY],
    ['physicalSizeZ', opts.physicalSizeZ],
  ] as const) {
    if (q && !(q.value > 0)) throw new RangeError(`createOme: ${k} must be > 0, got ${q.value}`);
  }
  const channels: Channel[] = [];
  for (let i = 0; i < nChannels; i++) {
    const ch: Channel = { id: `Channel:0:${i}`, samplesPerPixel: spp };
    const name = opts.channelNames?.[i];
    if (name !== undefined) ch.name = name;
    channels.push(ch);
  }
  const ome: OME = {
    instruments: [],
    images: [
      {
        id: 'Image:0',
        pixels: {
          id: 'Pixels:0',
          dimensionOrder,
          type: opts.type,
          sizeX,
          sizeY,
          sizeZ,
          sizeC,
          sizeT,
          channels,
          tiffData: [],
          planes: [],
        },
      },
    ],
  };
  const image = ome.images[0];
  if (image) {
    if (opts.name !== undefined) image.name = opts.name;
    if (opts.physicalSizeX) image.pixels.physicalSizeX = { ...opts.physicalSizeX };
    if (opts.physicalSizeY) image.pixels.physicalSizeY = { ...opts.physicalSizeY };
    if (opts.physicalSizeZ) image.pixels.physicalSizeZ = { ...opts.physicalSizeZ };
  }
  return ome;
}
