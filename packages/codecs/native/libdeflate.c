/*
 * @bfio/tiff's optional native Deflate encoder: a Node-API binding over libdeflate 1.25, compiled from the
 * sources in libdeflate/ (binding.gyp; no system library, so only a C compiler is needed, and the codec is
 * the one imagecodecs bundles: the same level-1 bytes, ~4% less CPU per tile than Debian 12's 1.14).
 * libdeflate level 1 compresses microscopy tiles ~2.2x faster per CPU-second than zlib level 1, to a
 * slightly smaller size, and is what bfio/tifffile use through imagecodecs. Loaded inside
 * core's codec worker threads (codec-worker.mjs), so it is context-aware: one compressor per level per
 * thread, kept in the addon's per-environment instance data.
 *
 * zlibCompress(input: Uint8Array, level: 0..12, output: Uint8Array) -> bytes written into output (a zlib
 * stream: header + Deflate + Adler-32, TIFF compression 8), or 0 when output is too small.
 * zlibCompressBound(length) -> the largest output for `length` input bytes.
 * zlibDecompress(input, output) -> bytes decoded into output (a whole zlib stream), or -1 when the stream
 * is damaged or does not fit: the caller then decodes with node:zlib, whose errors it reports. libdeflate
 * decodes ~1.9x zlib's speed per CPU-second (634 vs 334 MiB/s on 1024² uint16 tiles of bench/convert.ts's
 * source), which a TIFF → TIFF conversion pays on every tile.
 * version: the libdeflate release compiled in ("1.25").
 * horizontalPredict(bytes, size: 1|2|4, rowLength, stride) -> undefined: TIFF predictor 2 in place before
 * compression (each sample minus the same sample of the pixel to its left, rows of rowLength samples). Not
 * libdeflate's, but every Node encoder's: the JavaScript loop (filters.mjs applyHorizontal) costs ~0.65
 * CPU-s per 512 MiB of uint16 tiles, this vectorised one ~0.05, next to ~2.6 CPU-s for libdeflate level 1.
 */
#include "libdeflate/libdeflate.h"
#include <node_api.h>
#include "../native-common/napi-args.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEVELS 13

typedef struct {
  struct libdeflate_compressor *compressors[LEVELS];
  struct libdeflate_decompressor *decompressor;
} State;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *state = data;
  for (int i = 0; i < LEVELS; i++) {
    if (state->compressors[i]) libdeflate_free_compressor(state->compressors[i]);
  }
  if (state->decompressor) libdeflate_free_decompressor(state->decompressor);
  free(state);
}

static napi_value zlib_compress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    return bfio_fail(env, "zlibCompress(input, level, output): three arguments expected");
  }
  void *in, *out;
  size_t in_length, out_length;
  int32_t level;
  if (!bfio_typed_bytes(env, argv[0], &in, &in_length, NULL)) return bfio_fail(env, "zlibCompress: input must be a TypedArray");
  if (napi_get_value_int32(env, argv[1], &level) != napi_ok || level < 0 || level >= LEVELS) {
    return bfio_fail(env, "zlibCompress: level must be an integer 0..12");
  }
  if (!bfio_typed_bytes(env, argv[2], &out, &out_length, NULL)) return bfio_fail(env, "zlibCompress: output must be a TypedArray");
  State *state;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL) return bfio_fail(env, "no state");
  if (state->compressors[level] == NULL) {
    state->compressors[level] = libdeflate_alloc_compressor(level);
    if (state->compressors[level] == NULL) return bfio_fail(env, "libdeflate_alloc_compressor failed");
  }
  size_t written = libdeflate_zlib_compress(state->compressors[level], in, in_length, out, out_length);
  napi_value result;
  napi_create_double(env, (double)written, &result);
  return result;
}

static napi_value zlib_compress_bound(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_double(env, argv[0], &length) != napi_ok || length < 0) {
    return bfio_fail(env, "zlibCompressBound(length): a non-negative number expected");
  }
  napi_value result;
  napi_create_double(env, (double)libdeflate_zlib_compress_bound(NULL, (size_t)length), &result);
  return result;
}

static napi_value zlib_decompress(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    return bfio_fail(env, "zlibDecompress(input, output): two arguments expected");
  }
  void *in, *out;
  size_t in_length, out_length;
  if (!bfio_typed_bytes(env, argv[0], &in, &in_length, NULL)) return bfio_fail(env, "zlibDecompress: input must be a TypedArray");
  if (!bfio_typed_bytes(env, argv[1], &out, &out_length, NULL)) return bfio_fail(env, "zlibDecompress: output must be a TypedArray");
  State *state;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL) return bfio_fail(env, "no state");
  if (state->decompressor == NULL) {
    state->decompressor = libdeflate_alloc_decompressor();
    if (state->decompressor == NULL) return bfio_fail(env, "libdeflate_alloc_decompressor failed");
  }
  size_t written = 0;
  enum libdeflate_result r =
      libdeflate_zlib_decompress(state->decompressor, in, in_length, out, out_length, &written);
  napi_value result;
  napi_create_double(env, r == LIBDEFLATE_SUCCESS ? (double)written : -1.0, &result);
  return result;
}

#include "../native-common/predict.h"

__attribute__((optimize("O3"))) static napi_value horizontal_predict(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    return bfio_fail(env, "horizontalPredict(bytes, size, rowLength, stride): four arguments expected");
  }
  void *data;
  size_t length;
  int32_t size, row_length_i, stride_i;
  if (!bfio_typed_bytes(env, argv[0], &data, &length, NULL)) return bfio_fail(env, "horizontalPredict: bytes must be a TypedArray");
  if (napi_get_value_int32(env, argv[1], &size) != napi_ok || (size != 1 && size != 2 && size != 4) ||
      napi_get_value_int32(env, argv[2], &row_length_i) != napi_ok || row_length_i < 1 ||
      napi_get_value_int32(env, argv[3], &stride_i) != napi_ok || stride_i < 1) {
    return bfio_fail(env, "horizontalPredict: size 1, 2 or 4, rowLength and stride positive integers expected");
  }
  if (bfio_predict(data, length, size, (size_t)row_length_i, (size_t)stride_i) != 0)
    return bfio_fail(env, "horizontalPredict: out of memory");
  return NULL;
}

NAPI_MODULE_INIT() {
  State *state = calloc(1, sizeof(State));
  if (state == NULL || napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free(state);
    return bfio_fail(env, "out of memory");
  }
  napi_value fn;
  napi_create_function(env, "zlibCompress", NAPI_AUTO_LENGTH, zlib_compress, NULL, &fn);
  napi_set_named_property(env, exports, "zlibCompress", fn);
  napi_create_function(env, "zlibCompressBound", NAPI_AUTO_LENGTH, zlib_compress_bound, NULL, &fn);
  napi_set_named_property(env, exports, "zlibCompressBound", fn);
  napi_create_function(env, "zlibDecompress", NAPI_AUTO_LENGTH, zlib_decompress, NULL, &fn);
  napi_set_named_property(env, exports, "zlibDecompress", fn);
  napi_create_function(env, "horizontalPredict", NAPI_AUTO_LENGTH, horizontal_predict, NULL, &fn);
  napi_set_named_property(env, exports, "horizontalPredict", fn);
  napi_value version;
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
