/**
 * Bio-Formats bridge benchmark (issue: @bfio/bioformats-java). Reads every plane of
 *   - a synthetic 4096×2048×8 uint16 uncompressed OME-TIFF written by Bio-Formats' OMETiffWriter (big planes),
 *   - aicspylibczi/CD_s_1_t_3_c_2_z_5.czi (the largest multi-plane non-TIFF sample: 30 planes, 2.4 MB),
 *   - mrc/toxo.dv (34 small big-endian planes),
 * through our backend (node-java's byte[] route and the /dev/shm route, 1 and 2 Java readers) and through the
 * same loop in plain Java (bench/java/ReadAllPlanes.java, compiled here and run in the same JVM) as the ceiling.
 * Timings are medians of interleaved trials (the machine is shared); all our variants must return identical
 * pixels.
 *
 *   pnpm bench:bioformats
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, type TypedArray } from '@bfio/core';
import type { ReaderBackend, Region } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import {
  bioformatsBackend,
  openBioformats,
  resolveJar,
  start,
} from '../packages/bioformats-java/src/index.js';
import { ROOT, writeResults } from './lib/run.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const TRIAL_BYTES = 64 * 2 ** 20; // each trial reads at least this much (repeating the whole series)
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const data = join(ROOT, '..', 'shared', 'data');

// The plain-Java ceiling is compiled first and put on the JVM's classpath: it runs in the same JVM as our reads.
const jar = resolveJar().classpath[0]!;
const classes = mkdtempSync(join(tmpdir(), 'bfio-bench-java-'));
const javac = spawnSync(
  'javac',
  ['-cp', jar, '-d', classes, join(ROOT, 'bench', 'java', 'ReadAllPlanes.java')],
  { encoding: 'utf8' },
);
if (javac.status !== 0) throw new Error(`javac failed:\n${javac.stderr}`);
const info = await start({ classpath: [classes] });
// node-java as the backend loaded it (the same module instance, resolved from the package).
const java = createRequire(join(ROOT, 'packages', 'bioformats-java', 'package.json'))('java');

// The synthetic file, written once (Bio-Formats' own writer, uncompressed: the bridge is what is measured).
const synthetic = join(out, 'bf-synthetic-4096x2048x8.ome.tif');
if (!existsSync(synthetic)) {
  console.error('writing the synthetic OME-TIFF ...');
  const partial = `${synthetic}.partial.ome.tif`;
  rmSync(partial, { force: true });
  const w = await bioformatsBackend.create!(
    partial,
    createOme({ sizeX: 4096, sizeY: 2048, sizeZ: 8, type: 'uint16' }),
    'uint16',
    { tileSize: 1024 },
  );
  const plane = allocate('uint16', 4096 * 2048);
  for (let z = 0; z < 8; z++) {
    for (let i = 0; i < plane.length; i++) plane[i] = (i * 7 + z * 131) & 0xffff;
    await w.writeRegion({ x: [0, 4096], y: [0, 2048], z: [z, z + 1], c: [0], t: [0] }, plane);
  }
  await w.close();
  renameSync(partial, synthetic);
}

const SAMPLES = [
  { name: 'synthetic 4096×2048×8 uint16 OME-TIFF (16 MiB planes)', file: synthetic },
  {
    name: 'CD_s_1_t_3_c_2_z_5.czi 240×170, 30 planes uint16',
    file: join(data, 'aicspylibczi', 'CD_s_1_t_3_c_2_z_5.czi'),
  },
  { name: 'toxo.dv 128×128, 34 planes uint16 big-endian', file: join(data, 'mrc', 'toxo.dv') },
  {
    // The largest multi-plane file of any format (a TIFF: the native backend's, read here through Java).
    name: '181003_multi_pos_time_course_1_MMStack.ome.tif 256×256, 20 planes uint16',
    file: join(
      data,
      'exampletiffs',
      'ometiff_testdata',
      'singles',
      '181003_multi_pos_time_course_1_MMStack.ome.tif',
    ),
  },
];

const VARIANTS = [
  { key: 'bytes1', transfer: 'bytes', readers: 1 },
  { key: 'shm1', transfer: 'shm', readers: 1 },
  { key: 'jni1', transfer: 'jni', readers: 1 },
  { key: 'bytes2', transfer: 'bytes', readers: 2 },
  { key: 'shm2', transfer: 'shm', readers: 2 },
  { key: 'jni2', transfer: 'jni', readers: 2 },
] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const digest = (a: TypedArray) =>
  createHash('sha1')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

interface Row {
  name: string;
  mb: number;
  java: number;
  java2: number; // plain Java, two readers on two threads
  rates: Record<string, number>;
}
const rows: Row[] = [];
for (const sample of SAMPLES) {
  const readers: Record<string, ReaderBackend> = {};
  for (const v of VARIANTS)
    readers[v.key] = await openBioformats(sample.file, { transfer: v.transfer, readers: v.readers });
  const l = readers.shm1!.series[0]!.levels[0]!;
  const dtype = readers.shm1!.series[0]!.dtype;
  const region: Region = {
    x: [0, l.sizeX],
    y: [0, l.sizeY],
    z: [0, l.sizeZ],
    c: [...Array(l.sizeC).keys()],
    t: [...Array(l.sizeT).keys()],
  };
  const buf = allocate(dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
  const reps = Math.max(1, Math.ceil(TRIAL_BYTES / buf.byteLength));
  console.error(`${sample.name}: ${reps} whole reads per trial, ${TRIALS} trials`);

  // Warm-up (JIT, file cache, the second reader opening: asked for by the first read, then waited for) and
  // the content check.
  for (const v of VARIANTS) {
    await readers[v.key]!.readRegion({ series: 0, level: 0 }, region, buf);
    const count = () => (readers[v.key] as unknown as { readerCount: number }).readerCount;
    for (let i = 0; i < 600 && count() < v.readers; i++) await new Promise((res) => setTimeout(res, 50));
    if (count() !== v.readers) throw new Error(`${sample.name}: ${v.key} opened ${count()} Java readers`);
    for (let k = 0; k < reps; k++) await readers[v.key]!.readRegion({ series: 0, level: 0 }, region, buf);
  }
  const sums = new Set<string>();
  for (const v of VARIANTS) {
    buf.fill(0);
    await readers[v.key]!.readRegion({ series: 0, level: 0 }, region, buf);
    sums.add(digest(buf));
  }
  if (sums.size !== 1) throw new Error(`${sample.name}: the variants read different pixels`);

  const plain = java.callStaticMethodSync('ReadAllPlanes', 'open', sample.file, 0);
  const plain2 = java.callStaticMethodSync('ReadAllPlanes', 'open', sample.file, 0);
  await java.callStaticMethodPromise('ReadAllPlanes', 'readAll', plain, 1); // warm-up
  await java.callStaticMethodPromise('ReadAllPlanes', 'readAllTwo', plain, plain2, 1);

  const times: Record<string, number[]> = { java: [], java2: [] };
  for (let t = 0; t < TRIALS; t++) {
    times.java!.push(await java.callStaticMethodPromise('ReadAllPlanes', 'readAll', plain, reps));
    times.java2!.push(await java.callStaticMethodPromise('ReadAllPlanes', 'readAllTwo', plain, plain2, reps));
    for (const v of VARIANTS) {
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) await readers[v.key]!.readRegion({ series: 0, level: 0 }, region, buf);
      times[v.key] ??= [];
      times[v.key]!.push((performance.now() - t0) / 1000);
    }
  }
  const rates: Record<string, number> = {};
  for (const v of VARIANTS) rates[v.key] = (buf.byteLength * reps) / 1e6 / median(times[v.key]!);
  const javaRate = (buf.byteLength * reps) / 1e6 / median(times.java!);
  const java2Rate = (buf.byteLength * reps) / 1e6 / median(times.java2!);
  plain.closeSync();
  plain2.closeSync();
  for (const r of Object.values(readers)) await r.close();
  rows.push({ name: sample.name, mb: buf.byteLength / 1e6, java: javaRate, java2: java2Rate, rates });
  console.error(
    `  Java ${javaRate.toFixed(0)} MB/s, 2 threads ${java2Rate.toFixed(0)}; ${VARIANTS.map((v) => `${v.key} ${rates[v.key]!.toFixed(0)}`).join(', ')}`,
  );
}
rmSync(classes, { recursive: true, force: true });

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;
const czi = rows[1]!;
const md = `## Bio-Formats bridge (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:bioformats\`. Bio-Formats ${info.bioformatsVersion}, Java ${info.javaVersion}, node-java 0.18.0.
Every plane of series 0 read through our backend (\`readRegion\` of the whole series into one array) vs the same
\`openBytes\` loop in plain Java (\`bench/java/ReadAllPlanes.java\`: one reader, one reused buffer; and two readers
on two threads, half the planes each; timed inside the same JVM in the same interleaved trials). MB/s = 10⁶ bytes
of pixels per second; medians of ${TRIALS} interleaved trials of ≥ 64 MiB each. Routes: *jni* (the default where
built): this package's addon calls openBytes through JNI and copies each block once, from the Java \`byte[]\` into
the output; *shm*: Java copies the block into a memory-mapped file in /dev/shm that Node reads into the output
(lists of ≥ 8 MiB pipelined in ~4 MiB sub-batches); *byte[]*: node-java returns a \`byte[]\` (copied into a new
ArrayBuffer on the main thread). Whole planes go as lists of plane numbers, one bridge call per list. Requests
≤ 8 MiB: the main thread drives one reader with synchronous calls while the other reader's share runs on a libuv
thread.

| sample | plain Java | plain Java, 2 threads | byte[], 1 reader | shm, 1 reader | jni, 1 reader | byte[], 2 readers | shm, 2 readers | jni, 2 readers |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.name} | ${r.java.toFixed(0)} | ${r.java2.toFixed(0)} | ${r.rates.bytes1!.toFixed(0)} (${pct(r.rates.bytes1!, r.java)}) | ${r.rates.shm1!.toFixed(0)} (${pct(r.rates.shm1!, r.java)}) | ${r.rates.jni1!.toFixed(0)} (${pct(r.rates.jni1!, r.java)}) | ${r.rates.bytes2!.toFixed(0)} | ${r.rates.shm2!.toFixed(0)} | ${r.rates.jni2!.toFixed(0)} |`,
  )
  .join('\n')}

| ratio | value | target |
|---|---:|---:|
${rows.map((r) => `| ${r.name}: 1 reader (jni, the default) / plain Java | ${(r.rates.jni1! / r.java).toFixed(2)} | ≥ 0.80 |`).join('\n')}
${rows.map((r) => `| ${r.name}: 1 reader (shm, without the addon) / plain Java | ${(r.rates.shm1! / r.java).toFixed(2)} | |`).join('\n')}
| acceptance 5, largest multi-plane sample (CZI): 2 readers / 1 reader (jni) | ${(czi.rates.jni2! / czi.rates.jni1!).toFixed(2)} | > 1 |
| same, shm route | ${(czi.rates.shm2! / czi.rates.shm1!).toFixed(2)} | > 1 |
| same, byte[] route | ${(czi.rates.bytes2! / czi.rates.bytes1!).toFixed(2)} | > 1 |
| same in plain Java (2 threads / 1), the ceiling | ${(czi.java2 / czi.java).toFixed(2)} | |
${rows
  .filter((r) => r !== czi)
  .map(
    (r) =>
      `| ${r.name}: 2 readers / 1 reader (jni; shm) | ${(r.rates.jni2! / r.rates.jni1!).toFixed(2)}; ${(r.rates.shm2! / r.rates.shm1!).toFixed(2)} | |`,
  )
  .join('\n')}

Pixels checked: for each sample the six variants return identical bytes (sha1 of the whole series).
The machine is shared with other jobs: single numbers vary by ±30 %.
`;
writeResults('bioformats', md);
console.log(md);
process.exit(0);
