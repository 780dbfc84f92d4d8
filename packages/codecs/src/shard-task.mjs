/**
 * A whole Zarr v3 shard (`sharding_indexed`, index at the end) built and written by one task, on the thread
 * that runs it: the task's input is the shard's pixels (the part of the shard inside the array, 5-D t,c,z,y,x,
 * C order); it cuts them into the inner chunks, encodes each, appends it to the shard file and ends the file
 * with the index — per chunk in C order its offset and length as little-endian uint64 (2^64−1 twice for a
 * chunk wholly outside the array), then their CRC32C. A block-by-block writer whose blocks cover whole
 * shards then does none of this on its main thread: it only hands each block over (a 256³ shard of 64³
 * chunks was 64 encodes to dispatch, 64 appends and an index there).
 *
 * The shard is written to a temporary sibling and renamed over `path` when complete, so a failed task (a full
 * disk, the folder removed) never leaves a file at `path` with a valid-looking index; the temporary file is
 * removed on failure. Node only (writes files).
 *
 * `params.shard`: { path, bytes (per element), extent (the block's 5-D shape), chunks (inner chunk shape),
 * per (chunks per shard along each axis), codec: 'zstd' | 'raw', level, checksum (zstd's content checksum),
 * source? }. Without `source` the input is the block, dense; with `source` { view, offset, stride } the block
 * is read where it lies in shared memory (`view`, a Uint8Array over a SharedArrayBuffer; the block's first
 * element at element `offset`, 5-D element strides `stride`): a caller's shared buffer is cut straight into
 * chunks, with no copy of the block on either thread.
 * Chunks at the array's edge are stored whole, padded with 0 (the writer's fill), as the writer's other paths
 * do. Returns no bytes.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { crc32c } from './checksums.mjs';
import { scratch } from './codecs/scratch.mjs';
import { zstdEncode } from './codecs/zstd-node.mjs';
import { copyBlock, elementView } from './placement.mjs';

const EMPTY = 0xffffffffffffffffn;

/** Dense element strides of a 5-D shape. */
function strides(s) {
  return [s[1] * s[2] * s[3] * s[4], s[2] * s[3] * s[4], s[3] * s[4], s[4], 1];
}

function check(shard, input) {
  const { extent, chunks, per, bytes } = shard;
  const ok =
    [extent, chunks, per].every((v) => Array.isArray(v) && v.length === 5 && v.every(Number.isInteger)) &&
    [1, 2, 4, 8].includes(bytes) &&
    extent.every((n, i) => n > 0 && n <= chunks[i] * per[i]) &&
    chunks.every((n) => n > 0);
  if (!ok) throw new RangeError(`bad shard parameters ${JSON.stringify({ extent, chunks, per, bytes })}`);
  if (shard.source) {
    const { view, offset, stride } = shard.source;
    if (!(view instanceof Uint8Array) || !Number.isInteger(offset) || stride?.length !== 5)
      throw new RangeError('bad shard source');
    return;
  }
  const want = extent.reduce((a, b) => a * b, 1) * bytes;
  if (input.byteLength !== want)
    throw new RangeError(`the shard's block has ${input.byteLength} bytes, expected ${want}`);
}

/** Writes all of `bytes` at `position` of `fd`. */
function writeAll(fd, bytes, position) {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The codec-table entry: `input` is the shard's block, `params.shard` says how to cut and where to write. */
export function writeShard(input, params) {
  const shard = params.shard;
  check(shard, input);
  const { path, bytes, extent, chunks, per, codec } = shard;
  const chunkElements = chunks.reduce((a, b) => a * b, 1);
  const chunkBytes = chunkElements * bytes;
  const source = shard.source;
  // (copyBlock checks that every chunk lies inside the source before copying it)
  const src = elementView(source ? source.view : input, bytes);
  const srcStride = source ? source.stride : strides(extent);
  const base = source ? source.offset : 0;
  const dstStride = strides(chunks);
  // The chunk being cut (scratch: reused task after task); zstd frames go to zstdEncode's own scratch.
  const cut = scratch(chunkBytes, 'shard-chunk').subarray(0, chunkBytes);
  const dst = elementView(cut, bytes);
  const zstd = codec === 'zstd' ? { level: shard.level ?? 1, checksum: shard.checksum === true } : undefined;
  const slots = per.reduce((a, b) => a * b, 1);
  const index = new Uint8Array(slots * 16 + 4);
  const view = new DataView(index.buffer);
  const temp = `${path}.${process.pid}-${threadId}.partial`;
  const fd = openSync(temp, 'w');
  let end = 0;
  try {
    const at = [0, 0, 0, 0, 0];
    const part = [0, 0, 0, 0, 0];
    for (let slot = 0; slot < slots; slot++) {
      // The slot's chunk position (C order) and the part of it inside the block.
      let rest = slot;
      let inside = true;
      let whole = true;
      for (let d = 4; d >= 0; d--) {
        at[d] = (rest % per[d]) * chunks[d];
        rest = Math.floor(rest / per[d]);
        part[d] = Math.min(chunks[d], extent[d] - at[d]);
        if (part[d] <= 0) inside = false;
        else if (part[d] !== chunks[d]) whole = false;
      }
      if (!inside) {
        view.setBigUint64(slot * 16, EMPTY, true);
        view.setBigUint64(slot * 16 + 8, EMPTY, true);
        continue;
      }
      if (!whole) cut.fill(0);
      const from = base + at.reduce((acc, p, d) => acc + p * srcStride[d], 0);
      copyBlock(src, from, srcStride, dst, 0, dstStride, part);
      let encoded = cut;
      if (zstd) encoded = zstdEncode(cut, zstd);
      writeAll(fd, encoded, end);
      view.setBigUint64(slot * 16, BigInt(end), true);
      view.setBigUint64(slot * 16 + 8, BigInt(encoded.length), true);
      end += encoded.length;
    }
    view.setUint32(slots * 16, crc32c(index.subarray(0, slots * 16)), true);
    writeAll(fd, index, end);
    closeSync(fd);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed (the close itself failed)
    }
    unlinkQuietly(temp);
    throw err;
  }
  try {
    renameSync(temp, path);
  } catch (err) {
    unlinkQuietly(temp);
    throw err;
  }
  return new Uint8Array(0);
}

function unlinkQuietly(file) {
  try {
    unlinkSync(file);
  } catch {
    // gone with its folder
  }
}
