/**
 * The chunk lane (native-lane/: read, zstd or raw, place, on the addon's own threads) against libzstd's own encoder
 * (zstd-napi, the library the workers decode with) and an element-by-element placement written out here: a
 * real image's bytes as 3-D chunks, whole and as ranges of a file, frames back to back, straight into the
 * target, and every failure a typed error that leaves the target untouched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath, IN_CI } from '../../../test-support/env.js';
import { ChunkLane, CodecError, type PlaceParams } from '../src/index.js';

const zstd = createRequire(import.meta.url)('zstd-napi') as {
  compress(b: Uint8Array, o?: object): Uint8Array;
};

const lane = ChunkLane.for(2);
if (!lane) {
  if (IN_CI) throw new Error('the chunk lane addon (native-lane/) is not built: CI must build it');
  console.warn('SKIPPED: the chunk lane addon (native-lane/) is not built here');
}

// Chunks of 16 × 32 × 40 uint16 voxels cut from a real image's bytes (bunny.ome.tif, 320 KiB): chunk k
// starts k × 10,000 bytes in (they overlap; each is a different 40 KiB).
const sample = new Uint8Array(readFileSync(dataPath('polus-image-tools/bunny.ome.tif')));
const [CZ, CY, CX] = [16, 32, 40];
const CHUNK = CZ * CY * CX;
const chunk = (k: number) => {
  const at = (k * 10_000) % (sample.length - CHUNK * 2);
  return new Uint16Array(sample.buffer.slice(at, at + CHUNK * 2));
};
const frame = (data: Uint16Array, level = 1) =>
  new Uint8Array(zstd.compress(new Uint8Array(data.buffer), { compressionLevel: level }));

const dir = mkdtempSync(join(tmpdir(), 'bfio-lane-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 3-D piece of a chunk (z, y, x offsets and counts) into a Z × Y × X target at (tz, ty, tx), as 5-D. */
function piece(
  at: number[],
  counts: number[],
  to: number[],
  target: number[],
  first = 0,
): Pick<PlaceParams, 'blocks' | 'srcStride' | 'dstStride'> {
  const [, TY, TX] = target as [number, number, number];
  return {
    srcStride: [0, 0, CY * CX, CX, 1],
    dstStride: [0, 0, TY * TX, TX, 1],
    blocks: [
      first + (at[0]! * CY + at[1]!) * CX + at[2]!,
      (to[0]! * TY + to[1]!) * TX + to[2]!,
      1,
      1,
      ...counts,
    ],
  };
}

/** What the piece must put where: each voxel by its index. */
function expectPlaced(
  out: Uint16Array,
  src: Uint16Array,
  at: number[],
  counts: number[],
  to: number[],
  target: number[],
) {
  const [, TY, TX] = target as [number, number, number];
  for (let z = 0; z < counts[0]!; z++)
    for (let y = 0; y < counts[1]!; y++)
      for (let x = 0; x < counts[2]!; x++) {
        const want = src[((at[0]! + z) * CY + at[1]! + y) * CX + at[2]! + x];
        const got = out[((to[0]! + z) * TY + to[1]! + y) * TX + to[2]! + x];
        if (got !== want) throw new Error(`voxel (${z}, ${y}, ${x}): ${got}, expected ${want}`);
      }
}

describe.skipIf(!lane)('ChunkLane', () => {
  it('decodes libzstd frames (level 1 and 19) and raw chunks, from memory and from a range of a file', async () => {
    for (const level of [1, 19]) {
      const data = chunk(3);
      const encoded = frame(data, level);
      const dst = new Uint8Array(CHUNK * 2);
      await lane!.run({ input: encoded, codec: 'zstd', size: dst.length, dst });
      expect(Buffer.from(dst).equals(Buffer.from(data.buffer))).toBe(true);
      // The frame between other bytes of a file, as a chunk inside a Zarr shard.
      const file = join(dir, `shard-${level}`);
      writeFileSync(file, Buffer.concat([Buffer.alloc(123, 7), encoded, Buffer.alloc(45, 9)]));
      const fromFile = new Uint8Array(CHUNK * 2);
      await lane!.run({
        path: file,
        range: [123, encoded.length],
        codec: 'zstd',
        size: CHUNK * 2,
        dst: fromFile,
      });
      expect(Buffer.from(fromFile).equals(Buffer.from(data.buffer))).toBe(true);
    }
    const raw = join(dir, 'raw');
    writeFileSync(raw, new Uint8Array(chunk(5).buffer));
    const dst = new Uint8Array(CHUNK * 2);
    await lane!.run({ path: raw, codec: 'raw', size: dst.length, dst });
    expect(Buffer.from(dst).equals(Buffer.from(chunk(5).buffer))).toBe(true);
  });

  it('places pieces of a chunk into a larger target, on shared and ordinary memory', async () => {
    const data = chunk(7);
    const file = join(dir, 'chunk7');
    writeFileSync(file, frame(data));
    const shape = [20, 50, 60];
    for (const memory of [ArrayBuffer, SharedArrayBuffer]) {
      const out = new Uint16Array(new memory(20 * 50 * 60 * 2));
      out.fill(0xa5a5);
      const at = [2, 5, 7];
      const counts = [9, 20, 30];
      const to = [10, 29, 3];
      await lane!.run({
        path: file,
        codec: 'zstd',
        size: CHUNK * 2,
        place: { target: new Uint8Array(out.buffer), bytes: 2, ...piece(at, counts, to, shape) },
      });
      expectPlaced(out, data, at, counts, to, shape);
      // Nothing outside the piece was written.
      const inside = counts[0]! * counts[1]! * counts[2]!;
      expect(out.filter((v) => v !== 0xa5a5).length).toBeLessThanOrEqual(inside);
      expect(out.filter((v) => v === 0xa5a5).length).toBeGreaterThanOrEqual(out.length - inside);
    }
  });

  it('decodes a chunk that is the whole target straight into it, and frames back to back piece by piece', async () => {
    const data = chunk(2);
    const out = new Uint16Array(CHUNK);
    await lane!.run({
      input: frame(data),
      codec: 'zstd',
      size: CHUNK * 2,
      place: {
        target: new Uint8Array(out.buffer),
        bytes: 2,
        ...piece([0, 0, 0], [CZ, CY, CX], [0, 0, 0], [CZ, CY, CX]),
      },
    });
    expect(Buffer.from(out.buffer).equals(Buffer.from(data.buffer))).toBe(true);

    // Four chunks stored back to back (a run of a shard), each placed at its own corner of a 2 × 2 layout.
    const chunks = [0, 1, 2, 3].map((k) => chunk(10 + k));
    const encoded = chunks.map((c) => frame(c));
    const file = join(dir, 'run');
    writeFileSync(file, Buffer.concat([Buffer.alloc(10), ...encoded]));
    const shape = [CZ, 2 * CY, 2 * CX];
    const big = new Uint16Array(shape[0]! * shape[1]! * shape[2]!);
    const corners = [
      [0, 0, 0],
      [0, 0, CX],
      [0, CY, 0],
      [0, CY, CX],
    ];
    const blocks: number[] = [];
    let srcStride: number[] = [];
    let dstStride: number[] = [];
    corners.forEach((to, k) => {
      const p = piece([0, 0, 0], [CZ, CY, CX], to, shape, k * CHUNK);
      blocks.push(...p.blocks);
      srcStride = p.srcStride;
      dstStride = p.dstStride;
    });
    await lane!.run({
      path: file,
      range: [10, encoded.reduce((n, e) => n + e.length, 0)],
      codec: 'zstd',
      size: 4 * CHUNK * 2,
      place: {
        target: new Uint8Array(big.buffer),
        bytes: 2,
        srcStride,
        dstStride,
        blocks,
        frames: encoded.map((e) => e.length),
      },
    });
    corners.forEach((to, k) => {
      expectPlaced(big, chunks[k]!, [0, 0, 0], [CZ, CY, CX], to, shape);
    });
  });

  it('a missing file, a short file, damaged bytes, a wrong size: typed errors, the target untouched', async () => {
    const data = chunk(4);
    const encoded = frame(data);
    const target = new Uint16Array(CHUNK).fill(0x1234);
    const place = {
      target: new Uint8Array(target.buffer),
      bytes: 2,
      ...piece([0, 0, 0], [4, 4, 4], [0, 0, 0], [CZ, CY, CX]),
    };
    const fail = (job: Parameters<ChunkLane['run']>[0]) =>
      lane!.run(job).then(
        () => undefined,
        (e: unknown) => e,
      );

    const missing = await fail({ path: join(dir, 'nope', 'c', '0'), codec: 'zstd', size: CHUNK * 2, place });
    expect(missing).toBeInstanceOf(CodecError);
    expect((missing as CodecError).code).toBe('ENOENT');
    expect((missing as Error).message).toContain(join(dir, 'nope'));

    const short = join(dir, 'short');
    writeFileSync(short, encoded.subarray(0, 100));
    const eof = await fail({
      path: short,
      range: [0, encoded.length],
      codec: 'zstd',
      size: CHUNK * 2,
      place,
    });
    expect((eof as CodecError).code).toBe('SHORT_READ');

    const damaged = encoded.slice();
    for (let i = 20; i < damaged.length; i += 7) damaged[i] = (damaged[i] as number) ^ 0x5a;
    const bad = await fail({ input: damaged, codec: 'zstd', size: CHUNK * 2, place });
    expect(bad).toBeInstanceOf(CodecError);
    expect((bad as CodecError).code).toBe('DECODE');

    // A chunk that decodes to more, or fewer, bytes than its array's chunk shape says.
    const small = await fail({ input: encoded, codec: 'zstd', size: CHUNK * 2 - 2, place });
    expect((small as CodecError).code).toBe('DECODE');
    const large = await fail({
      input: encoded,
      codec: 'zstd',
      size: CHUNK * 2 + 2,
      dst: new Uint8Array(CHUNK * 2 + 2),
    });
    expect((large as CodecError).code).toBe('DECODE');

    // A chunk file far larger than any frame of its size (a damaged index, a stray file): refused unread.
    const huge = join(dir, 'huge');
    writeFileSync(huge, Buffer.alloc(4 * CHUNK * 2 + 65536));
    const big = await fail({ path: huge, codec: 'zstd', size: CHUNK * 2, place });
    expect((big as CodecError).code).toBe('DECODE');
    expect((big as Error).message).toContain(huge);

    // Offsets that are not whole numbers (a damaged index), negative frame lengths: refused at the call.
    const damagedPlaces: PlaceParams[] = [
      { ...place, blocks: [Number.NaN, 0, 1, 1, 1, 1, 1] },
      { ...place, blocks: [0.5, 0, 1, 1, 1, 1, 1] },
      { ...place, frames: [-5, encoded.length + 5] },
    ];
    for (const damagedPlace of damagedPlaces)
      await expect(
        lane!.run({ input: encoded, codec: 'zstd', size: CHUNK * 2, place: damagedPlace }),
      ).rejects.toThrow(RangeError);

    // A piece reaching past the target: refused before anything is decoded or written.
    const past = { ...place, ...piece([0, 0, 0], [4, 4, 4], [CZ - 2, 0, 0], [CZ, CY, CX]) };
    await expect(lane!.run({ input: encoded, codec: 'zstd', size: CHUNK * 2, place: past })).rejects.toThrow(
      RangeError,
    );
    expect(target.every((v) => v === 0x1234)).toBe(true);
  });
});

/** Offset of a zstd frame's k-th block header (frame format, RFC 8878 §3.1.1), and the block's type. */
function zstdBlock(frame: Uint8Array, k: number): { at: number; type: number } {
  const fhd = frame[4]!;
  const single = (fhd >> 5) & 1;
  let at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + [single, 2, 4, 8][fhd >> 6]!;
  for (let i = 0; ; i++) {
    const header = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16);
    const type = (header >> 1) & 3;
    if (i === k) return { at, type };
    at += 3 + (type === 1 ? 1 : header >> 3);
  }
}

describe.skipIf(!lane)('ChunkLane: only the rows a read takes are decoded', () => {
  // A 16 × 64 × 128 uint16 chunk of the real image's bytes: 256 KiB in zstd blocks of at most 128 KiB, so
  // the last block holds at most z 8–15 and rows before z 8 are decoded from the blocks before it.
  const [Z, Y, X] = [16, 64, 128];
  const data = new Uint8Array(sample.buffer.slice(sample.length - Z * Y * X * 2));
  const encoded = new Uint8Array(zstd.compress(data, { compressionLevel: 1 }));
  // The last block turned from compressed into raw with the same size field: it no longer decodes to what it
  // held, so a decoder that reaches it fails (the frame's size is wrong); one that stops before it does not.
  let blocks = 0;
  while (!(encoded[zstdBlock(encoded, blocks).at]! & 1)) blocks++;
  const last = zstdBlock(encoded, blocks);
  const damaged = encoded.slice();
  damaged[last.at] = (damaged[last.at] as number) & ~0b110;
  const slab = (z0: number, nz: number, first = 0) => ({
    srcStride: [0, 0, Y * X, X, 1],
    dstStride: [0, 0, Y * X, X, 1],
    blocks: [first + z0 * Y * X + 3 * X + 5, 0, 1, 1, nz, Y - 3, X - 5],
  });
  const expectSlab = (out: Uint16Array, z0: number, nz: number) => {
    const src = new Uint16Array(data.buffer);
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < Y - 3; y++)
        for (let x = 0; x < X - 5; x++)
          if (out[(z * Y + y) * X + x] !== src[((z0 + z) * Y + y + 3) * X + x + 5])
            throw new Error(`voxel (${z}, ${y}, ${x}) of the slab at z ${z0}`);
  };
  const readSlab = (input: Uint8Array, z0: number, nz: number) => {
    const out = new Uint16Array(Y * X * nz);
    return lane!
      .run({
        input,
        codec: 'zstd',
        size: data.length,
        place: { target: new Uint8Array(out.buffer), bytes: 2, ...slab(z0, nz) },
      })
      .then(() => out);
  };

  it('a slab before the last block reads right from a frame whose last block is damaged; one reaching it fails', async () => {
    expect(last.type).toBe(2); // compressed: real pixels at level 1
    expectSlab(await readSlab(encoded, 10, 4), 10, 4);
    expectSlab(await readSlab(damaged, 1, 6), 1, 6);
    const reaching = await readSlab(damaged, 12, 4).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(reaching).toBeInstanceOf(CodecError);
    expect((reaching as CodecError).code).toBe('DECODE');
    // The whole chunk into its own array (no pieces) still decodes all of it, and fails.
    await expect(
      lane!.run({ input: damaged, codec: 'zstd', size: data.length, dst: new Uint8Array(data.length) }),
    ).rejects.toThrow(CodecError);
  });

  it('frames back to back (a run of a shard): a frame no piece reads is skipped, another decoded as far as read', async () => {
    const file = join(dir, 'prefix-run');
    writeFileSync(file, Buffer.concat([damaged, damaged, encoded]));
    const elements = Z * Y * X;
    // Frame 0: nothing; frame 1: a slab before its last block; frame 2 (intact): a slab that reaches its end.
    const one = slab(2, 5, elements);
    const two = slab(11, 5, 2 * elements);
    const out = new Uint16Array(2 * elements);
    await lane!.run({
      path: file,
      codec: 'zstd',
      size: 3 * data.length,
      place: {
        target: new Uint8Array(out.buffer),
        bytes: 2,
        srcStride: one.srcStride,
        dstStride: one.dstStride,
        blocks: [...one.blocks, ...two.blocks.map((v, i) => (i === 1 ? elements : v))],
        frames: [damaged.length, damaged.length, encoded.length],
      },
    });
    expectSlab(out, 2, 5);
    expectSlab(out.subarray(elements), 11, 5);
  });

  it('a raw chunk: only the bytes the pieces read are read, and its size is still checked', async () => {
    // The chunk's file cut after z 7 while its range still says 256 KiB (a shard being written, say): a slab
    // in the first 7 planes reads right, one past them finds the end of the file.
    const file = join(dir, 'prefix-raw');
    writeFileSync(file, data.subarray(0, 7 * Y * X * 2));
    const out = new Uint16Array(Y * X * 4);
    const target = new Uint8Array(out.buffer);
    const read = (z0: number) =>
      lane!
        .run({
          path: file,
          range: [0, data.length],
          codec: 'raw',
          size: data.length,
          place: { target, bytes: 2, ...slab(z0, 4) },
        })
        .then(
          () => undefined,
          (e: unknown) => e as CodecError,
        );
    expect(await read(3)).toBeUndefined();
    expectSlab(out, 3, 4);
    expect((await read(4))?.code).toBe('SHORT_READ');
    // A whole chunk file of another size than the chunk's: refused, whatever the pieces read.
    const whole = join(dir, 'prefix-raw-whole');
    writeFileSync(whole, data);
    const wrong = await lane!
      .run({ path: whole, codec: 'raw', size: data.length + 2, place: { target, bytes: 2, ...slab(3, 4) } })
      .then(
        () => undefined,
        (e: unknown) => e as CodecError,
      );
    expect(wrong?.code).toBe('DECODE');
  });
});

describe.skipIf(!lane)('ChunkLane.rows (TIFF blocks)', () => {
  // A 64 × 80 uint16 tile of the image's bytes, stored as a big-endian TIFF with Predictor 2 would store it:
  // differenced along each row (node's zlib and libzstd encode it; the lane must give back the pixels).
  const W = 80;
  const H = 64;
  const pixels = new Uint16Array(sample.buffer.slice(4096, 4096 + W * H * 2));
  const stored = new Uint8Array(W * H * 2);
  const view = new DataView(stored.buffer);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = pixels[y * W + x]! - (x > 0 ? pixels[y * W + x - 1]! : 0);
      view.setUint16((y * W + x) * 2, v & 0xffff, false);
    }
  const encoded: Record<string, Uint8Array> = {
    inflate: new Uint8Array(deflateSync(stored)),
    'zstd-decode': frame(new Uint16Array(stored.buffer)),
  };
  const file = join(dir, 'tile.bin');
  writeFileSync(file, Buffer.concat([Buffer.alloc(100), encoded.inflate!, encoded['zstd-decode']!]));

  it('reads, decodes (Deflate, zstd), swaps, undoes the predictor and scatters rows like tifffile would', async () => {
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'r');
    try {
      let position = 100;
      for (const codec of ['inflate', 'zstd-decode']) {
        const bytes = encoded[codec]!;
        // Rows 10..49, columns 5..69 of the tile, into a 100-wide output at (row 3, column 7).
        const out = new Uint16Array(100 * 60).fill(0xeeee);
        await lane!.rows({
          read: { fd, position, length: bytes.length },
          codec,
          size: W * H * 2,
          swap: 2,
          horizontal: { size: 2, rowLength: W, stride: 1 },
          scatter: {
            target: new Uint8Array(out.buffer),
            rows: 40,
            rowBytes: 65 * 2,
            srcOffset: (10 * W + 5) * 2,
            srcStride: W * 2,
            dstOffset: (3 * 100 + 7) * 2,
            dstStride: 100 * 2,
          },
        });
        position += bytes.length;
        for (let y = 0; y < 40; y++)
          for (let x = 0; x < 65; x++)
            if (out[(3 + y) * 100 + 7 + x] !== pixels[(10 + y) * W + 5 + x])
              throw new Error(`${codec}: (${y}, ${x}) is ${out[(3 + y) * 100 + 7 + x]}`);
        expect(out[0]).toBe(0xeeee);
        expect(out[(3 + 40) * 100 + 7]).toBe(0xeeee);
      }
    } finally {
      closeSync(fd);
    }
  });

  it('a block that decodes short, damaged bytes, rows past the target: errors, the target untouched', async () => {
    const out = new Uint16Array(W * H).fill(0x4321);
    const scatter = {
      target: new Uint8Array(out.buffer),
      rows: H,
      rowBytes: W * 2,
      srcOffset: 0,
      srcStride: W * 2,
      dstOffset: 0,
      dstStride: W * 2,
    };
    const half = new Uint8Array(deflateSync(stored.subarray(0, stored.length / 2)));
    const short = await lane!
      .rows({ input: half, codec: 'inflate', size: W * H * 2, scatter })
      .catch((e) => e);
    expect((short as CodecError).code).toBe('SHORT_OUTPUT');
    const damaged = encoded.inflate!.slice();
    damaged.fill(0xff, 10, 40);
    const bad = await lane!
      .rows({ input: damaged, codec: 'inflate', size: W * H * 2, scatter })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(CodecError);
    expect((bad as CodecError).code).toBe('DECODE');
    await expect(
      lane!.rows({
        input: encoded.inflate!,
        codec: 'inflate',
        size: W * H * 2,
        scatter: { ...scatter, dstOffset: 2 },
      }),
    ).rejects.toThrow(RangeError);
    expect(out.every((v) => v === 0x4321)).toBe(true);
  });
});

describe.skipIf(!lane?.encodes)('ChunkLane.deflate (TIFF tiles)', () => {
  it('compresses a tile, predictor applied in place, to a zlib stream node:zlib decodes to the differenced tile', async () => {
    const W = 128;
    const tile = new Uint16Array(sample.buffer.slice(20_000, 20_000 + W * W * 2));
    const original = tile.slice();
    const out = new Uint8Array(W * W * 2 + 2048);
    for (const level of [1, 6]) {
      const t = original.slice();
      const n = await lane!.deflate(t, level, out, { size: 2, rowLength: W, stride: 1 });
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(W * W * 2);
      // The tile now holds the differences (the predictor ran in place), and the stream decodes to them.
      const decoded = new Uint16Array(new Uint8Array(inflateSync(out.subarray(0, n))).buffer);
      expect(Buffer.from(decoded.buffer).equals(Buffer.from(t.buffer))).toBe(true);
      for (let y = 0; y < W; y++)
        for (let x = 0; x < W; x++) {
          const want = (original[y * W + x]! - (x > 0 ? original[y * W + x - 1]! : 0)) & 0xffff;
          if (t[y * W + x] !== want)
            throw new Error(`level ${level}: (${y}, ${x}) is ${t[y * W + x]}, expected ${want}`);
        }
    }
    // Without the predictor the tile is left as it is; an output too small gives 0, not a partial stream.
    const t = original.slice();
    const n = await lane!.deflate(t, 1, out);
    expect(Buffer.from(t.buffer).equals(Buffer.from(original.buffer))).toBe(true);
    expect(Buffer.from(inflateSync(out.subarray(0, n))).equals(Buffer.from(original.buffer))).toBe(true);
    expect(await lane!.deflate(original.slice(), 1, new Uint8Array(64))).toBe(0);
  });
});

/** The addon as a plain .node file, for processes and workers that load it without this package. */
const addonPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '../native-lane/build/Release/bfio_lane.node',
);

/** Runs an ES module script in its own Node process (with `env`); its exit code, output and time. */
function runScript(name: string, source: string, env: Record<string, string> = {}) {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  const t = Date.now();
  const r = spawnSync(process.execPath, [file], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr, ms: Date.now() - t };
}

describe.skipIf(!lane || !existsSync(addonPath))("the lane's own threads", () => {
  it("serves an owner wider than libuv's pool: 6 lanes, 96 chunks at once, each decoded right", async () => {
    // libuv's pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise; the lane no longer uses it.
    const wide = ChunkLane.for(6);
    expect(wide).toBeDefined();
    expect(wide!.depth).toBe(24);
    const jobs = Array.from({ length: 96 }, (_, k) => {
      const data = chunk(k);
      const dst = new Uint8Array(CHUNK * 2);
      return { data, dst, run: wide!.run({ input: frame(data), codec: 'zstd', size: dst.length, dst }) };
    });
    await Promise.all(jobs.map((j) => j.run));
    jobs.forEach((j, k) => {
      expect(Buffer.from(j.dst).equals(Buffer.from(j.data.buffer)), `chunk ${k}`).toBe(true);
    });
  });

  it('keeps a process alive while a chunk is in flight, not once the lane is idle, and needs no libuv thread', () => {
    // The promise is never awaited: only the lane's pending task keeps the event loop (and so the process)
    // alive until it settles. Then the idle lane must let the process end on its own. libuv's pool has a
    // single thread here, which the lane must not need.
    const r = runScript(
      'idle-exit',
      `import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)(${JSON.stringify(addonPath)});
addon.lanes(2);
const input = new Uint8Array(1 << 20).map((_, i) => i & 255);
const dst = new Uint8Array(input.length);
addon.decode(null, input, 0, -1, 0, input.length, dst, null, 1, null, null, null).then((n) =>
  console.log('settled', n, dst[1000] === (1000 & 255)),
);
`,
      { UV_THREADPOOL_SIZE: '1' },
    );
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('settled 1048576 true');
    expect(r.status).toBe(0);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('a worker torn down with chunks queued and decoding: the lane drops them and goes on serving the main thread', () => {
    // The worker queues 64 chunks (each a 4 MiB zstd frame) into its own memory (kept alive, as ChunkLane.run
    // keeps its target) and is terminated while they decode: its environment's teardown must drop the queued
    // ones and wait for the running ones (they write into memory the teardown frees), and the main thread's
    // chunks afterwards must decode right.
    const r = runScript(
      'worker-teardown',
      `import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
const require = createRequire(import.meta.url);
const zstd = require(${JSON.stringify(createRequire(import.meta.url).resolve('zstd-napi'))});
const addon = require(${JSON.stringify(addonPath)});
addon.lanes(2);
const plain = new Uint8Array(4 << 20).map((_, i) => (i * 7) & 255);
const frame = new Uint8Array(zstd.compress(plain, { compressionLevel: 1 }));
const worker = new Worker(
  \`const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addon);
const frame = workerData.frame;
const keep = [];
for (let i = 0; i < 64; i++) {
  const dst = new Uint8Array(4 << 20);
  keep.push(dst);
  addon.decode(null, frame, 0, -1, 1, dst.length, dst, null, 1, null, null, null);
}
parentPort.postMessage('queued');\`,
  { eval: true, workerData: { addon: ${JSON.stringify(addonPath)}, frame } },
);
await new Promise((resolve) => worker.once('message', resolve));
await new Promise((resolve) => setTimeout(resolve, 30));
await worker.terminate();
let good = 0;
for (let i = 0; i < 8; i++) {
  const dst = new Uint8Array(plain.length);
  await addon.decode(null, frame, 0, -1, 1, dst.length, dst, null, 1, null, null, null);
  if (Buffer.from(dst).equals(Buffer.from(plain))) good++;
}
console.log('main', good);
`,
    );
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('main 8');
    expect(r.status).toBe(0);
  });
});
