/*
 * @bfio/codecs' prefault of a large result: prefault(bytes: TypedArray) asks the kernel to back the array's
 * whole pages with memory now (madvise MADV_POPULATE_WRITE, Linux 5.14+), in one call on the calling thread,
 * instead of one page fault per 4 KiB page later, taken by the codec workers as they place pixels: two threads
 * faulting one process's fresh memory at once contend in the kernel (in C, 512 MiB touched by 2 threads cost
 * 0.24–0.29 CPU-s, one populate call 0.17–0.22). The contents are not changed (fresh memory stays zero; pages
 * already present are left alone), so it may run while workers write. Returns 0, or the errno (EINVAL on a
 * kernel without MADV_POPULATE_WRITE: callers stop asking).
 *
 * hugePages(bytes: TypedArray) asks for transparent huge pages (madvise MADV_HUGEPAGE) on the 2 MiB-aligned
 * part of a fresh result, before its pages are touched: where the kernel hands out huge pages only on request
 * (transparent_hugepage "madvise", Debian's default and this machine's), each 4 KiB page of a fresh result
 * costs a fault. In C, 64 results of 32 MiB written once each: 1.49–1.90 s (1.0–1.1 s of it in the kernel)
 * with 4 KiB pages, 0.37–0.45 s (0.2 s) with huge pages. Returns 0 or the errno (EINVAL: no THP here).
 */
#include "../native-common/napi-args.h"
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

/* madvise(`advice`) on the whole `align`-byte units inside the typed array that is the call's argument
 * (`usage` names the call in a RangeError): the errno as a number, 0 on success, ENOSYS off Linux. */
static napi_value advise(napi_env env, napi_callback_info info, int advice, uintptr_t align, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      !bfio_typed_bytes(env, argv[0], &data, &bytes, NULL))
    return bfio_range_fail(env, usage);
  int err = ENOSYS;
#ifdef __linux__
  uintptr_t start = ((uintptr_t)data + align - 1) & ~(align - 1);
  uintptr_t end = ((uintptr_t)data + bytes) & ~(align - 1);
  err = 0;
  if (end > start && madvise((void *)start, end - start, advice) != 0) err = errno;
#endif
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

napi_value bfio_prefault(napi_env env, napi_callback_info info) {
#ifdef __linux__
  return advise(env, info, MADV_POPULATE_WRITE, (uintptr_t)sysconf(_SC_PAGESIZE), "prefault(bytes: TypedArray)");
#else
  return advise(env, info, 0, 4096, "prefault(bytes: TypedArray)");
#endif
}

napi_value bfio_huge_pages(napi_env env, napi_callback_info info) {
  return advise(env, info, MADV_HUGEPAGE, (uintptr_t)2 << 20, "hugePages(bytes: TypedArray)");
}
