/**
 * Watching the tasks a test's reads and writes hand to @bfio/codecs' shared worker pool: which codec, and what
 * the task asked of the worker (a chunk file to write, frames of a shard run to place...), to check that a
 * path really went to the workers the way it claims.
 */
import { ChunkLane, type CodecParams, type LaneJob, sharedWorkerPool } from '@bfio/codecs';

/**
 * Calls `see` with every task given to the shared pool while `fn` runs, and with every chunk read on
 * @bfio/codecs' ChunkLane (its own threads) as the worker task it replaces (`lane: true`, the chain's `file`
 * source and `place` sink); the pool and the lane are restored afterwards.
 */
export async function watchPoolTasks<T>(
  see: (codec: string, input: Uint8Array, params: CodecParams | undefined, lane?: boolean) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const pool = sharedWorkerPool();
  const run = pool.run.bind(pool);
  pool.run = (codec, input, params, ...rest) => {
    see(codec, input, params);
    return run(codec, input, params, ...rest);
  };
  const laneRun = ChunkLane.prototype.run;
  ChunkLane.prototype.run = function (this: ChunkLane, job: LaneJob) {
    see(...laneTask(job), true);
    return laneRun.call(this, job);
  };
  try {
    return await fn();
  } finally {
    pool.run = run;
    ChunkLane.prototype.run = laneRun;
  }
}

/** A lane job as the worker task it stands for: codec, input, params. */
export function laneTask(job: LaneJob): [string, Uint8Array, CodecParams] {
  const params: CodecParams = { outputSize: job.size, exact: true };
  if (job.path) params.file = { path: job.path, range: job.range as [number, number] | undefined };
  if (job.place) params.place = job.place;
  return [job.codec === 'zstd' ? 'zstd-decode' : 'raw', job.input ?? new Uint8Array(0), params];
}
