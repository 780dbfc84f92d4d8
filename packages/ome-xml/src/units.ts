/**
 * OME unit symbols (schema 2016-06 `UnitsLength`, `UnitsTime`) and conversions between them.
 * µ is U+00B5 MICRO SIGN, as the schema spells it.
 */
import { OmeXmlError } from './errors.js';

export const LENGTH_UNITS: readonly string[] = [
  'Ym',
  'Zm',
  'Em',
  'Pm',
  'Tm',
  'Gm',
  'Mm',
  'km',
  'hm',
  'dam',
  'm',
  'dm',
  'cm',
  'mm',
  'µm',
  'nm',
  'pm',
  'fm',
  'am',
  'zm',
  'ym',
  'Å',
  'thou',
  'li',
  'in',
  'ft',
  'yd',
  'mi',
  'ua',
  'ly',
  'pc',
  'pt',
  'pixel',
  'reference frame',
];

export const TIME_UNITS: readonly string[] = [
  'Ys',
  'Zs',
  'Es',
  'Ps',
  'Ts',
  'Gs',
  'Ms',
  'ks',
  'hs',
  'das',
  's',
  'ds',
  'cs',
  'ms',
  'µs',
  'ns',
  'ps',
  'fs',
  'as',
  'zs',
  'ys',
  'min',
  'h',
  'd',
];

/** The schema's default unit of each modelled quantity attribute (used when `…Unit` is absent). */
export const DEFAULT_UNITS = {
  physicalSize: 'µm',
  timeIncrement: 's',
  deltaT: 's',
  exposureTime: 's',
  position: 'reference frame',
  wavelength: 'nm',
  pinholeSize: 'µm',
} as const;

const SI_PREFIX: Record<string, number> = {
  Y: 24,
  Z: 21,
  E: 18,
  P: 15,
  T: 12,
  G: 9,
  M: 6,
  k: 3,
  h: 2,
  da: 1,
  '': 0,
  d: -1,
  c: -2,
  m: -3,
  µ: -6,
  n: -9,
  p: -12,
  f: -15,
  a: -18,
  z: -21,
  y: -24,
};

/** A unit as `mult × 10^exp` of the base unit: exact powers of ten keep µm → nm exact. */
interface Scale {
  mult: number;
  exp: number;
}

/** Spellings producers use for the micro sign; folded before lookup. */
function foldMicro(unit: string): string {
  const u = unit.trim();
  if (u === 'um' || u === 'micron' || u === 'microns' || u === 'micrometer' || u === 'micrometre')
    return 'µm';
  if (u === 'us') return 'µs';
  // U+03BC GREEK SMALL LETTER MU looks the same as the schema's U+00B5.
  return u.replace(/^\u03bc/, 'µ');
}

const INCH = 0.0254;
const LENGTH_OTHER: Record<string, Scale> = {
  Å: { mult: 1, exp: -10 },
  thou: { mult: INCH / 1000, exp: 0 },
  li: { mult: INCH / 12, exp: 0 }, // a line is 1/12 inch
  in: { mult: INCH, exp: 0 },
  ft: { mult: INCH * 12, exp: 0 },
  yd: { mult: INCH * 36, exp: 0 },
  mi: { mult: 1609.344, exp: 0 },
  ua: { mult: 149597870700, exp: 0 },
  ly: { mult: 9460730472580800, exp: 0 },
  pc: { mult: 3.085677581491367e16, exp: 0 },
  pt: { mult: INCH / 72, exp: 0 },
};

const TIME_OTHER: Record<string, Scale> = {
  min: { mult: 60, exp: 0 },
  h: { mult: 3600, exp: 0 },
  d: { mult: 86400, exp: 0 },
};

function scaleOf(kind: 'length' | 'time', unit: string): Scale {
  const u = foldMicro(unit);
  const base = kind === 'length' ? 'm' : 's';
  const other = kind === 'length' ? LENGTH_OTHER : TIME_OTHER;
  const known = other[u];
  if (known) return known;
  if (u.endsWith(base)) {
    const exp = SI_PREFIX[u.slice(0, u.length - base.length)];
    if (exp !== undefined) return { mult: 1, exp };
  }
  throw new OmeXmlError(
    undefined,
    'unknown-unit',
    `cannot convert ${kind} unit '${unit}': not one of ${(kind === 'length' ? LENGTH_UNITS : TIME_UNITS)
      .filter((x) => x !== 'pixel' && x !== 'reference frame')
      .join(', ')}`,
  );
}

function convert(kind: 'length' | 'time', value: number, from: string, to: string): number {
  const a = scaleOf(kind, from);
  const b = scaleOf(kind, to);
  const d = a.exp - b.exp;
  let v = a.mult === b.mult ? value : (value * a.mult) / b.mult;
  // Multiply or divide by an exact power of ten instead of multiplying by an inexact 1e-6.
  v = d >= 0 ? v * 10 ** d : v / 10 ** -d;
  return v;
}

/** Convert a length between OME units (`um` and Greek-mu spellings accepted). Throws on unknown units. */
export function convertLength(value: number, fromUnit: string, toUnit: string): number {
  return convert('length', value, fromUnit, toUnit);
}

/** Convert a duration between OME time units. Throws on unknown units. */
export function convertTime(value: number, fromUnit: string, toUnit: string): number {
  return convert('time', value, fromUnit, toUnit);
}

/** The schema spelling of a unit alias (`um` → `µm`, Greek mu → micro sign), or the input unchanged. */
export function normalizeUnit(unit: string): string {
  return foldMicro(unit);
}
