"""fsspec's ReferenceFileSystem + zarr-python read `bfio refs` output; tifffile reads the TIFF itself.

Input (stdin JSON): [{"refs": path of the JSON, "tiff": path, "series": n}]
Output: one JSON line, per case {"levels": [{"equal", "zarr": [shape, dtype], "tiff": [shape, dtype, axes]}],
"ngff": the root multiscales' dataset paths} or {"error": text}.
The tifffile array is put in (t, c, z, y, x) order by its axis letters: S (planar samples) is c, and letters
OME-Zarr has no name for (I, Q: a plain multi-page file) go to the one non-singleton axis of that size.
"""
import json
import sys

import fsspec
import imagecodecs.numcodecs
import numpy as np
import tifffile
import zarr

imagecodecs.numcodecs.register_codecs()


def to_tczyx(data, axes, shape):
    if sum(1 for s in shape[:3] if s > 1) == 1 and data.shape[-2:] == tuple(shape[3:]):
        # One non-spatial axis in the Zarr array (OME modulo axes: C x H as 16 channels): a plain reshape.
        return data.reshape(shape)
    names = []
    used = set()
    for letter, n in zip(axes, data.shape):
        target = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}.get(letter)
        if target is None or target in used:
            target = next(a for a, s in zip("tcz", shape[:3]) if s == n and a not in used)
        used.add(target)
        names.append(target)
    for a in "tczyx":
        if a not in names:
            data = data[..., None]
            names.append(a)
    return np.transpose(data, [names.index(a) for a in "tczyx"])


def main():
    out = []
    for case in json.load(sys.stdin):
        try:
            fs = fsspec.filesystem("reference", fo=case["refs"])
            group = zarr.open_group(fs.get_mapper(""), mode="r", zarr_format=2)
            ms = group.attrs["multiscales"][0]
            series = tifffile.TiffFile(case["tiff"]).series[case["series"]]
            levels = []
            for i, ds in enumerate(ms["datasets"]):
                arr = group[ds["path"]]
                got = arr[...]
                level = series.levels[i]
                want = level.asarray()
                ordered = to_tczyx(want, level.axes, got.shape)
                equal = ordered.shape == got.shape and np.array_equal(ordered, got)
                levels.append({
                    "equal": bool(equal),
                    "zarr": [list(got.shape), str(got.dtype)],
                    "tiff": [list(want.shape), str(want.dtype), level.axes],
                })
            out.append({"levels": levels, "tiffLevels": len(series.levels)})
        except Exception as e:  # reported per case, so one failure does not hide the others
            out.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps(out))


main()
