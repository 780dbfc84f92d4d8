"""The Python side of the 3-D Zarr bench (bench/zarr3d.ts): the volume's generation and the peers' tasks
(zarr-python 3, zarrs-python, tensorstore), each in its own process, each printing one JSON line.

Every peer gets 2 threads: zarr-python `threading.max_workers` 2 (its codec thread pool); zarrs-python the
same key (it sizes zarrs' rayon pool from it) with zarr's codec pipeline replaced by `zarrs.ZarrsCodecPipeline`;
tensorstore a context with `data_copy_concurrency` and `file_io_concurrency` limits of 2 and no cache.

Checksums (the same in bench/tasks/zarr3d-task.ts): `sample` = the sum of the voxels whose global (z, y, x)
are multiples of (13, 11, 7), computed by every task from what it read; `total` = the sum of every voxel
(read-all and verify only, outside the timing).
"""
import json
import os
import resource
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

STEP = (13, 11, 7)
THREADS = 2
CHUNK = 256
INNER = 64
# Blocks read and written at once in a round trip (bench/tasks/zarr3d-task.ts: the same): bounded memory.
INFLIGHT_ROUNDTRIP = 4


def cpu():
    """CPU seconds of this process so far, every thread (a load-independent measure of the work)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


CPU0 = [0.0]


def start():
    CPU0[0] = cpu()
    return time.perf_counter()


def report(task, seconds, nbytes, **extra):
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"task": task, "seconds": seconds, "bytes": nbytes, "peakRssMiB": r.ru_maxrss / 1024.0,
                      "cpuSeconds": cpu() - CPU0[0], **extra}))


def sample(a, origin=(0, 0, 0)):
    """The sample sum of block `a` whose first voxel is at global `origin`."""
    sl = tuple(slice((-o) % s, None, s) for o, s in zip(origin, STEP))
    return int(a[sl].sum(dtype=np.int64))


def zarr_config(lib):
    import zarr

    conf = {"threading.max_workers": THREADS}
    if lib == "zarrs":
        conf["codec_pipeline.path"] = "zarrs.ZarrsCodecPipeline"
    zarr.config.set(conf)
    return zarr


def ts_context():
    import tensorstore as ts

    return ts.Context({"data_copy_concurrency": {"limit": THREADS}, "file_io_concurrency": {"limit": THREADS},
                       "cache_pool": {"total_bytes_limit": 0}})


def ts_open(path, **kw):
    import tensorstore as ts

    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}
    return ts.open(spec, context=kw.pop("context", None) or ts_context(), **kw).result()


# ---- the volume -------------------------------------------------------------------------------------------


def volume_slab(size, z0, nz, low, zoomed):
    """Planes z0..z0+nz of the volume: a smooth field (blobs over a dark background) plus noise."""
    out = np.empty((nz, size, size), dtype=np.uint16)
    scale = size / (low.shape[0] - 1)
    for i in range(nz):
        z = z0 + i
        k = int(z // scale)
        f = (z - k * scale) / scale
        field = (1 - f) * zoomed(k) + f * zoomed(k + 1)
        rng = np.random.default_rng(1000 + z)
        plane = 100 + 3000 * field + rng.standard_normal((size, size), dtype=np.float32) * 2
        out[i] = np.clip(plane, 0, 65535).astype(np.uint16)
    return out


def gen(size, outdir):
    """The three stores (bare Zarr v3 arrays, dims z, y, x): uncompressed 256³ chunks, zstd-1 256³ chunks,
    zstd-1 256³ shards of 64³ chunks; written by zarr-python 256 planes (one chunk layer) at a time."""
    from functools import lru_cache

    from scipy import ndimage

    zarr = zarr_config("zarr")
    from zarr.codecs import ZstdCodec

    n = max(2, size // 32)
    rng = np.random.default_rng(7)
    low = ndimage.gaussian_filter(rng.random((n + 1, n + 1, n + 1)).astype(np.float32), 1.0)
    low = (low - low.min()) / (np.ptp(low) + 1e-9)
    low = low ** 4

    @lru_cache(maxsize=4)
    def zoomed(k):
        return ndimage.zoom(low[min(k, n)], size / n, order=1)[:size, :size].astype(np.float32)

    common = dict(shape=(size, size, size), dtype="uint16", dimension_names=["z", "y", "x"], zarr_format=3,
                  fill_value=0)
    stores = {
        "raw": dict(chunks=(CHUNK,) * 3, compressors=None),
        "zstd": dict(chunks=(CHUNK,) * 3, compressors=ZstdCodec(level=1)),
        "sharded": dict(chunks=(INNER,) * 3, shards=(CHUNK,) * 3, compressors=ZstdCodec(level=1)),
    }
    arrays = {}
    for name, kw in stores.items():
        path = os.path.join(outdir, f"{name}.zarr")
        shutil.rmtree(path, ignore_errors=True)
        arrays[name] = zarr.create_array(path, **common, **kw)
    total = samp = 0
    for z0 in range(0, size, CHUNK):
        slab = volume_slab(size, z0, min(CHUNK, size - z0), low, zoomed)
        total += int(slab.sum(dtype=np.int64))
        samp += sample(slab, (z0, 0, 0))
        for a in arrays.values():
            a[z0:z0 + slab.shape[0]] = slab
    info = {"size": size, "total": total, "sample": samp, "bytes": size ** 3 * 2, "stored": {}}
    for name in stores:
        path = os.path.join(outdir, f"{name}.zarr")
        info["stored"][name] = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    with open(os.path.join(outdir, "info.json"), "w") as f:
        json.dump(info, f)
    print(json.dumps({"task": "gen", **info}))


# ---- reads --------------------------------------------------------------------------------------------------


def prepare(lib):
    """Imports and configures `lib` before a task's timing starts (ours imports its modules before, too)."""
    if lib == "tensorstore":
        import tensorstore  # noqa: F401

        return None
    return zarr_config(lib)


def read_all(lib, path):
    zarr = prepare(lib)
    t = start()
    if lib == "tensorstore":
        a = ts_open(path, read=True).read().result()
    else:
        a = zarr.open_array(path, mode="r")[...]
    seconds = time.perf_counter() - t
    used = cpu() - CPU0[0]
    report(f"{lib}-read", seconds, a.nbytes, cpuSeconds=used, sample=sample(a), total=int(a.sum(dtype=np.int64)))


def blocks_of(shape, edge):
    return [(z, y, x) for z in range(0, shape[0], edge) for y in range(0, shape[1], edge)
            for x in range(0, shape[2], edge)]


def read_blocks(lib, path, edge, inflight):
    """Blocks of edge³ (chunk or inner-chunk aligned), `inflight` requests at a time, each consumed (sampled)
    as it arrives."""
    zarr = prepare(lib)
    t = start()
    total = samp = 0
    if lib == "tensorstore":
        from collections import deque

        arr = ts_open(path, read=True)
        origins = blocks_of(arr.shape, edge)
        pending = deque()

        def drain():
            nonlocal total, samp
            o, fut = pending.popleft()
            a = fut.result()
            total += a.nbytes
            samp += sample(a, o)

        for o in origins:
            z, y, x = o
            pending.append((o, arr[z:z + edge, y:y + edge, x:x + edge].read()))
            if len(pending) >= inflight:
                drain()
        while pending:
            drain()
    else:
        arr = zarr.open_array(path, mode="r")
        origins = blocks_of(arr.shape, edge)

        def get(o):
            z, y, x = o
            return o, arr[z:z + edge, y:y + edge, x:x + edge]

        with ThreadPoolExecutor(inflight) as ex:
            for o, a in ex.map(get, origins):
                total += a.nbytes
                samp += sample(a, o)
    report(f"{lib}-blocks-{edge}", time.perf_counter() - t, total, sample=samp)


def round_trip(lib, src, dst):
    """Reads `src` chunk (or shard) by chunk, INFLIGHT_ROUNDTRIP in flight, and writes each into a new store `dst` with the same
    layout (chunks, shards, codecs)."""
    shutil.rmtree(dst, ignore_errors=True)
    zarr = prepare(lib)
    t = start()
    samp = 0
    if lib == "tensorstore":
        from collections import deque

        import tensorstore as ts

        ctx = ts_context()
        a = ts_open(src, read=True, context=ctx)
        spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": dst}}
        # The source's metadata as the new store's (same chunk grid, codecs, dims).
        meta = json.load(open(os.path.join(src, "zarr.json")))
        spec["metadata"] = {k: meta[k] for k in ("shape", "data_type", "chunk_grid", "chunk_key_encoding",
                                                 "fill_value", "codecs", "dimension_names") if k in meta}
        b = ts.open(spec, create=True, context=ctx).result()
        edge = meta["chunk_grid"]["configuration"]["chunk_shape"][0]
        pending = deque()

        def drain():
            o, rd = pending.popleft()
            z, y, x = o
            block = rd.result()
            nonlocal samp
            samp += sample(block, o)
            return b[z:z + edge, y:y + edge, x:x + edge].write(block)

        writes = deque()
        for o in blocks_of(a.shape, edge):
            z, y, x = o
            pending.append((o, a[z:z + edge, y:y + edge, x:x + edge].read()))
            if len(pending) >= INFLIGHT_ROUNDTRIP:
                writes.append(drain())
            while len(writes) > INFLIGHT_ROUNDTRIP:
                writes.popleft().result()
        while pending:
            writes.append(drain())
        for w in writes:
            w.result()
    else:
        a = zarr.open_array(src, mode="r")
        kw = dict(shape=a.shape, dtype=a.dtype, dimension_names=a.metadata.dimension_names, zarr_format=3,
                  fill_value=0, compressors=a.compressors or None)
        if a.shards:
            kw.update(chunks=a.chunks, shards=a.shards)
        else:
            kw.update(chunks=a.chunks)
        b = zarr.create_array(dst, **kw)
        edge = (a.shards or a.chunks)[0]

        def copy(o):
            z, y, x = o
            block = a[z:z + edge, y:y + edge, x:x + edge]
            b[z:z + edge, y:y + edge, x:x + edge] = block
            return sample(block, o)

        with ThreadPoolExecutor(INFLIGHT_ROUNDTRIP) as ex:
            samp = sum(ex.map(copy, blocks_of(a.shape, edge)))
    seconds = time.perf_counter() - t
    report(f"{lib}-roundtrip", seconds, int(np.prod(a.shape)) * 2, sample=samp)


def verify(path):
    """A written store read back by zarr-python (an OME-Zarr group's first array, or a bare array)."""
    zarr = zarr_config("zarr")
    g = zarr.open(path, mode="r")
    a = g if hasattr(g, "shape") else g["0"]
    a = np.asarray(a[...]).reshape(a.shape[-3:])
    codecs = [c.to_dict()["name"] for c in a_codecs(g)]
    print(json.dumps({"task": "verify", "sample": sample(a), "total": int(a.sum(dtype=np.int64)), "codecs": codecs}))


def a_codecs(g):
    a = g if hasattr(g, "shape") else g["0"]
    return a.metadata.codecs


TASKS = {
    "gen": lambda r: gen(int(r[0]), r[1]),
    "read": lambda r: read_all(r[0], r[1]),
    "blocks": lambda r: read_blocks(r[0], r[1], int(r[2]), int(r[3])),
    "roundtrip": lambda r: round_trip(r[0], r[1], r[2]),
    "verify": lambda r: verify(r[0]),
}

if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd not in TASKS:
        raise SystemExit(f"unknown task {cmd}")
    TASKS[cmd](rest)
