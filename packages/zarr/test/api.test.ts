/** The public API, as a sorted list of exported names: a change here is an API change to review. */
import { registeredBackends } from '@bfio/core';
import { expect, it } from 'vitest';
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
