/**
 * A fuzz campaign over one format: `count` inputs from the corpus, each written to a fresh directory and
 * run by the runner; outcomes counted, failures saved (files + seed + plan) under `failuresDir`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveFailure, writeFileSet } from './files.js';
import type { Format, Seed } from './input.js';
import { mutate } from './mutate.js';
import { type Counts, emptyCounts, FAILURES, type Result } from './outcome.js';
import type { Runner } from './runner.js';

export interface CampaignOptions {
  format: Exclude<Format, 'http'>;
  seeds: readonly Seed[];
  count: number;
  baseSeed: number;
  runner: Runner;
  failuresDir: string;
  /** First index (to split a campaign across runners). */
  start?: number;
  /** Take every `step`-th index from `start`. */
  step?: number;
  onResult?: (index: number, result: Result) => void;
}

export interface CampaignReport {
  format: string;
  counts: Counts;
  inputs: number;
  failures: Array<{ index: number; seed: string; outcome: string; detail?: string; saved: string }>;
  ms: number;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const counts = emptyCounts();
  const failures: CampaignReport['failures'] = [];
  const work = mkdtempSync(join(tmpdir(), `bfio-fuzz-${o.format}-`));
  const started = performance.now();
  let inputs = 0;
  try {
    for (let i = o.start ?? 0; i < o.count; i += o.step ?? 1) {
      const input = mutate(o.format, o.seeds, o.baseSeed, i);
      const dir = join(work, String(i));
      const path = writeFileSet(dir, input);
      const result = await o.runner.run(path);
      rmSync(dir, { recursive: true, force: true });
      counts[result.outcome]++;
      inputs++;
      if (FAILURES.has(result.outcome)) {
        const saved = saveFailure(o.failuresDir, input, {
          format: o.format,
          seed: input.seed,
          baseSeed: o.baseSeed,
          index: i,
          mutation: input.mutation,
          entry: input.entry,
          outcome: result.outcome,
          detail: result.detail,
        });
        failures.push({ index: i, seed: input.seed, outcome: result.outcome, detail: result.detail, saved });
      }
      o.onResult?.(i, result);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { format: o.format, counts, inputs, failures, ms: Math.round(performance.now() - started) };
}
