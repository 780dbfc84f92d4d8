/** The native JPEG decoder (see jpeg-native.mjs). */
export interface JpegAddon {
  decode(
    tables: Uint8Array | null,
    data: Uint8Array,
    photometric: number,
    out: Uint8Array,
  ): [number, number, number];
  /** Absent in addons built before the encoder. */
  encode?(
    data: Uint8Array,
    width: number,
    height: number,
    components: number,
    quality: number,
    subsample: boolean,
  ): Uint8Array;
}
export function jpegNative(): JpegAddon | undefined;
export function decodeJpeg(
  addon: JpegAddon,
  data: Uint8Array,
  tables: Uint8Array | undefined,
  photometric: number,
  expected: number,
): Uint8Array;
export function jpegEncoder(): JpegAddon | undefined;
export function encodeJpeg(
  addon: JpegAddon,
  data: Uint8Array,
  width: number,
  height: number,
  components: number,
  quality: number,
  subsample: boolean,
): Uint8Array;
