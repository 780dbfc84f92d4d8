/**
 * OME-NGFF metadata: reading `multiscales`/`omero` of versions 0.1–0.5 (and the 0.6 draft's coordinate
 * systems, where they still parse), and building the 0.4/0.5 attributes bfio writes.
 */
import type { DownsampleMode } from '@bfio/core';
import type { Quantity } from '@bfio/ome-xml';

/** Our five axes. */
export type AxisName = 't' | 'c' | 'z' | 'y' | 'x';
export const AXES: readonly AxisName[] = ['t', 'c', 'z', 'y', 'x'];

export interface NgffAxis {
  name: string;
  type?: string;
  unit?: string;
}

export interface NgffDataset {
  path: string;
  /** Per-axis scale of this level (dataset transform times the multiscale-level transform), if given. */
  scale?: number[];
}

export interface NgffMultiscale {
  name?: string;
  /** Undefined for 0.1/0.2 (no axes: the caller assumes TCZYX on the last dimensions). */
  axes?: NgffAxis[];
  datasets: NgffDataset[];
}

export interface NgffChannel {
  label?: string;
  /** Hex RRGGBB, as omero writes it. */
  color?: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The object holding NGFF keys: 0.5 nests them under `attributes.ome` (Zarr v3), 0.4 and earlier put them at
 * the top of `.zattrs`. Returns the NGFF version too (from `ome.version` or `multiscales[0].version`).
 */
export function ngffRoot(attrs: Json): { ngff: Json; version: string | undefined } {
  const ngff = isObject(attrs.ome) ? attrs.ome : attrs;
  let version = typeof ngff.version === 'string' ? ngff.version : undefined;
  const ms = ngff.multiscales;
  if (!version && Array.isArray(ms) && isObject(ms[0]) && typeof ms[0].version === 'string')
    version = ms[0].version;
  return { ngff, version };
}

function parseAxes(raw: unknown): NgffAxis[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.map((a) => {
    // 0.3 spelled axes as plain names.
    if (typeof a === 'string') return { name: a };
    if (isObject(a) && typeof a.name === 'string') {
      return {
        name: a.name,
        type: typeof a.type === 'string' ? a.type : undefined,
        unit: typeof a.unit === 'string' ? a.unit : undefined,
      };
    }
    throw new TypeError(`axis ${JSON.stringify(a)} has no name`);
  });
}

function scaleOf(transforms: unknown): number[] | undefined {
  if (!Array.isArray(transforms)) return undefined;
  for (const t of transforms) {
    if (
      isObject(t) &&
      t.type === 'scale' &&
      Array.isArray(t.scale) &&
      t.scale.every((v) => typeof v === 'number')
    ) {
      return t.scale as number[];
    }
  }
  return undefined;
}

/** Parses `multiscales[index]`; throws TypeError with a reason when it is malformed. */
export function parseMultiscale(ngff: Json, index = 0): NgffMultiscale {
  const list = ngff.multiscales;
  if (!Array.isArray(list) || !isObject(list[index])) throw new TypeError('no multiscales entry');
  const ms = list[index];
  let axes = parseAxes(ms.axes);
  if (!axes && Array.isArray(ms.coordinateSystems) && isObject(ms.coordinateSystems[0])) {
    // 0.6 draft: axes live in the (first, output) coordinate system.
    axes = parseAxes(ms.coordinateSystems[0].axes);
  }
  if (!Array.isArray(ms.datasets) || ms.datasets.length === 0)
    throw new TypeError('multiscales has no datasets');
  const global = scaleOf(ms.coordinateTransformations);
  const datasets = ms.datasets.map((d): NgffDataset => {
    if (!isObject(d) || typeof d.path !== 'string')
      throw new TypeError(`dataset ${JSON.stringify(d)} has no path`);
    let scale = scaleOf(d.coordinateTransformations);
    if (scale && global && global.length === scale.length) scale = scale.map((s, i) => s * (global[i] ?? 1));
    return { path: d.path, scale };
  });
  return { name: typeof ms.name === 'string' ? ms.name : undefined, axes, datasets };
}

export function parseOmeroChannels(ngff: Json): NgffChannel[] {
  const omero = ngff.omero;
  if (!isObject(omero) || !Array.isArray(omero.channels)) return [];
  return omero.channels.map((c) => {
    if (!isObject(c)) return {};
    const label =
      typeof c.label === 'string' ? c.label : typeof c.label === 'number' ? String(c.label) : undefined;
    const color = typeof c.color === 'string' && /^[0-9a-fA-F]{6}$/.test(c.color) ? c.color : undefined;
    return { label, color };
  });
}

/** NGFF (UDUNITS) unit names ↔ OME unit symbols. */
const UNIT_TO_OME: Record<string, string> = {
  angstrom: 'Å',
  picometer: 'pm',
  nanometer: 'nm',
  micrometer: 'µm',
  millimeter: 'mm',
  centimeter: 'cm',
  decimeter: 'dm',
  meter: 'm',
  kilometer: 'km',
  inch: 'in',
  foot: 'ft',
  mile: 'mi',
  yard: 'yd',
  femtometer: 'fm',
  attometer: 'am',
  second: 's',
  millisecond: 'ms',
  microsecond: 'µs',
  nanosecond: 'ns',
  picosecond: 'ps',
  minute: 'min',
  hour: 'h',
  day: 'd',
};
const OME_TO_UNIT: Record<string, string> = Object.fromEntries(
  Object.entries(UNIT_TO_OME).map(([k, v]) => [v, k]),
);
OME_TO_UNIT.um = 'micrometer';
OME_TO_UNIT.μm = 'micrometer'; // Greek mu, as some producers write it
OME_TO_UNIT.μs = 'microsecond';

/**
 * A physical size from an NGFF scale and axis unit. Without a unit the scale is in unspecified units:
 * OME spells that 'reference frame'. A scale of 1 without a unit says nothing, so it gives undefined.
 */
export function quantityFromNgff(scale: number | undefined, unit: string | undefined): Quantity | undefined {
  // OME physical sizes are positive: a zero or negative scale (damaged metadata) says nothing usable.
  if (scale === undefined || !Number.isFinite(scale) || scale <= 0) return undefined;
  if (!unit) return scale === 1 ? undefined : { value: scale, unit: 'reference frame' };
  return { value: scale, unit: UNIT_TO_OME[unit] ?? unit };
}

/** The NGFF unit name for an OME unit symbol, or undefined when NGFF has no name for it. */
export function ngffUnit(omeUnit: string | undefined): string | undefined {
  if (!omeUnit) return undefined;
  return OME_TO_UNIT[omeUnit];
}

/** OME's signed RGBA integer → omero's RRGGBB hex. */
export function colorToHex(color: number): string {
  return ((color >>> 8) & 0xffffff).toString(16).toUpperCase().padStart(6, '0');
}

/** omero's RRGGBB hex → OME's signed RGBA integer (alpha 255). */
export function hexToColor(hex: string): number {
  return (Number.parseInt(hex, 16) << 8) | 0xff | 0;
}

export interface MultiscalesSpec {
  version: '0.4' | '0.5';
  name: string;
  levels: number;
  /** Level-0 scale per axis t,c,z,y,x and NGFF units (undefined = none). */
  scale: [number, number, number, number, number];
  units: { t?: string; z?: string; y?: string; x?: string };
  /**
   * Per level, the downsampling factor in y/x (z, c, t kept), or in z, y, x separately (a source's own
   * pyramid, whose levels need not halve exactly).
   */
  factor: (level: number) => number | [number, number, number];
  channels: Array<{ label: string; color: string; min: number; max: number }>;
  /**
   * How the levels were made, for the `multiscales` entry's `type` and `metadata`: bfio's own 2× downsampling,
   * or a description of levels bfio did not make (a source's own pyramid).
   */
  downsample: DownsampleMode | { type: string; method: string };
}

/** The NGFF attributes of an image group bfio writes (the `.zattrs` document, or `attributes.ome` content). */
export function buildImageAttributes(spec: MultiscalesSpec): Json {
  const axis = (name: AxisName, type: string, unit?: string): Json =>
    unit ? { name, type, unit } : { name, type };
  const axes = [
    axis('t', 'time', spec.units.t),
    axis('c', 'channel'),
    axis('z', 'space', spec.units.z),
    axis('y', 'space', spec.units.y),
    axis('x', 'space', spec.units.x),
  ];
  const datasets = Array.from({ length: spec.levels }, (_, k) => {
    const f = spec.factor(k);
    const [fz, fy, fx] = typeof f === 'number' ? [1, f, f] : f;
    const [t, c, z, y, x] = spec.scale;
    return {
      path: String(k),
      coordinateTransformations: [{ type: 'scale', scale: [t, c, z * fz, y * fy, x * fx] }],
    };
  });
  const multiscale: Json = {
    ...(spec.version === '0.4' ? { version: '0.4' } : {}),
    name: spec.name,
    axes,
    datasets,
    ...(typeof spec.downsample === 'string'
      ? { type: spec.downsample, metadata: { method: `bfio ${spec.downsample} 2x`, version: '1' } }
      : { type: spec.downsample.type, metadata: { method: spec.downsample.method, version: '1' } }),
  };
  const omero = {
    channels: spec.channels.map((c) => ({
      label: c.label,
      color: c.color,
      active: true,
      coefficient: 1,
      family: 'linear',
      inverted: false,
      window: { min: c.min, max: c.max, start: c.min, end: c.max },
    })),
    rdefs: { model: spec.channels.length === 1 ? 'greyscale' : 'color', defaultZ: 0, defaultT: 0 },
  };
  const body: Json = { multiscales: [multiscale], omero };
  return spec.version === '0.5' ? { version: '0.5', ...body } : body;
}
