import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync, gunzipSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../test-support/env.js';
import { CodecError, sharedWorkerPool, WorkerPool } from '../src/index.js';

// Real bytes to compress: a microscopy TIFF from the shared data (its content is what matters, not its format).
const sample = new Uint8Array(readFileSync(dataPath('polus-image-tools/bunny.ome.tif')));
const dir = mkdtempSync(join(tmpdir(), 'bfio-pool-'));
const pools: WorkerPool[] = [];
const pool = (options?: ConstructorParameters<typeof WorkerPool>[0]) => {
  const p = new WorkerPool(options);
  pools.push(p);
  return p;
};

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('codecs', () => {
  it("deflate with `native: false` gives zlib's exact output (libdeflate kept out)", async () => {
    const p = pool({ maxWorkers: 1 });
    const out = await p.run('deflate', sample, {
      level: 1,
      memLevel: 9,
      outputSize: sample.length,
      native: false,
    });
    expect(Buffer.from(out).equals(deflateSync(sample, { level: 1, memLevel: 9 }))).toBe(true);
  });

  it('inflate/deflate/gzip round trips equal node:zlib on real bytes', async () => {
    const p = pool({ maxWorkers: 2 });
    const z = deflateSync(sample);
    const inflated = await p.run('inflate', z, { outputSize: sample.length });
    expect(Buffer.compare(Buffer.from(inflated), Buffer.from(sample))).toBe(0);
    // Without a size hint too (zlib's own chunking).
    expect(Buffer.from(await p.run('inflate', z)).equals(Buffer.from(sample))).toBe(true);
    const deflated = await p.run('deflate', sample, { level: 1 });
    expect(Buffer.from(inflateSync(deflated)).equals(Buffer.from(sample))).toBe(true);
    const gz = await p.run('gzip', sample);
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(sample))).toBe(true);
    expect(Buffer.from(await p.run('gunzip', gz)).equals(Buffer.from(sample))).toBe(true);
    // Tiny outputs (Node pools small Buffers) come back intact and independent.
    const small = await p.run('inflate', deflateSync(sample.subarray(0, 10)));
    expect(Array.from(small)).toEqual(Array.from(sample.subarray(0, 10)));
  });

  it('undoes byte swap and horizontal differencing after inflate (TIFF predictor 2, big endian)', async () => {
    const width = 37; // rows of 37 uint16 samples, 2 samples per pixel (stride 2 within 74-sample rows)
    const rowLength = width * 2;
    const n = Math.floor(sample.length / 2 / rowLength) * rowLength;
    const values = new Uint16Array(sample.buffer.slice(0, n * 2));
    // Encode as a TIFF writer would: difference each row with stride 2, then store big endian.
    const encoded = new Uint8Array(n * 2);
    const dv = new DataView(encoded.buffer);
    for (let i = 0; i < n; i++) {
      const prev = i % rowLength >= 2 ? values[i - 2]! : 0;
      dv.setUint16(i * 2, (values[i]! - prev) & 0xffff, false);
    }
    const out = await pool().run('inflate', deflateSync(encoded), {
      outputSize: n * 2,
      swap: 2,
      horizontal: { size: 2, rowLength, stride: 2 },
    });
    expect(Array.from(new Uint16Array(out.buffer, out.byteOffset, n))).toEqual(Array.from(values));
  });

  it('corrupt input, unknown codecs and output bounds fail with typed errors; the pool keeps working', async () => {
    const p = pool({ maxWorkers: 1 });
    const bad = p.run('inflate', sample.subarray(0, 100));
    await expect(bad).rejects.toBeInstanceOf(CodecError);
    await expect(bad).rejects.toMatchObject({ codecName: 'inflate', code: 'Z_DATA_ERROR' });
    await expect(p.run('nope', sample)).rejects.toThrow(/unknown codec "nope"/);
    await expect(p.run('inflate', deflateSync(sample), { maxOutputLength: 1000 })).rejects.toMatchObject({
      code: 'ERR_BUFFER_TOO_LARGE',
    });
    expect((await p.run('inflate', deflateSync(sample))).length).toBe(sample.length);
  });
});

describe('threads', () => {
  it('with a size hint (reused zlib stream and buffer): same errors, and outputs of any real size', async () => {
    const p = pool({ maxWorkers: 1 });
    const z = deflateSync(sample);
    const hint = { outputSize: sample.length };
    await expect(p.run('inflate', sample.subarray(0, 100), hint)).rejects.toMatchObject({
      codecName: 'inflate',
      code: 'Z_DATA_ERROR',
    });
    await expect(p.run('inflate', z.subarray(0, z.length >> 1), hint)).rejects.toMatchObject({
      code: 'Z_BUF_ERROR',
    });
    // The stream broken by those errors is replaced: the next tasks decode.
    expect(Buffer.from(await p.run('inflate', z, hint)).equals(Buffer.from(sample))).toBe(true);
    // More output than announced, and less: the whole real output either way.
    expect(Buffer.from(await p.run('inflate', z, { outputSize: 1000 })).equals(Buffer.from(sample))).toBe(
      true,
    );
    const big = await p.run('inflate', z, { outputSize: sample.length * 2 });
    expect(Buffer.from(big).equals(Buffer.from(sample))).toBe(true);
    await expect(
      p.run('inflate', z, { outputSize: sample.length, maxOutputLength: 1000 }),
    ).rejects.toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
    // Tasks in a row return independent results (the reused buffer never leaks out).
    const [a, b] = await Promise.all([
      p.run('inflate', deflateSync(sample.subarray(0, 5000)), { outputSize: 5000 }),
      p.run('inflate', z, hint),
    ]);
    expect(Buffer.from(a).equals(Buffer.from(sample.subarray(0, 5000)))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(sample))).toBe(true);
    // Deflate through the reused streams (one per level and memLevel), in turn, round trips.
    for (const [level, memLevel] of [
      [1, undefined],
      [6, 9],
      [1, 9],
      [1, undefined],
    ]) {
      const d = await p.run('deflate', sample, { level, memLevel });
      expect(Buffer.from(inflateSync(d)).equals(Buffer.from(sample))).toBe(true);
    }
  });

  it('runs maxWorkers tasks at once, never more, and starts workers lazily', async () => {
    // Each task reports when it ran (wall clock); the most tasks running at one instant must be exactly
    // maxWorkers. No speed threshold: that would fail on a loaded machine without saying anything.
    const maxOverlap = async (p: WorkerPool, n: number) => {
      const spans = await Promise.all(
        Array.from({ length: n }, () => p.run('echo', new Uint8Array(1), { ms: 150, stamp: true })),
      );
      const times = spans.map((b) => new Float64Array(b.buffer, b.byteOffset, 2));
      let most = 0;
      for (const [start] of times)
        most = Math.max(most, times.filter(([s, e]) => s! <= start! && start! < e!).length);
      return most;
    };
    const two = pool({ maxWorkers: 2 });
    expect(two.started).toBe(0);
    expect(await maxOverlap(two, 6)).toBe(2);
    expect(two.started).toBe(2);
    const one = pool({ maxWorkers: 1 });
    expect(await maxOverlap(one, 3)).toBe(1);
    expect(one.started).toBe(1);
  });

  it('does not block the event loop while a big task runs', async () => {
    const p = pool({ maxWorkers: 1 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await p.run('echo', new Uint8Array(1), { ms: 400 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(15);
  });

  it('applies horizontal differencing before deflate (TIFF predictor 2) and can hand the input back', async () => {
    const rowLength = 64;
    const n = Math.floor(sample.length / 2 / rowLength) * rowLength;
    const values = new Uint16Array(sample.buffer.slice(0, n * 2));
    // What a TIFF writer stores: each row differenced (wrapping uint16), stride 1.
    const expected = new Uint16Array(n);
    for (let i = 0; i < n; i++) expected[i] = (values[i]! - (i % rowLength ? values[i - 1]! : 0)) & 0xffff;
    const input = new Uint8Array(values.slice().buffer);
    const returned: Uint8Array[] = [];
    const z = await pool({ maxWorkers: 1 }).run(
      'deflate',
      input,
      { level: 1, outputSize: n * 2, predict: { size: 2, rowLength, stride: 1 } },
      { transfer: true, returnInput: (b) => returned.push(b) },
    );
    const out = new Uint8Array(inflateSync(z));
    expect(Buffer.from(out).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(input.byteLength).toBe(0); // moved ...
    expect(returned.length).toBe(1); // ... and back, same size, reusable
    expect(returned[0]!.buffer.byteLength).toBe(n * 2);
  });

  it('moves input with transfer: true, copies it otherwise; rejects transferring part of a buffer', async () => {
    const p = pool({ maxWorkers: 1 });
    const kept = deflateSync(sample);
    await p.run('inflate', kept);
    expect(kept.byteLength).toBeGreaterThan(0);
    const moved = new Uint8Array(kept);
    await p.run('inflate', moved, {}, { transfer: true });
    expect(moved.byteLength).toBe(0); // detached
    await expect(p.run('inflate', kept.subarray(1), {}, { transfer: true })).rejects.toThrow(RangeError);
  });

  it('returns the output in a spare buffer when it fits', async () => {
    const p = pool({ maxWorkers: 1 });
    const z = deflateSync(sample);
    const spare = new ArrayBuffer(sample.length + 100);
    const out = await p.run('inflate', z, { outputSize: sample.length }, { spare });
    expect(spare.byteLength).toBe(0); // moved to the worker
    expect(out.buffer.byteLength).toBe(sample.length + 100); // ... and back, holding the output
    expect(Buffer.from(out).equals(Buffer.from(sample))).toBe(true);
    const small = await p.run('inflate', z, {}, { spare: new ArrayBuffer(10) });
    expect(Buffer.from(small).equals(Buffer.from(sample))).toBe(true);
  });

  it('encodes from and into shared buffers in place, handing the same memory back (a writer recycling them)', async () => {
    const p = pool({ maxWorkers: 1 });
    const input = new Uint8Array(new SharedArrayBuffer(sample.length));
    input.set(sample);
    const spare = new SharedArrayBuffer(sample.length + 1024);
    const spareView = new Uint8Array(spare);
    for (let round = 0; round < 2; round++) {
      const returned: Uint8Array[] = [];
      const z = await p.run(
        'deflate',
        input,
        { level: 1, outputSize: sample.length },
        { transfer: true, spare, returnInput: (b) => returned.push(b) },
      );
      // Nothing moved: both buffers are still whole on this side.
      expect(input.byteLength).toBe(sample.length);
      expect(spare.byteLength).toBe(sample.length + 1024);
      // The compressed bytes are in the spare's memory (written there by the worker) and inflate to the input.
      expect(z.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(z.byteOffset).toBe(0);
      expect(Buffer.from(spareView.subarray(0, z.length)).equals(Buffer.from(z))).toBe(true);
      expect(Buffer.from(inflateSync(z)).equals(Buffer.from(sample))).toBe(true);
      // The input comes back as a view of the same shared memory, for the next tile.
      expect(returned.length).toBe(1);
      expect(returned[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
      returned[0]![0] = returned[0]![0]! ^ 0xff;
      expect(input[0]).toBe(returned[0]![0]);
      input[0] = sample[0]!;
    }
  });

  it('drops queued tasks on abort and rejects everything after close', async () => {
    const p = pool({ maxWorkers: 1 });
    const ac = new AbortController();
    const running = p.run('echo', new Uint8Array([1]), { ms: 200 });
    const queued = p.run('echo', new Uint8Array([2]), {}, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(queued).rejects.toThrow('stop');
    expect(Array.from(await running)).toEqual([1]);
    const late = p.run('echo', new Uint8Array(1), { ms: 200 });
    const later = p.run('echo', new Uint8Array(1));
    const settled = Promise.allSettled([late, later]);
    await p.close();
    for (const r of await settled)
      expect(r).toMatchObject({ status: 'rejected', reason: { message: /closed/ } });
    await expect(p.run('echo', new Uint8Array(1))).rejects.toThrow(/closed/);
  });
});

describe('codec modules and failures', () => {
  const mod = join(dir, 'codecs.mjs');
  writeFileSync(
    mod,
    `export const codecs = {
       reverse: (input) => input.slice().reverse(),
       die: () => process.exit(3),
       // How many of these run at once on this worker, seen from inside an asynchronous codec.
       overlap: async () => {
         globalThis.running = (globalThis.running ?? 0) + 1;
         const most = globalThis.running;
         await new Promise((r) => setTimeout(r, 30));
         globalThis.running--;
         return new Uint8Array([most, globalThis.running]);
       },
     };\n`,
  );
  const broken = join(dir, 'broken.mjs');
  writeFileSync(broken, `throw new Error('cannot load');\n`);

  it('loads extra codec modules in every worker', async () => {
    const p = pool({ maxWorkers: 2, modules: [mod] });
    const out = await p.run('reverse', new Uint8Array([1, 2, 3]));
    expect(Array.from(out)).toEqual([3, 2, 1]);
  });

  it('a worker that dies fails its task and is replaced', async () => {
    const p = pool({ maxWorkers: 1, modules: [pathToFileURL(mod).href] });
    await p.run('reverse', new Uint8Array([1]));
    await expect(p.run('die', new Uint8Array(1))).rejects.toThrow(/exited with code 3/);
    expect(Array.from(await p.run('reverse', new Uint8Array([4, 5])))).toEqual([5, 4]);
  });

  it('queued tasks wait on a busy worker, one behind another, and run one at a time there', async () => {
    const p = pool({ maxWorkers: 1, modules: [mod] });
    const runs = Array.from({ length: 4 }, () => p.run('overlap', new Uint8Array(1), {}, { queued: true }));
    // Two sit on the worker (the running one and the next), the rest in the pool's queue.
    expect(p.pending).toBe(4);
    const outs = await Promise.all(runs);
    // An asynchronous codec never saw another task of its worker start beside it.
    for (const out of outs) expect(Array.from(out)).toEqual([1, 0]);
    // Without `queued` a busy worker gets nothing more: the same codec, tasks still one at a time.
    const plain = await Promise.all([1, 2].map(() => p.run('overlap', new Uint8Array(1))));
    for (const out of plain) expect(Array.from(out)).toEqual([1, 0]);
  });

  it('a module that cannot load rejects the tasks instead of respawning forever', async () => {
    const p = pool({ maxWorkers: 2, modules: [broken] });
    const all = await Promise.allSettled([1, 2, 3].map(() => p.run('echo', new Uint8Array(1))));
    for (const r of all) expect(r).toMatchObject({ status: 'rejected', reason: { message: /cannot load/ } });
  });
});

describe('shared pool', () => {
  it('is one pool per process, and an idle pool does not keep the process alive', () => {
    expect(sharedWorkerPool()).toBe(sharedWorkerPool());
    const script = join(dir, 'exit.mts');
    const src = resolve(__dirname, '../src/index.ts');
    writeFileSync(
      script,
      `import { sharedWorkerPool } from ${JSON.stringify(src)};
       const out = await sharedWorkerPool().run('echo', new Uint8Array([7]), { ms: 50 });
       console.log('done', out[0], sharedWorkerPool().maxWorkers);\n`,
    );
    const tsx = resolve(__dirname, '../../../node_modules/.bin/tsx');
    // Without unref the worker would keep this process alive until the timeout kills it.
    const t = performance.now();
    const r = spawnSync(tsx, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(performance.now() - t).toBeLessThan(15_000);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^done 7 [1-9]/);
  });
});
