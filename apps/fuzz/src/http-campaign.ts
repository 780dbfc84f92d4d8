/**
 * The HTTP campaign: seeds served by a misbehaving loopback server (test-support/faulty-http-server.ts),
 * each input a fault plan drawn by fast-check (which faults, on what share of requests). A read through it
 * must end in a typed error or in exactly the pixels the same seed gives from disk; anything else (an
 * untyped error, a hang, different pixels) is a failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FAULTS, type FaultPlan, serveWithFaults } from '../../../test-support/faulty-http-server.js';
import type { CampaignReport } from './campaign.js';
import { generatedSeeds } from './corpus.js';
import { describe } from './extremes.js';
import { planSeed } from './mutate.js';
import { emptyCounts, FAILURES, type Result } from './outcome.js';
import type { Runner } from './runner.js';

/** Seeds served over HTTP, relative to the generated seed directory: TIFF (classic, BigTIFF) and Zarr. */
export const HTTP_SEEDS = [
  'tiff/tiled-deflate-u16.ome.tif',
  'tiff/bigtiff-subifd-pyramid.ome.tif',
  'tiff/strips-3pages.tif',
  'zarr2/blosc-u16.ome.zarr',
  'zarr3/zstd-u16.ome.zarr',
  'zarr3/sharded-u16.ome.zarr',
];

/** Short network limits for the child, so a stalled server is given up on well inside the time cap. */
export const HTTP_CHILD_ENV = {
  BFIO_HTTP_TIMEOUT_MS: '1500',
  BFIO_HTTP_RETRIES: '1',
  BFIO_HTTP_BACKOFF_MS: '20',
};

const faultPlan = fc.record({
  faults: fc.uniqueArray(fc.constantFrom(...FAULTS), { minLength: 1, maxLength: 3 }),
  percent: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(100)),
  salt: fc.nat(),
});

export interface HttpCampaignOptions {
  count: number;
  baseSeed: number;
  runner: Runner;
  failuresDir: string;
  onResult?: (index: number, result: Result) => void;
}

export async function runHttpCampaign(o: HttpCampaignOptions): Promise<CampaignReport> {
  const dir = await generatedSeeds();
  const server = await serveWithFaults();
  const counts = emptyCounts();
  const failures: CampaignReport['failures'] = [];
  const started = performance.now();
  try {
    // The right pixels: each seed read from disk by the same exercise.
    const expected = new Map<string, string | undefined>();
    for (const seed of HTTP_SEEDS) expected.set(seed, (await o.runner.run(join(dir, seed))).pixels);
    for (let i = 0; i < o.count; i++) {
      const seed = HTTP_SEEDS[i % HTTP_SEEDS.length]!;
      const [drawn] = fc.sample(faultPlan, { seed: planSeed(o.baseSeed, i), numRuns: 1 });
      const plan: FaultPlan = { root: join(dir, seed.split('/')[0]!), ...drawn! };
      const id = String(i);
      const url = `${server.register(id, plan)}/${seed.split('/').slice(1).join('/')}`;
      let result = await o.runner.run(url);
      server.release(id);
      if (result.outcome === 'success' && result.pixels !== expected.get(seed))
        result = {
          ...result,
          outcome: 'wrong-pixels',
          detail: 'read through the faulty server, pixels differ from the file on disk',
        };
      counts[result.outcome]++;
      if (FAILURES.has(result.outcome)) {
        const saved = join(o.failuresDir, 'http', `${i}-${result.outcome}`);
        mkdirSync(saved, { recursive: true });
        writeFileSync(
          join(saved, 'fuzz-input.json'),
          `${JSON.stringify({ format: 'http', seed, baseSeed: o.baseSeed, index: i, mutation: describe(drawn), outcome: result.outcome, detail: result.detail }, null, 2)}\n`,
        );
        failures.push({ index: i, seed, outcome: result.outcome, detail: result.detail, saved });
      }
      o.onResult?.(i, result);
    }
  } finally {
    await server.close();
  }
  return { format: 'http', counts, inputs: o.count, failures, ms: Math.round(performance.now() - started) };
}
