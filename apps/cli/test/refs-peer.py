"""fsspec's ReferenceFileSystem + zarr-python read `bfio refs` output; tifffile reads the TIFF itself.

Input (stdin JSON): [{"refs": path of the JSON, "tiff": path, "series": n}]
Output: one JSON line, per case {"levels": [{"equal", "zarr": [shape, dtype], "tiff": [shape, dtype, axes]}],
"ngff": the root multiscales' dataset paths} or {"error": text}.
The tifffile array is put in (t, c, z, y, x) order by to_tczyx (tczyx.py, prepended by the test).
"""
import json
import sys

import fsspec
import imagecodecs.numcodecs
import numpy as np
import tifffile
import zarr

imagecodecs.numcodecs.register_codecs()


def main():
    out = []
    for case in json.load(sys.stdin):
        try:
            with open(case["refs"]) as f:
                refs = json.load(f)
            first = next((v[0] for v in refs["refs"].values() if isinstance(v, list)), "")
            if first.startswith("http"):
                # References to http(s) URLs (bfio refs of a remote TIFF): fsspec's async HTTP under
                # zarr's async store (both sides must agree on asynchronous).
                fs = fsspec.filesystem(
                    "reference", fo=refs, remote_protocol="http", asynchronous=True,
                    remote_options={"asynchronous": True},
                )
                store = zarr.storage.FsspecStore(fs, read_only=True, path="")
            else:
                store = fsspec.filesystem("reference", fo=refs).get_mapper("")
            group = zarr.open_group(store, mode="r", zarr_format=2)
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
