/*
 * The strided placement every @bfio/codecs addon shares: a decoded block's 5-D pieces copied into a read's
 * output, memcpy per row (native-copy/copy.c's placeBlocks on the calling thread, native-lane/lane.c's
 * tasks on its own threads). One copy, included by relative path, as napi-args.h.
 *
 * A piece is 7 doubles: source element offset, target element offset, counts along the 5 axes; `strides` is
 * 10 doubles: the 5-D element strides of the source, then of the target.
 */
#ifndef BFIO_PLACE_H
#define BFIO_PLACE_H

#include <stdint.h>
#include <string.h>

#define AXES 5

/* One block, axes of size 1 dropped and axes contiguous with the next merged; offsets and strides in bytes. */
typedef struct {
  int nd;
  int64_t n[AXES], ss[AXES], ds[AXES];
  int64_t so, dO;
} Block;

/* Copies `n` rows of `size` bytes, the k-th from src + k * ss to dst + k * ds. Rows of 64–256 bytes (64³
 * chunks of 8/16-bit samples) are copied with a constant-size memcpy the compiler inlines as vector moves: a
 * call to memcpy per 128-byte row cost more than the bytes it moved (perf: memmove + place_blocks ~1.5×
 * tensorstore's copy on the 256³-shard bench; inline 1.4× faster per CPU-s). From 512 bytes on, glibc's
 * memcpy (AVX-512 where the CPU has it) beats the baseline-x86-64 inline moves (512: 1.4× faster). */
static inline void copy_row_run(uint8_t *dst, const uint8_t *src, int64_t n, int64_t size, int64_t ds,
                                int64_t ss) {
#define RUN(K)                                                            \
  for (int64_t k = 0; k < n; k++) memcpy(dst + k * ds, src + k * ss, K); \
  return;
  switch (size) {
    case 64: RUN(64)
    case 128: RUN(128)
    case 256: RUN(256)
    default:
      for (int64_t k = 0; k < n; k++) memcpy(dst + k * ds, src + k * ss, (size_t)size);
  }
#undef RUN
}

static inline void copy_rows(uint8_t *src, uint8_t *dst, const Block *b, int64_t bytes) {
  int nd = b->nd;
  int64_t row = b->n[nd - 1];
  int64_t ss = b->ss[nd - 1], ds = b->ds[nd - 1];
  int contiguous = ss == bytes && ds == bytes;
  if (contiguous && nd == 1) {
    memcpy(dst + b->dO, src + b->so, (size_t)(row * bytes));
    return;
  }
  if (contiguous) {
    // Rows along axis nd - 2, in planes along the axes before it (a 3-D block: z planes of y rows).
    int64_t rows = b->n[nd - 2], rss = b->ss[nd - 2], rds = b->ds[nd - 2];
    int64_t counter[AXES] = {0};
    int64_t outer = 1;
    for (int d = 0; d < nd - 2; d++) outer *= b->n[d];
    int64_t si = b->so, di = b->dO;
    for (int64_t k = 0; k < outer; k++) {
      copy_row_run(dst + di, src + si, rows, row * bytes, rds, rss);
      for (int d = nd - 3; d >= 0; d--) {
        if (++counter[d] < b->n[d]) {
          si += b->ss[d];
          di += b->ds[d];
          break;
        }
        si -= (counter[d] - 1) * b->ss[d];
        di -= (counter[d] - 1) * b->ds[d];
        counter[d] = 0;
      }
    }
    return;
  }
  int64_t counter[AXES] = {0};
  int64_t outer = 1;
  for (int d = 0; d < nd - 1; d++) outer *= b->n[d];
  int64_t si = b->so, di = b->dO;
  for (int64_t k = 0; k < outer; k++) {
    for (int64_t i = 0; i < row; i++) memcpy(dst + di + i * ds, src + si + i * ss, (size_t)bytes);
    for (int d = nd - 2; d >= 0; d--) {
      if (++counter[d] < b->n[d]) {
        si += b->ss[d];
        di += b->ds[d];
        break;
      }
      si -= (counter[d] - 1) * b->ss[d];
      di -= (counter[d] - 1) * b->ds[d];
      counter[d] = 0;
    }
  }
}

/* Fills `b` from block `i`; 0 when empty (nothing to copy), -1 when it reaches outside either array. */
static inline int plan(const double *blk, const double *strides, int64_t bytes, size_t srcLen, size_t dstLen,
                Block *b) {
  int64_t so = (int64_t)blk[0], dO = (int64_t)blk[1];
  int64_t lastS = so, lastD = dO;
  b->nd = 0;
  for (int d = 0; d < AXES; d++) {
    int64_t n = (int64_t)blk[2 + d];
    if (n <= 0) return 0;
    if (n == 1) continue;
    int64_t ss = (int64_t)strides[d], ds = (int64_t)strides[AXES + d];
    lastS += (n - 1) * ss;
    lastD += (n - 1) * ds;
    b->n[b->nd] = n;
    b->ss[b->nd] = ss * bytes;
    b->ds[b->nd] = ds * bytes;
    b->nd++;
  }
  if (so < 0 || lastS < 0 || (uint64_t)(lastS + 1) * bytes > srcLen) return -1;
  if (dO < 0 || lastD < 0 || (uint64_t)(lastD + 1) * bytes > dstLen) return -1;
  b->so = so * bytes;
  b->dO = dO * bytes;
  if (b->nd == 0) {
    b->nd = 1;
    b->n[0] = 1;
    b->ss[0] = bytes;
    b->ds[0] = bytes;
    return 1;
  }
  // Merge axes contiguous with the next one on both sides: fewer, longer rows.
  int k = b->nd - 1;
  while (k > 0 && b->ss[k - 1] == b->ss[k] * b->n[k] && b->ds[k - 1] == b->ds[k] * b->n[k]) {
    b->n[k - 1] *= b->n[k];
    b->ss[k - 1] = b->ss[k];
    b->ds[k - 1] = b->ds[k];
    k--;
  }
  b->nd = k + 1;
  return 1;
}

#endif
