"""Peer for apps/cli/test/info-output.test.ts: what tifffile / zarr-python say the samples hold, and the
thumbnail rule of apps/cli/src/thumbnail.ts re-implemented in numpy on the level's pixels they read.

Input (stdin JSON):
  {"make": dir}  -> writes dir/coloured.ome.tif (2 coloured channels, 3 Z, a 3-level SubIFD pyramid) and
                    dir/mask.ome.tif (a sparse uint8 mask); returns {"coloured": path, "mask": path}
  {"tables": {"tiffs": [path], "zarrs": [[path, [series paths]]]},
   "thumbs": [{"kind": "tiff"|"zarr", "path", "series", "size", "colours": [[r, g, b]...], "rgb_u8", "png",
               "channels": [the channels drawn] | null (all)}]}
            -> {"tables": {path: [{"yxzct", "dtype", "levels"}]},
                "thumbs": [{"shape", "max_diff", "n_diff", "level", "std"} | {"error"}]}
"""
import io
import json
import sys
import traceback

import numpy as np
import tifffile
import zarr
from PIL import Image

LOW, HIGH = 0.1, 99.9


def make(d):
    rng = np.random.default_rng(13)
    z, c, y, x = 3, 2, 300, 420
    yy, xx = np.mgrid[0:y, 0:x]
    base = np.stack([(xx * 50 + yy * 20), (np.hypot(xx - 200, yy - 150) * 100)])
    data = np.stack([base * (k + 1) + rng.integers(0, 2000, (c, y, x)) for k in range(z)]).astype(np.uint16)
    path = f"{d}/coloured.ome.tif"
    meta = {
        "axes": "ZCYX",
        "PhysicalSizeX": 0.5,
        "PhysicalSizeXUnit": "µm",
        "PhysicalSizeY": 0.5,
        "PhysicalSizeYUnit": "µm",
        "Channel": {"Name": ["DAPI", "GFP"], "Color": [-8388353, 16777215], "EmissionWavelength": [461, 509]},
    }
    with tifffile.TiffWriter(path) as t:
        t.write(data, subifds=2, tile=(64, 64), metadata=meta)
        t.write(data[..., ::2, ::2], subfiletype=1, tile=(64, 64))
        t.write(data[..., ::4, ::4], subfiletype=1, tile=(64, 64))
    mask = np.zeros((200, 300), np.uint8)
    mask.flat[rng.choice(mask.size, 40, replace=False)] = 1  # 0.07 %: the 99.9th percentile is 0
    tifffile.imwrite(f"{d}/mask.ome.tif", mask, metadata={"axes": "YX"})
    return {"coloured": path, "mask": f"{d}/mask.ome.tif"}


def yxzct(axes, shape):
    size = {k: 1 for k in "YXZCT"}
    for a, n in zip(axes, shape):
        size["C" if a == "S" else a] *= n
    return [int(size[k]) for k in "YXZCT"]


def tiff_table(path):
    with tifffile.TiffFile(path) as t:
        return [
            {"yxzct": yxzct(s.axes, s.shape), "dtype": s.dtype.name, "levels": len(s.levels)} for s in t.series
        ]


def zarr_table(path, series):
    out = []
    for p in series:
        g = zarr.open_group(f"{path}/{p}" if p else path, mode="r")
        ms = g.attrs["multiscales"][0]
        a = g[ms["datasets"][0]["path"]]
        names = [ax["name"] for ax in ms["axes"]]
        size = dict(zip(names, a.shape))
        out.append(
            {
                "yxzct": [int(size.get(k, 1)) for k in "yxzct"],
                "dtype": a.dtype.name,
                "levels": len(ms["datasets"]),
            }
        )
    return out


def choose_level(shapes_yx, size):
    """The smallest level whose longer side is >= size, else the largest."""
    sides = [max(s) for s in shapes_yx]
    fit = [i for i, s in enumerate(sides) if s >= size]
    if fit:
        return min(fit, key=lambda i: sides[i])
    return int(np.argmax(sides))


def level_planes(job):
    """(level, C×Y×X plane at the middle Z and first T) of the level the rule picks, as the peer reads it."""
    if job["kind"] == "tiff":
        with tifffile.TiffFile(job["path"]) as t:
            s = t.series[job["series"]]
            shapes = []
            for lv in s.levels:
                shapes.append((lv.shape[lv.axes.index("Y")], lv.shape[lv.axes.index("X")]))
            level = choose_level(shapes, job["size"])
            lv = s.levels[level]
            arr, axes = lv.asarray(), lv.axes
    else:
        g = zarr.open_group(job["path"], mode="r")
        series = g[str(job["series"])] if "multiscales" not in g.attrs else g
        ms = series.attrs["multiscales"][0]
        arrays = [series[d["path"]] for d in ms["datasets"]]
        axes = "".join(ax["name"] for ax in ms["axes"]).upper()
        shapes = [(a.shape[axes.index("Y")], a.shape[axes.index("X")]) for a in arrays]
        level = choose_level(shapes, job["size"])
        arr = arrays[level][...]
    # to T, C, Z, Y, X
    for a in "TCZ":
        if a not in axes and not (a == "C" and "S" in axes):
            arr, axes = arr[np.newaxis], a + axes
    if "S" in axes and "C" in axes:
        # Channels of several samples (RGB channels): C*S channels, each channel's samples together.
        order = [a for a in axes if a != "S"]
        order.insert(order.index("C") + 1, "S")
        arr = np.transpose(arr, [axes.index(a) for a in order])
        c = order.index("C")
        arr = arr.reshape(arr.shape[:c] + (arr.shape[c] * arr.shape[c + 1],) + arr.shape[c + 2:])
        axes = "".join(a for a in order if a != "S")
    axes = axes.replace("S", "C")
    arr = np.transpose(arr, [axes.index(a) for a in "TCZYX"])
    return level, arr[0, :, arr.shape[2] // 2]


def composite(planes, size, colours, rgb_u8):
    c, y, x = planes.shape
    scale = min(1.0, size / max(x, y))
    w = max(1, int(np.floor(x * scale + 0.5)))
    h = max(1, int(np.floor(y * scale + 0.5)))
    xs = np.minimum(x - 1, np.floor(((np.arange(w) + 0.5) * x) / w).astype(int))
    ys = np.minimum(y - 1, np.floor(((np.arange(h) + 0.5) * y) / h).astype(int))
    sampled = planes[:, ys][:, :, xs].astype(np.float64)
    acc = np.zeros((h, w, 3))
    for k in range(c):
        v = sampled[k]
        if rgb_u8:
            lo, hi = 0.0, 255.0
        else:
            fin = v[np.isfinite(v)]
            lo, hi = np.percentile(fin, [LOW, HIGH]) if fin.size else (0.0, 0.0)
            if not hi > lo and fin.size:
                lo, hi = fin.min(), fin.max()
        v8 = np.clip((v - lo) / (hi - lo) * 255, 0, 255) if hi > lo else np.zeros_like(v)
        for j in range(3):
            acc[..., j] += v8 * colours[k][j] / 255
    return np.minimum(255, np.floor(acc + 0.5)).astype(np.uint8)


def thumb(job):
    level, planes = level_planes(job)
    if job.get("channels") is not None:
        planes = planes[job["channels"]]
    want = composite(planes, job["size"], job["colours"], job["rgb_u8"])
    with open(job["png"], "rb") as f:
        got = np.asarray(Image.open(io.BytesIO(f.read())).convert("RGB"))
    if got.shape != want.shape:
        return {"shape": list(got.shape), "want_shape": list(want.shape), "level": level}
    diff = np.abs(got.astype(int) - want.astype(int))
    return {
        "shape": list(got.shape),
        "want_shape": list(want.shape),
        "max_diff": int(diff.max()),
        "n_diff": int((diff > 0).sum()),
        "level": level,
        "std": float(want.std()),
    }


def main():
    job = json.load(sys.stdin)
    if "make" in job:
        print(json.dumps(make(job["make"])))
        return
    tables = {p: tiff_table(p) for p in job["tables"]["tiffs"]}
    for p, series in job["tables"]["zarrs"]:
        tables[p] = zarr_table(p, series)
    thumbs = []
    for t in job["thumbs"]:
        try:
            thumbs.append(thumb(t))
        except Exception:
            thumbs.append({"error": traceback.format_exc()[-800:]})
    print(json.dumps({"tables": tables, "thumbs": thumbs}))


main()
