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

/**
 * Runs tasks and keeps their results by name. With `repeat`, each task runs that many times back to back and
 * keeps its fastest run (`runsMiBps`: every run's MiB/s, in order), so that one slow moment of a shared
 * machine does not decide a row; an honest spread shows beside it.
 */
/** One task of a row: its result's name, and how to run it. */
export type RowTask = [name: string, kind: 'python' | 'node', script: string, args: string[]];

export function recorder(options: { repeat?: number } = {}): {
  results: Record<string, TaskResult>;
  run: (name: string, kind: 'python' | 'node', script: string, args: string[]) => void;
  runRow: (tasks: RowTask[]) => void;
} {
  const repeat = Math.max(1, Math.floor(options.repeat ?? 1));
  const results: Record<string, TaskResult> = {};
  const keep = (name: string, runs: TaskResult[]) => {
    const best = runs.reduce((a, b) => (mbps(b) > mbps(a) ? b : a));
    results[name] = { ...best, runsMiBps: runs.map(mbps) };
    console.error(
      `  ${name}: ${runs.map((r) => mbps(r).toFixed(1)).join(' / ')} MiB/s, peak RSS ${best.peakRssMiB.toFixed(0)} MiB`,
    );
  };
  const run = (name: string, kind: 'python' | 'node', script: string, args: string[]) => {
    console.error(`running ${name} ...`);
    const runs: TaskResult[] = [];
    for (let i = 0; i < repeat; i++) runs.push(runTask(kind, script, args));
    keep(name, runs);
  };
  /**
   * The tasks of one row, interleaved: pass after pass each task runs once, each pass starting with the next
   * task. A slow spell of this shared machine then falls on every library of the row, not on the one whose
   * runs happened to be back to back in it (a 2-D Zarr run had tensorstore's windows at 366–396 MiB/s and ours
   * at 262–286; run alternating right after, they were even).
   */
  const runRow = (tasks: RowTask[]) => {
    console.error(`running ${tasks.map((t) => t[0]).join(', ')} (interleaved) ...`);
    const runs = new Map<string, TaskResult[]>(tasks.map((t) => [t[0], []]));
    for (let pass = 0; pass < repeat; pass++) {
      const shift = pass % tasks.length;
      for (const [name, kind, script, args] of [...tasks.slice(shift), ...tasks.slice(0, shift)])
        runs.get(name)!.push(runTask(kind, script, args));
    }
    for (const [name, list] of runs) keep(name, list);
  };
  return { results, run, runRow };
}

/** A result's runs as "a / b / c" MiB/s (one number when it ran once). */
export function runsText(r: TaskResult): string {
  const runs = (r.runsMiBps as number[] | undefined) ?? [mbps(r)];
  return runs.map((m) => m.toFixed(0)).join(' / ');
}
