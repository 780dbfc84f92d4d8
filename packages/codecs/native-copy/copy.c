/*
 * @bfio/codecs' optional native strided copy: placement.mjs's placeBlocks (a decoded chunk's blocks copied
 * into a read's shared output) as memcpy per row. In JavaScript each row is a subarray and a `set` (or an
 * element loop): for a 3-D read, rows are 64–256 elements and a 1024³ volume has 4–16 million of them, which
 * cost more CPU than decoding the zstd chunks (5.2 of 11.5 s of a worker's time on the sharded bench store).
 * No library: built wherever a C compiler is; without it placement stays in JavaScript. The same addon holds
 * the horizontal predictor's undo (filters.c).
 *
 * placeBlocks(src: TypedArray, dst: TypedArray, bytes: 1|2|4|8, strides: Float64Array(10), blocks:
 * Float64Array) — `strides`: the 5-D element strides of src then of dst; `blocks`: 7 numbers per block (src
 * element offset, dst element offset, counts along the 5 axes). Every block is bounds-checked before
 * anything is written (a RangeError names the first that reaches past either array).
 */
#include "../native-common/napi-args.h"
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "../native-common/place.h"

static int doubles_of(napi_env env, napi_value value, double **data, size_t *count) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, count, &p, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_float64_array) return 0;
  *data = p;
  return 1;
}

static napi_value place_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return bfio_range_fail(env, "placeBlocks(src, dst, bytes, strides, blocks)");
  uint8_t *src, *dst;
  size_t srcLen, dstLen, ns, nb;
  double *strides, *blocks;
  int32_t bytes;
  if (!bfio_typed_bytes(env, argv[0], (void **)&src, &srcLen, NULL) || !bfio_typed_bytes(env, argv[1], (void **)&dst, &dstLen, NULL) ||
      napi_get_value_int32(env, argv[2], &bytes) != napi_ok || !doubles_of(env, argv[3], &strides, &ns) ||
      !doubles_of(env, argv[4], &blocks, &nb) || ns != 2 * AXES ||
      (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8))
    return bfio_range_fail(env, "placeBlocks: bad arguments");
  Block b;
  // Every block checked before any is written, as the JavaScript copy does.
  for (size_t i = 0; i + 7 <= nb; i += 7)
    if (plan(blocks + i, strides, bytes, srcLen, dstLen, &b) < 0)
      return bfio_range_fail(env, "a block reaches past its source or its target");
  for (size_t i = 0; i + 7 <= nb; i += 7)
    if (plan(blocks + i, strides, bytes, srcLen, dstLen, &b) > 0) copy_rows(src, dst, &b, bytes);
  return NULL;
}

/* filters.c: the horizontal predictor's undo, in the same addon (one build, one load per thread). */
napi_value bfio_undo_horizontal(napi_env env, napi_callback_info info);
/* prefault.c: a large result's pages made present in one call. */
napi_value bfio_prefault(napi_env env, napi_callback_info info);
napi_value bfio_huge_pages(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "undoHorizontal", NAPI_AUTO_LENGTH, bfio_undo_horizontal, NULL, &fn) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "undoHorizontal", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "placeBlocks", NAPI_AUTO_LENGTH, place_blocks, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "placeBlocks", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "prefault", NAPI_AUTO_LENGTH, bfio_prefault, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "prefault", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "hugePages", NAPI_AUTO_LENGTH, bfio_huge_pages, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "hugePages", fn) != napi_ok) return NULL;
  return exports;
}
