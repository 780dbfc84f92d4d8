/**
 * X/YResolution from OME physical sizes. TIFF stores resolution as pixels per ResolutionUnit; we always use
 * centimetres (ResolutionUnit 3): pixels/cm = 1 cm / physical size of one pixel. (bfio 2.5 divides by the
 * image size as well, which makes its values wrong by a factor of SizeX.)
 */
import type { Quantity } from '@bfio/ome-xml';

/** Metres per unit for the OME length units (UnitsLength in ome.xsd) that have a physical scale. */
const METRES_PER_UNIT: Readonly<Record<string, number>> = {
  Ym: 1e24,
  Zm: 1e21,
  Em: 1e18,
  Pm: 1e15,
  Tm: 1e12,
  Gm: 1e9,
  Mm: 1e6,
  km: 1e3,
  hm: 1e2,
  dam: 1e1,
  m: 1,
  dm: 1e-1,
  cm: 1e-2,
  mm: 1e-3,
  µm: 1e-6,
  // U+03BC GREEK SMALL LETTER MU, sometimes written instead of U+00B5 MICRO SIGN.
  μm: 1e-6,
  um: 1e-6,
  nm: 1e-9,
  pm: 1e-12,
  fm: 1e-15,
  am: 1e-18,
  zm: 1e-21,
  ym: 1e-24,
  Å: 1e-10,
  thou: 2.54e-5,
  li: 2.54e-2 / 12,
  in: 2.54e-2,
  ft: 0.3048,
  yd: 0.9144,
  mi: 1609.344,
  ua: 149597870700,
  ly: 9460730472580800,
  pc: 3.085677581e16,
  pt: 2.54e-2 / 72,
};

/** Pixels per centimetre for a pixel of `size`, or undefined when the size has no physical scale. */
export function pixelsPerCentimetre(size: Quantity | undefined): number | undefined {
  if (!size || !(size.value > 0) || !Number.isFinite(size.value)) return undefined;
  const metres = METRES_PER_UNIT[size.unit ?? 'µm'];
  if (metres === undefined) return undefined;
  return 0.01 / (size.value * metres);
}

/**
 * The best rational approximation of `value` with numerator and denominator ≤ 2^32 − 1 (continued
 * fractions), as TIFF RATIONALs need.
 */
export function toRational(value: number): [number, number] {
  const MAX = 0xffffffff;
  if (!(value > 0) || !Number.isFinite(value)) return [0, 1];
  if (value >= MAX) return [MAX, 1];
  if (value <= 1 / MAX) return [1, MAX];
  let [h0, h1] = [0, 1];
  let [k0, k1] = [1, 0];
  let x = value;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (h2 > MAX || k2 > MAX) break;
    [h0, h1] = [h1, h2];
    [k0, k1] = [k1, k2];
    const frac = x - a;
    if (frac < 1e-15 || h1 / k1 === value) break;
    x = 1 / frac;
  }
  return [h1, k1];
}
