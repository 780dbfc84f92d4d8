"""What tifffile and zarr-python say each sample holds, in bfio's terms, from headers only (no pixels read).

Input (stdin JSON): {"tiffs": [path...], "zarrs": [path...]}
Output: {path: {"series": [{"yxzct": [Y, X, Z, C, T], "dtype", "levels"}]} | {"companion": target} | {"error": why}}

TIFF axes (as packages/tiff/test/reader-table.test.ts maps them): T→T; C and S (samples) → C; Z, I, Q → Z;
any other letter (OME Modulo sub-axes, tiles 'R'...) joins the nearest preceding T/C/Z axis (or the next one).
Micro-Manager positions (kind 'mmstack', axis R) are separate series. A `BinaryOnly` OME-TIFF is described by
its metadata file, as Bio-Formats does; one whose metadata file is a companion .ome is left to Bio-Formats.
Zarr: a bare array's last dimensions are T,C,Z,Y,X (bfio's convention); a group's series are its NGFF image,
its plate's fields (plate order of wells, then the well's images), or its bioformats2raw series.
"""
import json
import logging
import os
import re
import sys
import warnings

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
import tifffile  # noqa: E402
import zarr  # noqa: E402

GROUP = {"T": "T", "C": "C", "S": "C", "Z": "Z", "I": "Z", "Q": "Z", "Y": "Y", "X": "X"}


def bfio_dtype(dt):
    """numpy's dtype as bfio holds it (bfio's pixel types are 8/16/32-bit integers and 32/64-bit floats)."""
    dt = np.dtype(dt)
    if dt.kind == "b":
        return "uint8"
    if dt == np.float16:
        return "float32"
    if dt.kind in "iu" and dt.itemsize == 8:
        return "float64"  # bfio has no 64-bit integers: the backends widen them to float64, as Python bfio does
    return dt.newbyteorder("=").name


def tiff_yxzct(axes, shape):
    size = {"T": 1, "C": 1, "Z": 1, "Y": 1, "X": 1}
    last, pending = None, 1
    for a, n in zip(axes, shape):
        g = GROUP.get(a)
        if g is None:
            if last is None:
                pending *= n
            else:
                size[last] *= n
            continue
        size[g] *= n
        if g in "TCZ":
            last = g
            size[g] *= pending
            pending = 1
    size["Z"] *= pending
    return [int(size[k]) for k in "YXZCT"]


def tiff_view(path):
    with tifffile.TiffFile(path) as t:
        d = t.pages.first.description or ""
        m = re.search(r'<(?:[\w.-]+:)?BinaryOnly\b[^>]*?MetadataFile\s*=\s*"([^"]*)"', d) if t.is_ome else None
        if m:
            target = os.path.join(os.path.dirname(path), m.group(1))
            if target.lower().endswith((".ome", ".xml")):
                return {"companion": target}
            if os.path.abspath(target) != os.path.abspath(path):
                return tiff_view(target)
        out = []
        for s in t.series:
            axes, shape = s.axes, s.shape
            entry = {"dtype": bfio_dtype(s.dtype), "levels": len(s.levels)}
            if getattr(s, "kind", "") == "mmstack" and "R" in axes:
                r = axes.index("R")
                rest_axes = axes[:r] + axes[r + 1:]
                rest = shape[:r] + shape[r + 1:]
                out += [{**entry, "yxzct": tiff_yxzct(rest_axes, rest)} for _ in range(shape[r])]
            else:
                out.append({**entry, "yxzct": tiff_yxzct(axes, shape)})
        return {"series": out}


def ome_attrs(node):
    a = node.attrs.asdict()
    return a.get("ome", a)


def array_yxzct(shape, names):
    names = [n.lower() for n in names]
    size = dict(zip(names, shape))
    for n, v in size.items():
        if n not in "tczyx" and v != 1:
            raise ValueError(f"axis {n!r} of size {v} has no place in T,C,Z,Y,X")
    return [int(size.get(k, 1)) for k in "yxzct"]


def image_view(node):
    ms = ome_attrs(node)["multiscales"][0]
    arr = node[ms["datasets"][0]["path"]]
    axes = ms.get("axes")
    names = [a if isinstance(a, str) else a["name"] for a in axes] if axes else list("tczyx"[5 - arr.ndim:])
    return {"yxzct": array_yxzct(arr.shape, names), "dtype": bfio_dtype(arr.dtype), "levels": len(ms["datasets"])}


def plate_fields(g, plate):
    paths = []
    for well in plate["wells"]:
        w = g[well["path"]]
        paths += [f"{well['path']}/{im['path']}" for im in ome_attrs(w)["well"]["images"]]
    return paths


def zarr_view(path):
    node = zarr.open(path, mode="r")
    if isinstance(node, zarr.Array):
        if node.dtype.kind not in "biuf" or node.dtype == np.float16 or not 1 <= node.ndim <= 5:
            return {"error": f"array of {node.dtype} with {node.ndim} dimensions"}
        return {"series": [{"yxzct": array_yxzct(node.shape, "tczyx"[5 - node.ndim:]),
                            "dtype": bfio_dtype(node.dtype), "levels": 1}]}
    a = ome_attrs(node)
    if "plate" in a:
        paths = plate_fields(node, a["plate"])
    elif "bioformats2raw.layout" in a:
        listed = ome_attrs(node["OME"]).get("series") if "OME" in node else None
        paths = listed or [str(i) for i in range(len(node)) if str(i) in node]
    elif "multiscales" in a:
        paths = [""]
    else:
        return {"error": "a Zarr group with no NGFF image, plate or bioformats2raw layout"}
    if not paths:
        return {"error": "no image groups"}
    return {"series": [image_view(node[p] if p else node) for p in paths]}


def main():
    job = json.load(sys.stdin)
    out = {}
    for kind, view in (("tiffs", tiff_view), ("zarrs", zarr_view)):
        for p in job[kind]:
            try:
                out[p] = view(p)
            except Exception as e:  # the peer cannot read it: reported, the test decides
                out[p] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    print(json.dumps(out))


main()
