/** The public API of @bfio/s3, types included: a change here is an API change to review. */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';

it('exports these names and kinds, types included', async () => {
  const entry = resolve(import.meta.dirname, '../src/index.ts');
  const surface = apiSurface([entry])[entry] ?? [];
  expect(surface).toMatchInlineSnapshot(`
    [
      "PART_SIZE: const",
      "endpointFromEnv: function",
      "parseS3Url: function",
      "s3Client: function",
      "s3Error: function",
      "s3Provider: const",
    ]
  `);
  // The runtime exports are the compiler's value exports.
  const values = surface
    .filter((l) => /: (class|function|const|let|namespace)/.test(l))
    .map((l) => l.split(':')[0]);
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual(values);
});
