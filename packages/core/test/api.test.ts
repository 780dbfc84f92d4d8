import { expect, it } from 'vitest';

// The public API of @bfio/core: a change here shows in review.
it('exports a stable set of names', async () => {
  const api = await import('../src/index.js');
  expect(Object.keys(api).sort()).toMatchInlineSnapshot();
});
