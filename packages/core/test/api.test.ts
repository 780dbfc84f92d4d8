import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { apiSurface } from '../../../test-support/api-surface.js';

// The public API of @bfio/core, types included: a change here shows in review. `@bfio/core` is the user
// API, `@bfio/core/backend` the backend author's (packages/core/README.md says why each name is where it is).
const user = resolve(import.meta.dirname, '../src/index.ts');
const backend = resolve(import.meta.dirname, '../src/backend-api.ts');
const surface = apiSurface([user, backend]);
const names = (entry: string) => (surface[entry] ?? []).map((line) => line.split(':')[0] as string);

it('the two entry points export different names', () => {
  const both = names(user).filter((n) => names(backend).includes(n));
  expect(both).toEqual([]);
});

it('the runtime exports are the compiler’s value exports', async () => {
  const values = (entry: string) =>
    (surface[entry] ?? [])
      .filter((line) => /: (class|function|const|let|enum|namespace)/.test(line))
      .map((line) => line.split(':')[0] as string)
      .sort();
  expect(Object.keys(await import('../src/index.js')).sort()).toEqual(values(user));
  expect(Object.keys(await import('../src/backend-api.js')).sort()).toEqual(values(backend));
});

it('@bfio/core (users) exports a stable set of names and kinds', () => {
  expect(surface[user]).toMatchInlineSnapshot(`
    [
      "AXES: const",
      "BfioError: class",
      "BfioErrorOptions: interface",
      "BfioErrorTag: type",
      "BioReader: class",
      "BioReaderOptions: interface",
      "BioWriter: class",
      "BioWriterOptions: interface",
      "Block: interface",
      "BlockOptions: interface",
      "BlockRegion: interface",
      "ClosedError: class",
      "Compression: type",
      "CopyImageOptions: interface",
      "CopyProgress: interface",
      "CorruptFileError: class",
      "CreateOptions: interface",
      "DTYPES: const",
      "DType: type",
      "DownsampleMode: type",
      "Extent: interface",
      "FileExistsError: class",
      "FileNotFoundError: class",
      "InvalidDataError: class",
      "IoError: class",
      "LevelInfo: interface",
      "ListArg: type",
      "MissingBackendError: class",
      "NDArray: class",
      "OpenOptions: interface",
      "OutOfRangeError: class",
      "PlateField: interface",
      "PlateLayout: interface",
      "PlateWellLayout: interface",
      "RangeArg: type",
      "ReadArgs: interface",
      "ReadOnlyError: class",
      "ReadOptions: interface",
      "SliceArg: type",
      "TileBatch: interface",
      "TileIndex: interface",
      "TileOptions: interface",
      "TilePadding: type",
      "TypedArray: type",
      "UnknownFormatError: class",
      "UnsupportedError: class",
      "WriteArgs: interface",
      "WriteData: type",
      "allocate: function",
      "bytesPerPixel: function",
      "copyImage: function",
      "dtypeFromPixelType: function",
      "dtypeOf: function",
      "isBfioError: function",
      "isDType: function",
      "loadInstalledBackends: function",
      "maximumBatchSize: function",
      "memoryFiles: const",
      "numpyTypestr: function",
      "pixelTypeFromDType: function",
      "plateLayout: function",
      "regionFromArgs: function",
      "regionFromSlices: function",
      "registerBackend: function",
      "registeredBackends: function",
      "unregisterBackend: function",
      "viewAs: function",
    ]
  `);
});

it('@bfio/core/backend (backend authors) exports a stable set of names and kinds', () => {
  expect(surface[backend]).toMatchInlineSnapshot(`
    [
      "Backend: interface",
      "ByteRange: type",
      "KNOWN_BACKENDS: const",
      "KNOWN_OBJECT_STORES: const",
      "Limiter: class",
      "ObjectEntry: interface",
      "ObjectStoreProvider: interface",
      "ProbeInput: interface",
      "RangeSink: type",
      "ReaderBackend: interface",
      "Region: interface",
      "RetryOptions: interface",
      "SPECIFICATION_VERSION: const",
      "SelectedImage: interface",
      "SeriesInfo: interface",
      "SpecificationVersion: type",
      "TempKind: type",
      "WriterBackend: interface",
      "asIoError: function",
      "cOrderStrides: function",
      "copyStrided: function",
      "fetchBytes: function",
      "fetchWithRetry: function",
      "givenLevelSizes: function",
      "isObjectStoreUrl: const",
      "isRemote: const",
      "memoryFs: namespace",
      "nodeOnly: function",
      "nodeOnlyError: function",
      "objectStoreFor: function",
      "objectStoreScheme: function",
      "planarStrides: function",
      "reduceBlock: function",
      "regionLength: function",
      "registerKnownBackend: function",
      "registerObjectStore: function",
      "selectReadBackend: function",
      "selectWriteBackend: function",
      "sharedMemory: function",
      "streamRange: function",
      "sweepStaleTemps: function",
      "systemErrorCode: function",
      "tempSibling: function",
      "urlPath: namespace",
    ]
  `);
});
