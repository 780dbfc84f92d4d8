/**
 * Native zstd on codec workers, direct chunk reads, the chunk cache and write-behind, vs zarr-python: the
 * chunk reads on the workers (the chunk lane off, as where its addon is not built). The switch is read on
 * first use, before any test runs.
 */
process.env.BFIO_CHUNK_LANE = '0';

const { sharedWorkerPool } = await import('@bfio/codecs');
const { fastPathTests } = await import('./support/fast-paths.js');

// Another backend (TIFF) created the shared pool first, without our codec module, and one of its workers is
// running: the module must reach the workers anyway (they are replaced), or every chunk read would fail.
await sharedWorkerPool({ maxWorkers: 2 }).run('echo', new Uint8Array(8));

fastPathTests('workers');
