/**
 * What the metadata panel shows of the open image, gathered once per series from a `BioReader`, and its
 * rows as text. Gathering reads only metadata (no pixels).
 */
import type { BioReader } from '@bfio/core';

export interface Quantity {
  value: number;
  unit: string;
}

export interface LevelFacts {
  sizeX: number;
  sizeY: number;
  tileWidth?: number;
  tileHeight?: number;
  downsample?: { x: number; y: number; z: number };
}

export interface ImageFacts {
  format: string;
  seriesCount: number;
  series: number;
  seriesName?: string;
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  dtype: string;
  physicalSizeX?: Quantity;
  physicalSizeY?: Quantity;
  physicalSizeZ?: Quantity;
  channelNames: string[];
  /** OME Channel Color per channel (RGBA as a signed 32-bit integer), where the file gives one. */
  channelColors: (number | undefined)[];
  levels: LevelFacts[];
}

/** The facts of `series` (level 0's sizes and physical sizes). Leaves the reader on that series, level 0. */
export function imageFacts(reader: BioReader, series: number): ImageFacts {
  reader.series = series;
  const channels = reader.image.pixels.channels;
  // One OME Channel of samplesPerPixel 3 is three of our channels: its colour does not say which is which.
  const colors = channels.length === reader.C ? channels.map((c) => c.color) : [];
  return {
    format: reader.format,
    seriesCount: reader.seriesCount,
    series,
    seriesName: reader.image.name,
    sizeX: reader.X,
    sizeY: reader.Y,
    sizeZ: reader.Z,
    sizeC: reader.C,
    sizeT: reader.T,
    dtype: reader.dtype,
    physicalSizeX: reader.physicalSizeX,
    physicalSizeY: reader.physicalSizeY,
    physicalSizeZ: reader.physicalSizeZ,
    channelNames: reader.channelNames,
    channelColors: colors,
    levels: reader.levels.map((l) => ({
      sizeX: l.sizeX,
      sizeY: l.sizeY,
      tileWidth: l.tileWidth,
      tileHeight: l.tileHeight,
      downsample: l.downsample,
    })),
  };
}

const quantity = (q: Quantity | undefined) => (q ? `${+q.value.toPrecision(6)} ${q.unit}` : '–');

/** The panel's rows, label and text. */
export function factRows(facts: ImageFacts): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Format', facts.format],
    ['Series', `#${facts.series} of ${facts.seriesCount}${facts.seriesName ? ` — ${facts.seriesName}` : ''}`],
    ['Size (X × Y)', `${facts.sizeX} × ${facts.sizeY}`],
    ['Z, C, T', `${facts.sizeZ}, ${facts.sizeC}, ${facts.sizeT}`],
    ['Pixel type', facts.dtype],
    [
      'Pixel size (X × Y × Z)',
      `${quantity(facts.physicalSizeX)} × ${quantity(facts.physicalSizeY)} × ${quantity(facts.physicalSizeZ)}`,
    ],
    ['Channels', facts.channelNames.map((n, i) => n || `#${i}`).join(', ')],
    ['Levels', facts.levels.map((l) => `${l.sizeX}×${l.sizeY}`).join(', ')],
  ];
  const base = facts.levels[0];
  if (base?.tileWidth && base.tileHeight)
    rows.push(['Tile (level 0)', `${base.tileWidth}×${base.tileHeight}`]);
  return rows;
}

/** Each series' image name ('' when unnamed). Leaves the reader on series 0. */
export function seriesNames(reader: BioReader): string[] {
  const names = Array.from({ length: reader.seriesCount }, (_, i) => {
    reader.series = i;
    return reader.image.name ?? '';
  });
  reader.series = 0;
  return names;
}
