/** The public API, as a sorted list of exported names: a change here is an API change to review. */
import { resolve } from 'node:path';
import { registeredBackends } from '@bfio/core';
import { expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';
import * as api from '../src/index.js';

it('exports exactly these names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'PLAN_FILE',
    'ZarrContainerWriter',
    'ZarrReader',
    'ZarrWriter',
    'buildLevels',
    'finalizeStore',
    'levelPlan',
    'openStoreView',
    'partBlocks',
    'planParts',
    'readLabels',
    'readPlan',
    'recordPlan',
    'runPart',
    'storeLayout',
    'storeLevelSource',
    'summarizePart',
    'writeLabels',
    'zarrBackend',
  ]);
});

it('registers the zarr backend when imported', () => {
  const zarr = registeredBackends().find((b) => b.name === 'zarr');
  expect(zarr).toBe(api.zarrBackend);
  expect(zarr?.extensions).toEqual(['.ome.zarr', '.zarr']);
  expect(zarr?.writeExtensions).toEqual(['.ome.zarr', '.zarr']);
  expect(zarr?.packageName).toBe('@bfio/zarr');
});

// Types too: interfaces and type aliases are API, and Object.keys never sees them.
it('exports these names and kinds, types included', () => {
  const entry = resolve(import.meta.dirname, '../src/index.ts');
  expect(apiSurface([entry])[entry]).toMatchInlineSnapshot(`
    [
      "Block: interface",
      "ByteRangeRequest: type",
      "FinalizeResult: interface",
      "LabelColor: interface",
      "LabelImage: interface",
      "LabelInfo: interface",
      "PLAN_FILE: const",
      "PartPlan: interface",
      "PartResult: interface",
      "PartSource: type",
      "PartSummary: interface",
      "RunPartOptions: interface",
      "StoreLayout: interface",
      "StoreView: interface",
      "StoreViewOptions: interface",
      "Vec5: type",
      "WriteLabelsOptions: interface",
      "ZarrContainerOptions: interface",
      "ZarrContainerWriter: class",
      "ZarrCreateOptions: interface",
      "ZarrOpenOptions: interface",
      "ZarrReader: class",
      "ZarrWriter: class",
      "buildLevels: function",
      "finalizeStore: function",
      "levelPlan: function",
      "openStoreView: function",
      "partBlocks: function",
      "planParts: function",
      "readLabels: function",
      "readPlan: function",
      "recordPlan: function",
      "runPart: function",
      "storeLayout: function",
      "storeLevelSource: function",
      "summarizePart: function",
      "writeLabels: function",
      "zarrBackend: const",
    ]
  `);
});
