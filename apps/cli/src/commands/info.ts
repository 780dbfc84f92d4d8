import { BioReader } from '@bfio/core';
import { buildOmeXml } from '@bfio/ome-xml';
import { parseIntFlag } from '../usage-error.js';

export const INFO_HELP = `bfio info FILE [--series N] [--json] [--omexml] [--backend NAME]

Prints what FILE holds: format, backend, series count, resolution levels, sizes X Y Z C T, dtype,
physical sizes with units, channel names, tile layout.

  --series N     describe series N (default 0)
  --json         one JSON object (keys: format, backend, series, seriesIndex, levels, levelShapes, X, Y, Z,
                 C, T, dtype, channelNames, physicalSize, tileSize, details)
  --omexml       print the OME-XML metadata instead
  --backend NAME force a backend (tiff, zarr, bioformats)

Examples:
  bfio info image.ome.tif
  bfio info slide.svs --series 1 --json`;

export interface InfoFlags {
  series?: string;
  json?: boolean;
  omexml?: boolean;
  backend?: string;
}

export async function info(file: string, flags: InfoFlags, print: (s: string) => void): Promise<void> {
  const series = parseIntFlag('series', flags.series) ?? 0;
  await using br = await BioReader.open(file, { backend: flags.backend, series });
  if (flags.omexml) {
    print(buildOmeXml(br.metadata));
    return;
  }
  const q = (v: { value: number; unit: string } | undefined) => (v ? { value: v.value, unit: v.unit } : null);
  const summary = {
    file: br.path,
    format: br.format,
    backend: br.backendName,
    series: br.seriesCount,
    seriesIndex: br.series,
    levels: br.levelCount,
    levelShapes: br.levels.map((l) => ({ X: l.sizeX, Y: l.sizeY, Z: l.sizeZ, C: l.sizeC, T: l.sizeT })),
    X: br.X,
    Y: br.Y,
    Z: br.Z,
    C: br.C,
    T: br.T,
    dtype: br.dtype,
    channelNames: br.channelNames,
    physicalSize: { x: q(br.physicalSizeX), y: q(br.physicalSizeY), z: q(br.physicalSizeZ) },
    tileSize: br.tileSize ?? null,
    details: br.details,
  };
  if (flags.json) {
    print(JSON.stringify(summary));
    return;
  }
  const ps = (v: { value: number; unit: string } | null) => (v ? `${v.value} ${v.unit}` : '-');
  print(
    [
      `file       ${summary.file}`,
      `format     ${summary.format} (backend: ${summary.backend})`,
      `series     ${summary.seriesIndex + 1} of ${summary.series}`,
      `levels     ${summary.levelShapes.map((l) => `${l.X}x${l.Y}`).join(', ')}`,
      `size       X=${br.X} Y=${br.Y} Z=${br.Z} C=${br.C} T=${br.T}`,
      `dtype      ${br.dtype}`,
      `pixel size x=${ps(summary.physicalSize.x)} y=${ps(summary.physicalSize.y)} z=${ps(summary.physicalSize.z)}`,
      `channels   ${summary.channelNames.map((n, i) => n || `#${i}`).join(', ')}`,
      `tiles      ${summary.tileSize ? `${summary.tileSize[1]}x${summary.tileSize[0]}` : '-'}`,
      ...Object.entries(summary.details).map(
        ([k, v]) => `${k.padEnd(10)} ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      ),
    ].join('\n'),
  );
}
