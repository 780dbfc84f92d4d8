/**
 * What one fuzz input did. The acceptance bar (issue 15) is that only `success` and `typed-error` occur:
 * an untyped error means a message that neither names the file nor says what to do, and the other three
 * mean a reader that can be taken down by its input.
 */
export const OUTCOMES = [
  'success',
  'typed-error',
  'untyped-error',
  'crash',
  'hang',
  'over-budget',
  'wrong-pixels',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that fail a run. `wrong-pixels` only arises where the right pixels are known (HTTP faults). */
export const FAILURES: ReadonlySet<Outcome> = new Set([
  'untyped-error',
  'crash',
  'hang',
  'over-budget',
  'wrong-pixels',
]);

export interface Result {
  outcome: Outcome;
  /** The error's tag and message, the signal, or why the input was stopped. */
  detail?: string;
  /** SHA-256 of the pixels read, when the input read successfully. */
  pixels?: string;
  ms: number;
}

export type Counts = Record<Outcome, number>;

export function emptyCounts(): Counts {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Counts;
}

export function failureCount(counts: Counts): number {
  let n = 0;
  for (const o of FAILURES) n += counts[o];
  return n;
}
