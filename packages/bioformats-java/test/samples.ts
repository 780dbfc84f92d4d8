/**
 * The reference set shared by the tests (and the converter app's Bio-Formats test): the non-TIFF samples,
 * the (file, series) pairs whose pixels are checked against bfconvert, ImageInfo's pixel-type names, and the
 * tifffile script that turns an OME-TIFF into planar T, C(×S), Z, Y, X raw bytes.
 */
import type { DType } from '@bfio/core';

/** Every non-TIFF sample in MANIFEST.tsv that a Bio-Formats reader claims (ImageInfo decides if it opens). */
export const FILES = [
  'aicsimageio/example.bmp',
  'aicsimageio/example.jpg',
  'aicsimageio/example.png',
  'aicsimageio/s_1_t_1_c_1_z_1.czi',
  'aicspylibczi/CD_s_1_t_3_c_2_z_5.czi',
  'aicspylibczi/RGB-8bit.czi',
  'aicspylibczi/RGB-multichannel.czi',
  'aicspylibczi/mosaic_test.czi',
  'aicspylibczi/tiles.czi',
  'libics/testim.ics',
  'libics/testim_c.ics',
  'libvips/CMU-1-Small-Region.svs',
  'libvips/dicom_test_image.dcm',
  'libvips/indexed.png',
  'libvips/rgba.png',
  'libvips/sample.jpg',
  'libvips/sample.png',
  'libvips/small.bmp',
  'mrc/toxo.dv',
  'openslide-python/small.svs',
  'pathml/small_dicom.dcm',
  'pathml/small_vectra.qptiff',
  'pims/cluster.nd2',
  'pims/spestack_test.spe',
  'readlif/LeicaLASX_wavelength-sweep_example.lif',
  'readlif/testdata_2channel_xz.lif',
  'bioformats2raw-testres/colors.ome.xml',
];

/** Pixel checks (file, series): RGB interleaved and planar, multi-channel RGB, Z/C/T stacks, int16, uint16 RGB, big files. */
export const PIXEL_CHECKS: Array<[string, number]> = [
  ['aicsimageio/example.bmp', 0],
  ['aicspylibczi/RGB-8bit.czi', 0],
  ['aicspylibczi/RGB-multichannel.czi', 0],
  ['aicspylibczi/CD_s_1_t_3_c_2_z_5.czi', 0],
  ['aicspylibczi/mosaic_test.czi', 0],
  ['libics/testim.ics', 0],
  ['libvips/CMU-1-Small-Region.svs', 2],
  ['libvips/dicom_test_image.dcm', 0],
  ['libvips/sample.png', 0],
  ['mrc/toxo.dv', 0],
  ['pims/cluster.nd2', 0],
  ['pims/spestack_test.spe', 0],
  ['readlif/testdata_2channel_xz.lif', 2],
  ['pathml/small_vectra.qptiff', 0],
];

export const DTYPE_OF: Record<string, DType> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  float: 'float32',
  double: 'float64',
  bit: 'uint8',
};

// tifffile reads bfconvert's OME-TIFF; we reorder to planar T, C(×S), Z, Y, X little-endian raw bytes.
export const PY_READ = `
import json, sys, numpy as np, tifffile
out = []
for item in json.load(sys.stdin):
    with tifffile.TiffFile(item['tiff']) as tf:
        s = tf.series[0]
        a = s.asarray()
        axes = s.axes
    for ax in 'TCZYXS':
        if ax not in axes:
            a = np.expand_dims(a, a.ndim)
            axes += ax
    assert set(axes) == set('TCZYXS'), axes
    a = np.transpose(a, [axes.index(ax) for ax in 'TCSZYX'])
    t, c, s_, z, y, x = a.shape
    a = a.reshape(t, c * s_, z, y, x)
    a.astype(a.dtype.newbyteorder('<')).tofile(item['raw'])
    out.append({'shape': list(a.shape), 'dtype': str(a.dtype.newbyteorder('=').name)})
print(json.dumps(out))
`;
