"""The Python side of bfio's benchmarks: source generation and the peers' timings (tifffile, bfio 2.5, zarr-python,
zarrs-python, tensorstore).

Each call does one task in its own process and prints one JSON line: seconds, pixel bytes, peak RSS. The
orchestrator (bench/*.ts) runs ours the same way, so numbers compare like for like.
"""
import json
import os
import resource
import sys
import time

import numpy as np


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(task, seconds, nbytes, **extra):
    print(json.dumps({"task": task, "seconds": seconds, "bytes": nbytes, "peakRssMiB": peak_rss_mib(), **extra}))


def microscopy_like(size, seed=7):
    """Smooth structure (blurred blobs over a background) plus noise: Deflate compresses it ~2-4x."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    low = rng.random((size // 64, size // 64)).astype(np.float32)
    low = ndimage.gaussian_filter(low, 1.5)
    field = ndimage.zoom(low, 64, order=1)
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    img = 100 + 1500 * field ** 2
    img += rng.normal(0, 2.0, size=(size, size)).astype(np.float32)
    return np.clip(img, 0, 65535).astype(np.uint16)


def gen(args):
    size, raw, tif = int(args[0]), args[1], args[2]
    from bfio import BioWriter

    img = microscopy_like(size)
    img.tofile(raw)
    # bfio's python writer makes the input: the layout all three readers support (bfio only reads its own
    # XYZCT 1024-tiled files), Adobe Deflate level 1.
    with BioWriter(tif, backend="python", X=size, Y=size, dtype=np.uint16) as bw:
        for y in range(0, size, 1024):
            for x in range(0, size, 1024):
                bw[y:y + 1024, x:x + 1024, 0, 0, 0] = img[y:y + 1024, x:x + 1024]
    ratio = img.nbytes / os.path.getsize(tif)
    print(json.dumps({"task": "gen", "ratio": ratio}))


def windows_list(path):
    with open(path) as f:
        return json.load(f)


def read_full(lib, path):
    t = time.perf_counter()
    cpu = time.process_time()  # every thread of the process
    if lib == "tifffile" and path.startswith("http"):
        import fsspec
        import tifffile

        # Over HTTP: fsspec's file object (range requests with its block cache), tifffile's own decoding.
        with fsspec.open(path, "rb", block_size=4 * 2**20) as f:
            a = tifffile.imread(f, maxworkers=2)
    elif lib == "tifffile":
        import tifffile

        a = tifffile.imread(path, maxworkers=2)
    else:
        from bfio import BioReader

        with BioReader(path, backend="python") as br:
            a = br[:]
    report(f"{lib}-read", time.perf_counter() - t, a.nbytes, checksum=int(a[::97, ::89].astype(np.int64).sum()),
           cpuSeconds=time.process_time() - cpu)


def read_windows(lib, path, wins):
    ws = windows_list(wins)
    total = 0
    acc = 0
    t = time.perf_counter()
    if lib == "tifffile":
        import tifffile
        import zarr

        with tifffile.TiffFile(path) as tf:
            z = zarr.open(tf.aszarr(maxworkers=2), mode="r")
            for x, y, w, h in ws:
                a = z[y:y + h, x:x + w]
                total += a.nbytes
                acc += int(a[0, 0])
    else:
        from bfio import BioReader

        with BioReader(path, backend="python") as br:
            for x, y, w, h in ws:
                a = br[y:y + h, x:x + w, 0, 0, 0]
                total += a.nbytes
                acc += int(a[0, 0])
    report(f"{lib}-windows", time.perf_counter() - t, total, checksum=acc)


def write_full(lib, raw, size, out):
    src = np.memmap(raw, dtype=np.uint16, mode="r", shape=(size, size))
    t = time.perf_counter()
    cpu = time.process_time()  # every thread of the process
    if lib in ("tifffile", "tifffile-predictor"):
        import tifffile

        # imagecodecs' deflate_encode (libdeflate) at level 1; 'tifffile-predictor' adds horizontal differencing.
        predictor = 2 if lib == "tifffile-predictor" else None
        tifffile.imwrite(out, src, tile=(1024, 1024), compression="adobe_deflate", compressionargs={"level": 1},
                         predictor=predictor, ome=True, metadata={"axes": "YX"}, maxworkers=2)
    else:
        from bfio import BioWriter

        with BioWriter(out, backend="python", X=size, Y=size, dtype=np.uint16) as bw:
            for y in range(0, size, 1024):
                band = np.asarray(src[y:y + 1024])
                for x in range(0, size, 1024):
                    bw[y:y + 1024, x:x + 1024, 0, 0, 0] = band[:, x:x + 1024]
    report(f"{lib}-write", time.perf_counter() - t, size * size * 2, fileBytes=os.path.getsize(out),
           cpuSeconds=time.process_time() - cpu)


def write_codec(raw, size, out, compression, predictor):
    """The zstd / LZW inputs of the read rows, written by tifffile (imagecodecs' encoders, their default
    levels), 1024² tiles: the file is the peer's own, so our reader reads what tifffile writes."""
    import tifffile

    src = np.memmap(raw, dtype=np.uint16, mode="r", shape=(size, size))
    tifffile.imwrite(out, src, tile=(1024, 1024), compression=compression, predictor=2 if predictor else None,
                     ome=True, metadata={"axes": "YX"}, maxworkers=2)
    print(json.dumps({"task": "write-codec", "ratio": src.nbytes / os.path.getsize(out)}))


def codec_ceiling(path):
    """The ceiling of a read: imagecodecs' decoder (libzstd / its C LZW) alone on the file's tiles, 2 threads,
    predictor undone as tifffile does. Tiles are read into memory first; only the decoding is timed."""
    from concurrent.futures import ThreadPoolExecutor

    import imagecodecs
    import tifffile

    with tifffile.TiffFile(path) as tf:
        page = tf.pages[0]
        fh = tf.filehandle
        tiles = []
        for o, n in zip(page.dataoffsets, page.databytecounts):
            fh.seek(o)
            tiles.append(fh.read(n))
        compression, predictor = page.compression, page.predictor
    decode = imagecodecs.zstd_decode if compression == 50000 else imagecodecs.lzw_decode
    shape = (1024, 1024)

    def one(b):
        a = np.frombuffer(decode(b, out=shape[0] * shape[1] * 2), dtype=np.uint16).reshape(shape)
        if predictor == 2:
            a = imagecodecs.delta_decode(a, axis=-1)
        return a.nbytes

    with ThreadPoolExecutor(2) as ex:
        list(ex.map(one, tiles[:8]))  # warm up
        t = time.perf_counter()
        total = sum(ex.map(one, tiles))
        seconds = time.perf_counter() - t
    report("codec-ceiling", seconds, total)


def verify(path, raw, size):
    """Reads `path` with tifffile and compares with the raw source: the bench's outputs must be right."""
    import tifffile

    a = tifffile.imread(path, maxworkers=2)
    src = np.memmap(raw, dtype=np.uint16, mode="r", shape=(size, size))
    print(json.dumps({"task": "verify", "equal": bool(a.shape == src.shape and np.array_equal(a, src))}))


def verify_tiles(path, source):
    """Tile by tile (bounded memory): every page of `path` decodes, as tifffile reads it, to the source's pixels."""
    import tifffile

    with tifffile.TiffFile(path) as a, tifffile.TiffFile(source) as b:
        sa, sb = a.series[0], b.series[0]
        equal = sa.shape == sb.shape and sa.dtype == sb.dtype and len(a.pages) == len(b.pages)
        tiles = 0
        for pa, pb in zip(a.pages, b.pages):
            if not equal:
                break
            # decode() gives the segment's pixels (tifffile's codec, predictor and layout) as a (1, 1, h, w, 1) array.
            da, db = pa.decode, pb.decode
            for i, (oa, ca, ob, cb) in enumerate(
                    zip(pa.dataoffsets, pa.databytecounts, pb.dataoffsets, pb.databytecounts)):
                a.filehandle.seek(oa)
                b.filehandle.seek(ob)
                ta = da(a.filehandle.read(ca), i)[0]
                tb = db(b.filehandle.read(cb), i)[0]
                tiles += 1
                if not np.array_equal(ta, tb):
                    equal = False
                    break
    print(json.dumps({"task": "verify", "equal": bool(equal), "tiles": tiles}))


# ---- Zarr (issue: @bfio/zarr) -------------------------------------------------------------------------


# zarr-python's own pipeline ("zarr"), zarrs-python (zarr-python with zarrs' Rust codec pipeline) and
# tensorstore, all with 2 threads as in bench/lib/zarr3d.py (whose helpers set them up); "-sharded" writes 4096²
# shards of the same chunks.
ZARR_LIBS = ("zarr", "zarrs", "tensorstore")


def zarr_lib(lib):
    """Imports and configures `lib` (before the timing: ours imports its modules before, too)."""
    from zarr3d import prepare

    return prepare(lib)


def ts_create(out, size, sharded):
    """A bare Zarr v3 array written by tensorstore: (1, 1, 1, size, size) uint16, 1024² chunks, zstd 1."""
    import tensorstore as ts
    from zarr3d import ts_context

    inner = [{"name": "bytes", "configuration": {"endian": "little"}},
             {"name": "zstd", "configuration": {"level": 1, "checksum": False}}]
    chunk = [1, 1, 1, 1024, 1024]
    codecs = inner
    if sharded:
        codecs = [{"name": "sharding_indexed",
                   "configuration": {"chunk_shape": chunk, "codecs": inner,
                                     "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                                      {"name": "crc32c"}]}}]
        chunk = [1, 1, 1, 4096, 4096]
    meta = {"shape": [1, 1, 1, size, size], "data_type": "uint16", "fill_value": 0,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
            "chunk_key_encoding": {"name": "default"}, "codecs": codecs}
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": out}, "metadata": meta}
    return ts.open(spec, create=True, delete_existing=True, context=ts_context()).result()


def zarr_write(lib, raw, size, out):
    import shutil

    src = np.memmap(raw, dtype=np.uint16, mode="r", shape=(size, size))
    shutil.rmtree(out, ignore_errors=True)
    base = lib.removesuffix("-sharded")
    sharded = lib.endswith("-sharded")
    # One shard row per write when sharded: zarr-python encodes a shard whole, so smaller bands would make it
    # read back and rewrite each shard several times.
    band = 4096 if sharded else 1024
    zarr = zarr_lib(base) if base in ZARR_LIBS else None
    t = time.perf_counter()
    cpu = time.process_time()  # every thread of the process
    if base == "tensorstore":
        z = ts_create(out, size, sharded)
        # Band by band; a band's write is waited for before the next band is read (the others' pattern).
        for y in range(0, size, band):
            z[0, 0, 0, y:y + band, :].write(np.asarray(src[y:y + band])).result()
    elif base in ("zarr", "zarrs"):
        from zarr.codecs import ZstdCodec

        kw = dict(shards=(1, 1, 1, 4096, 4096)) if sharded else {}
        z = zarr.create_array(out, shape=(1, 1, 1, size, size), chunks=(1, 1, 1, 1024, 1024), dtype="uint16",
                              compressors=ZstdCodec(level=1), zarr_format=3, **kw)
        # Band by band: the same bounded-memory pattern as the others.
        for y in range(0, size, band):
            z[0, 0, 0, y:y + band, :] = np.asarray(src[y:y + band])
    else:
        from bfio import BioWriter

        with BioWriter(out, backend="zarr3", X=size, Y=size, dtype=np.uint16) as bw:
            for y in range(0, size, 1024):
                band = np.asarray(src[y:y + 1024])
                for x in range(0, size, 1024):
                    bw[y:y + 1024, x:x + 1024, 0, 0, 0] = band[:, x:x + 1024]
    report(f"{lib}-zarr-write", time.perf_counter() - t, size * size * 2, cpuSeconds=time.process_time() - cpu)


def zarr_array(path):
    import zarr

    g = zarr.open(path, mode="r")
    return g if hasattr(g, "shape") else g["0"]


def array_path(path):
    """An OME-Zarr image's full-resolution array (its `0`), or a bare array."""
    return os.path.join(path, "0") if os.path.exists(os.path.join(path, "0", "zarr.json")) else path


def zarr_read(lib, path):
    zarr = zarr_lib(lib) if lib in ZARR_LIBS else None
    t = time.perf_counter()
    cpu = time.process_time()  # every thread of the process
    if lib == "tensorstore":
        from zarr3d import ts_open

        a = ts_open(array_path(path), read=True)[0, 0, 0].read().result()
    elif lib in ("zarr", "zarrs"):
        g = zarr.open(path, mode="r")
        a = (g if hasattr(g, "shape") else g["0"])[0, 0, 0]
    else:
        from bfio import BioReader

        with BioReader(path, backend="zarr3") as br:
            a = br[:, :, 0, 0, 0]
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    report(f"{lib}-zarr-read", seconds, a.nbytes, checksum=int(a[::97, ::89].astype(np.int64).sum()), cpuSeconds=cpu)


def zarr_windows(lib, path, wins):
    ws = windows_list(wins)
    total = acc = 0
    zarr = zarr_lib(lib) if lib in ZARR_LIBS else None
    t = time.perf_counter()
    if lib == "tensorstore":
        from zarr3d import ts_open

        z = ts_open(array_path(path), read=True)
        for x, y, w, h in ws:
            a = z[0, 0, 0, y:y + h, x:x + w].read().result()
            total += a.nbytes
            acc += int(a[0, 0])
    elif lib in ("zarr", "zarrs"):
        g = zarr.open(path, mode="r")
        z = g if hasattr(g, "shape") else g["0"]
        for x, y, w, h in ws:
            a = z[0, 0, 0, y:y + h, x:x + w]
            total += a.nbytes
            acc += int(a[0, 0])
    else:
        from bfio import BioReader

        with BioReader(path, backend="zarr3") as br:
            for x, y, w, h in ws:
                a = br[y:y + h, x:x + w, 0, 0, 0]
                total += a.nbytes
                acc += int(a[0, 0])
    report(f"{lib}-zarr-windows", time.perf_counter() - t, total, checksum=acc)


def zarr_verify(path, raw, size):
    src = np.memmap(raw, dtype=np.uint16, mode="r", shape=(size, size))
    a = zarr_array(path)[0, 0, 0]
    print(json.dumps({"task": "verify", "equal": bool(np.array_equal(a, src))}))


ZARR_TASKS = {"zarr-write": lambda r: zarr_write(r[0], r[1], int(r[2]), r[3]), "zarr-read": lambda r: zarr_read(r[0], r[1]),
              "zarr-windows": lambda r: zarr_windows(r[0], r[1], r[2]), "zarr-verify": lambda r: zarr_verify(r[0], r[1], int(r[2]))}


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "gen":
        gen(rest)
    elif cmd == "read":
        read_full(rest[0], rest[1])
    elif cmd == "windows":
        read_windows(rest[0], rest[1], rest[2])
    elif cmd == "write":
        write_full(rest[0], rest[1], int(rest[2]), rest[3])
    elif cmd == "verify":
        verify(rest[0], rest[1], int(rest[2]))
    elif cmd == "write-codec":
        write_codec(rest[0], int(rest[1]), rest[2], rest[3], rest[4] == "1")
    elif cmd == "codec-ceiling":
        codec_ceiling(rest[0])
    elif cmd == "verify-tiles":
        verify_tiles(rest[0], rest[1])
    elif cmd in ZARR_TASKS:
        ZARR_TASKS[cmd](rest)
    else:
        raise SystemExit(f"unknown task {cmd}")
