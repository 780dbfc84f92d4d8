import { writeFile } from 'node:fs/promises';
import { tiffReferences } from '@bfio/tiff';
import { OutputError } from '../output-error.js';
import { parseIntFlag } from '../usage-error.js';

export const REFS_HELP = `bfio refs FILE.ome.tif [-o refs.json] [--series N] [--url BASE]

Writes a kerchunk / fsspec ReferenceFileSystem (version 1) JSON that presents the TIFF as an OME-Zarr 0.4
group (Zarr v2) whose chunks are references to the TIFF's own tiles or strips: zarr-python over fsspec
then reads the TIFF in place, without a copy. Compression and predictor become the arrays' codecs
(Deflate: zlib; LZW, PackBits, zstd and predictors: imagecodecs, so readers call
imagecodecs.numcodecs.register_codecs() first).

Refused, with the reason, where Zarr cannot describe the layout: JPEG (JPEGTables), interleaved samples
(RGB stored y, x, sample), packed bit depths (1-bit, 12-bit), YCbCr, FillOrder 2, planes that differ.

  -o, --out FILE  write the JSON here (default: standard output)
  --series N      the series to describe (default 0)
  --url BASE      where readers find the TIFF (a URL or directory replacing the file's directory in every
                  reference; default: the file's absolute path)

Example:
  bfio refs image.ome.tif -o image.json
  python -c "import fsspec, zarr; fs = fsspec.filesystem('reference', fo='image.json'); \\
             print(zarr.open_group(fs.get_mapper(), mode='r', zarr_format=2)['0'].shape)"`;

export interface RefsFlags {
  out?: string;
  series?: string;
  url?: string;
}

export async function refs(file: string, flags: RefsFlags, print: (s: string) => void): Promise<void> {
  const series = parseIntFlag('series', flags.series);
  const fs = await tiffReferences(file, { series, url: flags.url });
  const json = JSON.stringify(fs);
  if (!flags.out) {
    print(json);
    return;
  }
  try {
    await writeFile(flags.out, `${json}\n`);
  } catch (err) {
    throw OutputError.wrap(err, flags.out);
  }
  const chunks = Object.keys(fs.refs).filter((k) => !/(^|\/)\.z(group|attrs|array)$/.test(k)).length;
  print(`wrote ${flags.out}: ${chunks} chunk references`);
}
