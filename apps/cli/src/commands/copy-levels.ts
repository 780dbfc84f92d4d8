/**
 * `--use-existing-resolutions` (bioformats2raw/raw2ometiff's reuse of a source pyramid): the source's own
 * levels after the first are copied tile by tile into the writer's given levels (`CreateOptions.levelSizes`)
 * instead of being recomputed from level 0, so an SVS or pyramidal OME-TIFF keeps the levels its scanner or
 * converter made.
 */
import type { BioReader, BioWriter } from '@bfio/core';
import { UsageError } from '../usage-error.js';

/** The source levels' sizes [X, Y] after level 0, checked to be copyable; [] when the source has one level. */
export function sourceLevelSizes(
  br: BioReader,
  flags: { crop?: string; resolutions?: string; pyramid?: string; wipp?: boolean; parts: boolean },
): Array<[number, number]> {
  const levels = br.levels;
  if (flags.resolutions !== undefined || flags.pyramid !== undefined)
    throw new UsageError(
      '--use-existing-resolutions takes the levels the source has; drop --resolutions/--pyramid (or the flag)',
    );
  if (flags.wipp) throw new UsageError('--wipp files have no pyramid; drop --use-existing-resolutions');
  if (flags.parts)
    throw new UsageError('--use-existing-resolutions converts in one process; drop --part/--plan/--resume');
  if (levels.length > 1 && flags.crop)
    throw new UsageError('--use-existing-resolutions copies whole levels; drop --crop (or the flag)');
  const full = levels[0]!;
  for (const l of levels.slice(1))
    if (l.sizeZ !== full.sizeZ || l.sizeC !== full.sizeC || l.sizeT !== full.sizeT)
      throw new UsageError(
        `--use-existing-resolutions: a level of ${br.path} (${l.sizeX}×${l.sizeY}, Z=${l.sizeZ} C=${l.sizeC} T=${l.sizeT}) is not a reduction of the full image in X/Y only; drop the flag to recompute the levels`,
      );
  return levels.slice(1).map((l) => [l.sizeX, l.sizeY]);
}

/**
 * Copies source levels 1.. into the writer, each read from that level of the source in tiles of `tile`
 * pixels (bounded memory), the Z range and C/T lists of the selection kept. Leaves the reader at level 0.
 */
export async function copyGivenLevels(
  br: BioReader,
  bw: BioWriter,
  sel: { Z: [number, number]; C: number[]; T: number[] },
  tile: number,
): Promise<{ tiles: number; bytes: number }> {
  let tiles = 0;
  let bytes = 0;
  try {
    for (let k = 1; k < br.levelCount; k++) {
      br.level = k;
      const { sizeX, sizeY } = br.levels[k]!;
      for (let t = 0; t < sel.T.length; t++)
        for (let c = 0; c < sel.C.length; c++)
          for (let z = sel.Z[0]; z < sel.Z[1]; z++)
            for (let y = 0; y < sizeY; y += tile)
              for (let x = 0; x < sizeX; x += tile) {
                const data = await br.read(
                  {
                    X: [x, Math.min(x + tile, sizeX)],
                    Y: [y, Math.min(y + tile, sizeY)],
                    Z: z,
                    C: [sel.C[c]!],
                    T: [sel.T[t]!],
                  },
                  { squeeze: false },
                );
                await bw.write(data, { X: x, Y: y, Z: z - sel.Z[0], C: [c], T: [t], level: k });
                tiles++;
                bytes += data.data.byteLength;
              }
    }
  } finally {
    br.level = 0;
  }
  return { tiles, bytes };
}
