/**
 * One codec task, the same on every platform and on every thread: where the input comes from, the codec,
 * the filters, and where the result goes. A task is `{ codec, input, params, spare? }`; the steps, in order:
 *
 * 1. source — `params.read` { fd, position, length }: bytes of an open file descriptor of this process;
 *    `params.file` { path, range?: [offset, length] }: a file or part of it (a missing file fails with code
 *    'ENOENT'/'ENOTDIR'); `params.fetch` { url, offset?, length?, timeoutMs? }: an HTTP range, or the whole
 *    object without `length` (worker/fetch-range.mjs). Else the task's input.
 * 2. prefilter (encoders) — `params.predict` { size, rowLength, stride }: horizontal differencing in place.
 * 3. the codec from the table (`codec`), into `spare` when it can decode in place.
 * 4. size — `params.outputSize` with `params.exact`: the result must have exactly that many bytes.
 * 5. unfilter (decoders) — `params.swap` (sample bytes), `params.horizontal` { size, rowLength, stride }.
 * 6. sink — `params.place` (placement.mjs placeBlocks: 5-D pieces into shared memory), `params.scatter`
 *    (rows into shared memory), `params.write` { path } (the result becomes that file). Sinks return no bytes.
 *
 * `io` holds the platform's sources and sinks (Node: fs; browser: fetch only).
 */

import { isScratch, scratch } from './codecs/scratch.mjs';
import { prefilter, unfilter } from './filters.mjs';
import { placeBlocks, scatterRows } from './placement.mjs';

/** Results at most this large may sit in Node's shared Buffer pool slab: they are copied, never moved. */
const SMALL = 8192;

/**
 * The result of a task as bytes the caller may own: in the caller's spare buffer when it fits (it then
 * reuses the same memory task after task), a copy when it lives in a scratch buffer or a small shared slab,
 * else the codec's own buffer (moved, not copied, across threads).
 */
function owned(output, spare) {
  if (output.byteLength === 0) return new Uint8Array(0);
  if (spare && output.buffer === spare) return output;
  if (spare && spare.byteLength >= output.byteLength) {
    const view = new Uint8Array(spare, 0, output.byteLength);
    view.set(output);
    return view;
  }
  if (isScratch(output) || output.buffer.byteLength <= SMALL || !(output.buffer instanceof ArrayBuffer))
    return new Uint8Array(output);
  return output instanceof Uint8Array && output.constructor === Uint8Array
    ? output
    : new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
}

/**
 * The target's bytes where a placed block goes when that block is the whole decoded result laid out the same
 * way there (a read of exactly one chunk, as a 3-D reader's block-by-block loop does): the codec then decodes,
 * or a raw chunk file is read, straight into the target, with no scratch buffer and no copy.
 */
function wholeInTarget(place, room) {
  const b = place.blocks;
  if (b.length !== 7 || b[0] !== 0) return undefined;
  // Contiguous on both sides, in the same order: each axis's stride is the count of all faster axes.
  let n = 1;
  for (let d = 4; d >= 0; d--) {
    const count = b[2 + d];
    if (count <= 0) return undefined;
    if (count === 1) continue;
    if (place.srcStride[d] !== n || place.dstStride[d] !== n) return undefined;
    n *= count;
  }
  const at = b[1] * place.bytes;
  if (n * place.bytes !== room || at < 0 || at + room > place.target.byteLength) return undefined;
  return new Uint8Array(place.target.buffer, place.target.byteOffset + at, room);
}

/**
 * Encoded blocks back to back (`place.frames`: their lengths; a run of a Zarr shard's chunks), each decoding
 * to an equal share of `room`: decoded one at a time into a small scratch buffer and placed while it is in
 * cache, so a run's decoded bytes (32 MiB for a 256³ shard of uint16) never sit in memory at once. Block
 * source offsets count from the start of the run.
 */
async function placeFrames(fn, input, params, room) {
  const { frames, ...place } = params.place;
  const each = room / frames.length;
  const elements = each / place.bytes;
  if (!Number.isInteger(elements)) throw new RangeError(`${frames.length} frames do not split ${room} bytes`);
  const byFrame = frames.map(() => []);
  const b = place.blocks;
  for (let i = 0; i + 7 <= b.length; i += 7) {
    const k = Math.floor(b[i] / elements);
    if (!(k >= 0 && k < frames.length))
      throw new RangeError(`a block reads past its source (element ${b[i]})`);
    byFrame[k].push(b[i] - k * elements, ...b.slice(i + 1, i + 7));
  }
  const frameParams = { ...params, outputSize: each, exact: true, place: undefined };
  let at = 0;
  for (let k = 0; k < frames.length; k++) {
    // A frame that is one whole block laid out the same way in the target (a batch of BioReader.blocks whose
    // blocks are the store's chunks) decodes straight into it: no scratch, no copy.
    const direct = wholeInTarget({ ...place, blocks: byFrame[k] }, each);
    const into = direct ?? scratch(each, 'decoded').subarray(0, each);
    let output = fn(input.subarray(at, at + frames[k]), frameParams, into);
    if (typeof output?.then === 'function') output = await output;
    if (!(output instanceof Uint8Array))
      output = new Uint8Array(output.buffer ?? output, output.byteOffset ?? 0, output.byteLength);
    if (output.length !== each)
      throw new Error(`the block decodes to ${output.length} bytes, expected ${each}`);
    if (params.swap || params.horizontal) unfilter(output, params);
    if (!(direct && output.buffer === direct.buffer && output.byteOffset === direct.byteOffset))
      placeBlocks(output, { ...place, blocks: byFrame[k] });
    at += frames[k];
  }
  if (at !== input.length)
    throw new Error(`${input.length - at} bytes after the last of ${frames.length} frames`);
  return new Uint8Array(0);
}

/** The fetching tasks' turns on this thread (see `runTask`). */
let turns = Promise.resolve();

/**
 * Runs `task` with `table` and `io`; resolves with the output bytes (owned: see `owned`). A task that
 * fetches its input (`params.fetch`) may run beside others of its kind on one worker (the pool's
 * `fetchesPerWorker`): their requests overlap, then each takes its turn for the rest of the chain, which uses
 * this thread's scratch buffers and may yield (asynchronous codecs), so two must never interleave there.
 */
export async function runTask(table, io, task) {
  const params = task.params ?? {};
  if (!params.fetch) return runChain(table, io, task, undefined);
  let fetched;
  try {
    fetched = await io.fetchRange(params.fetch);
  } catch (err) {
    // Marked as the source's failure, not the codec's: the caller then fetches the bytes its own way.
    if (err && typeof err === 'object') err.stage = 'fetch';
    throw err;
  }
  const turn = turns.then(() => runChain(table, io, task, fetched));
  turns = turn.then(
    () => {},
    () => {},
  );
  return turn;
}

/** The chain after the fetch, if any (`fetched`: the bytes it got). */
async function runChain(table, io, task, fetched) {
  const { codec } = task;
  const params = task.params ?? {};
  const fn = table[codec];
  if (!fn) throw new Error(`unknown codec "${codec}" (known: ${Object.keys(table).join(', ')})`);
  const room = params.outputSize > 0 ? params.outputSize : undefined;
  // Where a decoder may put its result: scratch memory when it is only placed, else the caller's spare, and
  // for a raw chunk file a buffer of its size (the file is read straight into it).
  let into;
  const inPlace = room && params.place ? wholeInTarget(params.place, room) : undefined;
  if (inPlace) into = inPlace;
  else if ((params.place || params.scatter) && room) into = scratch(room, 'decoded').subarray(0, room);
  else if (task.spare && (!room || task.spare.byteLength >= room))
    into = new Uint8Array(task.spare, 0, room ?? task.spare.byteLength);
  else if (params.file && codec === 'raw' && room) into = new Uint8Array(room);
  let input = task.input;
  if (params.place?.frames && room) {
    if (params.file) input = io.readFile(params.file);
    return placeFrames(fn, input, params, room);
  }
  if (params.read) input = io.readFd(params.read);
  else if (params.file) input = io.readFile(params.file, codec === 'raw' ? into : undefined);
  else if (fetched) input = fetched;
  // A codec marked `predicts` differences the input itself (Node's encoders: in C, filters.mjs's loop costs ~8×).
  if (params.predict && !fn.predicts) prefilter(input, params);
  let output = fn(input, params, into);
  // Awaited only when the codec is asynchronous: from here to the return nothing may yield, because on the
  // main thread (runHere) another task could reuse this thread's scratch buffers in between.
  if (typeof output?.then === 'function') output = await output;
  if (!(output instanceof Uint8Array))
    output = new Uint8Array(output.buffer ?? output, output.byteOffset ?? 0, output.byteLength);
  if (params.exact && params.outputSize >= 0 && output.length !== params.outputSize)
    throw new Error(`the block decodes to ${output.length} bytes, expected ${params.outputSize}`);
  if (params.swap || params.horizontal) unfilter(output, params);
  if (params.place) {
    // Decoded (or read) straight into its place: nothing left to copy.
    if (inPlace && output.buffer === inPlace.buffer && output.byteOffset === inPlace.byteOffset)
      return new Uint8Array(0);
    return placeBlocks(output, params.place);
  }
  if (params.scatter) return scatterRows(output, params.scatter);
  if (params.write) {
    io.writeFile(params.write.path, output);
    return new Uint8Array(0);
  }
  // An input the codec returned as is (raw, echo) may be the read buffer of this thread: copy it then.
  return owned(output, task.spare);
}
