/** A mistake in the command line itself (exit code 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses `a:b` (half-open; either end optional) into a range within [0, size). */
export function parseRange(
  flag: string,
  text: string | undefined,
  size: number,
): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(-?\d*):(-?\d*)$/.exec(text) ?? /^(-?\d+)$/.exec(text);
  if (!m) throw new UsageError(`--${flag} takes a:b (half-open), a: , :b or a single index, got '${text}'`);
  if (m.length === 2) {
    const i = Number(m[1]);
    return [i, i + 1];
  }
  const a = m[1] === '' ? 0 : Number(m[1]);
  const b = m[2] === '' ? size : Number(m[2]);
  return [a, b];
}

/** Parses `i,j,k` or a range `a:b` into an index list. */
export function parseList(flag: string, text: string | undefined, size: number): number[] | undefined {
  if (text === undefined) return undefined;
  if (text.includes(':')) {
    const [a, b] = parseRange(flag, text, size)!;
    return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  }
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^-?\d+$/.test(p)))
    throw new UsageError(`--${flag} takes i,j,k or a:b, got '${text}'`);
  return parts.map(Number);
}

export function parseIntFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} takes a non-negative integer, got '${text}'`);
  return Number(text);
}
