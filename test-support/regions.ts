/** Regions tests ask for often (structural types: test-support does not depend on the packages). */

interface Sizes {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
}

/** Every pixel of a level: all of X, Y and Z, every channel and time point (a @bfio/core Region). */
export function wholeLevel(l: Sizes): {
  x: [number, number];
  y: [number, number];
  z: [number, number];
  c: number[];
  t: number[];
} {
  return {
    x: [0, l.sizeX],
    y: [0, l.sizeY],
    z: [0, l.sizeZ],
    c: [...Array(l.sizeC).keys()],
    t: [...Array(l.sizeT).keys()],
  };
}

/** The part of a @bfio/core ReaderBackend that `readerSummary` uses. */
interface SummaryReader {
  series: readonly { dtype: string; levels: readonly Sizes[] }[];
  metadata: {
    images: readonly { name?: string; pixels: { physicalSizeX?: unknown; channels: unknown[] } }[];
  };
  readRegion(
    selection: { series: number; level: number },
    region: ReturnType<typeof wholeLevel>,
    out: never,
  ): Promise<void>;
}

/**
 * What a reader says about its images, for comparing two ways of reading the same data: per series and
 * level the dtype, T,C,Z,Y,X shape and a checksum of every pixel; then each image's name, physical X size
 * and channel count.
 */
export async function readerSummary(
  reader: SummaryReader,
  /** @bfio/core's `allocate` (test-support does not import the packages). */
  allocate: (dtype: never, length: number) => ArrayBufferView,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [s, series] of reader.series.entries()) {
    for (const [k, l] of series.levels.entries()) {
      const region = wholeLevel(l);
      const n = l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT;
      const data = allocate(series.dtype as never, n);
      await reader.readRegion({ series: s, level: k }, region, data as never);
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      let sum = 0;
      for (let i = 0; i < bytes.length; i++) sum = (sum * 31 + (bytes[i] as number)) >>> 0;
      out.push({ s, k, dtype: series.dtype, shape: [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX], sum });
    }
  }
  out.push(reader.metadata.images.map((i) => [i.name, i.pixels.physicalSizeX, i.pixels.channels.length]));
  return out;
}
