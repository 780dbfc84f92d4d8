/**
 * The task sources and sinks of run-task.mjs on Node: a worker reads its input from a file itself (so the
 * main thread neither reads nor transfers the bytes) and writes an encoded chunk as a file (so the encoded
 * bytes never leave the worker).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { scratch } from '../codecs/scratch.mjs';
import { fetchRange } from './fetch-range.mjs';

/** Inputs larger than this get their own buffer rather than growing the reusable one. */
const MAX_SCRATCH = 64 * 1024 * 1024;

function readFully(fd, buffer, length, position, what) {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) {
      const err = new Error(`read ${done} of ${length} bytes${what}: end of file`);
      err.code = 'SHORT_READ';
      throw err;
    }
    done += n;
  }
  return buffer.subarray(0, length);
}

export const nodeIo = {
  /** `{ fd, position, length }` of a descriptor open in this process (kept open until the task settles). */
  readFd(r) {
    const buffer = r.length > MAX_SCRATCH ? new Uint8Array(r.length) : scratch(r.length, 'in');
    return readFully(r.fd, buffer, r.length, r.position, ` at ${r.position}`);
  },
  /** `{ path, range? }`: the file (or `range` = [offset, length] of it), into `into` when given. */
  readFile(f, into) {
    const fd = openSync(f.path, 'r');
    try {
      const at = f.range ? f.range[0] : 0;
      const size = f.range ? f.range[1] : fstatSync(fd).size;
      let buffer;
      if (into) {
        if (size !== into.length) throw new Error(`the chunk has ${size} bytes, expected ${into.length}`);
        buffer = into;
      } else {
        buffer = size > MAX_SCRATCH ? new Uint8Array(size) : scratch(Math.max(size, 1 << 16), 'in');
      }
      return readFully(fd, buffer, size, at, '');
    } finally {
      closeSync(fd);
    }
  },
  /** Writes `bytes` as the whole file at `path` (created or truncated; its folder must exist). */
  writeFile(path, bytes) {
    const fd = openSync(path, 'w');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } finally {
      closeSync(fd);
    }
  },
  fetchRange,
};
