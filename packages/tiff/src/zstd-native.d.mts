/** Native Zstandard for TIFF tiles (see zstd-native.mjs). */
export interface ZstdAddon {
  compress(data: Uint8Array, parameters?: { compressionLevel?: number }): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}
export function zstdNative(): ZstdAddon | undefined;
