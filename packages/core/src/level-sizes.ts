/**
 * `CreateOptions.levelSizes`, checked once for every writer: the levels a caller writes itself (a source's
 * own pyramid) must each be smaller than the one before, so readers that walk levels largest first (tifffile's
 * SubIFDs, NGFF's datasets) see a pyramid.
 */
import type { CreateOptions } from './backend.js';
import { InvalidDataError } from './errors/index.js';

/** The given level sizes [X, Y] after level 0, or undefined when the writer makes its own levels. */
export function givenLevelSizes(
  file: string,
  options: CreateOptions,
  sizeX: number,
  sizeY: number,
): Array<[number, number]> | undefined {
  const sizes = options.levelSizes;
  if (sizes === undefined) return undefined;
  if (options.pyramidLevels)
    throw new InvalidDataError(
      `Cannot create ${file}: give levelSizes (levels you write) or pyramidLevels (levels made for you), not both`,
      file,
    );
  let [px, py] = [sizeX, sizeY];
  for (const [i, s] of (Array.isArray(sizes) ? sizes : [undefined]).entries()) {
    const ok =
      Array.isArray(s) &&
      s.length === 2 &&
      s.every((n) => Number.isInteger(n) && n >= 1) &&
      s[0] <= px &&
      s[1] <= py &&
      (s[0] < px || s[1] < py);
    if (!ok)
      throw new InvalidDataError(
        `Cannot create ${file}: levelSizes[${i}] must be [X, Y] whole numbers ≥ 1, smaller than the level before (${px}×${py}); got ${JSON.stringify(s)}`,
        file,
      );
    [px, py] = s as [number, number];
  }
  return sizes as Array<[number, number]>;
}
