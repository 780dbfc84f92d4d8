"""Shared by the peers of refs.test.ts and serve.test.ts (prepended to their script text by the tests)."""
import numpy as np


def to_tczyx(data, axes, shape):
    """A tifffile array in (t, c, z, y, x) order by its axis letters, to compare with an OME-Zarr array of
    `shape`: S (samples) is c; letters OME-Zarr has no name for (I, Q: a plain multi-page file) go to the one
    non-singleton axis of that size; with one non-spatial axis (OME modulo axes: C x H as 16 channels) the
    array is simply reshaped."""
    if sum(1 for s in shape[:3] if s > 1) == 1 and data.shape[-2:] == tuple(shape[3:]) and "S" not in axes:
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
