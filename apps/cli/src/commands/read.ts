import { BioReader } from '@bfio/core';
import { writeNpy } from '../npy.js';
import { OutputError } from '../output-error.js';
import { parseIntFlag, parseList, parseRange, UsageError } from '../usage-error.js';

export const READ_HELP = `bfio read FILE --out REGION.npy [--series N] [--level N] [--x a:b] [--y a:b] [--z a:b] [--c i,j] [--t i,j]

Reads a region and saves it as a NumPy .npy file of shape (Y, X, Z, C, T), always 5-D, in the file's
dtype, so that numpy.load(REGION.npy) gives exactly the pixels bfio read.

  --x a:b, --y a:b, --z a:b   half-open ranges (either end may be omitted; default: the whole axis)
  --c i,j,..  --t i,j,..      channel / timepoint index lists (or a range a:b; default: all)
  --series N, --level N       which image and resolution level (default 0, 0)
  --backend NAME              force a backend (tiff, zarr, bioformats)
  --strict                    a chunk or tile missing from the file is an error (default: it reads as the
                              fill value, as the formats prescribe)

Example:
  bfio read image.ome.tif --out tile.npy --x 0:512 --y 0:512 --c 0,2`;

export interface ReadFlags {
  out?: string;
  series?: string;
  level?: string;
  x?: string;
  y?: string;
  z?: string;
  c?: string;
  t?: string;
  backend?: string;
  strict?: boolean;
}

export async function read(file: string, flags: ReadFlags, print: (s: string) => void): Promise<void> {
  if (!flags.out) throw new UsageError('bfio read needs --out REGION.npy');
  await using br = await BioReader.open(file, {
    backend: flags.backend,
    series: parseIntFlag('series', flags.series),
    level: parseIntFlag('level', flags.level),
    strict: flags.strict === true,
  });
  const region = await br.read(
    {
      X: parseRange('x', flags.x, br.X),
      Y: parseRange('y', flags.y, br.Y),
      Z: parseRange('z', flags.z, br.Z),
      C: parseList('c', flags.c, br.C),
      T: parseList('t', flags.t, br.T),
    },
    { squeeze: false },
  );
  try {
    await writeNpy(flags.out, region);
  } catch (err) {
    throw OutputError.wrap(err, flags.out);
  }
  print(`wrote ${flags.out}: shape (${region.shape.join(', ')}) ${region.dtype}`);
}
