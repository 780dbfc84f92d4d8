/**
 * The write-then-read drivers the format property tests share: a case is written by the test's own
 * function, read back whole level by level (checking dtype, level count, sizes and tiles), compared with
 * what was written, and kept for the peer check and the region property. Structural types only:
 * test-support does not import the packages (the tests pass BioReader.open in).
 */
import fc from 'fast-check';
import {
  type Extent5,
  expectRegion,
  extentOf,
  firstDifference,
  type LevelReader,
  type Pixels,
  type PixelType,
  readHowArb,
  regionArb,
  runWrites,
  type Shape5,
  type WriteBlock,
  type WritePlanSpec,
  writeData,
} from './property.js';

/** What every format's case has. */
export interface CaseBase {
  sizes: Extent5;
  dtype: PixelType;
  pyramidLevels: number;
  /** Names of channels 0, 1, 2 (the first C are written), or none. */
  channelNames: string[] | undefined;
}

/** A case written and read back: level 0 as written (skipped blocks zeroed) and our full read of each level. */
export interface WrittenCase<S> {
  spec: S;
  path: string;
  expected: Pixels;
  levels: Pixels[];
}

export interface Format<S extends CaseBase> {
  /** File name ending: '.ome.tif', '.ome.zarr'. */
  extension: string;
  /** Writes the case at `path`; returns what a reader must see at level 0. */
  write(spec: S, path: string): Promise<Pixels>;
  /** Opens a written case for reading (with the reader options the case asks for). */
  open(path: string, spec: S): Promise<OpenedReader>;
  /** Sizes of level k. */
  levelExtent(spec: S, k: number): Extent5;
  /** Tile or chunk size (Y, X) of level k as the reader must report it; undefined: not checked. */
  tile(spec: S, k: number): [number, number] | undefined;
}

export type OpenedReader = LevelReader & {
  readonly dtype: string;
  readonly channelNames: string[];
  close(): Promise<void>;
};

export const shapeOf = (e: Extent5): Shape5 => [e.sizeT, e.sizeC, e.sizeZ, e.sizeY, e.sizeX];

/** Reads every level of `path` whole; throws naming each way the image is not the one `spec` asked for. */
export async function readCheckedLevels<S extends CaseBase>(
  format: Format<S>,
  spec: S,
  path: string,
): Promise<Pixels[]> {
  const br = await format.open(path, spec);
  try {
    const problems: string[] = [];
    if (br.dtype !== spec.dtype) problems.push(`dtype ${br.dtype}, want ${spec.dtype}`);
    if (br.levelCount !== spec.pyramidLevels + 1)
      problems.push(`${br.levelCount} levels, want ${spec.pyramidLevels + 1}`);
    const names = spec.channelNames?.slice(0, spec.sizes.sizeC);
    if (names && JSON.stringify(br.channelNames) !== JSON.stringify(names))
      problems.push(`channel names ${JSON.stringify(br.channelNames)}, want ${JSON.stringify(names)}`);
    const levels: Pixels[] = [];
    for (let k = 0; k < br.levelCount; k++) {
      br.level = k;
      const want = JSON.stringify(format.levelExtent(spec, k));
      const got = JSON.stringify(extentOf(br));
      if (got !== want) problems.push(`level ${k} is ${got}, want ${want}`);
      const tile = format.tile(spec, k);
      if (tile && JSON.stringify(br.tileSize) !== JSON.stringify(tile))
        problems.push(`level ${k} tiles ${br.tileSize}, want ${tile}`);
      levels.push((await br.read({}, { squeeze: false })).data as Pixels);
    }
    if (problems.length) throw new Error(problems.join('; '));
    return levels;
  } finally {
    await br.close();
  }
}

/** Writes `spec` at `path`, reads it back, and throws unless level 0 is what was written. */
export async function writeAndRead<S extends CaseBase>(
  format: Format<S>,
  spec: S,
  path: string,
): Promise<WrittenCase<S>> {
  const expected = await format.write(spec, path);
  const levels = await readCheckedLevels(format, spec, path);
  const diff = firstDifference(levels[0]!, expected, shapeOf(spec.sizes));
  if (diff) throw new Error(`level 0 differs from what was written: ${diff}`);
  return { spec, path, expected, levels };
}

/**
 * The property "written by our writer, read back by our reader, equal" over `runs` cases of `arb` (seed
 * fixed): each case that holds is appended to `written` (for the peer check and the region property).
 */
export async function writeReadProperty<S extends CaseBase>(
  format: Format<S>,
  arb: fc.Arbitrary<S>,
  options: { dir: string; seed: number; runs: number; written: WrittenCase<S>[] },
): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (spec) => {
      const path = `${options.dir}/case-${n++}${format.extension}`;
      options.written.push(await writeAndRead(format, spec, path));
    }),
    { seed: options.seed, numRuns: options.runs },
  );
}

/** Random regions of random levels of the written cases equal the slices of their full reads. */
export async function writtenRegionsProperty<S extends CaseBase>(
  format: Format<S>,
  written: WrittenCase<S>[],
  options: { seed: number; runs: number },
): Promise<void> {
  const readers = new Map<string, OpenedReader>();
  try {
    const arb = fc.integer({ min: 0, max: written.length - 1 }).chain((i) =>
      fc.integer({ min: 0, max: written[i]!.levels.length - 1 }).chain((k) => {
        const { spec } = written[i]!;
        return fc
          .tuple(regionArb(format.levelExtent(spec, k), format.tile(spec, k)), readHowArb)
          .map(([region, how]) => ({ i, k, region, how }));
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ i, k, region, how }) => {
        const w = written[i]!;
        let br = readers.get(w.path);
        if (!br) {
          br = await format.open(w.path, w.spec);
          readers.set(w.path, br);
        }
        br.level = k;
        await expectRegion(
          br,
          w.levels[k]!,
          format.levelExtent(w.spec, k),
          region,
          `${w.path} level ${k}`,
          how,
        );
      }),
      { seed: options.seed, numRuns: options.runs },
    );
  } finally {
    for (const br of readers.values()) await br.close();
  }
}

/** The part of a @bfio/core BioWriter the drivers use. */
export interface BlockWriter {
  write(data: never, at: WriteBlock['at']): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Performs a plan's writes (planar blocks as `NDArray`s made by `ndarray`, C-order ones as `{ data, shape }`),
 * then closes; on failure aborts (no half-written file left) and rethrows.
 */
export async function writeBlocks(
  bw: BlockWriter,
  blocks: WriteBlock[],
  plan: WritePlanSpec,
  ndarray: (data: Pixels, shape: number[], strides: number[]) => unknown,
): Promise<void> {
  try {
    await runWrites(blocks, plan.concurrent, (b) => {
      const d = writeData(b, plan.layout);
      return bw.write((d.strides ? ndarray(d.data, d.shape, d.strides) : d) as never, b.at);
    });
    await bw.close();
  } catch (err) {
    await bw.abort();
    throw err;
  }
}
