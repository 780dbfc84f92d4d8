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
// CPU seconds of all the process's threads (start-up included): less changed by other load than wall time.
const cpu = process.cpuUsage();
report('cli', now() - t, Number(summary.bytes ?? 0), { summary, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
process.exit(0);
