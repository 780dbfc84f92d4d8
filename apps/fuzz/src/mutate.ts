/**
 * One fuzz input from (format, seed, index): fast-check draws the mutation plan deterministically from
 * `baseSeed + index`, so an input is reproduced from those numbers alone.
 */
import fc from 'fast-check';
import { describe } from './extremes.js';
import type { FileSet, Format, Seed } from './input.js';
import { mutateTiff, tiffPlan } from './mutate-tiff.js';
import { mutateXml, xmlPlan } from './mutate-xml.js';
import { mutateZarr, zarrPlan } from './mutate-zarr.js';

export interface Mutated extends FileSet {
  seed: string;
  /** The plan, as JSON. */
  mutation: string;
}

export function planSeed(baseSeed: number, index: number): number {
  return (baseSeed + Math.imul(index, 2654435761)) | 0;
}

export function mutate(
  format: Exclude<Format, 'http'>,
  seeds: readonly Seed[],
  baseSeed: number,
  index: number,
): Mutated {
  const seed = seeds[index % seeds.length]!;
  const s = planSeed(baseSeed, index);
  if (format === 'tiff' || format === 'ome-xml') {
    const bytes = seed.files.get(seed.entry)!;
    const [plan] =
      format === 'tiff'
        ? fc.sample(tiffPlan, { seed: s, numRuns: 1 })
        : fc.sample(xmlPlan, { seed: s, numRuns: 1 });
    const out = format === 'tiff' ? mutateTiff(bytes, plan as never) : mutateXml(bytes, plan as never);
    return {
      seed: seed.name,
      mutation: describe(plan),
      entry: seed.entry,
      files: new Map([[seed.entry, out]]),
    };
  }
  const [plan] = fc.sample(zarrPlan, { seed: s, numRuns: 1 });
  return { seed: seed.name, mutation: describe(plan), ...mutateZarr(seed, plan!) };
}
