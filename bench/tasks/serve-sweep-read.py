"""zarr-python (zarr 3, fsspec/aiohttp HTTP) reads every level of every series of each image `bfio serve`
serves, and the source's own peer reads it too: tifffile (series/levels as tifffile sees them, in t,c,z,y,x
order by to_tczyx), zarr-python on the source store (NGFF image, bioformats2raw layout or a bare array).
Bio-Formats sources get only the served hashes; bench/serve-sweep.ts compares them with Bio-Formats' read.

Input (stdin JSON): {"base": url, "images": [{"name", "kind": "tiff"|"zarr"|"bioformats", "source"}]}.
Output: one JSON line {name: {"series": [{"levels": [{"shape", "dtype", "sha256", "equal"?, "why"?}]}],
"peer_series"?: n, "peer_error"?: text} | {"error": text}, with "seconds"}. `to_tczyx` comes from apps/cli/test/tczyx.py, prepended by the sweep.
"""
import hashlib
import json
import sys
import time

import numpy as np
import tifffile
import zarr


def ngff(node):
    attrs = node.attrs.asdict()
    return attrs.get("ome", attrs)


def le_sha256(arr):
    le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return hashlib.sha256(le.tobytes()).hexdigest()


def served_series(root):
    """The served groups: one per series (bioformats2raw layout) or the image itself."""
    if "bioformats2raw.layout" not in ngff(root):
        return [root]
    groups = []
    while str(len(groups)) in root:
        groups.append(root[str(len(groups))])
    return groups


def ngff_levels(group):
    return [group[d["path"]] for d in ngff(group)["multiscales"][0]["datasets"]]


def zarr_peer(source):
    """Per series, the level arrays of a source store as zarr-python reads them (lazily, as zarr arrays):
    a bare array, an NGFF image, a bioformats2raw layout's numbered series, or a plate's fields (wells in
    the plate's order, fields in each well's order)."""
    node = zarr.open(source, mode="r")
    if isinstance(node, zarr.Array):
        return [[node]]
    meta = ngff(node)
    if "plate" in meta:
        out = []
        for well in meta["plate"]["wells"]:
            w = node[well["path"]]
            for field in ngff(w)["well"]["images"]:
                out.append(ngff_levels(w[field["path"]]))
        return out
    if "bioformats2raw.layout" in meta:
        out = []
        while str(len(out)) in node:
            out.append(ngff_levels(node[str(len(out))]))
        return out
    if "multiscales" in meta:
        return [ngff_levels(node)]
    raise ValueError("no zarr-python view of this layout (not an NGFF image, plate, bioformats2raw layout or array)")


def compare(want, got):
    if want.dtype == np.bool_ and got.dtype == np.uint8:
        want = want.astype(np.uint8)  # 1-bit samples are served as uint8 0/1
    if want.shape != got.shape and want.size == got.size:
        want = want.reshape(got.shape)
    if want.shape != got.shape:
        return False, f"shape {list(got.shape)} served, peer {list(want.shape)}"
    if want.dtype.newbyteorder("<") != got.dtype.newbyteorder("<"):  # served little-endian, equal values
        return False, f"dtype {got.dtype} served, peer {want.dtype}"
    return (True, None) if np.array_equal(want, got) else (False, "pixels differ")


def peer_view(image):
    """(per-series level lists, tifffile handle or None), or (None, None, reason) when the peer cannot open it."""
    try:
        if image["kind"] == "tiff":
            tif = tifffile.TiffFile(image["source"])
            return [s.levels for s in tif.series], tif, None
        if image["kind"] == "zarr":
            return zarr_peer(image["source"]), None, None
    except Exception as e:
        return None, None, f"the peer cannot read it: {type(e).__name__}: {e}"[:300]
    return None, None, None


def read_image(base, image):
    root = zarr.open_group(base + image["name"], mode="r")
    groups = served_series(root)
    peer, tif, peer_error = peer_view(image)
    out = {"series": [], "peer_series": len(peer) if peer is not None else None, "peer_error": peer_error}
    try:
        for si, g in enumerate(groups):
            levels = []
            arrays = ngff_levels(g)
            peer_levels = peer[si] if peer is not None and si < len(peer) else None
            for li, a in enumerate(arrays):
                arr = a[...]
                entry = {"shape": list(arr.shape), "dtype": str(arr.dtype), "sha256": le_sha256(arr)}
                if image["kind"] != "bioformats":
                    if peer_levels is None or li >= len(peer_levels):
                        entry["equal"], entry["why"] = False, peer_error or "the peer has no such series/level"
                    else:
                        src = peer_levels[li]
                        try:
                            if tif is not None:
                                data, axes = src.asarray(), src.axes
                                if "S" in axes and "C" not in axes:
                                    # S (samples) is the channel axis; placed first, I/Q cannot take c from it
                                    data, axes = np.moveaxis(data, axes.index("S"), 0), "S" + axes.replace("S", "")
                                want = to_tczyx(data, axes, arr.shape)  # noqa: F821 (prepended)
                            else:
                                want = src[...]
                            entry["equal"], entry["why"] = compare(want, arr)
                        except Exception as e:
                            entry["equal"], entry["why"] = False, f"the peer's view: {type(e).__name__}: {e}"[:300]
                levels.append(entry)
            if peer_levels is not None and len(peer_levels) != len(arrays):
                levels.append({"equal": False, "why": f"{len(arrays)} levels served, the peer has {len(peer_levels)}"})
            out["series"].append({"levels": levels})
    finally:
        if tif is not None:
            tif.close()
    return out


def peer_reads(image):
    """Whether the peer reads every level of the source itself (asked when serving failed)."""
    try:
        peer, tif, error = peer_view(image)
        if error or peer is None:
            return error
        for levels in peer:
            for lvl in levels:
                lvl.asarray() if tif is not None else lvl[...]
        if tif is not None:
            tif.close()
        return "the peer reads the source"
    except Exception as e:
        return f"the peer fails too: {type(e).__name__}: {e}"[:200]


def main():
    job = json.load(sys.stdin)
    results = {}
    for image in job["images"]:
        t = time.perf_counter()
        try:
            results[image["name"]] = read_image(job["base"], image)
        except Exception as e:  # one image's failure must not hide the others'
            results[image["name"]] = {"error": f"{type(e).__name__}: {e}"[:300]}
            if image["kind"] != "bioformats":
                results[image["name"]]["error"] += f" ({peer_reads(image)})"
        results[image["name"]]["seconds"] = time.perf_counter() - t
    print(json.dumps(results))


main()
