/**
 * The same checks with the fast paths off: no codec workers and numcodecs' WASM zstd through zarrita (what
 * runs where the native addon does not load). The switches are read on first use, before any test runs.
 */
process.env.BFIO_ZARR_WORKERS = '0';
process.env.BFIO_ZARR_NATIVE_ZSTD = '0';

const { fastPathTests } = await import('./support/fast-paths.js');
fastPathTests('fallback');
