import { BioReader } from '@bfio/core';
import '@bfio/zarr';
import { createRequire } from 'node:module';

if (process.env.POOL)
  (globalThis as any).__bfioAlloc = createRequire(import.meta.url)(
    '/work/main/packages/codecs/native-lane/build/Release/bfio_lane.node',
  ).alloc;
const [path, edgeT, mode] = process.argv.slice(2);
const edge = Number(edgeT);
const t0 = performance.now();
const c0 = process.cpuUsage();
await using br = await BioReader.open(path!, { maxWorkers: 2 });
console.log(
  'open',
  ((performance.now() - t0) / 1000).toFixed(3),
  'cpu',
  ((process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6).toFixed(3),
);
const o: number[][] = [];
for (let z = 0; z < br.Z; z += edge)
  for (let y = 0; y < br.Y; y += edge) for (let x = 0; x < br.X; x += edge) o.push([z, y, x]);
let next = 0;
let s = 0;
const elu0 = performance.eventLoopUtilization();
const lane = async () => {
  const out = mode === 'reuse' ? new Uint16Array(edge ** 3) : undefined;
  while (next < o.length) {
    const [z, y, x] = o[next++]!;
    const a = await br.read(
      { Z: [z!, z! + edge], Y: [y!, y! + edge], X: [x!, x! + edge], C: 0, T: 0 },
      out ? { out } : {},
    );
    s += (a.data as Uint16Array)[7]!;
  }
};
await Promise.all(Array.from({ length: 8 }, lane));
const u = process.cpuUsage(c0);
const elu = performance.eventLoopUtilization(elu0);
console.log(
  'main busy ms',
  elu.active.toFixed(0),
  'per read us',
  ((elu.active * 1000) / o.length).toFixed(1),
);
console.log(
  mode,
  ((performance.now() - t0) / 1000).toFixed(2),
  's cpu',
  ((u.user + u.system) / 1e6).toFixed(2),
  s,
);
