/*
 * @bfio/codecs' native undo of TIFF's horizontal predictor (Predictor 2) after a tile or strip is decoded:
 * each sample plus the same sample of the pixel to its left, row by row, wrapping at the sample's width.
 * filters.mjs's loop (undoHorizontal) does the same in V8 at ~0.3 CPU-s per 512 MiB of uint16, a fifth of a
 * zstd + predictor read's whole CPU; imagecodecs does it in C for tifffile.
 *
 * undoHorizontal(samples: Uint8Array | Uint16Array | Uint32Array, rowLength, stride) — in place; rows of
 * `rowLength` samples, `stride` samples per pixel (1 grey, 3 RGB); a partial last row is left as it is, as
 * the JavaScript loop leaves it.
 */
#include "../native-common/napi-args.h"
#include <node_api.h>
#include <stdint.h>

#include "../native-common/undo-horizontal.h"

napi_value bfio_undo_horizontal(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data;
  size_t bytes;
  napi_typedarray_type type;
  int64_t row, stride;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      !bfio_typed_bytes(env, argv[0], &data, &bytes, &type) ||
      napi_get_value_int64(env, argv[1], &row) != napi_ok ||
      napi_get_value_int64(env, argv[2], &stride) != napi_ok || row < 1 || stride < 1)
    return bfio_range_fail(env, "undoHorizontal(samples, rowLength, stride)");
  size_t size = type == napi_uint8_array || type == napi_uint8_clamped_array ? 1
                : type == napi_uint16_array                                   ? 2
                : type == napi_uint32_array                                   ? 4
                                                                              : 0;
  if (size == 0) return bfio_range_fail(env, "undoHorizontal: samples must be a Uint8/16/32Array");
  size_t n = bytes / size, rows = n / (size_t)row;
  if (size == 1) undo_uint8_t(data, rows, (size_t)row, (size_t)stride);
  else if (size == 2) undo_uint16_t(data, rows, (size_t)row, (size_t)stride);
  else undo_uint32_t(data, rows, (size_t)row, (size_t)stride);
  return NULL;
}
