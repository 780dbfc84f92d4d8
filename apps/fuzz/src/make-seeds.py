# Small generated seeds for the kinds ../shared/data lacks or has only large: TIFF/OME-TIFF (BigTIFF, tiled,
# stripped, multi-page, SubIFD pyramids, Deflate/LZW/zstd/JPEG, big-endian, predictor) and OME-Zarr v2 (0.4)
# and v3 (0.5, plain and sharded). Deterministic: the same files on every run. Prints {"ok": true}.
import json, os, sys
import numpy as np, tifffile, zarr
from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec, ZstdCodec

out = json.load(sys.stdin)['dir']
t = os.path.join(out, 'tiff'); os.makedirs(t, exist_ok=True)
rng = np.random.default_rng(15)
def img(shape, dtype='uint8'):
    a = (np.arange(int(np.prod(shape))) * 7 % 251).reshape(shape)
    return (a + rng.integers(0, 4, shape)).astype(dtype)

tifffile.imwrite(f'{t}/strips-3pages.tif', img((3, 40, 48)), rowsperstrip=8)
tifffile.imwrite(f'{t}/tiled-deflate-u16.ome.tif', img((2, 48, 64), 'uint16'), tile=(16, 16), compression='zlib', ome=True, metadata={'axes': 'CYX'})
tifffile.imwrite(f'{t}/bigtiff-lzw-tiled.ome.tif', img((2, 40, 48)), bigtiff=True, tile=(16, 16), compression='lzw', ome=True, metadata={'axes': 'ZYX'})
tifffile.imwrite(f'{t}/zstd-strips.tif', img((40, 48), 'uint16'), compression='zstd', rowsperstrip=16)
tifffile.imwrite(f'{t}/jpeg-rgb-tiled.tif', img((48, 64, 3)), tile=(16, 16), compression='jpeg', photometric='rgb')
tifffile.imwrite(f'{t}/bigendian-predictor.tif', img((40, 48), 'uint16'), byteorder='>', compression='zlib', predictor=True, rowsperstrip=8)
tifffile.imwrite(f'{t}/float32-planar.ome.tif', img((3, 24, 32), 'float32'), ome=True, metadata={'axes': 'CYX'}, compression='zlib', predictor=3 if False else None)
with tifffile.TiffWriter(f'{t}/subifd-pyramid.ome.tif', bigtiff=False, ome=True) as w:
    base = img((2, 64, 64))
    w.write(base, subifds=2, tile=(16, 16), compression='zlib', metadata={'axes': 'CYX'})
    w.write(base[:, ::2, ::2], subfiletype=1, tile=(16, 16), compression='zlib')
    w.write(base[:, ::4, ::4], subfiletype=1, tile=(16, 16), compression='zlib')
with tifffile.TiffWriter(f'{t}/bigtiff-subifd-pyramid.ome.tif', bigtiff=True, ome=True) as w:
    base = img((64, 64), 'uint16')
    w.write(base, subifds=1, tile=(16, 16), compression='zstd', metadata={'axes': 'YX'})
    w.write(base[::2, ::2], subfiletype=1, tile=(16, 16), compression='zstd')
tifffile.imwrite(f'{t}/ome-zct.ome.tif', img((2, 2, 3, 16, 24)), ome=True, metadata={'axes': 'TZCYX'})

def ngff_axes(n):
    return [{'name': 't', 'type': 'time'}, {'name': 'c', 'type': 'channel'}, {'name': 'z', 'type': 'space'},
            {'name': 'y', 'type': 'space'}, {'name': 'x', 'type': 'space'}][5 - n:]
def multiscale(n, levels):
    return {'version': '0.4', 'name': 'seed', 'axes': ngff_axes(n), 'datasets': [
        {'path': str(i), 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0] * (n - 2) + [2.0 ** i] * 2}]}
        for i in range(levels)]}

def v2(name, data, chunks, compressor, levels=2):
    root = zarr.open_group(os.path.join(out, 'zarr2', name), mode='w', zarr_format=2)
    for i in range(levels):
        d = data[..., ::2 ** i, ::2 ** i]
        a = root.create_array(str(i), shape=d.shape, dtype=d.dtype, chunks=chunks, compressors=compressor, fill_value=0)
        a[...] = d
    root.attrs['multiscales'] = [multiscale(data.ndim, levels)]

from zarr.codecs.numcodecs import Zlib as NZlib
import numcodecs
v2('blosc-u16.ome.zarr', img((2, 40, 48), 'uint16'), (1, 16, 16), numcodecs.Blosc(cname='zstd', clevel=3))
v2('zlib-u8.ome.zarr', img((1, 2, 3, 32, 40)), (1, 1, 1, 16, 16), numcodecs.Zlib(level=3))
v2('raw-f32.ome.zarr', img((24, 32), 'float32'), (8, 16), None, levels=1)

def v3(name, data, chunks, levels=2, shards=None, codecs=None, index_location='end'):
    root = zarr.open_group(os.path.join(out, 'zarr3', name), mode='w', zarr_format=3)
    for i in range(levels):
        d = data[..., ::2 ** i, ::2 ** i]
        kw = {}
        if shards:
            kw['shards'] = tuple(min(s, n) if False else s for s, n in zip(shards, d.shape))
        a = root.create_array(str(i), shape=d.shape, dtype=d.dtype, chunks=chunks, compressors=codecs, fill_value=0,
                              dimension_names=[x['name'] for x in ngff_axes(data.ndim)], **kw)
        a[...] = d
    ms = multiscale(data.ndim, levels); ms.pop('version')
    root.attrs['ome'] = {'version': '0.5', 'multiscales': [ms]}

v3('zstd-u16.ome.zarr', img((2, 40, 48), 'uint16'), (1, 16, 16), codecs=ZstdCodec(level=3))
v3('gzip-u8.ome.zarr', img((3, 32, 40)), (1, 16, 16), codecs=GzipCodec(level=5), levels=1)
v3('sharded-u16.ome.zarr', img((2, 64, 64), 'uint16'), (1, 8, 8), shards=(1, 32, 32), codecs=ZstdCodec(level=1))
v3('sharded-u8-raw.ome.zarr', img((1, 2, 32, 48)), (1, 1, 8, 8), shards=(1, 1, 16, 16), codecs=None, levels=1)
v3('sharded-blosc-5d.ome.zarr', img((1, 2, 2, 32, 32), 'uint16'), (1, 1, 1, 8, 8), shards=(1, 1, 2, 16, 16), codecs=BloscCodec(cname='lz4'))
print(json.dumps({'ok': True}))
