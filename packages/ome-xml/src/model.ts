/**
 * The typed OME model (schema 2016-06): the parts image I/O needs.
 *
 * Every model object carries `extra`, which keeps what the model does not know (attributes and child
 * elements, in document order) so that parse → build is lossless. Values the model knows are typed
 * (numbers, booleans, units); everything else stays as written.
 */

/** OME `PixelType` values, exactly as the schema spells them. */
export type PixelType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'float'
  | 'double'
  | 'complex'
  | 'double-complex'
  | 'bit';

export const PIXEL_TYPES: readonly PixelType[] = [
  'int8',
  'int16',
  'int32',
  'uint8',
  'uint16',
  'uint32',
  'float',
  'double',
  'complex',
  'double-complex',
  'bit',
];

/** The six OME dimension orders. X and Y always come first. */
export type DimensionOrder = 'XYZCT' | 'XYZTC' | 'XYCTZ' | 'XYCZT' | 'XYTCZ' | 'XYTZC';

export const DIMENSION_ORDERS: readonly DimensionOrder[] = [
  'XYZCT',
  'XYZTC',
  'XYCTZ',
  'XYCZT',
  'XYTCZ',
  'XYTZC',
];

/** A value with its unit symbol as written in OME-XML (`µm`, `nm`, `s`, `ms`, `Pixel`, ...). */
export interface Quantity {
  value: number;
  unit: string;
}

/**
 * What the model does not know about an element, kept for the round trip.
 * `attributes`: unknown attributes, name → raw string value.
 * `children`: unknown child elements as opaque fast-xml-parser `preserveOrder` nodes, each with the index of
 * the known sibling it followed (so the builder can put it back in place).
 */
export interface Extra {
  attributes: Record<string, string>;
  children: ExtraChild[];
}

/**
 * One fast-xml-parser `preserveOrder` node: `{ TagName: XmlNode[], ':@'?: { '@_attr': 'value' } }` for an
 * element, `{ '#text': 'value' }` for text. Kept opaque: the model never looks inside.
 */
export type XmlNode = Record<string, unknown>;

/**
 * An unknown child element. `after` is how many *known* (modelled) siblings preceded it in the document, so
 * the builder can put it back where it was; the builder then sorts by the schema's child order, which moves
 * it to a valid place if the model was edited or the source was out of order.
 */
export interface ExtraChild {
  after: number;
  node: XmlNode;
}

export interface TiffDataUUID {
  value: string;
  fileName?: string;
}

export interface TiffData {
  ifd: number;
  firstZ: number;
  firstC: number;
  firstT: number;
  /** Undefined means "not given" (the schema's meaning differs from 1 when IFD is also absent). */
  planeCount?: number;
  uuid?: TiffDataUUID;
  extra?: Extra;
}

export interface Plane {
  theZ: number;
  theC: number;
  theT: number;
  deltaT?: Quantity;
  exposureTime?: Quantity;
  positionX?: Quantity;
  positionY?: Quantity;
  positionZ?: Quantity;
  extra?: Extra;
}

export interface Channel {
  id: string;
  name?: string;
  samplesPerPixel?: number;
  /** Signed 32-bit RGBA integer, as the schema stores it. */
  color?: number;
  fluor?: string;
  illuminationType?: string;
  acquisitionMode?: string;
  contrastMethod?: string;
  excitationWavelength?: Quantity;
  emissionWavelength?: Quantity;
  pinholeSize?: Quantity;
  ndFilter?: number;
  pockelCellSetting?: number;
  extra?: Extra;
}

export interface Pixels {
  id: string;
  dimensionOrder: DimensionOrder;
  type: PixelType;
  significantBits?: number;
  interleaved?: boolean;
  bigEndian?: boolean;
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  physicalSizeX?: Quantity;
  physicalSizeY?: Quantity;
  physicalSizeZ?: Quantity;
  timeIncrement?: Quantity;
  channels: Channel[];
  /** Pixels data held as BinData/MetadataOnly is not modelled; it goes to `extra`. */
  tiffData: TiffData[];
  planes: Plane[];
  extra?: Extra;
}

export interface Image {
  id: string;
  name?: string;
  acquisitionDate?: string;
  description?: string;
  instrumentRef?: string;
  pixels: Pixels;
  extra?: Extra;
}

export interface Objective {
  id: string;
  manufacturer?: string;
  model?: string;
  nominalMagnification?: number;
  lensNA?: number;
  immersion?: string;
  extra?: Extra;
}

export interface Instrument {
  id: string;
  objectives: Objective[];
  extra?: Extra;
}

export interface MapAnnotation {
  id: string;
  namespace?: string;
  description?: string;
  /** Key/value pairs in document order (keys may repeat). */
  values: Array<[string, string]>;
  extra?: Extra;
}

export interface StructuredAnnotations {
  mapAnnotations: MapAnnotation[];
  extra?: Extra;
}

export interface OME {
  uuid?: string;
  creator?: string;
  instruments: Instrument[];
  images: Image[];
  structuredAnnotations?: StructuredAnnotations;
  extra?: Extra;
}
