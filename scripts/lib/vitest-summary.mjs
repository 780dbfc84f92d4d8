// Sums the per-package vitest JSON reports that scripts/test asked for (`<package>/.turbo/vitest.json`) into
// one count. A test file that failed to load has no assertions but is a failure; a package with test files
// and no report (vitest crashed or never ran) is a failure too, so a broken package can't look green.
//
// Usage: node scripts/lib/vitest-summary.mjs <repo root>
// Prints a per-package table and, as its last line, `passed failed skipped` (three numbers) for scripts/test.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.argv[2] ?? process.cwd();
const REPORT = join('.turbo', 'vitest.json');

function workspacePackages() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      if (existsSync(join(base, name, 'package.json'))) dirs.push(join(base, name));
    }
  }
  return dirs.sort();
}

function hasTestFiles(dir) {
  const walk = (d) => {
    if (!existsSync(d)) return false;
    for (const entry of readdirSync(d)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const p = join(d, entry);
      if (statSync(p).isDirectory()) {
        if (walk(p)) return true;
      } else if (/\.test\.[cm]?[jt]s$/.test(entry)) {
        return true;
      }
    }
    return false;
  };
  return walk(join(dir, 'src')) || walk(join(dir, 'test'));
}

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const failures = [];
const files = [];

for (const dir of workspacePackages()) {
  const name = relative(root, dir);
  const reportPath = join(dir, REPORT);
  if (!existsSync(reportPath)) {
    if (hasTestFiles(dir)) {
      failed += 1;
      failures.push(`${name}: has test files but vitest wrote no report (see its output above)`);
      rows.push([name, '-', '1 (no report)', '-', '-']);
    } else {
      rows.push([name, '0', '0', '0', 'no tests']);
    }
    continue;
  }
  const r = JSON.parse(readFileSync(reportPath, 'utf8'));
  const p = r.numPassedTests ?? 0;
  let f = r.numFailedTests ?? 0;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  for (const file of r.testResults ?? []) {
    const rel = relative(root, file.name);
    files.push([rel, (file.endTime ?? 0) - (file.startTime ?? 0)]);
    const failedHere = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failedHere) failures.push(`${rel} > ${a.fullName ?? a.title}`);
    if (file.status === 'failed' && failedHere.length === 0) {
      // The file itself failed (import error, hook failure, missing component under CI): count it once.
      f += 1;
      const why = (file.message ?? '').split('\n')[0];
      failures.push(`${rel}: ${why || 'failed to run'}`);
    }
  }
  if (p + f + s === 0 && hasTestFiles(dir) && r.success === false) {
    f += 1;
    failures.push(`${name}: vitest reported failure without any test result`);
  }
  passed += p;
  failed += f;
  skipped += s;
  rows.push([name, String(p), String(f), String(s), p + f + s === 0 ? 'no tests ran' : '']);
}

const widths = [28, 8, 16, 8, 0];
const line = (cols) => cols.map((c, i) => (widths[i] ? c.padEnd(widths[i]) : c)).join(' ');
console.log(line(['package', 'passed', 'failed', 'skipped', '']));
for (const row of rows) console.log(line(row));

if (files.length) {
  console.log('\nslowest test files:');
  for (const [f, ms] of files.sort((a, b) => b[1] - a[1]).slice(0, 5)) {
    console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${f}`);
  }
}
if (failures.length) {
  console.log('\nfailed:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`${passed} ${failed} ${skipped}`);
