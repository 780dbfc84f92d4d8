/**
 * HTTP Range requests for one byte representation (RFC 9110 §14): a single `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. Several ranges are answered with the whole representation (a server may ignore Range);
 * a malformed or unsatisfiable bytes range is refused (416), never guessed at.
 */

export type RangeAnswer =
  /** No usable Range header: send everything (200). */
  | { kind: 'all' }
  /** Send bytes [start, end) (206). */
  | { kind: 'part'; start: number; end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable'; why: string };

/** Positions longer than this many digits cannot be a byte offset of anything served (2^53 has 16). */
const MAX_DIGITS = 15;

export function answerRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'all' };
  const m = /^\s*([A-Za-z]+)=(.*)$/.exec(header);
  if (!m) return { kind: 'unsatisfiable', why: `malformed Range '${header.slice(0, 80)}'` };
  // Units other than bytes are ignored, as RFC 9110 asks.
  if (m[1]!.toLowerCase() !== 'bytes') return { kind: 'all' };
  const specs = m[2]!.split(',').map((s) => s.trim());
  if (specs.length > 1) return { kind: 'all' };
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (
    !spec ||
    (spec[1] === '' && spec[2] === '') ||
    spec[1]!.length > MAX_DIGITS ||
    spec[2]!.length > MAX_DIGITS
  ) {
    return { kind: 'unsatisfiable', why: `malformed Range '${header.slice(0, 80)}'` };
  }
  if (spec[1] === '') {
    const n = Number(spec[2]);
    if (n === 0) return { kind: 'unsatisfiable', why: 'an empty suffix range' };
    return { kind: 'part', start: Math.max(0, size - n), end: size };
  }
  const start = Number(spec[1]);
  if (start >= size)
    return { kind: 'unsatisfiable', why: `Range starts at ${start}, past the ${size} bytes` };
  const last = spec[2] === '' ? size - 1 : Number(spec[2]);
  if (last < start) return { kind: 'unsatisfiable', why: `Range ${start}-${last} ends before it starts` };
  return { kind: 'part', start, end: Math.min(last + 1, size) };
}
