/** Shared helpers of the benchmarks: one JSON line per task, peak RSS from the OS. */
export interface TaskResult {
  task: string;
  seconds: number;
  bytes: number;
  peakRssMiB: number;
  [extra: string]: unknown;
}

export function report(
  task: string,
  seconds: number,
  bytes: number,
  extra: Record<string, unknown> = {},
): void {
  // maxRSS is in KiB on Linux.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ task, seconds, bytes, peakRssMiB, ...extra }));
}

export function now(): number {
  return performance.now() / 1000;
}
