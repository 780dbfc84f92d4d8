import { expect, it } from 'vitest';

it('exports a stable set of names', async () => {
  const api = await import('../src/index.js');
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "HELP",
      "SEQUENCE_BACKEND",
      "encodeNpy",
      "isFilePattern",
      "main",
      "matchFiles",
      "openSequence",
      "parseFilePattern",
      "sequenceBackend",
      "writeNpy",
    ]
  `);
});
