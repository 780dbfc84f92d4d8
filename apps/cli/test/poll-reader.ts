/**
 * Reads `TARGET` whole with our BioReader, again and again, until the file `STOP` exists (and creates
 * `STOP.ours` after the first read, to say it runs); prints one JSON
 * array: per read, the sha256 of its pixels, 'typed <tag>: message' for a BfioError, 'untyped: …' otherwise.
 * Run by faults-replace.test.ts in its own process while the test replaces TARGET.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { BioReader, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';

const [target, stop] = process.argv.slice(2) as [string, string];
const reads: string[] = [];
while (!existsSync(stop)) {
  // Not `await using` here: esbuild (tsx) lowers it with function-scoped state, and inside a loop a
  // read's error is thrown again by every later iteration's dispose.
  let reader: BioReader | undefined;
  try {
    reader = await BioReader.open(target);
    const { data } = await reader.read();
    reads.push(
      createHash('sha256')
        .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
        .digest('hex'),
    );
  } catch (err) {
    reads.push(
      isBfioError(err) ? `typed ${err.tag}: ${err.message}` : `untyped: ${(err as Error)?.stack ?? err}`,
    );
  } finally {
    await reader?.close();
  }
  if (reads.length === 1) writeFileSync(`${stop}.ours`, '');
}
console.log(JSON.stringify(reads));
