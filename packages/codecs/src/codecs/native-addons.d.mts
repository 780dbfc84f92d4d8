export function libdeflate():
  | {
      zlibCompress(input: Uint8Array, level: number, output: Uint8Array): number;
      /** Absent from an addon built before it existed. */
      zlibDecompress?(input: Uint8Array, output: Uint8Array): number;
    }
  | undefined;
export function libjpeg():
  | { decode: (...args: unknown[]) => unknown; encode?: (...args: unknown[]) => unknown }
  | undefined;
export function libzstd(): { api: unknown; binding: unknown } | undefined;
export function liblzw(): { lzwDecode(input: Uint8Array, output: Uint8Array): number } | undefined;
