/**
 * The values fields get overwritten with: the edges integer parsing and size arithmetic break at, plus
 * values near the file's own length (so offsets land just inside or just past the end).
 */
import fc from 'fast-check';

export const EXTREME_INTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  0x7fn,
  0xffn,
  0x7fffn,
  0xffffn,
  0x10000n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 63n - 1n,
  2n ** 64n - 1n,
];

/** An extreme constant, a value relative to the file's length (`eof` + delta), or any 64-bit value. */
export type FieldValue = { kind: 'const'; v: bigint } | { kind: 'eof'; delta: number };

export const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...EXTREME_INTS).map((v) => ({ kind: 'const' as const, v })) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: -16, max: 16 }).map((delta) => ({ kind: 'eof' as const, delta })),
  },
  {
    weight: 2,
    arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ kind: 'const' as const, v })),
  },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 70000n }).map((v) => ({ kind: 'const' as const, v })) },
);

export function resolveValue(value: FieldValue, fileLength: number): bigint {
  return value.kind === 'const' ? value.v : BigInt(Math.max(0, fileLength + value.delta));
}

/** JSON-safe description of a plan (bigints as strings). */
export function describe(plan: unknown): string {
  return JSON.stringify(plan, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}
