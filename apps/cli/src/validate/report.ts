/**
 * What `bfio validate` found: one result per (rule, target), each ok, failed (with every place the rule is
 * broken and how to fix it) or skipped (the rule could not be checked, e.g. no schema or no xmllint).
 */

/** One place a rule is broken. */
export interface Problem {
  /** Where: a store path, an IFD index, a tile index, an XPath-ish location. */
  where: string;
  /** The rule broken, in terms of what the file holds. */
  message: string;
  /** How to fix it. */
  fix: string;
}

export type Status = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable rule id, e.g. `ngff.axes-rank`, `tiff.tile-offset-in-file`. */
  rule: string;
  status: Status;
  /** What was checked (an image group, a TIFF, an IFD chain). */
  target: string;
  problems: Problem[];
  /** Why a rule was skipped. */
  note?: string;
}

/** More problems than this per result are counted, not listed (a TIFF can have millions of tiles). */
const MAX_PROBLEMS = 20;

export class Report {
  readonly results: CheckResult[] = [];
  private readonly extra = new Map<CheckResult, number>();

  constructor(readonly file: string) {}

  /** Records the outcome of one rule on one target: ok when `problems` is empty. */
  check(rule: string, target: string, problems: Problem[]): void {
    const r: CheckResult = {
      rule,
      status: problems.length ? 'fail' : 'ok',
      target,
      problems: problems.slice(0, MAX_PROBLEMS),
    };
    if (problems.length > MAX_PROBLEMS) this.extra.set(r, problems.length - MAX_PROBLEMS);
    this.results.push(r);
  }

  skip(rule: string, target: string, note: string): void {
    this.results.push({ rule, status: 'skip', target, problems: [], note });
  }

  get valid(): boolean {
    return this.results.every((r) => r.status !== 'fail');
  }

  /** Rule ids that failed, each once, in order. */
  get failed(): string[] {
    return [...new Set(this.results.filter((r) => r.status === 'fail').map((r) => r.rule))];
  }

  toJSON(): object {
    return {
      file: this.file,
      valid: this.valid,
      failed: this.failed,
      results: this.results.map((r) => ({ ...r, more: this.extra.get(r) ?? 0 })),
    };
  }

  /** A line per check; failures add an indented line per problem with the fix. */
  toText(): string {
    const lines: string[] = [];
    for (const r of this.results) {
      const tag = r.status === 'ok' ? 'ok  ' : r.status === 'fail' ? 'FAIL' : 'skip';
      lines.push(`${tag} ${r.rule}  ${r.target}${r.note ? ` (${r.note})` : ''}`);
      for (const p of r.problems) lines.push(`       ${p.where}: ${p.message}. Fix: ${p.fix}`);
      const more = this.extra.get(r);
      if (more) lines.push(`       … and ${more} more`);
    }
    const n = this.results.filter((r) => r.status === 'fail').length;
    lines.push(
      this.valid
        ? `${this.file}: valid (${this.results.filter((r) => r.status === 'ok').length} checks passed)`
        : `${this.file}: INVALID, ${n} check(s) failed: ${this.failed.join(', ')}`,
    );
    return lines.join('\n');
  }
}
