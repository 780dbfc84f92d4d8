/** JPEG decoding through libjpeg-turbo compiled to WebAssembly (see jpeg-wasm.mjs). */
export interface JpegWasmParams {
  tables?: Uint8Array | null;
  photometric?: number;
  outputSize?: number;
}

/** One complete stream from a TIFF block and its page's JPEGTables, and the frame its SOF describes. */
export function completeStream(
  tables: Uint8Array | null | undefined,
  block: Uint8Array,
  photometric: number | undefined,
): { stream: Uint8Array; width: number; height: number; components: number };

/** Interleaved 8-bit samples; a promise on a thread's first call (the module compiles), then synchronous. */
export function jpegDecodeWasm(
  input: Uint8Array,
  params: JpegWasmParams,
  into?: Uint8Array,
): Uint8Array | Promise<Uint8Array>;
