import { expect, it } from 'vitest';

// The public API of @bfio/core: a change here shows in review.
it('exports a stable set of names', async () => {
  const api = await import('../src/index.js');
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "AXES",
      "BfioError",
      "BioReader",
      "BioWriter",
      "ClosedError",
      "CorruptFileError",
      "DTYPES",
      "FileExistsError",
      "FileNotFoundError",
      "InvalidDataError",
      "KNOWN_BACKENDS",
      "MissingBackendError",
      "NDArray",
      "OutOfRangeError",
      "ReadOnlyError",
      "SPECIFICATION_VERSION",
      "UnknownFormatError",
      "UnsupportedError",
      "allocate",
      "bytesPerPixel",
      "cOrderStrides",
      "copyImage",
      "copyStrided",
      "dtypeFromPixelType",
      "dtypeOf",
      "isBfioError",
      "isDType",
      "loadInstalledBackends",
      "maximumBatchSize",
      "pixelTypeFromDType",
      "planarStrides",
      "regionFromArgs",
      "regionFromSlices",
      "regionLength",
      "registerBackend",
      "registerKnownBackend",
      "registeredBackends",
      "selectReadBackend",
      "selectWriteBackend",
      "unregisterBackend",
      "viewAs",
    ]
  `);
});
