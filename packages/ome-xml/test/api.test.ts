import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';

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

// Types too: interfaces and type aliases are API, and Object.keys never sees them.
it('exports these names and kinds, types included', () => {
  const entry = resolve(import.meta.dirname, '../src/index.ts');
  expect(apiSurface([entry])[entry]).toMatchInlineSnapshot(`
    [
      "Channel: interface",
      "CleanOptions: interface",
      "CreateOmeOptions: interface",
      "DEFAULT_UNITS: const",
      "DIMENSION_ORDERS: const",
      "DimensionOrder: type",
      "Extra: interface",
      "ExtraChild: interface",
      "Image: interface",
      "Instrument: interface",
      "LENGTH_UNITS: const",
      "MapAnnotation: interface",
      "NamingConvention: type",
      "OME: interface",
      "OME_NAMESPACE: const",
      "OME_SCHEMA_LOCATION: const",
      "Objective: interface",
      "OmeXmlError: class",
      "OmeXmlErrorReason: type",
      "PIXEL_TYPES: const",
      "ParseOptions: interface",
      "PixelType: type",
      "Pixels: interface",
      "Plane: interface",
      "PlaneCoords: interface",
      "PlateAcquisitionInfo: interface",
      "PlateInfo: interface",
      "PlateWell: interface",
      "PlateWellSample: interface",
      "Quantity: interface",
      "StructuredAnnotations: interface",
      "TIME_UNITS: const",
      "TiffData: interface",
      "TiffDataUUID: interface",
      "XmlNode: type",
      "buildOmeXml: function",
      "cleanOmeXml: function",
      "convertLength: function",
      "convertTime: function",
      "createOme: function",
      "normalizeUnit: function",
      "parseOmeXml: function",
      "planeCoords: function",
      "planeIndex: function",
      "plateAxisName: function",
      "plateElement: function",
      "platesOf: function",
    ]
  `);
});
