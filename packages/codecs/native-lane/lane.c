/*
 * @bfio/codecs' chunk lane: read a chunk (a file, or a byte range of one: a chunk in a Zarr shard, or a run of
 * them), decode it (zstd, or raw bytes) and place its pieces into a read's output, all on one of the lane's
 * threads (see "The lane's threads" below). Why: a codec worker (worker_threads) costs ~25-40 ms of boot per
 * thread and a message round trip per task; a pthread starts in microseconds and a queued task costs a few. A 16384^2 uint16 Zarr read waited 54-77 ms for its two workers before the first
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
 *
 * decodeRows(fd, position, length, input, codec: 1 zstd | 2 zlib (TIFF Deflate) | 3 LZW, room, swap: 0|2|4|8,
 *            hsize: 0|1|2|4, hrow, hstride, target, rows, rowBytes, srcOffset, srcStride, dstOffset,
 *            dstStride) -> Promise<number>
 *   A TIFF tile or strip: `length` bytes at `position` of the open descriptor `fd` (kept open by the caller
 *   until the promise settles), or `input`; decoded into at most `room` bytes; sample bytes swapped (`swap`:
 *   bytes per sample, big-endian files); the horizontal predictor undone (`hsize` bytes per sample, rows of
 *   `hrow` samples, `hstride` samples per pixel); then `rows` rows of `rowBytes` copied from `srcOffset`
 *   (every `srcStride` bytes) into `target` at `dstOffset` (every `dstStride`), as placement.mjs's
 *   scatterRows. Resolves with the decoded length; rejects with code 'DECODE' (the caller's ordinary path then
 *   decodes the block again and reports what is wrong with it), 'SHORT_OUTPUT', or a RangeError.
 *
 * deflate(input: TypedArray, level: 0..12, output: Uint8Array, psize: 0|1|2|4, prow, pstride) -> Promise<n>
 *   A TIFF tile compressed as a zlib stream (TIFF Deflate) by libdeflate at `level` into `output`, after the
 *   horizontal predictor is applied to `input` in place (`psize` bytes per sample, rows of `prow` samples,
 *   `pstride` samples per pixel; 0: none). Resolves with the bytes written, 0 when `output` is too small.
 *   The caller keeps both arrays alive and unchanged until the promise settles.
 *
 * lanes(n) -> number
 *   Starts lane threads until there are n (at most 256); returns how many there are. Tasks queue in order;
 *   the first task of a process starts one thread if none was asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"
#include "../native-common/napi-args.h"
#include "../native-common/place.h"
#include "../native-common/lzw-decode.h"
#include "../native-common/undo-horizontal.h"
#include "../native-common/predict.h"
#include "../native/libdeflate/libdeflate.h"

/* Reused buffers of one libuv thread: compressed input and a decoded block awaiting placement. Larger needs
 * get their own allocation for one task (so one 2 GiB chunk does not stay resident). */
#define KEEP_BYTES (64u << 20)
static __thread uint8_t *kept[2];
static __thread size_t kept_size[2];
static __thread ZSTD_DCtx *dctx;
static __thread struct libdeflate_decompressor *inflater;
/* One compressor per level per thread (libdeflate's are not shared between threads). */
static __thread struct libdeflate_compressor *deflaters[13];

typedef struct Owner Owner;

/* What every task has: its place in the lane's queue, its promise, its outcome, and what `complete` frees.
 * Each job type begins with one, so the settling, failing and queueing below are written once. */
typedef struct Task {
  struct Task *next;
  Owner *owner;
  void (*execute)(void *task);
  napi_deferred deferred;
  const char *code; /* NULL: success */
  int range;        /* a RangeError */
  char message[512];
  double result; /* what the promise resolves with */
  void *owned[3]; /* freed with the task */
} Task;

__attribute__((format(printf, 3, 4))) static void fail(Task *t, const char *code, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  t->code = code;
  vsnprintf(t->message, sizeof t->message, fmt, args);
  va_end(args);
}

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
  Task task;
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
  size_t need; /* placing without frames: the decoded bytes the pieces read (check_pieces) */
} Job;

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

/* Reads `n` bytes at `at` of `fd` (the file `what`) into `into`; 0 with the task failed when it cannot. */
static int read_fully(Task *t, const char *what, int fd, uint8_t *into, size_t n, int64_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, into + done, n - done, (off_t)(at + (int64_t)done));
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      fail(t, errno_code(e), "%s: reading %zu bytes at %lld of %s", strerror(e), n, (long long)at, what);
      return 0;
    }
    if (r == 0) {
      fail(t, "SHORT_READ", "read %zu of %zu bytes at %lld of %s: end of file", done, n, (long long)at, what);
      return 0;
    }
    done += (size_t)r;
  }
  return 1;
}

/* zstd frames in `src` decoded into at most `room` bytes at `out` with this thread's context: the decoded
 * size in `got`, or 0 with the task failed. */
static int unzstd(Task *t, const uint8_t *src, size_t n, uint8_t *out, size_t room, size_t *got) {
  if (dctx == NULL) dctx = ZSTD_createDCtx();
  if (dctx == NULL) {
    fail(t, "ENOMEM", "zstd: out of memory");
    return 0;
  }
  size_t r = ZSTD_decompressDCtx(dctx, out, room, src, n);
  if (ZSTD_isError(r)) {
    // "Destination buffer is too small": the block decodes to more than `room`.
    fail(t, "DECODE", "zstd: %s (at most %zu bytes expected from %zu)", ZSTD_getErrorName(r), room, n);
    return 0;
  }
  *got = r;
  return 1;
}

/* The first `need` of a zstd frame's `room` decoded bytes, block by block, into `out`: a read that takes only
 * the top rows of a chunk (a window's lower chunks, a slab of a 3-D chunk) stops decoding there. A random
 * 1024^2 window of 1024^2 chunks needs on average half of two of its four chunks: a quarter of the decode.
 * Only for one frame that states its decoded size as `room` and spans all `n` bytes; else 0 and the caller
 * decodes the whole (and reports what is wrong). The blocks after `need` are not checked, as they are not used;
 * a read that reaches the last block checks the decoded size as libzstd's whole-frame decode does. */
static int unzstd_prefix(const uint8_t *src, size_t n, uint8_t *out, size_t room, size_t need) {
  if (ZSTD_getFrameContentSize(src, n) != (unsigned long long)room || ZSTD_findFrameCompressedSize(src, n) != n)
    return 0;
  if (dctx == NULL) dctx = ZSTD_createDCtx();
  if (dctx == NULL || ZSTD_isError(ZSTD_decompressBegin(dctx))) return 0;
  size_t at = 0, done = 0;
  for (;;) {
    size_t want = ZSTD_nextSrcSizeToDecompress(dctx);
    /* A frame decoded to its end (its last block read, its checksum if any checked) must have made `room`. */
    if (want == 0) return done == room;
    if (done >= need && ZSTD_nextInputType(dctx) == ZSTDnit_blockHeader) return 1;
    if (want > n - at) return 0;
    size_t r = ZSTD_decompressContinue(dctx, out + done, room - done, src + at, want);
    if (ZSTD_isError(r)) return 0;
    at += want;
    done += r;
  }
}

/* Decodes `src` (one frame, or frames back to back) into exactly `room` bytes at `out`; with `need` < `room`,
 * a zstd block may stop after the first `need` bytes (unzstd_prefix). */
static int decode_into(Job *job, const uint8_t *src, size_t n, uint8_t *out, size_t room, size_t need) {
  if (job->codec == 0) {
    if (n != room) {
      fail(&job->task, "DECODE", "the block has %zu bytes, expected %zu", n, room);
      return 0;
    }
    if (out != src) memcpy(out, src, n);
    return 1;
  }
  if (need < room && unzstd_prefix(src, n, out, room, need)) return 1;
  size_t got;
  if (!unzstd(&job->task, src, n, out, room, &got)) return 0;
  if (got != room) {
    fail(&job->task, "DECODE", "the block decodes to %zu bytes, expected %zu", got, room);
    return 0;
  }
  return 1;
}

/* One past the last source byte a planned piece reads. */
static size_t piece_end(const Block *b, int64_t bytes) {
  int64_t last = b->so;
  for (int d = 0; d < b->nd; d++) last += (b->n[d] - 1) * b->ss[d];
  return (size_t)(last + bytes);
}

/* Every piece checked: -1 when one is outside its source or the target. Without frames, the source bytes the
 * pieces read are the first job->need. */
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
    int planned = plan(piece, job->strides, job->bytes, source_len, job->target_len, &b);
    if (planned < 0) return -1;
    if (planned > 0 && piece_end(&b, job->bytes) > job->need) job->need = piece_end(&b, job->bytes);
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

static void execute(void *data) {
  Job *job = data;
  Buf in = {0}, out = {0};
  int fd = -1;
  const int placing = job->blocks != NULL;
  if (placing) {
    size_t source_len = job->nframes ? job->room / job->nframes : job->room;
    if (job->nframes && (job->room % job->nframes || (job->room / job->nframes) % (size_t)job->bytes)) {
      fail(&job->task, "DECODE", "%zu frames do not split %zu bytes", job->nframes, job->room);
      return;
    }
    if (check_pieces(job, source_len) < 0) {
      job->task.range = 1;
      fail(&job->task, "ERANGE", "a block reaches past its source or its target");
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
      fail(&job->task, errno_code(e), "%s: %s", strerror(e), job->path);
      return;
    }
    if (job->length >= 0) {
      n = (size_t)job->length;
    } else {
      struct stat st;
      if (fstat(fd, &st) != 0) {
        int e = errno;
        fail(&job->task, errno_code(e), "%s: %s", strerror(e), job->path);
        goto done;
      }
      n = (size_t)st.st_size;
    }
    if (job->codec == 0 && whole && !job->nframes) {
      /* A raw chunk is read straight into its place. */
      if (n != job->room) {
        fail(&job->task, "DECODE", "%s has %zu bytes, expected %zu", job->path, n, job->room);
        goto done;
      }
      if (!read_fully(&job->task, job->path, fd, whole, n, job->offset)) goto done;
      goto done;
    }
    /* No valid chunk is larger than libzstd's bound for its decoded size (a damaged index or a stray file
     * could name gigabytes): refused before anything is allocated. */
    size_t most = job->codec == 0 ? job->room : ZSTD_COMPRESSBOUND(job->room) + 1024 * (job->nframes + 1);
    if (n > most) {
      fail(&job->task, "DECODE", "%s has %zu bytes where a chunk of %zu bytes can take at most %zu", job->path, n,
           job->room, most);
      goto done;
    }
    /* A raw chunk of which the pieces take only the first rows: only those bytes are read. */
    size_t take = job->codec == 0 && placing && !job->nframes && n == job->room && job->need < n ? job->need : n;
    if (!buffer_for(0, take, &in)) {
      fail(&job->task, "ENOMEM", "out of memory for %zu bytes", take);
      goto done;
    }
    if (!read_fully(&job->task, job->path, fd, in.data, take, job->offset)) goto done;
    src = in.data;
  }

  if (!job->nframes) {
    uint8_t *into = whole;
    if (!into) {
      if (job->codec == 0) {
        into = (uint8_t *)src; /* placed from where it was read */
        if (n != job->room) {
          fail(&job->task, "DECODE", "the block has %zu bytes, expected %zu", n, job->room);
          goto done;
        }
      } else {
        if (!buffer_for(1, job->room, &out)) {
          fail(&job->task, "ENOMEM", "out of memory for %zu bytes", job->room);
          goto done;
        }
        into = out.data;
      }
    }
    size_t need = placing && into != whole ? job->need : job->room;
    if (into != src && !decode_into(job, src, n, into, job->room, need)) goto done;
    if (placing && into != whole) place_pieces(job, into, job->room, -1);
    goto done;
  }

  /* Frames back to back: each decoded (into its place when it is one same-layout piece) and placed. */
  size_t each = job->room / job->nframes;
  size_t at = 0;
  for (size_t k = 0; k < job->nframes; k++) {
    size_t len = (size_t)job->frames[k];
    if (at + len > n) {
      fail(&job->task, "DECODE", "frame %zu reaches past the %zu bytes read", k, n);
      goto done;
    }
    /* The frame's pieces: when it is a single one laid out the same way, decode into the target; else only
     * as far as the last byte they read (none: the frame is skipped). */
    uint8_t *direct = NULL;
    size_t count = 0, need = 0;
    double single[7];
    size_t each_elements = each / (size_t)job->bytes;
    for (size_t i = 0; i + 7 <= job->nblocks; i += 7) {
      if ((size_t)(job->blocks[i] / (double)each_elements) != k) continue;
      count++;
      memcpy(single, job->blocks + i, sizeof single);
      single[0] -= (double)(k * each_elements);
      Block b;
      if (plan(single, job->strides, job->bytes, each, job->target_len, &b) > 0 && piece_end(&b, job->bytes) > need)
        need = piece_end(&b, job->bytes);
    }
    if (count == 0) {
      at += len;
      continue;
    }
    if (count == 1) direct = direct_target(job, single, each);
    uint8_t *into = direct;
    if (!into) {
      if (job->codec == 0) {
        into = (uint8_t *)src + at;
        if (len != each) {
          fail(&job->task, "DECODE", "the block has %zu bytes, expected %zu", len, each);
          goto done;
        }
      } else {
        if (out.data == NULL && !buffer_for(1, each, &out)) {
          fail(&job->task, "ENOMEM", "out of memory for %zu bytes", each);
          goto done;
        }
        into = out.data;
      }
    }
    if (into != src + at && !decode_into(job, src + at, len, into, each, direct ? each : need)) goto done;
    if (!direct) place_pieces(job, into, each, (long)k);
    at += len;
  }
  if (at != n) fail(&job->task, "DECODE", "%zu bytes after the last of %zu frames", n - at, job->nframes);

done:
  if (fd >= 0) close(fd);
  release(&in);
  release(&out);
}

/* Frees a task and what it owns. */
static void free_task(Task *t) {
  for (int i = 0; i < 3; i++) free(t->owned[i]);
  free(t);
}

/* Settles a task's promise (rejected with an Error, or a RangeError, whose `code` is the task's code; else
 * resolved with its result) and frees it: every job type's completion, on its environment's thread. */
static void complete(napi_env env, Task *t) {
  napi_value value;
  if (t->code) {
    napi_value c, m;
    napi_create_string_utf8(env, t->code, NAPI_AUTO_LENGTH, &c);
    napi_create_string_utf8(env, t->message, NAPI_AUTO_LENGTH, &m);
    if (t->range) napi_create_range_error(env, c, m, &value);
    else napi_create_error(env, c, m, &value);
    napi_reject_deferred(env, t->deferred, value);
  } else {
    napi_create_double(env, t->result, &value);
    napi_resolve_deferred(env, t->deferred, value);
  }
  free_task(t);
}

/* ---- The lane's threads ----
 * Tasks run on threads of this addon's own, not on libuv's pool: libuv's 4 threads also serve every file
 * system call of the process, so a lane there had to stay at UV_THREADPOOL_SIZE - 2 (a reader wider than 2
 * workers fell back to the codec workers), and each queued chunk held one of them. Here a queue of any depth
 * feeds `lanes` threads: a chunk waits in the queue, not on a thread, so the threads always find the next
 * one while the main thread settles the last (or is away collecting garbage). One pool serves every Node
 * environment of the process (main thread and workers); each environment has an Owner through which its
 * tasks' completions come back to its thread (a thread-safe function). */
#define MAX_LANES 256
struct Owner {
  napi_threadsafe_function tsfn;
  size_t pending; /* tasks queued or running: the tsfn keeps the event loop alive while > 0 (its thread only) */
  size_t running; /* tasks a lane thread holds (under `queue_lock`) */
  int closing;    /* the environment is being torn down: its queued tasks were dropped */
};
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t owner_idle = PTHREAD_COND_INITIALIZER;
static Task *queue_head, *queue_tail;
static int lane_threads;

static void *lane_thread(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&queue_lock);
    while (queue_head == NULL) pthread_cond_wait(&queue_ready, &queue_lock);
    Task *t = queue_head;
    queue_head = t->next;
    if (queue_head == NULL) queue_tail = NULL;
    Owner *o = t->owner;
    o->running++;
    pthread_mutex_unlock(&queue_lock);
    t->execute(t);
    /* The Owner outlives this call: its teardown waits for `running` to reach 0 below. */
    if (napi_call_threadsafe_function(o->tsfn, t, napi_tsfn_blocking) != napi_ok) free_task(t);
    pthread_mutex_lock(&queue_lock);
    if (--o->running == 0 && o->closing) pthread_cond_broadcast(&owner_idle);
    pthread_mutex_unlock(&queue_lock);
  }
  return NULL;
}

/* Starts lane threads until there are `n` (at most MAX_LANES); returns how many there are. Threads are never
 * stopped: idle, they wait on the queue, and the process exits past them. */
static int grow_lanes(int n) {
  if (n > MAX_LANES) n = MAX_LANES;
  pthread_mutex_lock(&queue_lock);
  while (lane_threads < n) {
    /* Signals stay with Node's threads (as libuv's pool threads block them). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int err = pthread_create(&thread, &attr, lane_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) break;
    lane_threads++;
  }
  int have = lane_threads;
  pthread_mutex_unlock(&queue_lock);
  return have;
}

/* A finished task back on its environment's thread; `env` is NULL when the environment is going away. */
static void on_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  Owner *o = context;
  Task *t = data;
  if (env == NULL) {
    free_task(t);
    return;
  }
  complete(env, t);
  if (--o->pending == 0) napi_unref_threadsafe_function(env, o->tsfn);
}

/* Environment teardown: drop its queued tasks, wait for those running (they write into its memory), close. */
static void owner_cleanup(void *arg) {
  Owner *o = arg;
  pthread_mutex_lock(&queue_lock);
  o->closing = 1;
  Task *keep = NULL, *last = NULL, *dropped = NULL;
  for (Task *t = queue_head, *next; t; t = next) {
    next = t->next;
    if (t->owner == o) {
      t->next = dropped;
      dropped = t;
    } else {
      t->next = NULL;
      if (last) last->next = t;
      else keep = t;
      last = t;
    }
  }
  queue_head = keep;
  queue_tail = last;
  while (o->running > 0) pthread_cond_wait(&owner_idle, &queue_lock);
  pthread_mutex_unlock(&queue_lock);
  for (Task *t = dropped, *next; t; t = next) {
    next = t->next;
    free_task(t);
  }
  napi_release_threadsafe_function(o->tsfn, napi_tsfn_abort);
}

static void owner_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* Queues task `t` (at the start of its job) to run `execute` on a lane thread: its promise. */
static napi_value start(napi_env env, Task *t, void (*execute)(void *)) {
  Owner *o;
  napi_value promise;
  if (napi_get_instance_data(env, (void **)&o) != napi_ok || o == NULL ||
      napi_create_promise(env, &t->deferred, &promise) != napi_ok) {
    free_task(t);
    return bfio_fail(env, "the chunk lane is not initialised in this environment");
  }
  if (lane_threads == 0 && grow_lanes(1) == 0) {
    free_task(t);
    return bfio_fail(env, "the chunk lane could not start a thread");
  }
  if (o->pending++ == 0) napi_ref_threadsafe_function(env, o->tsfn);
  t->owner = o;
  t->execute = execute;
  t->next = NULL;
  pthread_mutex_lock(&queue_lock);
  if (queue_tail) queue_tail->next = t;
  else queue_head = t;
  queue_tail = t;
  pthread_cond_signal(&queue_ready);
  pthread_mutex_unlock(&queue_lock);
  return promise;
}

static double *copy_doubles(napi_env env, napi_value value, size_t *count) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, count, &p, NULL, NULL) != napi_ok ||
      type != napi_float64_array)
    return NULL;
  /* Every number must be an integer a double holds exactly (|x| < 2^53): a NaN, an infinity or a fraction
   * from a damaged index would be undefined behaviour once converted to an offset. */
  const double *d = p;
  for (size_t i = 0; i < *count; i++)
    if (!(d[i] == d[i]) || d[i] != (double)(int64_t)d[i] || d[i] > 9007199254740991.0 || d[i] < -9007199254740991.0)
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
    if (!bad && (strides == NULL || ns != 2 * AXES)) bad = "strides must be a Float64Array of 10 integers";
    if (strides) {
      if (ns == 2 * AXES) memcpy(job->strides, strides, sizeof job->strides);
      free(strides);
    }
    if (!bad && (job->blocks = copy_doubles(env, argv[10], &job->nblocks)) == NULL)
      bad = "blocks must be a Float64Array of integers";
    if (!bad && !is_null(env, argv[11]) && ((job->frames = copy_doubles(env, argv[11], &job->nframes)) == NULL ||
                                           job->nframes == 0))
      bad = "frames must be a non-empty Float64Array of integers";
    for (size_t k = 0; !bad && k < job->nframes; k++)
      if (job->frames[k] < 0) bad = "frames must be non-negative lengths";
  } else if (!bad && job->dst == NULL) {
    bad = "either dst or blocks is needed";
  }
  job->bytes = bytes;
  job->task.owned[0] = job->path;
  job->task.owned[1] = job->blocks;
  job->task.owned[2] = job->frames;
  if (bad) {
    for (int i = 0; i < 3; i++) free(job->task.owned[i]);
    free(job);
    return bfio_range_fail(env, bad);
  }
  job->task.result = (double)job->room;
  return start(env, &job->task, execute);
}

/* ---- TIFF blocks: decode, swap, predictor, rows into the target ---- */

typedef struct {
  Task task;
  int fd;
  int64_t position, length;
  const uint8_t *input;
  size_t input_len;
  int codec, swap, hsize;
  size_t hrow, hstride;
  size_t room;
  uint8_t *target;
  size_t target_len;
  int64_t rows, row_bytes, src_offset, src_stride, dst_offset, dst_stride;
} RowsJob;

/* Reverses the bytes of each `size`-byte sample (a big-endian file's samples). */
static void swap_bytes(uint8_t *p, size_t n, int size) {
#define SWAP(T, BITS)                                 \
  for (size_t i = 0; i + sizeof(T) <= n; i += sizeof(T)) { \
    T v;                                              \
    memcpy(&v, p + i, sizeof(T));                     \
    v = __builtin_bswap##BITS(v);                     \
    memcpy(p + i, &v, sizeof(T));                     \
  }
  if (size == 2) SWAP(uint16_t, 16)
  else if (size == 4) SWAP(uint32_t, 32)
  else if (size == 8) SWAP(uint64_t, 64)
#undef SWAP
}

static void rows_execute(void *data) {
  RowsJob *job = data;
  Task *t = &job->task;
  Buf in = {0}, out = {0};
  /* The rows must lie inside the target whatever the block decodes to: checked before anything is read. */
  if (job->rows > 0) {
    int64_t last = job->dst_offset + (job->rows - 1) * job->dst_stride + job->row_bytes;
    if (job->dst_offset < 0 || job->src_offset < 0 || job->row_bytes < 0 || job->src_stride < 0 ||
        job->dst_stride < 0 || last > (int64_t)job->target_len) {
      t->range = 1;
      fail(t, "ERANGE", "the block's rows reach past the target");
      return;
    }
  }
  const uint8_t *src = job->input;
  size_t n = job->input_len;
  if (job->fd >= 0) {
    n = (size_t)job->length;
    /* A TIFF block never needs more than libzstd's bound or Deflate's stored-block size of its room, and LZW
     * codes are at least 9 bits a byte: past twice the room plus some, the byte count is damaged. */
    if (n > 2 * job->room + 65536) {
      fail(t, "DECODE", "the block's byte count (%zu) is larger than any encoding of its pixels", n);
      return;
    }
    if (!buffer_for(0, n, &in)) {
      fail(t, "ENOMEM", "out of memory for %zu bytes", n);
      return;
    }
    if (!read_fully(t, "the TIFF file", job->fd, in.data, n, job->position)) goto done;
    src = in.data;
  }
  if (!buffer_for(1, job->room, &out)) {
    fail(t, "ENOMEM", "out of memory for %zu bytes", job->room);
    goto done;
  }
  size_t got = 0;
  if (job->codec == 1) {
    if (!unzstd(t, src, n, out.data, job->room, &got)) goto done;
  } else if (job->codec == 2) {
    if (inflater == NULL) inflater = libdeflate_alloc_decompressor();
    enum libdeflate_result r = inflater ? libdeflate_zlib_decompress(inflater, src, n, out.data, job->room, &got)
                                        : LIBDEFLATE_BAD_DATA;
    if (r != LIBDEFLATE_SUCCESS) {
      fail(t, "DECODE", "Deflate: the stream is damaged or decodes to more than the block");
      goto done;
    }
  } else if (job->codec == 3) {
    int64_t r = n >= 2 && src[0] == 0 && (src[1] & 1) ? -2 : bfio_lzw_decode(src, n, out.data, job->room);
    if (r < 0) {
      fail(t, "DECODE", "LZW: %s", r == -2 ? "an old-style LSB-first stream" : "an invalid code");
      goto done;
    }
    got = (size_t)r;
  } else {
    fail(t, "DECODE", "unknown codec %d", job->codec);
    goto done;
  }
  t->result = (double)got;
  if (job->swap > 1) swap_bytes(out.data, got, job->swap);
  if (job->hsize > 0 && job->hrow > 0 && job->hstride < job->hrow) {
    size_t rows = got / (size_t)job->hsize / job->hrow;
    if (job->hsize == 1) undo_uint8_t((uint8_t *)out.data, rows, job->hrow, job->hstride);
    else if (job->hsize == 2) undo_uint16_t((uint16_t *)(void *)out.data, rows, job->hrow, job->hstride);
    else undo_uint32_t((uint32_t *)(void *)out.data, rows, job->hrow, job->hstride);
  }
  if (job->rows > 0) {
    int64_t last = job->src_offset + (job->rows - 1) * job->src_stride + job->row_bytes;
    if (last > (int64_t)got) {
      fail(t, "SHORT_OUTPUT", "decoded to %zu bytes, %lld needed", got, (long long)last);
      goto done;
    }
    for (int64_t r = 0; r < job->rows; r++)
      memcpy(job->target + job->dst_offset + r * job->dst_stride, out.data + job->src_offset + r * job->src_stride,
             (size_t)job->row_bytes);
  }
done:
  release(&in);
  release(&out);
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d == d) || d > 9007199254740991.0 ||
      d < -9007199254740991.0 || d != (double)(int64_t)d)
    return 0;
  *out = (int64_t)d;
  return 1;
}

static napi_value decode_rows(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value argv[17];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 17)
    return bfio_fail(env, "decodeRows: seventeen arguments expected");
  RowsJob *job = calloc(1, sizeof(RowsJob));
  if (!job) return bfio_fail(env, "decodeRows: out of memory");
  int64_t fd, codec, room, swap, hsize, hrow, hstride;
  int ok = get_i64(env, argv[0], &fd) && get_i64(env, argv[1], &job->position) && get_i64(env, argv[2], &job->length) &&
           get_i64(env, argv[4], &codec) && get_i64(env, argv[5], &room) && get_i64(env, argv[6], &swap) &&
           get_i64(env, argv[7], &hsize) && get_i64(env, argv[8], &hrow) && get_i64(env, argv[9], &hstride) &&
           bfio_typed_bytes(env, argv[10], (void **)&job->target, &job->target_len, NULL) &&
           get_i64(env, argv[11], &job->rows) && get_i64(env, argv[12], &job->row_bytes) &&
           get_i64(env, argv[13], &job->src_offset) && get_i64(env, argv[14], &job->src_stride) &&
           get_i64(env, argv[15], &job->dst_offset) && get_i64(env, argv[16], &job->dst_stride);
  if (ok && fd < 0 && !bfio_typed_bytes(env, argv[3], (void **)&job->input, &job->input_len, NULL)) ok = 0;
  if (!ok || codec < 1 || codec > 3 || room <= 0 || job->position < 0 || (fd >= 0 && job->length < 0) ||
      (swap != 0 && swap != 1 && swap != 2 && swap != 4 && swap != 8) ||
      (hsize != 0 && hsize != 1 && hsize != 2 && hsize != 4) || hrow < 0 || hstride < 0 || job->rows < 0) {
    free(job);
    return bfio_range_fail(env, "decodeRows: bad arguments");
  }
  job->fd = (int)fd;
  job->codec = (int)codec;
  job->room = (size_t)room;
  job->swap = (int)swap;
  job->hsize = (int)hsize;
  job->hrow = (size_t)hrow;
  job->hstride = (size_t)hstride;
  return start(env, &job->task, rows_execute);
}

/* ---- TIFF tiles: predictor and Deflate ---- */

typedef struct {
  Task task;
  uint8_t *input;
  size_t input_len;
  uint8_t *output;
  size_t output_len;
  int level, psize;
  size_t prow, pstride;
} DeflateJob;

static void deflate_execute(void *data) {
  DeflateJob *job = data;
  if (job->psize > 0 && bfio_predict(job->input, job->input_len, job->psize, job->prow, job->pstride) != 0) {
    fail(&job->task, "ENOMEM", "the predictor: out of memory");
    return;
  }
  if (deflaters[job->level] == NULL) deflaters[job->level] = libdeflate_alloc_compressor(job->level);
  if (deflaters[job->level] == NULL) {
    fail(&job->task, "ENOMEM", "libdeflate: out of memory");
    return;
  }
  job->task.result = (double)libdeflate_zlib_compress(deflaters[job->level], job->input, job->input_len,
                                                      job->output, job->output_len);
}

static napi_value deflate_tile(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6)
    return bfio_fail(env, "deflate: six arguments expected");
  DeflateJob *job = calloc(1, sizeof(DeflateJob));
  if (!job) return bfio_fail(env, "deflate: out of memory");
  int32_t level, psize, prow, pstride;
  if (!bfio_typed_bytes(env, argv[0], (void **)&job->input, &job->input_len, NULL) ||
      napi_get_value_int32(env, argv[1], &level) != napi_ok || level < 0 || level > 12 ||
      !bfio_typed_bytes(env, argv[2], (void **)&job->output, &job->output_len, NULL) ||
      napi_get_value_int32(env, argv[3], &psize) != napi_ok ||
      (psize != 0 && psize != 1 && psize != 2 && psize != 4) || napi_get_value_int32(env, argv[4], &prow) != napi_ok ||
      napi_get_value_int32(env, argv[5], &pstride) != napi_ok || (psize && (prow < 1 || pstride < 1))) {
    free(job);
    return bfio_range_fail(env, "deflate(input, level 0..12, output, psize 0|1|2|4, rowLength, stride): bad arguments");
  }
  job->level = level;
  job->psize = psize;
  job->prow = (size_t)prow;
  job->pstride = (size_t)pstride;
  return start(env, &job->task, deflate_execute);
}

/* lanes(n) -> the number of lane threads, after starting threads until there are n. */
static napi_value lanes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1)
    return bfio_range_fail(env, "lanes(n): n must be a positive integer");
  napi_create_int32(env, grow_lanes(n), &result);
  return result;
}

NAPI_MODULE_INIT() {
  /* This environment's Owner: its completions come back through a thread-safe function, unreferenced while
   * it has no task (an idle lane keeps no process alive). */
  Owner *o = calloc(1, sizeof(Owner));
  napi_value name;
  if (o == NULL || napi_create_string_utf8(env, "bfio-chunk-lane", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, o, on_done, &o->tsfn) != napi_ok) {
    free(o);
    return NULL;
  }
  napi_unref_threadsafe_function(env, o->tsfn);
  /* Registered after the thread-safe function, so it runs before Node's own teardown of it. */
  if (napi_set_instance_data(env, o, owner_free, NULL) != napi_ok ||
      napi_add_env_cleanup_hook(env, owner_cleanup, o) != napi_ok)
    return NULL;
  const struct {
    const char *name;
    napi_callback fn;
  } exported[] = {{"decode", decode}, {"decodeRows", decode_rows}, {"deflate", deflate_tile}, {"lanes", lanes}};
  for (size_t i = 0; i < sizeof exported / sizeof *exported; i++) {
    napi_value fn;
    if (napi_create_function(env, exported[i].name, NAPI_AUTO_LENGTH, exported[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, exported[i].name, fn) != napi_ok)
      return NULL;
  }
  return exports;
}
