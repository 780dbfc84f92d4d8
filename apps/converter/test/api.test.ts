import { expect, it } from 'vitest';

it('exports a stable set of names', async () => {
  const api = await import('../src/index.js');
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "SAMPLE",
      "convertToOmeTiff",
      "stem",
      "writeSample",
    ]
  `);
});
