/**
 * A codec worker on Node (worker_threads), started by the pool (pool/worker-pool.ts). Plain ESM: it loads the
 * same way from the sources (under tsx/vitest) and from dist, with no TypeScript loader; it imports codec code
 * only — never the Java addon, which crashes inside worker_threads.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { codecs } from '../table.node.mjs';
import { nodeIo } from './io-node.mjs';
import { addModules, reply } from './reply.mjs';

const table = { ...codecs };
await addModules(table, workerData?.modules);

/**
 * Shared memory a task placed pixels into (a read's result) is freed only once every thread that got a handle
 * to it has collected that handle, and this thread allocates too little for its collector ever to run: 64
 * reads of 32 MiB blocks kept all 2 GiB resident. So after every `RELEASE_AFTER` bytes of new shared targets
 * this thread collects (a small heap: about a millisecond).
 */
const RELEASE_AFTER = 256 * 2 ** 20;
let gc;
let targetBytes = 0;

function collector() {
  if (gc === undefined) {
    gc = globalThis.gc ?? null;
    if (!gc) {
      try {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc');
      } catch {
        gc = null;
      }
    }
  }
  return gc;
}

/**
 * Counts the shared memory `task` writes (its decoded size, not the target's: every message brings a new
 * SharedArrayBuffer object even for the same target, so counting targets collected after every block — 1,024
 * full collections per 16384² read of 16-row strips, 4× its time); true when enough is counted to collect.
 */
function countTarget(task) {
  const buffer = (task.params?.place ?? task.params?.scatter)?.target?.buffer;
  if (typeof SharedArrayBuffer === 'undefined' || !(buffer instanceof SharedArrayBuffer)) return false;
  const size = task.params?.outputSize;
  targetBytes += Math.min(buffer.byteLength, size > 0 ? size : buffer.byteLength);
  if (targetBytes < RELEASE_AFTER) return false;
  targetBytes = 0;
  return true;
}

/** A collection is due: the tasks counted so far are done (and their handles garbage once their handlers return). */
let due = false;
function collectIfDue() {
  if (!due) return;
  due = false;
  collector()?.();
}

parentPort.on('message', async (task) => {
  const release = countTarget(task);
  // A task queued behind this one (RunOptions.queued) starts in the same turn of the event loop, before any
  // immediate could run: it collects first (by then the handlers of the tasks before it have returned), so a
  // worker kept busy with placed reads still lets their dropped results go.
  await reply(table, nodeIo, task, (msg, transfer) => parentPort.postMessage(msg, transfer), collectIfDue);
  if (!release) return;
  due = true;
  // An idle worker collects after this handler has returned: its task (and target) is garbage by then.
  setImmediate(collectIfDue);
});
