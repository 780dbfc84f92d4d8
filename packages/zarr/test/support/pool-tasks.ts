/**
 * Watching the tasks a test's reads and writes hand to @bfio/codecs' shared worker pool: which codec, and what
 * the task asked of the worker (a chunk file to write, frames of a shard run to place...), to check that a
 * path really went to the workers the way it claims.
 */
import { type CodecParams, sharedWorkerPool } from '@bfio/codecs';

/** Calls `see` with every task given to the shared pool while `fn` runs; the pool is restored afterwards. */
export async function watchPoolTasks<T>(
  see: (codec: string, input: Uint8Array, params: CodecParams | undefined) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const pool = sharedWorkerPool();
  const run = pool.run.bind(pool);
  pool.run = (codec, input, params, ...rest) => {
    see(codec, input, params);
    return run(codec, input, params, ...rest);
  };
  try {
    return await fn();
  } finally {
    pool.run = run;
  }
}
