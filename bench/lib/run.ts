/** Running one benchmark task in its own process and collecting its JSON line. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskResult } from './report.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PYTHON = join(ROOT, '.venv', 'bin', 'python');
export const PEERS = join(ROOT, 'bench', 'lib', 'peers.py');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export function runTask(kind: 'python' | 'node', script: string, args: string[]): TaskResult {
  const [cmd, argv] = kind === 'python' ? [PYTHON, [script, ...args]] : [TSX, [script, ...args]];
  // OPENBLAS_* slow numpy down on this machine; unset only for the peers' timings (see env notes).
  const env = { ...process.env };
  if (kind === 'python') {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  if (r.status !== 0)
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as TaskResult;
}

export const mbps = (r: TaskResult) => r.bytes / 2 ** 20 / r.seconds;

/** Replaces the block between `<!-- name:start -->` and `<!-- name:end -->` in bench/RESULTS.md. */
export function writeResults(name: string, markdown: string): void {
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmark results\n\nEach block is replaced by the command named in it.\n';
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** The same 500 random 1024² windows for every reader (a fixed LCG), saved where the tasks read them. */
export function writeWindows(file: string, size: number, count = 500): void {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const windows = Array.from({ length: count }, () => [
    Math.floor(rnd() * (size - 1024)),
    Math.floor(rnd() * (size - 1024)),
    1024,
    1024,
  ]);
  writeFileSync(file, JSON.stringify(windows));
}

/** Runs named tasks one after another, printing each figure as it comes, and keeps the results. */
export function recorder(): {
  results: Record<string, TaskResult>;
  run: (name: string, kind: 'python' | 'node', script: string, args: string[]) => void;
} {
  const results: Record<string, TaskResult> = {};
  const run = (name: string, kind: 'python' | 'node', script: string, args: string[]) => {
    console.error(`running ${name} ...`);
    const r = runTask(kind, script, args);
    results[name] = r;
    console.error(`  ${mbps(r).toFixed(1)} MiB/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
  };
  return { results, run };
}
