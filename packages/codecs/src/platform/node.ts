/**
 * The Node side of @bfio/codecs (chosen by package.json `imports` "#platform"): worker_threads workers that
 * run worker/node-worker.mjs, the core count, and the Node codec table for work on this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { zlibAsync } from '../codecs/zlib-node.mjs';
import { codecs, implementation } from '../table.node.mjs';
import { nodeIo } from '../worker/io-node.mjs';
import type { CodecTable, PlatformWorker } from './types.js';

export const platformName = 'node';

/**
 * The worker's entry: src/worker/ beside this file's folder in the sources; in dist the build copies the
 * plain-ESM tree beside the bundle (dist/worker/), where this code runs from dist/index.js.
 */
const WORKER_URL = [
  new URL('../worker/node-worker.mjs', import.meta.url),
  new URL('./worker/node-worker.mjs', import.meta.url),
].find((url) => existsSync(url)) as URL;

/** Logical cores this process may use. */
export function availableLanes(): number {
  return availableParallelism();
}

/** A worker thread with this package's codecs and the extra `modules`. */
export function spawnWorker(modules: string[]): PlatformWorker {
  const worker = new Worker(WORKER_URL, {
    workerData: { modules },
    // No TypeScript loader and no inherited flags: the worker is plain ESM with codec code only.
    execArgv: [],
    name: 'bfio-codec',
  });
  return {
    post: (msg, transfer) => worker.postMessage(msg, transfer as never),
    onMessage: (fn) => worker.on('message', fn),
    onError: (fn) => worker.on('error', fn),
    onExit: (fn) => worker.on('exit', fn),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The codec table of this thread: the workers' functions, except the Deflate family, which runs on libuv's
 * thread pool here (node:zlib's async calls) so that decoding without a pool never blocks the event loop.
 * libdeflate is kept for the workers: a main-thread Deflate write is the rare path.
 */
export const table: CodecTable = {
  ...(codecs as CodecTable),
  ...Object.fromEntries(
    ['inflate', 'inflate-raw', 'gunzip', 'deflate', 'deflate-raw', 'gzip'].map((k) => [k, zlibAsync(k)]),
  ),
};

export { implementation };

/** Sources and sinks of tasks run on this thread (see run-task.mjs). */
export const io = nodeIo;

/** The chunk lane's addon (native-lane/, threads of its own), or undefined when it is not built or is off. */
export { libLane as laneAddon } from '../codecs/native-addons.mjs';
