/**
 * Runs inputs in a long-lived child process (node + tsx, capped heap) with a time cap (CPU time, and a
 * wall-clock backstop) and a memory cap per input. An input that answers in time is whatever it reported;
 * one that does not is a hang; one whose
 * process grows past the memory cap is over-budget; one whose process dies is a crash. After a hang,
 * over-budget or crash the child is killed and a fresh one started, so the next input starts clean.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from './outcome.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');

export interface RunnerOptions {
  /**
   * Per-input CPU-time cap of the child, all its threads (default 15 s, the bound the issue counted hangs
   * by). CPU time rather than wall time: on a 2-core machine shared with other work (load averages of 14
   * were seen) a 4-CPU-second input takes 20 s of wall time without being any closer to a hang.
   */
  timeoutMs?: number;
  /** Wall-clock backstop for inputs that wait without computing (a stalled read): default 60 s. */
  wallTimeoutMs?: number;
  /** Resident-memory cap of the child (default 2 GiB). */
  maxRssBytes?: number;
  /** V8 heap cap of the child, in MiB (default 3072: above the RSS cap, so memory growth is seen as such). */
  heapMiB?: number;
  /** Restart the child after this many inputs, so slow leaks do not add up to an over-budget (default 400). */
  recycleEvery?: number;
  /** Extra environment for the child (e.g. short HTTP timeouts for the HTTP campaign). */
  env?: Record<string, string>;
}

interface Reply {
  id: number;
  ready?: boolean;
  outcome?: 'success' | 'typed-error' | 'untyped-error';
  detail?: string;
  pixels?: string;
}

/** User + system CPU time of a process (all threads) in ms, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export class Runner {
  readonly #timeoutMs: number;
  readonly #wallTimeoutMs: number;
  readonly #maxRss: number;
  readonly #heapMiB: number;
  readonly #recycleEvery: number;
  readonly #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #ready: Promise<void> | undefined;
  #stderr = '';
  #served = 0;
  #nextId = 1;
  #onReply: ((r: Reply) => void) | undefined;
  #onExit: ((code: number | null, signal: string | null) => void) | undefined;
  /** An unhandled rejection the child reported between inputs: charged to the next input. */
  #stray: string | undefined;
  peakRss = 0;

  constructor(options: RunnerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#wallTimeoutMs = options.wallTimeoutMs ?? 60_000;
    this.#maxRss = options.maxRssBytes ?? 2 * 2 ** 30;
    this.#heapMiB = options.heapMiB ?? 3072;
    this.#recycleEvery = options.recycleEvery ?? 400;
    this.#env = options.env ?? {};
  }

  #start(): Promise<void> {
    this.#stderr = '';
    this.#served = 0;
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.#heapMiB}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, BFIO_MAX_READ_BYTES: String(256 * 2 ** 20), ...this.#env },
    });
    child.stderr?.on('data', (d) => {
      this.#stderr = (this.#stderr + d).slice(-4000);
    });
    this.#child = child;
    return new Promise((ready, fail) => {
      child.on('message', (m: Reply) => {
        if (m.ready) return ready();
        if (m.id === -1) {
          if (this.#onReply) this.#onReply({ ...m, id: -1 });
          else this.#stray = m.detail;
          return;
        }
        this.#onReply?.(m);
      });
      child.on('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined;
        this.#onExit?.(code, signal);
        fail(new Error(`fuzz child exited before it was ready (${code ?? signal}): ${this.#stderr}`));
      });
    });
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    this.#ready = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  }

  /** Opens and reads `path` in the child; resolves with the outcome (never rejects for the input's sake). */
  async run(path: string): Promise<Result> {
    if (this.#child && this.#served >= this.#recycleEvery) await this.#kill();
    if (!this.#child) this.#ready = this.#start();
    await this.#ready;
    const child = this.#child!;
    const id = this.#nextId++;
    this.#served++;
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const result = await new Promise<Result>((done) => {
      const finish = (r: Omit<Result, 'ms'>) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#onReply = undefined;
        this.#onExit = undefined;
        done({ ...r, ms: ms() });
      };
      const timer = setTimeout(
        () => finish({ outcome: 'hang', detail: `no answer in ${this.#wallTimeoutMs} ms` }),
        this.#wallTimeoutMs,
      );
      const cpuAtStart = cpuMsOf(child.pid!);
      const poll = setInterval(() => {
        const cpu = cpuMsOf(child.pid!) - cpuAtStart;
        if (cpu > this.#timeoutMs)
          return finish({ outcome: 'hang', detail: `no answer after ${cpu} ms of CPU time` });
        const rss = rssOf(child.pid!);
        this.peakRss = Math.max(this.peakRss, rss);
        if (rss > this.#maxRss)
          finish({ outcome: 'over-budget', detail: `child RSS ${(rss / 2 ** 30).toFixed(2)} GiB` });
      }, 50);
      this.#onReply = (r) => {
        if (r.id === -1) return finish({ outcome: 'untyped-error', detail: r.detail });
        if (r.id !== id) return;
        if (this.#stray) {
          const detail = this.#stray;
          this.#stray = undefined;
          return finish({ outcome: 'untyped-error', detail: `after the previous input: ${detail}` });
        }
        finish({ outcome: r.outcome!, detail: r.detail, pixels: r.pixels });
      };
      this.#onExit = (code, signal) =>
        finish({
          outcome: 'crash',
          detail: `child died (${signal ?? `exit ${code}`}): ${this.#stderr.slice(-1500)}`,
        });
      child.send({ id, path });
    });
    if (result.outcome === 'hang' || result.outcome === 'over-budget' || result.outcome === 'crash')
      await this.#kill();
    return result;
  }

  async close(): Promise<void> {
    await this.#kill();
  }
}
