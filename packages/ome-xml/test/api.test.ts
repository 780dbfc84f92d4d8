import { expect, it } from 'vitest';

it('exports exactly this public API', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_UNITS",
      "DIMENSION_ORDERS",
      "LENGTH_UNITS",
      "OME_NAMESPACE",
      "OME_SCHEMA_LOCATION",
      "OmeXmlError",
      "PIXEL_TYPES",
      "TIME_UNITS",
      "buildOmeXml",
      "cleanOmeXml",
      "convertLength",
      "convertTime",
      "createOme",
      "normalizeUnit",
      "parseOmeXml",
      "planeCoords",
      "planeIndex",
      "plateAxisName",
      "plateElement",
      "platesOf",
    ]
  `);
});
