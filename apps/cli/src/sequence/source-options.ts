/**
 * How the CLI opens its input: a path holding `{name:type}` variables is a file pattern, read through the
 * `filepattern` backend with --grid and --fill-value; anything else opens as before.
 */
import { UsageError } from '../usage-error.js';
import { isFilePattern } from './pattern.js';
import { SEQUENCE_BACKEND } from './sequence-backend.js';

export interface SequenceFlags {
  backend?: string;
  grid?: string;
  'fill-value'?: string;
}

/** Warnings already printed: the CLI opens its input more than once and should say a thing once. */
const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`bfio: warning: ${message}\n`);
}

/** Options for `BioReader.open(input, …)`: the backend, plus the sequence options for a pattern. */
export function sourceOptions(input: string, flags: SequenceFlags): Record<string, unknown> {
  if (!isFilePattern(input)) {
    if (flags.grid !== undefined)
      throw new UsageError(
        `--grid is for file patterns (IN like 'tile_r{r:ddd}_c{c:ddd}.tif'), got '${input}'`,
      );
    return { backend: flags.backend };
  }
  const fill = flags['fill-value'];
  const fillValue = fill === undefined ? undefined : Number(fill);
  if (fillValue !== undefined && !Number.isFinite(fillValue))
    throw new UsageError(`--fill-value takes a number, got '${fill}'`);
  return {
    backend: flags.backend ?? SEQUENCE_BACKEND,
    grid: flags.grid,
    fillValue,
    warn: warnOnce,
  };
}
