"""Reads the same files as the CLI test with tifffile / zarr-python and answers in bfio's terms.

Input (stdin JSON): {"files": [{"path", "regions": [{"npy", "x", "y", "z", "c", "t"}]}],
                     "outputs": [{"path", "kind": "tiff"|"zarr", "source", "sel": {...}}]}
Output: one JSON line with, per file, the 5-D (Y, X, Z, C, T) sizes and dtype tifffile sees, whether each
.npy region equals tifffile's pixels, and for each converted output whether it equals the selected source.
"""
import json
import sys

import numpy as np
import tifffile
import zarr


def as_yxzct(arr, axes):
    """tifffile's array + axes → Y, X, Z, C, T (S samples become channels; other axes must be 1)."""
    axes = axes.upper().replace("I", "Z").replace("Q", "Z")
    if "S" in axes and "C" in axes:
        # Channels of samples: merge C and S into one channel axis (C-major), as bfio does.
        ci, si = axes.index("C"), axes.index("S")
        arr = np.moveaxis(arr, si, ci + 1)
        axes = axes.replace("S", "")
        shape = list(arr.shape)
        shape[ci:ci + 2] = [shape[ci] * shape[ci + 1]]
        arr = arr.reshape(shape)
    axes = axes.replace("S", "C")
    for a in "YXZCT":
        if a not in axes:
            arr = arr[..., np.newaxis]
            axes += a
    extra = [a for a in axes if a not in "YXZCT"]
    for a in extra:
        assert arr.shape[axes.index(a)] == 1, f"axis {a} not mapped"
        arr = arr.take(0, axis=axes.index(a))
        axes = axes.replace(a, "")
    return np.transpose(arr, [axes.index(a) for a in "YXZCT"])


def tiff_5d(path, level=0, series=0):
    with tifffile.TiffFile(path) as tf:
        if series >= len(tf.series):
            # tifffile keeps Micro-Manager positions as an R axis of one series; bfio makes them series.
            s = tf.series[0]
            a = s.asarray()
            r = s.axes.index("R")
            return as_yxzct(a.take(series, axis=r), s.axes.replace("R", "")), 1
        s = tf.series[series]
        lv = s.levels[level] if level else s
        a, axes = lv.asarray(), lv.axes
        if "R" in axes and a.shape[axes.index("R")] > 1:
            a, axes = a.take(0, axis=axes.index("R")), axes.replace("R", "")
        return as_yxzct(a, axes), len(s.levels)


def select(a, sel):
    x, y, z = sel.get("x"), sel.get("y"), sel.get("z")
    if x: a = a[:, x[0]:x[1]]
    if y: a = a[y[0]:y[1]]
    if z: a = a[:, :, z[0]:z[1]]
    if sel.get("c") is not None: a = a[:, :, :, sel["c"]]
    if sel.get("t") is not None: a = a[:, :, :, :, sel["t"]]
    return a


def main():
    job = json.load(sys.stdin)
    out = {"files": [], "outputs": []}
    for f in job["files"]:
        a, levels = tiff_5d(f["path"])
        res = {"path": f["path"], "shape": list(a.shape), "dtype": str(a.dtype), "levels": levels, "regions": []}
        for r in f["regions"]:
            got = np.load(r["npy"])
            want = select(a, r)
            res["regions"].append(bool(got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)))
        out["files"].append(res)
    for o in job["outputs"]:
        src, _ = tiff_5d(o["source"], series=o["sel"].get("series", 0))
        want = select(src, o["sel"])
        if o["kind"] == "tiff":
            got, levels = tiff_5d(o["path"])
            lv_shapes = []
            with tifffile.TiffFile(o["path"]) as tf:
                lv_shapes = [list(l.shape) for l in tf.series[0].levels]
        else:
            g = zarr.open_group(o["path"], mode="r")
            attrs = g.attrs.asdict()
            ms = (attrs.get("ome") or attrs)["multiscales"][0]
            axes = "".join(ax["name"] for ax in ms["axes"]).upper()
            got = as_yxzct(np.asarray(g[ms["datasets"][0]["path"]]), axes)
            levels = len(ms["datasets"])
            lv_shapes = [list(g[d["path"]].shape) for d in ms["datasets"]]
        out["outputs"].append({
            "path": o["path"], "equal": bool(got.shape == want.shape and np.array_equal(got, want)),
            "shape": list(got.shape), "want": list(want.shape), "levels": levels, "levelShapes": lv_shapes,
        })
    print(json.dumps(out))


main()
