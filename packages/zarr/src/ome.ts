/**
 * The OME side of a Zarr store: parsing `OME/METADATA.ome.xml` when a store has it, and synthesizing an OME
 * Image from NGFF metadata when it does not.
 */
import { type DType, pixelTypeFromDType } from '@bfio/core';
import { type Channel, createOme, type Image, type OME, type Quantity } from '@bfio/ome-xml';

export { buildOmeXml, parseOmeXml } from '@bfio/ome-xml';

import { hexToColor, type NgffChannel } from './ngff.js';

export interface ImageFacts {
  index: number;
  name: string;
  dtype: DType;
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  physicalSizeX?: Quantity;
  physicalSizeY?: Quantity;
  physicalSizeZ?: Quantity;
  timeIncrement?: Quantity;
  channels: NgffChannel[];
}

/** An OME Image describing one NGFF image (used when the store carries no OME-XML). */
export function synthesizeImage(f: ImageFacts): Image {
  const ome = createOme({
    sizeX: f.sizeX,
    sizeY: f.sizeY,
    sizeZ: f.sizeZ,
    sizeC: f.sizeC,
    sizeT: f.sizeT,
    type: pixelTypeFromDType(f.dtype),
    name: f.name,
    ...(f.physicalSizeX ? { physicalSizeX: f.physicalSizeX } : {}),
    ...(f.physicalSizeY ? { physicalSizeY: f.physicalSizeY } : {}),
    ...(f.physicalSizeZ ? { physicalSizeZ: f.physicalSizeZ } : {}),
  });
  const image = ome.images[0] as Image;
  // createOme describes image 0; renumber for series `index` and add what NGFF knows beyond createOme's options.
  image.id = `Image:${f.index}`;
  image.pixels.id = `Pixels:${f.index}`;
  image.pixels.bigEndian = false;
  if (f.timeIncrement) image.pixels.timeIncrement = f.timeIncrement;
  image.pixels.channels = image.pixels.channels.map((channel: Channel, c: number) => {
    const ngff = f.channels[c];
    const out: Channel = { ...channel, id: `Channel:${f.index}:${c}` };
    if (ngff?.label !== undefined) out.name = ngff.label;
    if (ngff?.color !== undefined) out.color = hexToColor(ngff.color);
    return out;
  });
  return image;
}

export function emptyOme(): OME {
  return { instruments: [], images: [] };
}
