export function libdeflate():
  | {
      zlibCompress(input: Uint8Array, level: number, output: Uint8Array): number;
      /** Absent from an addon built before it existed. */
      zlibDecompress?(input: Uint8Array, output: Uint8Array): number;
      /** TIFF predictor 2 in place (an addon built before it existed lacks it). */
      horizontalPredict?(bytes: Uint8Array, size: 1 | 2 | 4, rowLength: number, stride: number): void;
      /** The libdeflate release compiled in (native/libdeflate/); absent from an addon built on the system's. */
      version?: string;
    }
  | undefined;
export function libjpeg():
  | { decode: (...args: unknown[]) => unknown; encode?: (...args: unknown[]) => unknown }
  | undefined;
export function libzstd(): { api: unknown; binding: unknown } | undefined;
export function nativeCopy():
  | {
      placeBlocks(
        src: ArrayBufferView,
        dst: ArrayBufferView,
        bytes: number,
        strides: Float64Array,
        blocks: Float64Array,
      ): void;
      undoHorizontal?(
        samples: Uint8Array | Uint16Array | Uint32Array,
        rowLength: number,
        stride: number,
      ): void;
      /** native-copy/prefault.c: 0, or the errno of madvise(MADV_POPULATE_WRITE). */
      prefault?(bytes: ArrayBufferView): number;
      /** native-copy/prefault.c: 0, or the errno of madvise(MADV_HUGEPAGE). */
      hugePages?(bytes: ArrayBufferView): number;
    }
  | undefined;
export function liblzw(): { lzwDecode(input: Uint8Array, output: Uint8Array): number } | undefined;
export function libLane():
  | {
      decode(
        path: string | null,
        input: Uint8Array | null,
        offset: number,
        length: number,
        codec: 0 | 1,
        room: number,
        dst: ArrayBufferView | null,
        target: ArrayBufferView | null,
        bytes: number,
        strides: Float64Array | null,
        blocks: Float64Array | null,
        frames: Float64Array | null,
      ): Promise<number>;
      decodeRows(
        fd: number,
        position: number,
        length: number,
        input: Uint8Array | null,
        codec: 1 | 2 | 3,
        room: number,
        swap: number,
        hsize: number,
        hrow: number,
        hstride: number,
        target: ArrayBufferView,
        rows: number,
        rowBytes: number,
        srcOffset: number,
        srcStride: number,
        dstOffset: number,
        dstStride: number,
      ): Promise<number>;
      /** Starts lane threads until there are `n` (at most 256); returns how many there are. */
      lanes(n: number): number;
      /** Absent from an addon built before it existed. */
      deflate?(
        input: ArrayBufferView,
        level: number,
        output: Uint8Array,
        psize: number,
        prow: number,
        pstride: number,
      ): Promise<number>;
    }
  | undefined;
