# The peers of the browser tests, run once per test file (test-support/python.ts: JSON on stdin, JSON on the
# last stdout line). It writes the samples the shared data lacks (with tifffile, zarr-python, ome-zarr-py)
# and says what tifffile / zarr-python read from every sample: per plane, the SHA-256 of its samples as
# little-endian bytes in C order, planes in (T, C, Z) order, as a BioReader's `read` lays them out.
#
# Input: {"write": [spec, ...], "hash": [spec, ...]}; output: {"hashes": [result, ...]} in the order asked.
import hashlib
import json
import sys

import numpy as np
import tifffile
import zarr


def image(shape, dtype, seed):
    """Deterministic pixels with structure (gradients, so JPEG and predictors have work) and noise."""
    rng = np.random.default_rng(seed)
    grids = np.indices(shape, dtype=np.float64)
    smooth = sum(np.sin(g / (3.0 + i)) for i, g in enumerate(grids))
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (smooth + rng.normal(0, 0.1, shape)).astype(dt)
    info = np.iinfo(dt)
    span = min(info.max - info.min, 4000)
    base = (smooth - smooth.min()) / (np.ptp(smooth) or 1) * span * 0.8 + info.min
    noise = rng.integers(0, max(2, span // 10), shape)
    return np.clip(base + noise, info.min, info.max).astype(dt)


def write_tiff(spec):
    """An OME-TIFF by tifffile: `levels` > 1 writes a SubIFD pyramid (2× steps, each level decimated)."""
    data = image(spec["shape"], spec["dtype"], spec.get("seed", 1))
    levels = spec.get("levels", 1)
    options = dict(
        compression=spec.get("compression"),
        predictor=spec.get("predictor"),
        tile=tuple(spec["tile"]) if spec.get("tile") else None,
        rowsperstrip=spec.get("rowsperstrip"),
        photometric=spec.get("photometric", "minisblack"),
        metadata={"axes": spec["axes"]},
    )
    if spec.get("compressionargs"):
        options["compressionargs"] = spec["compressionargs"]
    with tifffile.TiffWriter(spec["path"], bigtiff=spec.get("bigtiff", False), ome=True) as tif:
        tif.write(data, subifds=levels - 1, **options)
        for level in range(1, levels):
            step = 2**level
            tif.write(data[..., ::step, ::step], subfiletype=1, **{**options, "metadata": None})


def write_zarr_array(spec):
    """A plain Zarr array (v2 or v3) by zarr-python, for the harness's zarrita check."""
    data = image(spec["shape"], spec["dtype"], spec.get("seed", 2))
    fmt = spec["zarr_format"]
    compressors = None
    if spec.get("codec") == "zstd":
        compressors = [zarr.codecs.ZstdCodec(level=3)] if fmt == 3 else None
    if spec.get("codec") == "zlib" and fmt == 2:
        from numcodecs import Zlib

        compressors = [Zlib(level=5)]
    arr = zarr.create_array(
        spec["path"],
        shape=data.shape,
        chunks=tuple(spec["chunks"]),
        dtype=data.dtype,
        zarr_format=fmt,
        compressors=compressors,
        overwrite=True,
    )
    arr[...] = data


def write_ome_zarr(spec):
    """OME-Zarr 0.4 (Zarr v2) or 0.5 (Zarr v3) by ome-zarr-py; `shards` writes 0.5 with sharded arrays by
    zarr-python (ome-zarr-py cannot shard), the NGFF attributes as the spec says."""
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import write_image

    data = image(spec["shape"], spec["dtype"], spec.get("seed", 3))
    axes = spec["axes"]
    levels = spec.get("levels", 2)
    if not spec.get("shards"):
        fmt = FormatV04() if spec["version"] == "0.4" else FormatV05()
        root = zarr.open_group(spec["path"], mode="w", zarr_format=2 if spec["version"] == "0.4" else 3)
        storage = {"chunks": tuple(spec["chunks"])}
        if spec.get("codec") == "blosc-lz4":
            if spec["version"] == "0.4":
                from numcodecs import Blosc

                storage["compressors"] = [Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE)]
            else:
                storage["compressors"] = [zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]
        write_image(
            data,
            root,
            axes=list(axes),
            fmt=fmt,
            scale_factors=[2] * (levels - 1),
            storage_options=storage,
        )
        return
    root = zarr.open_group(spec["path"], mode="w", zarr_format=3)
    datasets = []
    for level in range(levels):
        step = 2**level
        index = tuple(slice(None, None, step) if a in "yx" else slice(None) for a in axes)
        level_data = np.ascontiguousarray(data[index])
        arr = root.create_array(
            str(level),
            shape=level_data.shape,
            chunks=tuple(spec["chunks"]),
            shards=tuple(spec["shards"]),
            dtype=level_data.dtype,
            compressors=[zarr.codecs.ZstdCodec(level=3)],
            dimension_names=list(axes),
        )
        arr[...] = level_data
        scale = [float(step) if a in "yx" else 1.0 for a in axes]
        datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    kinds = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
    root.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [
            {"name": "image", "axes": [{"name": a, "type": kinds[a]} for a in axes], "datasets": datasets}
        ],
    }


def in_tczyx(data, axes):
    """`data` with axes `axes` as a 5-D (T, C, Z, Y, X) array; samples (S) count as channels, as in bfio."""
    axes = axes.upper().replace("S", "C")
    if sorted(axes) != sorted(set(axes)):
        raise ValueError(f"axes {axes} name an axis twice")
    for a in axes:
        if a not in "TCZYX":
            raise ValueError(f"axis {a} of {axes} has no place in T, C, Z, Y, X")
    for a in "TCZYX":
        if a not in axes:
            data = data[..., np.newaxis]
            axes += a
    return np.transpose(data, [axes.index(a) for a in "TCZYX"])


def plane_hashes(data, axes):
    """SHA-256 per YX plane, planes in (T, C, Z) order."""
    data = in_tczyx(data, axes)
    le = data.astype(data.dtype.newbyteorder("<"), copy=False)
    planes = le.reshape(-1, data.shape[3], data.shape[4])
    return {
        "shape": list(data.shape),
        "dtype": str(data.dtype.newbyteorder("=").name),
        "planes": [hashlib.sha256(np.ascontiguousarray(p).tobytes()).hexdigest() for p in planes],
    }


def hash_tiff_series(spec):
    """Every series and level of a TIFF as tifffile presents them; with `values`, series 0 level 0's samples
    too (T, C, Z, Y, X order), for codecs where the size of a difference matters (JPEG)."""
    out = []
    with tifffile.TiffFile(spec["path"]) as tif:
        for series in tif.series:
            out.append([plane_hashes(level.asarray(), level.axes) for level in series.levels])
        if spec.get("values"):
            level = tif.series[0].levels[0]
            out[0][0]["values"] = in_tczyx(level.asarray(), level.axes).ravel().tolist()
    return out


def hash_tiff_pages(spec):
    """The first IFDs of a TIFF one by one (a geotiff.js image each)."""
    with tifffile.TiffFile(spec["path"]) as tif:
        pages = tif.pages[: spec.get("pages", len(tif.pages))]
        return [plane_hashes(page.asarray(), page.axes) for page in pages]


def hash_zarr_array(spec):
    """A Zarr array by zarr-python, planes over every leading axis (its last two are Y, X)."""
    arr = zarr.open_array(spec["path"], mode="r")
    data = arr[...]
    axes = "TCZ"[3 - (data.ndim - 2) :] + "YX"
    return plane_hashes(data, axes)


def hash_ome_zarr(spec):
    """Every level of an OME-Zarr image (0.4: attributes at the top; 0.5: under `ome`)."""
    root = zarr.open_group(spec["path"], mode="r")
    attrs = dict(root.attrs)
    attrs = attrs.get("ome", attrs)
    multiscale = attrs["multiscales"][0]
    axes = "".join(a["name"] if isinstance(a, dict) else a for a in multiscale["axes"])
    return [[plane_hashes(root[d["path"]][...], axes) for d in multiscale["datasets"]]]


WRITERS = {"tiff": write_tiff, "zarr-array": write_zarr_array, "ome-zarr": write_ome_zarr}
HASHERS = {
    "tiff-series": hash_tiff_series,
    "tiff-pages": hash_tiff_pages,
    "zarr-array": hash_zarr_array,
    "ome-zarr": hash_ome_zarr,
}

request = json.load(sys.stdin)
for spec in request.get("write", []):
    WRITERS[spec["kind"]](spec)
print(json.dumps({"hashes": [HASHERS[spec["kind"]](spec) for spec in request.get("hash", [])]}))
