"""zarr-python reads an OME-Zarr (a URL of `bfio serve`, or a local store): the time to its first tile (open the
group, find level 0, read chunk 0: what a viewer waits for), then the whole of level 0.

  python serve-read.py URL_OR_PATH
Prints one JSON line: firstTileMs, levelSeconds, bytes, shape, chunks, checksum (sum of the samples).
"""
import json
import sys
import time

import numpy as np
import zarr

start = time.perf_counter()
group = zarr.open_group(sys.argv[1], mode="r")
attrs = group.attrs.asdict()
meta = attrs.get("ome", attrs)
if "bioformats2raw.layout" in meta:
    group = group["0"]
    attrs = group.attrs.asdict()
    meta = attrs.get("ome", attrs)
array = group[meta["multiscales"][0]["datasets"][0]["path"]]
array.blocks[(0,) * array.ndim]
first = time.perf_counter()
data = array[...]
end = time.perf_counter()
print(
    json.dumps(
        {
            "firstTileMs": (first - start) * 1000,
            "levelSeconds": end - first,
            "bytes": int(data.nbytes),
            "shape": list(array.shape),
            "chunks": list(array.chunks),
            "checksum": int(np.sum(data, dtype=np.float64)),
        }
    )
)
