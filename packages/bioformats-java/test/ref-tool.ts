/**
 * Test peer: Bio-Formats' own ImageInfo and bfconvert (ImageConverter), run through test/java/RefTool.java in
 * ONE JVM for a whole batch (a JVM per file would cost ~1 s each). Compiled with javac into a temp directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export function compileRefTool(jar: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-reftool-'));
  const r = spawnSync('javac', ['-cp', jar, '-d', dir, join(HERE, 'java', 'RefTool.java')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`javac RefTool failed:\n${r.stderr}`);
  return dir;
}

/** Runs RefTool with a batch of commands; returns stdout+stderr (ImageInfo prints through the logger). */
export function runRefTool(jar: string, classes: string, args: string[]): string {
  const r = spawnSync('java', ['-cp', `${jar}:${classes}`, 'RefTool', ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`RefTool exited ${r.status}:\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** The same as runRefTool, without blocking the event loop (so the caller's own work runs alongside). */
export function runRefToolAsync(jar: string, classes: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-cp', `${jar}:${classes}`, 'RefTool', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`RefTool exited ${code}:\n${err}`));
      else resolve(`${out}\n${err}`);
    });
  });
}

export interface InfoSeries {
  width: number;
  height: number;
  sizeZ: number;
  sizeT: number;
  sizeC: number;
  effectiveSizeC: number;
  rgb: number;
  pixelType: string;
  resolutions: number;
}

export interface InfoResult {
  ok: boolean;
  seriesCount: number;
  series: InfoSeries[];
}

/**
 * Parses ImageInfo's core metadata section per file. Log lines from different threads interleave only with
 * reader INFO lines (never inside ImageInfo's own block), which the patterns ignore.
 */
export function parseInfo(text: string): Map<string, InfoResult> {
  const results = new Map<string, InfoResult>();
  // stdout holds the markers, stderr (logger) the content: both are in order within each stream, so read the
  // logger output per "filename = " header instead.
  const okByFile = new Map<string, boolean>();
  for (const m of text.matchAll(/@@@BEGIN (.+)\n[\s\S]*?@@@END (true|false)/g))
    okByFile.set(m[1]!, m[2] === 'true');
  const blocks = text.split(/^.*filename = /m).slice(1);
  const seriesOf = new Map<string, InfoSeries[]>();
  const countOf = new Map<string, number>();
  for (const block of blocks) {
    const file = block.split('\n')[0]!.trim();
    const series: InfoSeries[] = [];
    let current: InfoSeries | undefined;
    for (const line of block.split('\n').slice(1)) {
      const value = (key: string) => line.match(new RegExp(`\\b${key} = (.*)$`))?.[1]?.trim();
      if (/Series #\d+ :/.test(line)) {
        current = {
          width: 0,
          height: 0,
          sizeZ: 0,
          sizeT: 0,
          sizeC: 0,
          effectiveSizeC: 0,
          rgb: 1,
          pixelType: '',
          resolutions: 1,
        };
        series.push(current);
        continue;
      }
      const count = value('Series count');
      if (count) countOf.set(file, Number(count));
      if (!current) continue;
      const v =
        value('Width') ??
        value('Height') ??
        value('SizeZ') ??
        value('SizeT') ??
        value('SizeC') ??
        value('Pixel type') ??
        value('RGB') ??
        value('Resolutions');
      if (v === undefined) continue;
      if (/\bWidth = /.test(line)) current.width = Number(v);
      else if (/\bHeight = /.test(line)) current.height = Number(v);
      else if (/\bSizeZ = /.test(line)) current.sizeZ = Number(v.split(' ')[0]);
      else if (/\bSizeT = /.test(line)) current.sizeT = Number(v.split(' ')[0]);
      else if (/\bSizeC = /.test(line)) {
        current.sizeC = Number(v.split(' ')[0]);
        current.effectiveSizeC = Number(v.match(/effectively (\d+)/)?.[1] ?? current.sizeC);
      } else if (/\bPixel type = /.test(line)) current.pixelType = v;
      else if (/\bRGB = /.test(line)) current.rgb = Number(v.match(/\((\d+)\)/)?.[1] ?? 1);
      else if (/\bResolutions = /.test(line)) current.resolutions = Number(v);
    }
    seriesOf.set(file, series);
  }
  for (const [file, ok] of okByFile) {
    const series = seriesOf.get(file) ?? [];
    results.set(file, { ok: ok && series.length > 0, seriesCount: countOf.get(file) ?? 0, series });
  }
  return results;
}
