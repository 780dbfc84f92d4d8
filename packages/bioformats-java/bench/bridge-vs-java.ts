/**
 * Bridge vs plain Java: read every plane of a synthetic 4096x2048x8 uint16 uncompressed OME-TIFF (written by
 * OMETiffWriter) and of toxo.dv, through our backend (1 and 2 readers) and through a plain-Java loop
 * (test/java/RefTool.java `time`). Run: `npx tsx bench/bridge-vs-java.ts` from this package.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { bioformatsJar, dataPath } from '../../../test-support/env.js';
import { bioformatsBackend } from '../src/index.js';
import { compileRefTool, runRefTool } from '../test/ref-tool.js';

const jar = bioformatsJar()!;
const tmp = mkdtempSync(join(tmpdir(), 'bfio-bench-'));
const big = join(tmp, 'big.ome.tif');
const ome = createOme({ sizeX: 4096, sizeY: 2048, sizeZ: 8, type: 'uint16' });
const w = await bioformatsBackend.create!(big, ome, 'uint16', { tileSize: 1024 });
const plane = allocate('uint16', 4096 * 2048);
for (let z = 0; z < 8; z++)
  await w.writeRegion({ x: [0, 4096], y: [0, 2048], z: [z, z + 1], c: [0], t: [0] }, plane);
await w.close();

const classes = compileRefTool(jar);
for (const [name, file, reps] of [
  ['synthetic 4096x2048x8 uint16', big, 2],
  ['toxo.dv 128x128x17x2 uint16', dataPath('mrc/toxo.dv'), 50],
] as const) {
  const out = runRefTool(jar, classes, ['time', file, '0', String(reps)]);
  const [, bytes, secs] = out.match(/@@@TIME (\d+) ([\d.]+)/)!;
  const javaMBs = Number(bytes) / 1e6 / Number(secs);
  const rates: number[] = [];
  for (const readers of [1, 2]) {
    const r = await bioformatsBackend.open!(file, { readers });
    const l = r.series[0]!.levels[0]!;
    const region = {
      x: [0, l.sizeX] as [number, number],
      y: [0, l.sizeY] as [number, number],
      z: [0, l.sizeZ] as [number, number],
      c: [...Array(l.sizeC).keys()],
      t: [...Array(l.sizeT).keys()],
    };
    const buf = allocate(r.series[0]!.dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
    await r.readRegion({ series: 0, level: 0 }, region, buf);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await r.readRegion({ series: 0, level: 0 }, region, buf);
    rates.push((buf.byteLength * reps) / 1e6 / ((performance.now() - t0) / 1000));
    await r.close();
  }
  console.log(
    `| ${name} | ${javaMBs.toFixed(0)} | ${rates[0]!.toFixed(0)} (${((100 * rates[0]!) / javaMBs).toFixed(0)} %) | ${rates[1]!.toFixed(0)} |`,
  );
}
rmSync(tmp, { recursive: true, force: true });
process.exit(0);
