/** Runs the `bfio` CLI in this process and reports its peak RSS: cli-task ARGS... */
import { main } from '../../apps/cli/src/cli.js';
import { now, report } from '../lib/report.js';

const t = now();
let summary: Record<string, unknown> = {};
const code = await main([...process.argv.slice(2), '--json'], {
  out: (s) => {
    summary = JSON.parse(s);
  },
  err: (s) => process.stderr.write(`${s}\n`),
});
if (code !== 0) process.exit(code);
report('cli', now() - t, Number(summary.bytes ?? 0), { summary });
process.exit(0);
