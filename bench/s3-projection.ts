/**
 * Projection: a 200,000 × 200,000 × 4-channel uint16 slide converted to OME-Zarr 0.5 (`--pyramid 7`, 1024²
 * chunks, zstd-1) by 1,000 tasks (`bfio convert IN s3://… --part i/1000`, then `bfio finalize`), chunked and in
 * 8192² shards. The plan is the library's own (`storeLayout` + `planParts` + `summarizePart`, what
 * `bfio convert --plan 1000` prints); the rates, the zstd ratio and the memory are the ones `pnpm bench:s3`
 * measured (read from its block in bench/RESULTS.md). Prints markdown (pasted into bench/README.md).
 *
 *   node_modules/.bin/tsx bench/s3-projection.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOme } from '../packages/ome-xml/src/index.js';
import {
  levelPlan,
  type PartPlan,
  type PartSummary,
  planParts,
  storeLayout,
  summarizePart,
  type Vec5,
} from '../packages/zarr/src/index.js';
import { ROOT } from './lib/run.js';

const SIZE = 200_000;
const CHANNELS = 4;
const TASKS = 1000;
const PYRAMID = 7;
const BPP = 2;

// What bench/s3-parts.ts measured (its machine-readable line in the s3 block of bench/RESULTS.md).
const results = readFileSync(join(ROOT, 'bench', 'RESULTS.md'), 'utf8');
const found = /<!-- s3-data (\{.*\}) -->/.exec(results);
if (!found) throw new Error('bench/RESULTS.md has no s3 block with measurements: run pnpm bench:s3 first');
const measured = JSON.parse(found[1]!) as {
  size: number;
  cores: number;
  sourceMiB: number;
  zstdRatio: number;
  fourPartMiBps: number;
  onePartMiBps: number;
  directMiBps: number;
  cliMiBPerCpuSecond: number;
  maxPartRssMiB: number;
  maxFinalizeRssMiB: number;
};
// MiB of source pixels per second per core: the end-to-end throughput (parts + finalize, process start-up,
// MinIO on the same cores) of the 1-part run straight to MinIO, over the machine's cores. Bounds: the 4-part
// run through the counting proxy (4 processes on 2 cores) below, the CLI's own CPU alone above.
const perCore = measured.directMiBps / measured.cores;
const slowCore = measured.fourPartMiBps / measured.cores;
const fastCore = measured.cliMiBPerCpuSecond;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const gib = (b: number) => (b / GiB).toFixed(1);
const mibs = (b: number) => (b / MiB).toFixed(1);
const secs = (s: number) =>
  s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;

const metadata = createOme({ sizeX: SIZE, sizeY: SIZE, sizeC: CHANNELS, type: 'uint16' });
const target = 's3://lab/slide.ome.zarr';
const variants = [
  { name: 'chunked (1024² chunks)', options: { tileSize: 1024, pyramidLevels: PYRAMID } },
  {
    name: 'sharded (8192² shards of 1024² chunks)',
    options: { tileSize: 1024, pyramidLevels: PYRAMID, shards: [1, 1, 1, 8192, 8192] as Vec5 },
  },
];

/** Objects (chunks or shards) of each level. */
const objectsPerLevel = (plan: PartPlan) =>
  plan.shapes.map((shape, k) => {
    const unit = (plan.shards?.[k] ?? plan.chunks[k]) as Vec5;
    return prod(shape.map((n, i) => Math.ceil(n / (unit[i] as number))));
  });
/** Uncompressed bytes of the objects of each level (whole objects, edges padded, as stored before zstd). */
const bytesPerLevel = (plan: PartPlan) =>
  objectsPerLevel(plan).map((n, k) => n * prod((plan.shards?.[k] ?? plan.chunks[k]) as Vec5) * BPP);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};

/** The stages `bfio finalize` runs for the levels no part owns (as finalizeStore: one task per stage). */
function finalizeStages(plan: PartPlan, tasks: number) {
  const stages: Array<{ from: number; builds: number[]; summaries: PartSummary[] }> = [];
  for (let k = plan.owned; k < plan.levels; ) {
    const sub = levelPlan(plan, k - 1, tasks);
    const builds = Array.from({ length: sub.owned - 1 }, (_, j) => k + j);
    stages.push({
      from: k - 1,
      builds,
      summaries: Array.from({ length: tasks }, (_, i) => summarizePart(sub, i)),
    });
    k += sub.owned - 1;
  }
  return stages;
}

const out: string[] = [];
const p = (s = '') => out.push(s);

p(
  `Image: ${int(SIZE)} × ${int(SIZE)} × ${CHANNELS} channels uint16 = ${int(SIZE * SIZE * CHANNELS * BPP)} B = ` +
    `${gib(SIZE * SIZE * CHANNELS * BPP)} GiB of pixels; \`--pyramid ${PYRAMID}\` (${PYRAMID + 1} levels), ${TASKS} tasks.`,
);
p();
p(
  `Measured (pnpm bench:s3, ${measured.size}² × 3 channels, ${measured.cores} cores): 1 part + finalize straight to MinIO at ` +
    `${measured.directMiBps.toFixed(1)} MiB/s → ${measured.directMiBps.toFixed(1)} / ${measured.cores} cores = ` +
    `**${perCore.toFixed(1)} MiB/s per core** (range: 4 parts through the proxy ${measured.fourPartMiBps.toFixed(1)} / ${measured.cores} = ` +
    `${slowCore.toFixed(1)}; the CLI's own CPU, MinIO's left out: ${fastCore.toFixed(1)} MiB per CPU-second); ` +
    `zstd-1 ratio **${measured.zstdRatio.toFixed(2)}**; peak RSS ${measured.maxPartRssMiB.toFixed(0)} MiB per part, ` +
    `${measured.maxFinalizeRssMiB.toFixed(0)} MiB for finalize.`,
);

for (const v of variants) {
  const layout = storeLayout(target, metadata, 'uint16', v.options);
  const plan = planParts(layout, 'uint16', TASKS);
  const summaries = Array.from({ length: TASKS }, (_, i) => summarizePart(plan, i));
  const perLevel = objectsPerLevel(plan);
  const levelBytes = bytesPerLevel(plan);
  const docs = layout.documents().length;
  const totalObjects = perLevel.reduce((a, b) => a + b, 0);
  const stages = finalizeStages(plan, 1);
  const [, , , by, bx] = plan.block;
  const [, gc, , gy, gx] = plan.grid;

  p();
  p(`### ${v.name}`);
  p();
  p(
    `Plan (\`bfio convert --plan ${TASKS}\`): ${plan.levels} levels, the parts own levels 0…${plan.owned - 1} ` +
      `(ownedLevels ${plan.owned}); block ${int(by)} × ${int(bx)} px × 1 channel ` +
      `(= object edge ${int((plan.shards?.[0] ?? plan.chunks[0])![3])} × 2^${plan.owned - 1}); blocks ${gc} × ${gy} × ${gx} = ` +
      `${int(plan.blocks)} over ${TASKS} tasks → ${Math.floor(plan.blocks / TASKS)}–${Math.ceil(plan.blocks / TASKS)} blocks per task` +
      (plan.owned < plan.levels
        ? `. With ${plan.owned + 1} levels a block would be ${int(by * 2)} px: ` +
          `${gc} × ${Math.ceil(SIZE / (by * 2))} × ${Math.ceil(SIZE / (bx * 2))} = ${int(gc * Math.ceil(SIZE / (by * 2)) * Math.ceil(SIZE / (bx * 2)))} blocks < ${TASKS}.`
        : '.'),
  );
  p();
  p(
    '| level | shape (Y × X) | object edge | objects (C × Y × X) | written by | uncompressed | est. stored (÷ ratio) |',
  );
  p('|---:|---|---:|---:|---|---:|---:|');
  plan.shapes.forEach((shape, k) => {
    const unit = (plan.shards?.[k] ?? plan.chunks[k]) as Vec5;
    const oy = Math.ceil(shape[3] / unit[3]);
    const ox = Math.ceil(shape[4] / unit[4]);
    const who = k < plan.owned ? 'parts' : 'finalize';
    p(
      `| ${k} | ${int(shape[3])} × ${int(shape[4])} | ${int(unit[3])} | ${CHANNELS} × ${oy} × ${ox} = ${int(perLevel[k]!)} | ${who} | ` +
        `${gib(levelBytes[k]!)} GiB | ${gib(levelBytes[k]! / measured.zstdRatio)} GiB |`,
    );
  });
  const allBytes = levelBytes.reduce((a, b) => a + b, 0);
  p(
    `| all | | | **${int(totalObjects)}** + ${docs} metadata = ${int(totalObjects + docs)} objects | | ${gib(allBytes)} GiB | ` +
      `${gib(allBytes / measured.zstdRatio)} GiB |`,
  );
  p();

  const objs = stats(summaries.map((s) => s.objects.reduce((a, b) => a + b, 0)));
  const inB = stats(summaries.map((s) => s.inputBytes));
  const outB = stats(summaries.map((s) => s.outputBytes));
  const partObjects = summaries.reduce((a, s) => a + s.objects.reduce((x, y) => x + y, 0), 0);
  const time = (b: number) => b / MiB / perCore;
  p('Per task (min / median / max over the 1,000 `summarizePart` results):');
  p();
  p('| per task | min | median | max |');
  p('|---|---:|---:|---:|');
  p(
    `| objects written = PUT requests (+ the plan, by each task that finds none yet) | ${objs.min} | ${objs.median} | ${objs.max} |`,
  );
  p(
    `| read: source pixels (uncompressed) | ${mibs(inB.min)} MiB | ${mibs(inB.median)} MiB | ${mibs(inB.max)} MiB |`,
  );
  p(`| written, uncompressed | ${mibs(outB.min)} MiB | ${mibs(outB.median)} MiB | ${mibs(outB.max)} MiB |`);
  p(
    `| written, est. zstd (÷ ${measured.zstdRatio.toFixed(2)}) | ${mibs(outB.min / measured.zstdRatio)} MiB | ` +
      `${mibs(outB.median / measured.zstdRatio)} MiB | ${mibs(outB.max / measured.zstdRatio)} MiB |`,
  );
  p(
    `| wall time at ${perCore.toFixed(1)} MiB/s per core (read MiB ÷ rate) | ${secs(time(inB.min))} | ${secs(time(inB.median))} | ${secs(time(inB.max))} |`,
  );
  p();
  p(
    `Arithmetic (median task): ${mibs(inB.median)} MiB ÷ ${perCore.toFixed(1)} MiB/s = ${secs(time(inB.median))} ` +
      `(${secs(inB.median / MiB / fastCore)}–${secs(inB.median / MiB / slowCore)} over the range); ` +
      `${objs.median} PUTs ÷ ${secs(time(inB.median))} = ${(objs.median / time(inB.median)).toFixed(1)} PUT/s per task` +
      `, ${int((objs.median / time(inB.median)) * TASKS)} PUT/s for 1,000 tasks at once.`,
  );
  p();

  // Finalize: levels the parts could not own, built from the last owned level read back from the store.
  let finRead = 0;
  let finObjects = 0;
  let finWritten = 0;
  for (const st of stages)
    for (const s of st.summaries) {
      finRead += s.inputBytes;
      finObjects += s.objects.reduce((a, b) => a + b, 0);
      finWritten += s.outputBytes;
    }
  const finPuts = finObjects + docs;
  const totalPuts = partObjects + finPuts + 1;
  // finalize lists the store once, again after each stage it builds, and `.bfio/` once (pages of 1,000 keys).
  const lists = (stages.length + 1) * Math.ceil((totalObjects + docs) / 1000) + 1;
  p(
    `Finalize: ${
      stages.length
        ? stages
            .map(
              (st) =>
                `reads level ${st.from} back (${gib(st.summaries.reduce((a, s) => a + s.inputBytes, 0))} GiB uncompressed) and builds level${st.builds.length > 1 ? 's' : ''} ${st.builds.join(', ')}`,
            )
            .join('; ')
        : 'builds nothing'
    }: ${int(finObjects)} objects (${gib(finWritten)} GiB uncompressed, ${gib(finWritten / measured.zstdRatio)} GiB est. stored), ` +
      `then the ${docs} metadata documents: ${int(finPuts)} PUTs, ~${int(lists)} LIST requests (pages of 1,000 keys) ` +
      `and one DeleteObjects of \`.bfio/\`; at ${perCore.toFixed(1)} MiB/s per core: ${secs(finRead / MiB / perCore)} in one process.`,
  );
  if (finRead > 64 * GiB) {
    // Too much for one process: the levels split over the same 1,000 tasks, stage after stage
    // (`bfio convert IN OUT --part i/1000 --level L`, each stage reading level L−1 back), then finalize.
    const split = finalizeStages(plan, TASKS);
    p(
      `That is one process reading ${gib(finRead)} GiB. Split instead, stage after stage, over the same ${TASKS} tasks ` +
        `(\`bfio convert IN OUT --part i/${TASKS} --level L\`, then \`bfio finalize\`, which then only writes the metadata):`,
    );
    p();
    p(
      '| stage | reads level | builds | blocks | tasks with work | max read per task | max objects per task | time per task |',
    );
    p('|---:|---:|---|---:|---:|---:|---:|---:|');
    split.forEach((st, n) => {
      const busy = st.summaries.filter((s) => s.blocks[1] > s.blocks[0]);
      const maxRead = Math.max(...st.summaries.map((s) => s.inputBytes));
      const maxObj = Math.max(...st.summaries.map((s) => s.objects.reduce((a, b) => a + b, 0)));
      const blocks = st.summaries.reduce((a, s) => a + s.blocks[1] - s.blocks[0], 0);
      p(
        `| ${n + 1} | ${st.from} | ${st.builds.join(', ')} | ${int(blocks)} | ${busy.length} | ${mibs(maxRead)} MiB | ${maxObj} | ${secs(maxRead / MiB / perCore)} |`,
      );
    });
    const critical = split.reduce(
      (a, st) => a + Math.max(...st.summaries.map((s) => s.inputBytes)) / MiB / perCore,
      0,
    );
    p();
    p(
      `Stages run one after another: ${secs(critical)} on the critical path (longest task of each stage) instead of ` +
        `${secs(finRead / MiB / perCore)}.`,
    );
  }
  p();
  p(
    `PUT requests in total: parts ${int(partObjects)} + plan ≥ 1 + finalize ${int(finPuts)} = at least **${int(totalPuts)}**` +
      ` (1,000 tasks: ${(partObjects / TASKS).toFixed(1)} PUTs per task on average).`,
  );
}

p();
p(
  `Memory per task: measured peak RSS ${measured.maxPartRssMiB.toFixed(0)} MiB per part (${measured.size}² source), ` +
    `${measured.maxFinalizeRssMiB.toFixed(0)} MiB for finalize; projected the same for every task here (see below).`,
);
console.log(out.join('\n'));
