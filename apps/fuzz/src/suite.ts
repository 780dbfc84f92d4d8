/**
 * A fuzz run over several formats: each format's inputs split across `runners` child processes (index
 * i goes to runner i mod runners), HTTP faults last. Used by the short run in the tests and by
 * bench/fuzz.ts; the table printer is shared so both report the same way.
 */
import { type CampaignReport, runCampaign } from './campaign.js';
import { loadCorpus } from './corpus.js';
import { HTTP_CHILD_ENV, runHttpCampaign } from './http-campaign.js';
import type { Format } from './input.js';
import { type Counts, emptyCounts, OUTCOMES } from './outcome.js';
import { Runner, type RunnerOptions } from './runner.js';

export interface SuiteOptions {
  /** Inputs per format (HTTP included when it has a count). */
  counts: Partial<Record<Format, number>>;
  baseSeed: number;
  failuresDir: string;
  runners?: number;
  runner?: RunnerOptions;
  onProgress?: (format: string, done: number, of: number) => void;
}

function merge(format: string, parts: CampaignReport[]): CampaignReport {
  const counts: Counts = emptyCounts();
  for (const p of parts) for (const o of OUTCOMES) counts[o] += p.counts[o];
  return {
    format,
    counts,
    inputs: parts.reduce((n, p) => n + p.inputs, 0),
    failures: parts.flatMap((p) => p.failures).sort((a, b) => a.index - b.index),
    ms: Math.max(...parts.map((p) => p.ms)),
  };
}

export async function runSuite(o: SuiteOptions): Promise<CampaignReport[]> {
  const corpus = await loadCorpus();
  const n = o.runners ?? 1;
  const reports: CampaignReport[] = [];
  const fileRunners = Array.from({ length: n }, () => new Runner(o.runner));
  try {
    for (const format of ['tiff', 'ome-xml', 'zarr2', 'zarr3'] as const) {
      const count = o.counts[format];
      if (!count) continue;
      let done = 0;
      const parts = await Promise.all(
        fileRunners.map((runner, k) =>
          runCampaign({
            format,
            seeds: corpus[format],
            count,
            baseSeed: o.baseSeed,
            runner,
            failuresDir: o.failuresDir,
            start: k,
            step: n,
            onResult: () => o.onProgress?.(format, ++done, count),
          }),
        ),
      );
      reports.push(merge(format, parts));
    }
  } finally {
    await Promise.all(fileRunners.map((r) => r.close()));
  }
  if (o.counts.http) {
    const runner = new Runner({ ...o.runner, env: { ...o.runner?.env, ...HTTP_CHILD_ENV } });
    try {
      let done = 0;
      const count = o.counts.http;
      reports.push(
        await runHttpCampaign({
          count,
          baseSeed: o.baseSeed,
          runner,
          failuresDir: o.failuresDir,
          onResult: () => o.onProgress?.('http', ++done, count),
        }),
      );
    } finally {
      await runner.close();
    }
  }
  return reports;
}

/** A fixed-width table: one row per format, one column per outcome, and the total. */
export function formatTable(reports: readonly CampaignReport[]): string {
  const head = ['format', ...OUTCOMES, 'inputs', 'seconds'];
  const rows = reports.map((r) => [
    r.format,
    ...OUTCOMES.map((o) => String(r.counts[o])),
    String(r.inputs),
    (r.ms / 1000).toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
