/**
 * The browser bench's set-up, shared by run.ts (the measurement) and profile.ts (looking into it): its page
 * and data servers (test-support/browser), Chromium with `gc()` exposed, and where each reader reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { openTestPage } from '../../test-support/browser/page.js';
import { type BrowserTestServers, startBrowserTestServers } from '../../test-support/browser/servers.js';
import { CHROMIUM_BIN } from '../../test-support/env.js';
import { ROOT } from '../lib/run.js';
import type { ReaderName } from './page.js';

export const SIZE = 16384;
export const OUT = join(ROOT, 'bench', 'out');
export const TIFF_NAME = `src-${SIZE}.ome.tif`;
/** bench/zarr.ts's store, written under its own name: a concurrent `pnpm bench:zarr` rewrites ours.ome.zarr. */
export const ZARR_NAME = `browser-${SIZE}.ome.zarr`;

export interface BenchSession {
  page: Page;
  /** The URL `reader` opens (served from bench/out, another origin than the page). */
  url(reader: ReaderName): string;
  close(): Promise<void>;
}

/** Serves `pageDir` (cross-origin isolated or not) and bench/out, and opens the page in headless Chromium. */
export async function openBenchPage(pageDir: string, isolated: boolean): Promise<BenchSession> {
  const servers: BrowserTestServers = await startBrowserTestServers(pageDir, { out: OUT }, { isolated });
  let browser: Browser | undefined;
  const closeAll = async () => {
    await browser?.close();
    await servers.close();
  };
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      chromiumSandbox: false,
      // gc() between reads, so that freeing the last 512 MiB array does not land in the next one's timing.
      args: ['--disable-gpu', '--disable-dev-shm-usage', '--js-flags=--expose-gc'],
    });
    const { page } = await openTestPage(browser, servers.pageUrl);
    const base = `${servers.dataBase}/out`;
    return {
      page,
      url: (reader) =>
        reader === 'ours-tiff' || reader === 'geotiff'
          ? `${base}/${TIFF_NAME}`
          : reader === 'zarrita'
            ? `${base}/${ZARR_NAME}/0`
            : `${base}/${ZARR_NAME}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** utime + stime of process `pid` (s), and its parent's pid; undefined when it is gone. */
function procTimes(pid: string): { cpu: number; ppid: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), numbered from 3 (state).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / 100, ppid: f[1]! };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by this process (the loopback servers) and every process under it (Chromium: its
 * browser, renderer, network and GPU processes). The difference across a read is what the read cost the
 * machine, whatever else runs on it: a figure a busy machine does not distort the way it does wall time.
 */
export function cpuSeconds(): number {
  let sum = 0;
  for (const v of cpuByThread().values()) sum += v;
  return sum;
}

/** My processes: this one and every process under it. */
function myProcesses(): string[] {
  const parent = new Map<string, string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const t = procTimes(pid);
    if (t) parent.set(pid, t.ppid);
  }
  const mine = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!mine.has(pid) && mine.has(ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return [...mine];
}

/**
 * CPU seconds so far by process kind and thread name, e.g. 'renderer / DedicatedWorker' (the codec and
 * geotiff workers), 'renderer / chromium' (the page's main thread), 'network / ...', 'server / node'.
 */
export function cpuByThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of myProcesses()) {
    let kind: string;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = /--type=([\w-]+)/.exec(cmd)?.[1];
      kind = !cmd.includes('chrom')
        ? 'server'
        : type === 'utility'
          ? (/--utility-sub-type=[\w.]*?(\w+)Service/.exec(cmd)?.[1]?.toLowerCase() ?? 'utility')
          : (type ?? 'browser');
    } catch {
      continue;
    }
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:]+$/, '');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${kind} / ${name}`;
        out.set(key, (out.get(key) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
      } catch {}
    }
  }
  return out;
}
