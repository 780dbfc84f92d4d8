/**
 * One conversion split over tasks: `bfio convert IN OUT --part i/N` run as separate processes in shuffled
 * order, one twice, one killed and re-run, then `bfio finalize`: the store equals the one-process
 * conversion object for object (bytes of every chunk/shard object, pyramids included), in MinIO and on a
 * local folder; finalize before all parts names what is missing; `--resume` skips whole blocks (checked).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, REPO_ROOT } from '../../../test-support/env.js';
import { awsSdkS3, type Minio, startMinio } from '../../../test-support/minio.js';
import { runPythonJson } from '../../../test-support/python.js';

const ready = available('minio', 'python');
const BIN = join(REPO_ROOT, 'apps', 'cli', 'src', 'bin.ts');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(TSX, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const run = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

/** Every object under `prefix` (s3://bucket/key or a folder): relative key → bytes. */
async function contents(prefix: string, minio?: Minio): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!prefix.startsWith('s3://')) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else out.set(relative(prefix, full), readFileSync(full));
      }
    };
    walk(prefix);
    return out;
  }
  const { ListObjectsV2Command, GetObjectCommand } = awsSdkS3();
  const s3 = (minio as Minio).client();
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(prefix) as RegExpExecArray;
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        out.set(o.Key.slice(key.length + 1), Buffer.from(await got.Body.transformToByteArray()));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    s3.destroy();
  }
  return out;
}

function expectSameStore(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  const differ = [...a].filter(([k, v]) => Buffer.compare(v, b.get(k) as Buffer) !== 0).map(([k]) => k);
  expect(differ).toEqual([]);
}

describe.skipIf(!ready)('bfio convert --part i/N, then bfio finalize', () => {
  let minio: Minio;
  let work: string;
  let input: string;

  beforeAll(async () => {
    minio = await startMinio();
    await minio.makeBucket('parts');
    work = mkdtempSync(join(tmpdir(), 'bfio-parts-'));
    input = join(work, 'in.ome.tif');
    // A 2-channel image written by tifffile (the peer), tiled and compressed like a real slide.
    await runPythonJson(
      `
import json, sys, numpy as np, tifffile
a = json.load(sys.stdin)
rng = np.random.default_rng(3)
y, x = np.mgrid[0:2100, 0:3000]
img = np.stack([(y * 5 + x * 3 + rng.integers(0, 40, y.shape)) % 65535, (y * x // 101 + rng.integers(0, 20, y.shape)) % 65535]).astype('uint16')
tifffile.imwrite(a['input'], img[None, :, None], ome=True, tile=(256, 256), compression='zlib', metadata={'axes': 'TCZYX', 'PhysicalSizeX': 0.25, 'PhysicalSizeY': 0.25})
print('null')
`,
      { input },
    );
  });

  afterAll(async () => {
    await minio?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const configs: Array<{ name: string; flags: string[] }> = [
    { name: 'chunks', flags: ['--tile-size', '256', '--pyramid', '4'] },
    { name: 'shards', flags: ['--tile-size', '128', '--shard-size', '512', '--pyramid', '4'] },
  ];

  for (const cfg of configs) {
    it(`in MinIO (${cfg.name}): shuffled, repeated and killed parts give the one-process store, object for object`, async () => {
      const env = minio.env;
      const one = `s3://parts/one-${cfg.name}.ome.zarr`;
      const out = `s3://parts/split-${cfg.name}.ome.zarr`;
      const single = await run(['convert', input, one, ...cfg.flags], env);
      expect(single.code, single.stderr).toBe(0);
      const info = await run(['info', one, '--json'], env);
      expect(info.code, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({ X: 3000, Y: 2100, C: 2, levels: 4, dtype: 'uint16' });

      const planned = await run(['convert', input, out, ...cfg.flags, '--plan', '4'], env);
      expect(planned.code, planned.stderr).toBe(0);
      const plan = JSON.parse(planned.stdout) as {
        parts: number;
        levels: number;
        plan: Array<{ part: number; objects: number[]; inputBytes: number }>;
      };
      expect(plan.parts).toBe(4);
      expect(plan.levels).toBe(4);
      expect(plan.plan).toHaveLength(4);
      // The parts cover the image: their input bytes add up to the whole (2 channels × 2100 × 3000 × 2 B).
      expect(plan.plan.reduce((a, p) => a + p.inputBytes, 0)).toBe(2 * 2100 * 3000 * 2);

      for (const i of [2, 0, 2]) {
        const r = await run(['convert', input, out, ...cfg.flags, '--part', `${i}/4`], env);
        expect(r.code, r.stderr).toBe(0);
      }
      // Part 3 killed as soon as it has started writing.
      const killed = start(['convert', input, out, ...cfg.flags, '--part', '3/4'], env);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && killed.child.exitCode === null) {
        if ((await contents(out, minio)).size > 1) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      killed.child.kill('SIGKILL');
      await killed.done;

      // Before every part is done: finalize refuses, naming the parts to re-run, and there is no image.
      const early = await run(['finalize', out], env);
      expect(early.code).toBe(3);
      expect(early.stderr).toMatch(/part 1\/4: \d+ objects? missing/);
      expect([...(await contents(out, minio)).keys()].filter((k) => k.endsWith('zarr.json'))).toEqual([]);

      for (const i of [3, 1]) {
        const r = await run(['convert', input, out, ...cfg.flags, '--part', `${i}/4`], env);
        expect(r.code, r.stderr).toBe(0);
      }
      const fin = await run(['finalize', out, '--json'], env);
      expect(fin.code, fin.stderr).toBe(0);
      expect(JSON.parse(fin.stdout)).toMatchObject({ levels: 4 });
      expectSameStore(await contents(one, minio), await contents(out, minio));
    });
  }

  it('on a local folder, with more parts than the pyramid allows: finalize builds the levels no part owns', async () => {
    const one = join(work, 'one.ome.zarr');
    const out = join(work, 'split.ome.zarr');
    const flags = ['--tile-size', '256', '--pyramid', '4'];
    expect((await run(['convert', input, one, ...flags])).code).toBe(0);
    const planned = JSON.parse((await run(['convert', input, out, ...flags, '--plan', '12'])).stdout) as {
      ownedLevels: number;
    };
    expect(planned.ownedLevels).toBeLessThan(4);
    const results = await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; i < 12; i += 2) {
          const r = await run(['convert', input, out, ...flags, '--part', `${i}/12`]);
          if (r.code !== 0) return r.stderr;
        }
        return '';
      }),
    );
    expect(results).toEqual(['', '']);
    const fin = await run(['finalize', out, '--json']);
    expect(fin.code, fin.stderr).toBe(0);
    expect((JSON.parse(fin.stdout) as { built: number[] }).built.length).toBeGreaterThan(0);
    expectSameStore(await contents(one), await contents(out));
  });

  it('--part i/M --level L builds the levels the parts could not own, split over tasks too', async () => {
    const one = join(work, 'one-level.ome.zarr');
    const out = join(work, 'levels.ome.zarr');
    const flags = ['--tile-size', '256', '--pyramid', '4'];
    expect((await run(['convert', input, one, ...flags])).code).toBe(0);
    const planned = JSON.parse((await run(['convert', input, out, ...flags, '--plan', '12'])).stdout) as {
      ownedLevels: number;
    };
    expect(planned.ownedLevels).toBe(3);
    for (let i = 0; i < 12; i++)
      expect((await run(['convert', input, out, ...flags, '--part', `${i}/12`])).code).toBe(0);
    // Level 3 from level 2, in two tasks; finalize then has nothing left to build.
    for (const i of [1, 0]) {
      const r = await run(['convert', input, out, ...flags, '--part', `${i}/2`, '--level', '3', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ levels: [3] });
    }
    const fin = await run(['finalize', out, '--json']);
    expect(fin.code, fin.stderr).toBe(0);
    expect(JSON.parse(fin.stdout)).toMatchObject({ levels: 4, built: [] });
    expectSameStore(await contents(one), await contents(out));
  });

  it('--resume skips whole blocks already written (checked) and finishes the store', async () => {
    const one = join(work, 'one-resume.ome.zarr');
    const out = join(work, 'resumed.ome.zarr');
    const flags = ['--tile-size', '256', '--pyramid', '4'];
    expect((await run(['convert', input, one, ...flags])).code).toBe(0);
    expect((await run(['convert', input, out, ...flags, '--part', '0/2'])).code).toBe(0);
    const r = await run(['convert', input, out, ...flags, '--resume', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { blocks: number; skipped: number };
    expect(summary.skipped).toBeGreaterThan(0);
    expect(summary.skipped).toBeLessThan(summary.blocks);
    expectSameStore(await contents(one), await contents(out));
  });

  it('refuses OME-TIFF output in parts, and a part of a different plan in the same store', async () => {
    const tif = await run(['convert', input, join(work, 'x.ome.tif'), '--part', '0/2']);
    expect(tif.code).toBe(1);
    expect(tif.stderr).toMatch(/OME-Zarr.*cannot be written by many tasks/);
    const out = join(work, 'mixed.ome.zarr');
    expect((await run(['convert', input, out, '--tile-size', '256', '--part', '0/2'])).code).toBe(0);
    // Another split of the same store is fine (same objects); another layout is not.
    expect((await run(['convert', input, out, '--tile-size', '256', '--part', '2/3'])).code).toBe(0);
    const other = await run(['convert', input, out, '--tile-size', '512', '--part', '0/3']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(
      /another conversion \(.*chunks \[1,1,1,256,256\]\) than this one \(.*chunks \[1,1,1,512,512\]\)/,
    );
  });
});
