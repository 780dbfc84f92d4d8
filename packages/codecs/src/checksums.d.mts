/** CRC-32C (Castagnoli): Zarr v3's `crc32c` codec. */
export function crc32c(bytes: Uint8Array): number;
