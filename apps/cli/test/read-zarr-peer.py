"""zarr-python reads the same regions `bfio read` saved, and compares them with the .npy files (numpy.load).

Input (stdin JSON): [{"store", "group", "level", "npy", "x": [a, b], "y": [a, b], "z": [a, b], "c": [..], "t": [..]}]
`group` is the series' image group inside the store ("" for the root), `level` the index in its multiscales
datasets. Output: one JSON line, per region {"equal", "got": [shape, dtype], "want": [shape, dtype]}.
"""
import json
import sys

import numpy as np
import zarr


def image_level(store, group, level):
    g = zarr.open_group(store, mode="r")
    node = g[group] if group else g
    attrs = node.attrs.asdict()
    ms = attrs.get("ome", attrs)["multiscales"][0]
    arr = node[ms["datasets"][level]["path"]]
    axes = ms.get("axes")
    names = [a if isinstance(a, str) else a["name"] for a in axes] if axes else list("tczyx"[5 - arr.ndim:])
    return arr, [n.lower() for n in names]


def region(arr, names, r):
    """The region read by zarr-python itself (orthogonal selection), as (Y, X, Z, C, T)."""
    sel = {"x": slice(*r["x"]), "y": slice(*r["y"]), "z": slice(*r["z"]), "c": r["c"], "t": r["t"]}
    a = arr.oindex[tuple(sel[n] for n in names)]
    for n in "yxzct":
        if n not in names:
            # An axis the array lacks has one index, 0 (repeats of it, e.g. --c 0,0, are still valid).
            idx = sel[n] if isinstance(sel[n], list) else list(range(sel[n].start, sel[n].stop))
            assert set(idx) == {0}, f"axis {n} is absent: only index 0 exists, got {idx}"
            a = np.take(a[..., np.newaxis], idx, axis=-1)
            names = names + [n]
    return np.transpose(a, [names.index(n) for n in "yxzct"])


def main():
    out = []
    for r in json.load(sys.stdin):
        arr, names = image_level(r["store"], r["group"], r["level"])
        want = region(arr, names, r)
        got = np.load(r["npy"])
        out.append({
            "equal": bool(got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)),
            "got": [list(got.shape), str(got.dtype)],
            "want": [list(want.shape), str(want.dtype)],
        })
    print(json.dumps(out))


main()
