"""zarr-python (HTTP through fsspec/aiohttp) and ome-zarr-py read every level of every series `bfio serve`
serves; tifffile and zarr-python read the sources themselves.

Input (stdin JSON): per server {"base": "http://127.0.0.1:PORT/", "images": [{"name", "kind":
"tiff"|"zarr"|"bioformats", "source": path}]}. Output: one JSON line, per server and image {"zarr_format", "layout": "image"|"bioformats2raw",
"series": [{"levels": [{"shape", "dtype", "sha256", "equal" (tiff/zarr sources: equal to the peer's read of
the source)}], "omezarr_equal", "omezarr_axes"}]} or {"error": text}. sha256 is over the level's samples in
(t, c, z, y, x) C order, little-endian, to compare with Bio-Formats' read in the test.
`to_tczyx` comes from tczyx.py, prepended by the test.
"""
import hashlib
import json
import sys

import numpy as np
import tifffile
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader


def ngff(node):
    attrs = node.attrs.asdict()
    return attrs.get("ome", attrs)


def source_levels(image, series):
    """The source's own arrays of one series, level by level, read by its peer."""
    if image["kind"] == "tiff":
        s = tifffile.TiffFile(image["source"]).series[series]
        return [(lvl.asarray(), lvl.axes) for lvl in s.levels]
    group = zarr.open_group(image["source"], mode="r")
    meta = ngff(group)
    if "bioformats2raw.layout" in meta:
        group = group[str(series)]
        meta = ngff(group)
    ms = meta["multiscales"][0]
    return [(group[d["path"]][...], None) for d in ms["datasets"]]


def read_image(base, image):
    url = base + image["name"]
    root = zarr.open_group(url, mode="r")
    meta = ngff(root)
    bf2raw = "bioformats2raw.layout" in meta
    groups = []
    if bf2raw:
        while str(len(groups)) in root:
            groups.append(str(len(groups)))
    else:
        groups = [""]
    out = {"zarr_format": root.metadata.zarr_format, "layout": "bioformats2raw" if bf2raw else "image", "series": []}
    for si, g in enumerate(groups):
        node = root[g] if g else root
        ms = ngff(node)["multiscales"][0]
        arrays = [node[d["path"]][...] for d in ms["datasets"]]
        peer = source_levels(image, si) if image["kind"] != "bioformats" else None
        levels = []
        for li, arr in enumerate(arrays):
            le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
            entry = {"shape": list(arr.shape), "dtype": str(arr.dtype), "sha256": hashlib.sha256(le.tobytes()).hexdigest()}
            if peer is not None:
                if li >= len(peer):
                    entry["equal"] = False
                else:
                    want, axes = peer[li]
                    want = to_tczyx(want, axes, arr.shape) if axes else want.reshape(arr.shape)
                    entry["equal"] = bool(want.shape == arr.shape and np.array_equal(want, arr))
            levels.append(entry)
        if peer is not None and len(peer) != len(arrays):
            levels.append({"equal": False, "why": f"{len(arrays)} levels served, source has {len(peer)}"})
        reader = Reader(parse_url(url + ("/" + g if g else "")))
        first = list(reader())[0]
        data = [np.asarray(d) for d in first.data]
        axes = [a["name"] if isinstance(a, dict) else a for a in first.metadata.get("axes", [])]
        out["series"].append({
            "levels": levels,
            "omezarr_equal": len(data) == len(arrays) and all(np.array_equal(d, a) for d, a in zip(data, arrays)),
            "omezarr_axes": axes,
        })
    return out


def main():
    out = []
    for server in json.load(sys.stdin):
        results = {}
        for image in server["images"]:
            try:
                results[image["name"]] = read_image(server["base"], image)
            except Exception as e:  # reported per image, so one failure does not hide the others
                results[image["name"]] = {"error": f"{type(e).__name__}: {e}"}
        out.append(results)
    print(json.dumps(out))


main()
