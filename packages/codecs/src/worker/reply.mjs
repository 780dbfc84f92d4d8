/**
 * The message loop shared by the Node and the browser worker: run the task, answer with the output (its
 * buffer moved, never copied) and, when asked, the caller's input buffer back so it can be reused.
 *
 * Protocol: { id, codec, input, params, spare?, returnInput? } in; { id, output, input? } or { id, error } out.
 */
import { runTask } from '../run-task.mjs';

/** Registers extra codec modules (plain ESM files exporting `codecs`) into `table`. */
export async function addModules(table, urls) {
  for (const url of urls ?? []) {
    const mod = await import(url);
    Object.assign(table, mod.codecs ?? {});
  }
}

/** The tasks of this worker that do not fetch, one after another (see `reply`). */
let running = Promise.resolve();

/**
 * Runs one message's task; calls `post(message, transferList)` once, and `beforeRun()` when its turn comes. The pool may queue a task behind
 * another on a busy worker (RunOptions.queued), so a worker never waits for its next task's round trip
 * through a busy main thread; such tasks run one at a time, since an asynchronous codec would otherwise
 * let the next one into this thread's scratch buffers. Fetching tasks take their turns in run-task.mjs.
 */
export function reply(table, io, task, post, beforeRun) {
  if (task.params?.fetch) return replyNow(table, io, task, post);
  const run = running.then(() => {
    beforeRun?.();
    return replyNow(table, io, task, post);
  });
  running = run.catch(() => {});
  return run;
}

async function replyNow(table, io, task, post) {
  const { id, params, returnInput } = task;
  try {
    const output = await runTask(table, io, task);
    const input = task.input;
    if (
      returnInput &&
      !params?.read &&
      !params?.file &&
      input?.buffer?.byteLength > 0 &&
      input.buffer !== output.buffer
    ) {
      post({ id, output, input }, movable(output.buffer, input.buffer));
      return;
    }
    post({ id, output }, movable(output.buffer));
  } catch (err) {
    post(
      {
        id,
        error: {
          name: err?.name ?? 'Error',
          message: String(err?.message ?? err),
          code: err?.code,
          stage: err?.stage,
        },
      },
      [],
    );
  }
}

/**
 * The buffers of a reply that move to the caller: ArrayBuffers with bytes. Shared memory (a writer's recycled
 * tile and output buffers) is posted as it is: both threads already see it, and a SharedArrayBuffer in a
 * transfer list is an error.
 */
function movable(...buffers) {
  return buffers.filter((b) => b instanceof ArrayBuffer && b.byteLength > 0);
}
