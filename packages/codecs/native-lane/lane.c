/*
 * @bfio/codecs' chunk lane on libuv's thread pool: read a chunk (a file, or a byte range of one: a chunk in a
 * Zarr shard, or a run of them), decode it (zstd, or raw bytes) and place its pieces into a read's output,
 * all on one of libuv's threads, as a Node-API async work. Why: a codec worker (worker_threads) costs ~25-40
 * ms of boot per thread and a message round trip per task; libuv's threads already exist, and an async work
 * costs a few microseconds. A 16384^2 uint16 Zarr read waited 54-77 ms for its two workers before the first
 * chunk was decoded; tensorstore's threads start at once (bench/RESULTS.md, issue 14).
 *
 * libzstd's decoder is compiled from the sources zstd-napi bundles (binding.gyp), so this addon and the
 * workers' decode the same bytes the same way.
 *
 * decode(path: string | null, input: Uint8Array | null, offset: number, length: number (-1: the whole file),
 *        codec: 0 raw | 1 zstd, room: decoded bytes expected, dst: TypedArray | null,
 *        target: TypedArray | null, bytes: 1|2|4|8, strides: Float64Array(10) | null,
 *        blocks: Float64Array | null, frames: Float64Array | null) -> Promise<number>
 *   The source is the file `path` (bytes `offset`..+`length`) or `input`. It must decode to exactly `room`
 *   bytes. Without `blocks`, the decoded bytes go into `dst` (at least `room` bytes). With `blocks` (7
 *   numbers a piece, see place.h), they are placed into `target`; a single piece that is the whole block laid
 *   out the same way in `target` is decoded straight into it. With `frames` (compressed lengths of frames
 *   stored back to back, each decoding to room / frames.length bytes), each frame is decoded and placed in
 *   turn, so a 32 MiB run never sits decoded in memory at once; piece source offsets then count from the
 *   start of the run. Every piece is bounds-checked before anything is read or written.
 *   The caller keeps `input`, `dst` and `target` alive and unchanged until the promise settles (ChunkLane.run
 *   holds them in its frame): no reference is taken here, as a napi reference per chunk costs more than
 *   the call.
 *   Resolves with `room`. Rejects with an Error whose `code` is the errno name for a file that cannot be
 *   opened or read ('ENOENT', 'ENOTDIR', 'EACCES', ...), 'SHORT_READ' at an early end of file, 'DECODE' for
 *   bytes that do not decode to `room`, or a RangeError for a piece outside its source or target.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"
#include "../native-common/napi-args.h"
#include "../native-common/place.h"

/* Reused buffers of one libuv thread: compressed input and a decoded block awaiting placement. Larger needs
 * get their own allocation for one task (so one 2 GiB chunk does not stay resident). */
#define KEEP_BYTES (64u << 20)
static __thread uint8_t *kept[2];
static __thread size_t kept_size[2];
static __thread ZSTD_DCtx *dctx;

typedef struct {
  uint8_t *data;
  int owned; /* freed after the task */
} Buf;

static int buffer_for(int which, size_t n, Buf *out) {
  if (n > KEEP_BYTES) {
    out->data = malloc(n ? n : 1);
    out->owned = 1;
    return out->data != NULL;
  }
  if (kept_size[which] < n) {
    free(kept[which]);
    size_t size = n < 65536 ? 65536 : n;
    kept[which] = malloc(size);
    kept_size[which] = kept[which] ? size : 0;
  }
  out->data = kept[which];
  out->owned = 0;
  return out->data != NULL;
}

static void release(Buf *b) {
  if (b->owned) free(b->data);
  b->data = NULL;
  b->owned = 0;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  const uint8_t *input;
  size_t input_len;
  int64_t offset, length;
  int codec;
  size_t room;
  uint8_t *dst;
  size_t dst_len;
  uint8_t *target;
  size_t target_len;
  int64_t bytes;
  double strides[2 * AXES];
  double *blocks;
  size_t nblocks; /* numbers, 7 a piece */
  double *frames;
  size_t nframes;
  /* outcome */
  const char *code; /* NULL: success */
  int range;        /* a RangeError */
  char message[512];
} Job;

static void fail(Job *job, const char *code, const char *fmt, const char *detail, long long a, long long b) {
  job->code = code;
  snprintf(job->message, sizeof job->message, fmt, detail, a, b);
}

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EISDIR: return "EISDIR";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

static int read_fully(Job *job, int fd, uint8_t *into, size_t n, int64_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, into + done, n - done, (off_t)(at + (int64_t)done));
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      fail(job, errno_code(e), "%s: read failed (%lld, %lld)", strerror(e), (long long)at, (long long)n);
      return 0;
    }
    if (r == 0) {
      snprintf(job->message, sizeof job->message, "read %zu of %zu bytes at %lld of %s: end of file", done, n,
               (long long)at, job->path);
      job->code = "SHORT_READ";
      return 0;
    }
    done += (size_t)r;
  }
  return 1;
}

/* Decodes `src` (one frame, or frames back to back when `whole`) into exactly `room` bytes at `out`. */
static int decode_into(Job *job, const uint8_t *src, size_t n, uint8_t *out, size_t room) {
  if (job->codec == 0) {
    if (n != room) {
      fail(job, "DECODE", "%sthe block has %lld bytes, expected %lld", "", (long long)n, (long long)room);
      return 0;
    }
    if (out != src) memcpy(out, src, n);
    return 1;
  }
  if (dctx == NULL) dctx = ZSTD_createDCtx();
  if (dctx == NULL) {
    fail(job, "ENOMEM", "%szstd: out of memory%lld%lld", "", 0, 0);
    return 0;
  }
  size_t r = ZSTD_decompressDCtx(dctx, out, room, src, n);
  if (ZSTD_isError(r)) {
    // "Destination buffer is too small": the block decodes to more than `room`.
    fail(job, "DECODE", "zstd: %s (expected %lld bytes from %lld)", ZSTD_getErrorName(r), (long long)room,
         (long long)n);
    return 0;
  }
  if (r != room) {
    fail(job, "DECODE", "%sthe block decodes to %lld bytes, expected %lld", "", (long long)r, (long long)room);
    return 0;
  }
  return 1;
}

/* The piece list's plan for frame `k` (all pieces when k < 0): every piece checked; -1 when one is outside. */
static int check_pieces(Job *job, size_t source_len) {
  Block b;
  size_t each_elements = job->nframes ? job->room / job->nframes / (size_t)job->bytes : 0;
  for (size_t i = 0; i + 7 <= job->nblocks; i += 7) {
    double piece[7];
    memcpy(piece, job->blocks + i, sizeof piece);
    if (job->nframes) {
      double k = piece[0] / (double)each_elements;
      if (!(k >= 0) || (size_t)k >= job->nframes) return -1;
      piece[0] -= (double)((size_t)k * each_elements);
    }
    if (plan(piece, job->strides, job->bytes, source_len, job->target_len, &b) < 0) return -1;
  }
  return 0;
}

/* Where a block decodes when it is one piece laid out the same way in the target: else NULL. */
static uint8_t *direct_target(Job *job, const double *piece, size_t room) {
  Block b;
  if (plan(piece, job->strides, job->bytes, room, job->target_len, &b) <= 0) return NULL;
  if (b.nd != 1 || b.ss[0] != job->bytes || b.ds[0] != job->bytes || b.so != 0) return NULL;
  if ((size_t)(b.n[0] * job->bytes) != room) return NULL;
  return job->target + b.dO;
}

/* Places the pieces of frame `k` (all pieces when there are no frames) from `src`. */
static void place_pieces(Job *job, const uint8_t *src, size_t source_len, long k) {
  Block b;
  size_t each_elements = job->nframes ? job->room / job->nframes / (size_t)job->bytes : 0;
  for (size_t i = 0; i + 7 <= job->nblocks; i += 7) {
    double piece[7];
    memcpy(piece, job->blocks + i, sizeof piece);
    if (k >= 0) {
      size_t f = (size_t)(piece[0] / (double)each_elements);
      if ((long)f != k) continue;
      piece[0] -= (double)(f * each_elements);
    }
    if (plan(piece, job->strides, job->bytes, source_len, job->target_len, &b) > 0)
      copy_rows((uint8_t *)src, job->target, &b, job->bytes);
  }
}

static void execute(napi_env env, void *data) {
  (void)env;
  Job *job = data;
  Buf in = {0}, out = {0};
  int fd = -1;
  const int placing = job->blocks != NULL;
  if (placing) {
    size_t source_len = job->nframes ? job->room / job->nframes : job->room;
    if (job->nframes && (job->room % job->nframes || (job->room / job->nframes) % (size_t)job->bytes)) {
      fail(job, "DECODE", "%s%lld frames do not split %lld bytes", "", (long long)job->nframes,
           (long long)job->room);
      return;
    }
    if (check_pieces(job, source_len) < 0) {
      job->range = 1;
      fail(job, "ERANGE", "%sa block reaches past its source or its target%lld%lld", "", 0, 0);
      return;
    }
  }
  /* Where the whole block decodes: the caller's dst, or (one piece, same layout) straight into the target. */
  uint8_t *whole = NULL;
  if (!placing) whole = job->dst;
  else if (!job->nframes && job->nblocks == 7) whole = direct_target(job, job->blocks, job->room);

  const uint8_t *src = job->input;
  size_t n = job->input_len;
  if (job->path) {
    fd = open(job->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      job->code = errno_code(e);
      snprintf(job->message, sizeof job->message, "%s: %s", strerror(e), job->path);
      return;
    }
    if (job->length >= 0) {
      n = (size_t)job->length;
    } else {
      struct stat st;
      if (fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(job->message, sizeof job->message, "%s: %s", strerror(e), job->path);
        job->code = errno_code(e);
        goto done;
      }
      n = (size_t)st.st_size;
    }
    if (job->codec == 0 && whole && !job->nframes) {
      /* A raw chunk is read straight into its place. */
      if (n != job->room) {
        snprintf(job->message, sizeof job->message, "the chunk has %zu bytes, expected %zu", n, job->room);
        job->code = "DECODE";
        goto done;
      }
      if (!read_fully(job, fd, whole, n, job->offset)) goto done;
      goto done;
    }
    /* No valid chunk is larger than libzstd's bound for its decoded size (a damaged index or a stray file
     * could name gigabytes): refused before anything is allocated. */
    size_t most = job->codec == 0 ? job->room : ZSTD_COMPRESSBOUND(job->room) + 1024 * (job->nframes + 1);
    if (n > most) {
      snprintf(job->message, sizeof job->message,
               "%s has %zu bytes where a chunk of %zu bytes can take at most %zu", job->path, n, job->room, most);
      job->code = "DECODE";
      goto done;
    }
    if (!buffer_for(0, n, &in)) {
      fail(job, "ENOMEM", "%sout of memory for %lld bytes%lld", "", (long long)n, 0);
      goto done;
    }
    if (!read_fully(job, fd, in.data, n, job->offset)) goto done;
    src = in.data;
  }

  if (!job->nframes) {
    uint8_t *into = whole;
    if (!into) {
      if (job->codec == 0) {
        into = (uint8_t *)src; /* placed from where it was read */
        if (n != job->room) {
          fail(job, "DECODE", "%sthe block has %lld bytes, expected %lld", "", (long long)n, (long long)job->room);
          goto done;
        }
      } else {
        if (!buffer_for(1, job->room, &out)) {
          fail(job, "ENOMEM", "%sout of memory for %lld bytes%lld", "", (long long)job->room, 0);
          goto done;
        }
        into = out.data;
      }
    }
    if (into != src && !decode_into(job, src, n, into, job->room)) goto done;
    if (placing && into != whole) place_pieces(job, into, job->room, -1);
    goto done;
  }

  /* Frames back to back: each decoded (into its place when it is one same-layout piece) and placed. */
  size_t each = job->room / job->nframes;
  size_t at = 0;
  for (size_t k = 0; k < job->nframes; k++) {
    size_t len = (size_t)job->frames[k];
    if (at + len > n) {
      fail(job, "DECODE", "%sframe %lld reaches past the %lld bytes read", "", (long long)k, (long long)n);
      goto done;
    }
    /* The frame's pieces: when it is a single one laid out the same way, decode into the target. */
    uint8_t *direct = NULL;
    size_t count = 0;
    double single[7];
    size_t each_elements = each / (size_t)job->bytes;
    for (size_t i = 0; i + 7 <= job->nblocks; i += 7) {
      if ((size_t)(job->blocks[i] / (double)each_elements) != k) continue;
      count++;
      memcpy(single, job->blocks + i, sizeof single);
      single[0] -= (double)(k * each_elements);
    }
    if (count == 1) direct = direct_target(job, single, each);
    uint8_t *into = direct;
    if (!into) {
      if (job->codec == 0) {
        into = (uint8_t *)src + at;
        if (len != each) {
          fail(job, "DECODE", "%sthe block has %lld bytes, expected %lld", "", (long long)len, (long long)each);
          goto done;
        }
      } else {
        if (out.data == NULL && !buffer_for(1, each, &out)) {
          fail(job, "ENOMEM", "%sout of memory for %lld bytes%lld", "", (long long)each, 0);
          goto done;
        }
        into = out.data;
      }
    }
    if (into != src + at && !decode_into(job, src + at, len, into, each)) goto done;
    if (!direct) place_pieces(job, into, each, (long)k);
    at += len;
  }
  if (at != n) fail(job, "DECODE", "%s%lld bytes after the last of %lld frames", "", (long long)(n - at),
                    (long long)job->nframes);

done:
  if (fd >= 0) close(fd);
  release(&in);
  release(&out);
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value value;
  if (status != napi_ok && job->code == NULL) {
    job->code = "EIO";
    snprintf(job->message, sizeof job->message, "the task was cancelled");
  }
  if (job->code) {
    napi_value code, message;
    napi_create_string_utf8(env, job->code, NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, job->message, NAPI_AUTO_LENGTH, &message);
    if (job->range) napi_create_range_error(env, code, message, &value);
    else napi_create_error(env, code, message, &value);
    napi_reject_deferred(env, job->deferred, value);
  } else {
    napi_create_double(env, (double)job->room, &value);
    napi_resolve_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job->blocks);
  free(job->frames);
  free(job);
}

static double *copy_doubles(napi_env env, napi_value value, size_t *count) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, count, &p, NULL, NULL) != napi_ok ||
      type != napi_float64_array)
    return NULL;
  double *copy = malloc((*count ? *count : 1) * sizeof(double));
  if (copy) memcpy(copy, p, *count * sizeof(double));
  return copy;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) != napi_ok || t == napi_null || t == napi_undefined;
}

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 12)
    return bfio_fail(env, "decode: twelve arguments expected");
  Job *job = calloc(1, sizeof(Job));
  if (!job) return bfio_fail(env, "decode: out of memory");
  const char *bad = NULL;
  double offset, length, room;
  int32_t codec, bytes = 1;
  if (!is_null(env, argv[0])) {
    size_t len;
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) bad = "path must be a string";
    else if ((job->path = malloc(len + 1)) == NULL) bad = "out of memory";
    else napi_get_value_string_utf8(env, argv[0], job->path, len + 1, &len);
  } else if (!bfio_typed_bytes(env, argv[1], (void **)&job->input, &job->input_len, NULL)) {
    bad = "input must be a TypedArray when there is no path";
  }
  if (!bad && (napi_get_value_double(env, argv[2], &offset) != napi_ok || offset < 0 ||
               napi_get_value_double(env, argv[3], &length) != napi_ok ||
               napi_get_value_int32(env, argv[4], &codec) != napi_ok || codec < 0 || codec > 1 ||
               napi_get_value_double(env, argv[5], &room) != napi_ok || room < 0))
    bad = "offset, length, codec (0 raw, 1 zstd) and room must be numbers";
  if (!bad) {
    job->offset = (int64_t)offset;
    job->length = length < 0 ? -1 : (int64_t)length;
    job->codec = codec;
    job->room = (size_t)room;
  }
  if (!bad && !is_null(env, argv[6])) {
    if (!bfio_typed_bytes(env, argv[6], (void **)&job->dst, &job->dst_len, NULL) || job->dst_len < job->room)
      bad = "dst must be a TypedArray of at least room bytes";
  }
  if (!bad && !is_null(env, argv[10])) {
    if (!bfio_typed_bytes(env, argv[7], (void **)&job->target, &job->target_len, NULL) ||
        napi_get_value_int32(env, argv[8], &bytes) != napi_ok || (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8))
      bad = "target must be a TypedArray and bytes 1, 2, 4 or 8";
    size_t ns = 0;
    double *strides = bad ? NULL : copy_doubles(env, argv[9], &ns);
    if (!bad && (strides == NULL || ns != 2 * AXES)) bad = "strides must be a Float64Array of 10";
    if (strides) {
      if (ns == 2 * AXES) memcpy(job->strides, strides, sizeof job->strides);
      free(strides);
    }
    if (!bad && (job->blocks = copy_doubles(env, argv[10], &job->nblocks)) == NULL)
      bad = "blocks must be a Float64Array";
    if (!bad && !is_null(env, argv[11]) && ((job->frames = copy_doubles(env, argv[11], &job->nframes)) == NULL ||
                                           job->nframes == 0))
      bad = "frames must be a non-empty Float64Array";
  } else if (!bad && job->dst == NULL) {
    bad = "either dst or blocks is needed";
  }
  job->bytes = bytes;
  if (bad) {
    free(job->path);
    free(job->blocks);
    free(job->frames);
    free(job);
    return bfio_range_fail(env, bad);
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "bfio-chunk-lane", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "decode", fn) != napi_ok) return NULL;
  return exports;
}
