# The peer side of conventions.test.ts: for each converted output, what tifffile / zarr-python read (got) and
# what numpy computes from the SOURCE pixels, read by tifffile (want). Input: JSON list of rows on stdin.
import json
import os
import sys
import zlib

import numpy as np
import tifffile
import zarr


def src_pixels(path, series=0):
    with tifffile.TiffFile(path) as t:
        s = t.series[0]
        if 'R' in s.axes:  # tifffile shows Micro-Manager positions (OME Images) as axis R of one series
            return np.take(s.asarray(), series, axis=s.axes.index('R'))
        return t.series[series].asarray()


def out_levels(path):
    """Every level of an output as numpy arrays (TIFF: SubIFD levels; Zarr: the multiscales datasets)."""
    if os.path.isdir(path):
        g = zarr.open_group(path, mode='r')
        ms = g.attrs.get('ome', g.attrs)['multiscales'][0]
        return [np.asarray(g[d['path']][...]) for d in ms['datasets']]
    with tifffile.TiffFile(path) as t:
        return [lvl.asarray() for lvl in t.series[0].levels]


def yx(a):
    return [int(a.shape[-2]), int(a.shape[-1])]


def halve(a, mode):
    """One 2x2 level of a (…, Y, X) array the way the flag documents it; odd last row/column dropped."""
    h, w = a.shape[-2] // 2, a.shape[-1] // 2
    a = a[..., : 2 * h, : 2 * w]
    blocks = np.stack([a[..., 0::2, 0::2], a[..., 0::2, 1::2], a[..., 1::2, 0::2], a[..., 1::2, 1::2]], -1)
    if mode == 'nearest':
        return blocks[..., 0]
    if mode == 'max':
        return blocks.max(-1)
    if mode == 'mean':
        s = blocks.astype(np.int64).sum(-1)
        return ((s + 2) // 4).astype(a.dtype)
    # mode: most frequent value of the block; ties go to the smallest value.
    b = np.sort(blocks, -1).astype(np.int64)
    counts = (b[..., :, None] == b[..., None, :]).sum(-1)
    score = counts * 100000 - (b - b.min())
    pick = score.argmax(-1)
    return np.take_along_axis(b, pick[..., None], -1)[..., 0].astype(a.dtype)


def check(row):
    kind = row['kind']
    out = row['out']
    if kind == 'levels':
        src = src_pixels(row['src'])
        Y, X = src.shape[-2:]
        if row.get('auto'):
            target = row['auto']
            n = 1
            while max(X >> (n - 1), Y >> (n - 1)) > target:
                n += 1
        else:
            n = row['total']
        return {'got': [yx(a) for a in out_levels(out)], 'want': [[Y >> k, X >> k] for k in range(n)]}
    if kind == 'downsample':
        levels = out_levels(out)
        want = src_pixels(row['src'])
        wrong = []
        for k, got in enumerate(levels):
            if k > 0:
                want = halve(want, row['mode'])
            wrong.append(int((np.squeeze(got) != np.squeeze(want)).sum()) if got.size == want.size else -1)
        return {'got': wrong, 'want': [0] * len(levels)}
    if kind == 'existing':
        with tifffile.TiffFile(row['src']) as t:
            src = [lvl.asarray() for lvl in t.series[0].levels]
        got = out_levels(out)
        same = [bool(g.size == s.size and np.array_equal(g.reshape(s.shape), s)) for g, s in zip(got, src)]
        # The copy is not a recomputation: bfio's mean of the source's level 0 differs from its level 1.
        recomputed = halve(src[0], 'mean')
        return {
            'got': {'levels': len(got), 'same': same, 'mean_differs': not np.array_equal(recomputed, src[1])},
            'want': {'levels': len(src), 'same': [True] * len(src), 'mean_differs': True},
        }
    if kind == 'tiff-codec':
        with tifffile.TiffFile(out) as t:
            p = t.pages[0]
            t.filehandle.seek(p.dataoffsets[0])
            stored = t.filehandle.read(p.databytecounts[0])
            raw = zlib.decompress(stored)
            pixels_equal = bool(np.array_equal(t.series[0].asarray(), src_pixels(row['src'])))
            return {
                'got': {
                    'tile': [p.tilelength, p.tilewidth],
                    'compression': p.compression.name,
                    # Deflate level 0 stores the tile uncompressed (stored blocks: a little larger than it).
                    'stored': len(stored) >= len(raw),
                    'pixels': pixels_equal,
                },
                'want': row['want'],
            }
    if kind == 'zarr-codec':
        a = zarr.open_group(out, mode='r')['0']
        cfg = [c.to_dict() for c in a.metadata.codecs]
        zstd = next(c for c in cfg if c['name'] == 'zstd')
        return {
            'got': {'level': zstd['configuration']['level'], 'chunks': list(a.chunks)[-2:]},
            'want': row['want'],
        }
    if kind == 'fill':
        src = src_pixels(row['src'])
        got = np.squeeze(out_levels(out)[0])
        v = row['value']
        mask = np.zeros(src.shape, bool)
        for y, x in row['absent']:
            mask[y * 64 : (y + 1) * 64, x * 64 : (x + 1) * 64] = True
        res = {'absent_is_fill': bool((got[mask] == v).all()), 'rest_is_source': bool((got[~mask] == src[~mask]).all())}
        want = {'absent_is_fill': True, 'rest_is_source': True}
        if out.endswith('.zarr'):
            res['fill_value'] = int(zarr.open_group(out, mode='r')['0'].metadata.fill_value)
            want['fill_value'] = v
        return {'got': res, 'want': want}
    if kind == 'select':
        src = src_pixels(row['src'])  # axes T, C, Y, X
        got = np.squeeze(out_levels(out)[0])
        return {'got': {'shape': list(got.shape), 'equal': bool(np.array_equal(got, src[row['t'], row['c']]))},
                'want': {'shape': list(src.shape[-2:]), 'equal': True}}
    if kind == 'series':
        got, want = {}, {}
        for s, path in row['outputs'].items():
            a = np.squeeze(out_levels(path)[0])
            got[s] = bool(np.array_equal(a, np.squeeze(src_pixels(row['src'], int(s)))))
            want[s] = True
        return {'got': got, 'want': want}
    raise ValueError(kind)


rows = json.load(sys.stdin)
results = {}
for row in rows:
    try:
        results[row['id']] = check(row)
    except Exception as e:  # one row's failure is reported in that row, the others still run
        results[row['id']] = {'got': f'{type(e).__name__}: {e}', 'want': 'a readable output'}
print(json.dumps(results))
