/**
 * Ad-hoc runs and replays: `tsx apps/fuzz/src/cli.ts run <format> <count> [baseSeed] [start]` fuzzes one
 * format and prints the failures; `tsx apps/fuzz/src/cli.ts replay <saved-dir>` runs a saved failure in
 * this process (for a debugger or a stack trace).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCampaign } from './campaign.js';
import { loadCorpus } from './corpus.js';
import { exercise } from './exercise.js';
import { HTTP_CHILD_ENV, runHttpCampaign } from './http-campaign.js';
import type { Format } from './input.js';
import { Runner } from './runner.js';

const [cmd, a, b, c, d] = process.argv.slice(2);
if (cmd === 'replay') {
  const meta = JSON.parse(readFileSync(join(a!, 'fuzz-input.json'), 'utf8'));
  console.log(meta.mutation);
  process.on('unhandledRejection', (err) => console.log('unhandled rejection:', err));
  console.log(await exercise(join(a!, 'files', meta.entry)));
  // Let stray rejections surface.
  await new Promise((done) => setTimeout(done, 500));
} else if (cmd === 'run' && a === 'http') {
  const runner = new Runner({ env: HTTP_CHILD_ENV });
  try {
    const report = await runHttpCampaign({
      count: Number(b ?? 100),
      baseSeed: Number(c ?? 15),
      runner,
      failuresDir: join(process.cwd(), 'tmp', 'fuzz-failures'),
      onResult: (i, r) => {
        if (r.outcome !== 'success' && r.outcome !== 'typed-error')
          console.log(i, r.outcome, r.ms, (r.detail ?? '').slice(0, 400));
      },
    });
    console.log(report.counts, report.inputs, `${report.ms} ms`);
  } finally {
    await runner.close();
  }
} else if (cmd === 'run') {
  const corpus = await loadCorpus();
  const format = a as Exclude<Format, 'http'>;
  const runner = new Runner();
  try {
    const report = await runCampaign({
      format,
      seeds: corpus[format],
      count: Number(b ?? 100),
      baseSeed: Number(c ?? 15),
      start: Number(d ?? 0),
      runner,
      failuresDir: join(process.cwd(), 'tmp', 'fuzz-failures'),
      onResult: (i, r) => {
        if (r.outcome !== 'success' && r.outcome !== 'typed-error')
          console.log(i, r.outcome, r.ms, (r.detail ?? '').slice(0, 400));
      },
    });
    console.log(
      report.counts,
      report.inputs,
      `${report.ms} ms`,
      `peak RSS ${(runner.peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
  } finally {
    await runner.close();
  }
} else {
  console.error('usage: cli.ts run <format> <count> [baseSeed] [start] | replay <dir>');
  process.exit(2);
}
