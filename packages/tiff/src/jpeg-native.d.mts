/** The native JPEG decoder (see jpeg-native.mjs). */
export interface JpegAddon {
  decode(
    tables: Uint8Array | null,
    data: Uint8Array,
    photometric: number,
    out: Uint8Array,
  ): [number, number, number];
}
export function jpegNative(): JpegAddon | undefined;
export function decodeJpeg(
  addon: JpegAddon,
  data: Uint8Array,
  tables: Uint8Array | undefined,
  photometric: number,
  expected: number,
): Uint8Array;
