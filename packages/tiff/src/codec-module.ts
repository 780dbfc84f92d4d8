/**
 * The URL of this package's codec module for @bfio/core's worker pool (LZW; see worker-codecs.mjs). It sits
 * beside this file in the sources and beside the bundle in dist (the build copies it and lzw-codec.mjs).
 */
export const TIFF_CODECS = new URL('./worker-codecs.mjs', import.meta.url).href;
