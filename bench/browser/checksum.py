"""The browser bench's expected pixels: what tifffile and zarr-python read from the bench's files.

Input (stdin, JSON): {"tiff": path, "zarr": path of the array (e.g. ours.ome.zarr/0)}. Output: one JSON line,
per file the sum of a[::97, ::89] (bench/lib/peers.py's read checksum) and the SHA-256 over the SHA-256s of
1024-row bands of the little-endian uint16 YX plane (page.ts bandedSha256 computes the same in the page).
"""
import hashlib
import json
import sys

import numpy as np


def checksums(a):
    a = np.ascontiguousarray(a.reshape(a.shape[-2], a.shape[-1]).astype("<u2", copy=False))
    digests = b"".join(hashlib.sha256(a[y:y + 1024].tobytes()).digest() for y in range(0, a.shape[0], 1024))
    return {
        "sampleSum": int(a[::97, ::89].astype(np.int64).sum()),
        "sha256": hashlib.sha256(digests).hexdigest(),
        "shape": list(a.shape),
    }


def main():
    job = json.load(sys.stdin)
    import tifffile
    import zarr

    tiff = checksums(tifffile.imread(job["tiff"], maxworkers=2))
    arr = checksums(zarr.open_array(job["zarr"], mode="r")[...])
    print(json.dumps({"tifffile": tiff, "zarr-python": arr}))


main()
