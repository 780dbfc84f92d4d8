export function zstdDecodeWasm(
  input: Uint8Array,
  params: { outputSize?: number; exact?: boolean },
): Promise<Uint8Array>;
export function zstdEncodeWasm(input: Uint8Array, params: { level?: number }): Promise<Uint8Array>;
