/**
 * `bfio convert … --part i/N | --plan N | --resume` and `bfio finalize OUT`: one OME-Zarr conversion split
 * over many tasks (a Slurm job array, a Kubernetes Indexed Job, …). Every task computes the same plan from
 * the same input and options; task i writes only the objects of its blocks; `finalize` checks that all
 * are there, builds what no part could, and writes the metadata that makes the store an image.
 */
import {
  allocate,
  type BioReader,
  type DownsampleMode,
  type DType,
  isBfioError,
  type TypedArray,
} from '@bfio/core';
import type { Region } from '@bfio/core/backend';
import type { OME } from '@bfio/ome-xml';
import { OutputError } from '../output-error.js';
import { Progress } from '../progress.js';
import { parseIntFlag, UsageError } from '../usage-error.js';

export const FINALIZE_HELP = `bfio finalize OUT [--max-workers N] [--json]

Completes an OME-Zarr written in parts ('bfio convert IN OUT --part i/N'): checks that every chunk or shard
of every part is present (naming the parts to re-run when not), builds the pyramid levels no part could
own, then writes the metadata (arrays, OME/METADATA.ome.xml, the group last). Until then OUT does not read
as an image. OUT may be a local folder or s3://bucket/key.ome.zarr.

Example:
  for i in 0 1 2 3; do bfio convert big.ome.tif s3://lab/big.ome.zarr --pyramid 4 --part $i/4; done
  bfio finalize s3://lab/big.ome.zarr`;

export interface PartFlags {
  part?: string;
  plan?: string;
  resume?: boolean;
  level?: string;
  json?: boolean;
  'max-workers'?: string;
}

/** The selection of the source that the output holds (output index i of C/T is source C[i]/T[i]). */
export interface Selection {
  X: [number, number];
  Y: [number, number];
  Z: [number, number];
  C: number[];
  T: number[];
}

export interface PartWriterOptions {
  tileSize: number;
  compression?: string;
  pyramidLevels: number;
  compressionLevel?: number;
  downsample?: DownsampleMode;
  fillValue?: number;
  ngffVersion?: string;
  shards?: [number, number, number, number, number];
  maxWorkers?: number;
}

/** Whether these flags ask for the parts path. */
export const wantsParts = (flags: PartFlags): boolean =>
  flags.part !== undefined || flags.plan !== undefined || flags.resume === true;

function parsePart(text: string): { i: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const i = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || i >= n)
    throw new UsageError(`--part takes i/N with 0 <= i < N (e.g. 3/8), got '${text}'`);
  return { i, n };
}

export async function convertInParts(
  br: BioReader,
  selection: Selection,
  metadata: OME,
  dtype: DType,
  output: string,
  writer: PartWriterOptions,
  flags: PartFlags,
  print: (s: string) => void,
): Promise<void> {
  const zarr = await import('@bfio/zarr');
  if (!/\.zarr\/?$/i.test(output))
    throw new UsageError(
      `--part/--plan/--resume write OME-Zarr (OUT ending .ome.zarr): a TIFF is one file whose offsets are known only at its end, so it cannot be written by many tasks; convert to OME-Zarr in parts, then 'bfio convert OUT.ome.zarr OUT.ome.tif' if a TIFF is needed`,
    );
  const compression = writer.compression ?? 'zstd';
  if (compression !== 'zstd' && compression !== 'none')
    throw new UsageError(`parts are written with --compression zstd or none, got '${compression}'`);
  let layout: ReturnType<typeof zarr.storeLayout>;
  try {
    layout = zarr.storeLayout(output, metadata, dtype, {
      tileSize: writer.tileSize,
      compression,
      pyramidLevels: writer.pyramidLevels,
      compressionLevel: writer.compressionLevel,
      downsample: writer.downsample,
      fillValue: writer.fillValue,
      ngffVersion: writer.ngffVersion as '0.4' | '0.5' | undefined,
      shards: writer.shards,
    });
  } catch (err) {
    throw OutputError.wrap(err, output);
  }
  const started = Date.now();

  if (flags.plan !== undefined) {
    const n = parseIntFlag('plan', flags.plan);
    if (!n) throw new UsageError(`--plan takes the number of parts N >= 1, got '${flags.plan}'`);
    const plan = zarr.planParts(layout, dtype, n);
    print(
      JSON.stringify({
        input: br.path,
        output,
        parts: n,
        levels: plan.levels,
        ownedLevels: plan.owned,
        block: { T: plan.block[0], C: plan.block[1], Z: plan.block[2], Y: plan.block[3], X: plan.block[4] },
        blocks: plan.blocks,
        plan: Array.from({ length: n }, (_, i) => zarr.summarizePart(plan, i)),
      }),
    );
    return;
  }

  const { i, n } = flags.part ? parsePart(flags.part) : { i: 0, n: 1 };
  const maxWorkers = writer.maxWorkers;
  const progress = new Progress(process.stderr, `part ${i}/${n}`);
  const onProgress = (p: { blocksDone: number; blocksTotal: number; bytes: number }) =>
    progress.update(p.blocksDone, p.blocksTotal, p.bytes);

  if (flags.level !== undefined) {
    // Levels no part could own, split over tasks too: level L from level L−1 already in the store.
    const level = parseIntFlag('level', flags.level);
    const recorded = await zarr.readPlan(output).catch((err) => {
      throw OutputError.wrap(err, output);
    });
    if (level === undefined || level < 1 || level >= recorded.levels)
      throw new UsageError(`--level takes a pyramid level 1…${recorded.levels - 1}, got '${flags.level}'`);
    const sub = zarr.levelPlan(recorded, level - 1, n);
    try {
      await zarr.buildLevels(output, sub, i, { resume: flags.resume, maxWorkers, onProgress });
    } catch (err) {
      throw OutputError.wrap(err, output);
    } finally {
      progress.done();
    }
    const wrote = Array.from({ length: sub.owned - 1 }, (_, k) => level + k);
    print(
      flags.json
        ? JSON.stringify({ output, part: i, parts: n, levels: wrote, seconds: (Date.now() - started) / 1000 })
        : `part ${i}/${n}: wrote level${wrote.length > 1 ? 's' : ''} ${wrote.join(', ')} of ${output}`,
    );
    return;
  }

  const plan = zarr.planParts(layout, dtype, n);
  // Reads of the source: a failure there is an input error (exit 2), anything else an output error.
  let inputFailure: unknown;
  const source = async (origin: number[], extent: number[]): Promise<TypedArray> => {
    const [t0, c0, z0, y0, x0] = origin as [number, number, number, number, number];
    const [nt, nc, nz, ny, nx] = extent as [number, number, number, number, number];
    const region: Region = {
      x: [selection.X[0] + x0, selection.X[0] + x0 + nx],
      y: [selection.Y[0] + y0, selection.Y[0] + y0 + ny],
      z: [selection.Z[0] + z0, selection.Z[0] + z0 + nz],
      c: selection.C.slice(c0, c0 + nc),
      t: selection.T.slice(t0, t0 + nt),
    };
    const out = allocate(dtype, nt * nc * nz * ny * nx);
    try {
      await br.readRegion(region, { out });
    } catch (err) {
      inputFailure ??= err;
      throw err;
    }
    return out;
  };
  let result: Awaited<ReturnType<typeof zarr.runPart>>;
  try {
    await zarr.recordPlan(output, plan);
    result = await zarr.runPart(output, plan, i, source, metadata, {
      resume: flags.resume,
      maxWorkers,
      onProgress,
    });
    // A resumable conversion in one process finishes the store itself.
    if (!flags.part) await zarr.finalizeStore(output, { maxWorkers });
  } catch (err) {
    if (err === inputFailure || (isBfioError(err) && err.file === br.path)) throw err;
    throw OutputError.wrap(err, output);
  } finally {
    progress.done();
  }
  const seconds = (Date.now() - started) / 1000;
  const summary = { input: br.path, output, parts: n, ...result, seconds };
  print(
    flags.json
      ? JSON.stringify(summary)
      : `${flags.part ? `part ${i}/${n}` : 'resumed'}: ${result.blocks} block(s) of ${output}, ${result.skipped} already complete, ${(result.bytes / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(1)} s${flags.part ? `; run 'bfio finalize ${output}' once every part is done` : ''}`,
  );
}

export async function finalize(
  output: string,
  flags: { 'max-workers'?: string; json?: boolean },
  print: (s: string) => void,
): Promise<void> {
  const zarr = await import('@bfio/zarr');
  const maxWorkers = parseIntFlag('max-workers', flags['max-workers']);
  const started = Date.now();
  let result: Awaited<ReturnType<typeof zarr.finalizeStore>>;
  try {
    result = await zarr.finalizeStore(output, { maxWorkers });
  } catch (err) {
    throw OutputError.wrap(err, output);
  }
  const seconds = (Date.now() - started) / 1000;
  print(
    flags.json
      ? JSON.stringify({ output, ...result, seconds })
      : `finalized ${output}: ${result.levels} level(s), ${result.objects} objects${result.built.length ? `, built level(s) ${result.built.join(', ')}` : ''} in ${seconds.toFixed(1)} s`,
  );
}
