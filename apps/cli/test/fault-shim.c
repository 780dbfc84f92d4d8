/*
 * An LD_PRELOAD shim for the fault-injection tests (faults-*.test.ts): makes I/O on chosen files fail the
 * way a dying disk or a full one does, without needing a broken device.
 *
 *   BFIO_FAULT_PATH   substring of the files' paths (as /proc/self/fd/N names them) to fail
 *   BFIO_FAULT_OP     write (write/pwrite/writev/pwritev), fsync (fsync/fdatasync) or read (read/pread/…)
 *   BFIO_FAULT_ERRNO  EIO (default) or ENOSPC
 *   BFIO_FAULT_AFTER  bytes of the operation that succeed first, over all matching files (default 0)
 *
 * Other files (node's own modules, stdout, the source when writes fail) are untouched. The children run
 * with UV_USE_IO_URING=0 so libuv goes through these libc calls rather than io_uring.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *fault_path(void) {
  static const char *p;
  if (!p) p = getenv("BFIO_FAULT_PATH");
  return p && *p ? p : NULL;
}

static int op_is(const char *op) {
  const char *o = getenv("BFIO_FAULT_OP");
  return o && strcmp(o, op) == 0;
}

static int fault_errno(void) {
  const char *e = getenv("BFIO_FAULT_ERRNO");
  return e && strcmp(e, "ENOSPC") == 0 ? ENOSPC : EIO;
}

static atomic_llong passed;

/* True when fd names a matching file and the byte allowance is used up (counting `bytes` against it). */
static int should_fail(int fd, const char *op, size_t bytes) {
  const char *want = fault_path();
  if (!want || !op_is(op)) return 0;
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = 0;
  if (!strstr(target, want)) return 0;
  const char *a = getenv("BFIO_FAULT_AFTER");
  long long after = a ? atoll(a) : 0;
  long long before = atomic_fetch_add(&passed, (long long)bytes);
  return before + (long long)bytes > after;
}

static size_t iov_bytes(const struct iovec *iov, int n) {
  size_t s = 0;
  for (int i = 0; i < n; i++) s += iov[i].iov_len;
  return s;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define FAIL_IF(fd, op, bytes)       \
  if (should_fail(fd, op, bytes)) {  \
    errno = fault_errno();           \
    return -1;                       \
  }

ssize_t write(int fd, const void *buf, size_t count) {
  FAIL_IF(fd, "write", count);
  return REAL(write)(fd, buf, count);
}
ssize_t pwrite(int fd, const void *buf, size_t count, off_t off) {
  FAIL_IF(fd, "write", count);
  return REAL(pwrite)(fd, buf, count, off);
}
ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off) {
  FAIL_IF(fd, "write", count);
  return REAL(pwrite64)(fd, buf, count, off);
}
ssize_t writev(int fd, const struct iovec *iov, int n) {
  FAIL_IF(fd, "write", iov_bytes(iov, n));
  return REAL(writev)(fd, iov, n);
}
ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
  FAIL_IF(fd, "write", iov_bytes(iov, n));
  return REAL(pwritev)(fd, iov, n, off);
}
ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off) {
  FAIL_IF(fd, "write", iov_bytes(iov, n));
  return REAL(pwritev64)(fd, iov, n, off);
}
ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags) {
  FAIL_IF(fd, "write", iov_bytes(iov, n));
  return REAL(pwritev2)(fd, iov, n, off, flags);
}
int fsync(int fd) {
  FAIL_IF(fd, "fsync", 1);
  return REAL(fsync)(fd);
}
int fdatasync(int fd) {
  FAIL_IF(fd, "fsync", 1);
  return REAL(fdatasync)(fd);
}
ssize_t read(int fd, void *buf, size_t count) {
  FAIL_IF(fd, "read", count);
  return REAL(read)(fd, buf, count);
}
ssize_t pread(int fd, void *buf, size_t count, off_t off) {
  FAIL_IF(fd, "read", count);
  return REAL(pread)(fd, buf, count, off);
}
ssize_t pread64(int fd, void *buf, size_t count, off_t off) {
  FAIL_IF(fd, "read", count);
  return REAL(pread64)(fd, buf, count, off);
}
ssize_t readv(int fd, const struct iovec *iov, int n) {
  FAIL_IF(fd, "read", iov_bytes(iov, n));
  return REAL(readv)(fd, iov, n);
}
ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off) {
  FAIL_IF(fd, "read", iov_bytes(iov, n));
  return REAL(preadv)(fd, iov, n, off);
}
ssize_t preadv64(int fd, const struct iovec *iov, int n, off_t off) {
  FAIL_IF(fd, "read", iov_bytes(iov, n));
  return REAL(preadv64)(fd, iov, n, off);
}
ssize_t preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags) {
  FAIL_IF(fd, "read", iov_bytes(iov, n));
  return REAL(preadv2)(fd, iov, n, off, flags);
}
