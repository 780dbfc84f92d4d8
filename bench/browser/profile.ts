/**
 * Where a reader spends the page's main thread: one full read (after an untimed one) with Chromium's CPU
 * profiler on the page's thread (CDP Profiler), printed as the functions with the most self time, plus the
 * read's long tasks. A tool for looking into bench:browser's figures, not part of them.
 *
 *   tsx bench/browser/profile.ts [ours-tiff|geotiff|ours-zarr|zarrita] [--not-isolated] [--workers N]
 */
import { join } from 'node:path';
import { bundlePage } from '../../test-support/browser/bundle.js';
import { runInPage } from '../../test-support/browser/page.js';
import { ROOT } from '../lib/run.js';
import type { ReaderName } from './page.js';
import { cpuByThread, OUT, openBenchPage } from './session.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const reader = (process.argv[2] ?? 'ours-tiff') as ReaderName;
const isolated = !process.argv.includes('--not-isolated');
const workersAt = process.argv.indexOf('--workers');
const workers = workersAt > 0 ? Number(process.argv[workersAt + 1]) : undefined;
const pageDir = join(OUT, 'browser-page');
await bundlePage(join(ROOT, 'bench', 'browser', 'page.ts'), pageDir);
const session = await openBenchPage(pageDir, isolated);
try {
  const { page } = session;
  const url = session.url(reader);
  if (workers) await runInPage(page, (n) => window.bench.useWorkers(n), workers);
  await runInPage(page, ([n, u]) => window.bench.read(n, u, false), [reader, url] as const);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const cpu0 = cpuByThread();
  const result = await runInPage(page, ([n, u]) => window.bench.read(n, u, false), [reader, url] as const);
  const cpu1 = cpuByThread();
  const threads = [...cpu1]
    .map(([k, v]) => [k, v - (cpu0.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const cpu = threads.reduce((a, [, v]) => a + v, 0);
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${reader} (isolated: ${isolated}): ${(result.bytes / 2 ** 20 / (result.ms / 1000)).toFixed(1)} MiB/s, ${result.ms.toFixed(0)} ms; CPU ${cpu.toFixed(2)} s (Chromium + server); long tasks ${JSON.stringify(result.longTasks)}; gaps ${JSON.stringify(result.gapMs)}`,
  );
  console.log(`CPU s by thread: ${threads.map(([k, v]) => `${k} ${v.toFixed(2)}`).join('; ')}`);
  console.log(`main thread samples: ${total.toFixed(0)} ms in all; by self time:`);
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${v.toFixed(1).padStart(9)} ms  ${k}`);
} finally {
  await session.close();
}
