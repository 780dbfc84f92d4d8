/**
 * TIFF structure the fuzzer (apps/fuzz) broke the reader with, each a tiny file made by tifffile and then
 * damaged the way the fuzzer did:
 * - a tag whose count claims 2^31 values in a file of a few KB made geotiff allocate and loop for minutes
 *   (a hang); an IFD entry count of 2^64-1 in a BigTIFF likewise: both are now checked against the file;
 * - SamplesPerPixel retyped to LONG8 made the OME layout allocate a table of 2^48 channels;
 * - ImageWidth stored as a FLOAT gave a fractional width and an untyped `RangeError: createOme: sizeX
 *   must be a positive integer`;
 * - OME-XML with Channel SamplesPerPixel="1000000000" made `channelNames` build a billion names (heap
 *   exhaustion); the image itself is fine and must read as tifffile reads it;
 * - a TiffData UUID FileName naming a directory gave a raw EISDIR; it now reads as the plain TIFF it is,
 *   with a warning naming the fix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

interface Peer {
  files: Record<string, string>;
  /** tifffile's pixels of the SamplesPerPixel file (uint8, flattened C,Y,X) and its channel count. */
  sppPixels: number[];
  sppChannels: number;
  /** tifffile's pages of the FileName="/" file, flattened. */
  dirPixels: number[];
}

describe.skipIf(!available('python'))('TIFF structure found by the fuzzer', () => {
  let dir: string;
  let peer: Peer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-structure-'));
    peer = await runPythonJson<Peer>(
      `
import json, struct, sys, numpy as np, tifffile
d = json.load(sys.stdin)['dir']
img = (np.arange(2 * 16 * 24) % 251).astype('uint8').reshape(2, 16, 24)
files = {}

def patch(src, name, edit):
    b = bytearray(open(src, 'rb').read())
    with tifffile.TiffFile(src) as t:
        edit(b, t)
    path = f'{d}/{name}'
    open(path, 'wb').write(bytes(b))
    files[name] = path

base = f'{d}/base.tif'; tifffile.imwrite(base, img[0], rowsperstrip=4)
big = f'{d}/base-big.tif'; tifffile.imwrite(big, img[0], bigtiff=True, rowsperstrip=4)

def huge_count(b, t):
    tag = t.pages[0].tags['StripByteCounts']
    struct.pack_into('<I', b, tag.offset + 4, 2**31)
patch(base, 'count-huge.tif', huge_count)

def huge_entries(b, t):
    struct.pack_into('<Q', b, t.pages[0].offset, 2**64 - 1)
patch(big, 'entries-huge.tif', huge_entries)

def float_width(b, t):
    tag = t.pages[0].tags['ImageWidth']
    struct.pack_into('<H', b, tag.offset + 2, 11)
patch(base, 'width-float.tif', float_width)

def spp_long8(b, t):
    tag = t.pages[0].tags['SamplesPerPixel']
    struct.pack_into('<H', b, tag.offset + 2, 16)
ome_base = f'{d}/base.ome.tif'; tifffile.imwrite(ome_base, img, ome=True, metadata={'axes': 'CYX'})
patch(ome_base, 'spp-long8.ome.tif', spp_long8)

ok = f'{d}/ok.ome.tif'
tifffile.imwrite(ok, img, ome=True, metadata={'axes': 'CYX'})
xml = tifffile.TiffFile(ok).pages[0].description
spp = xml.replace('SamplesPerPixel="1"', 'SamplesPerPixel="1000000000"', 1)
assert spp != xml
tifffile.imwrite(f'{d}/spp-huge.ome.tif', img, description=spp, metadata=None)
files['spp-huge.ome.tif'] = f'{d}/spp-huge.ome.tif'
uuid = xml.split('UUID="')[1].split('"')[0]
dirref = xml.replace('<TiffData IFD="0" PlaneCount="2"/>', '<TiffData IFD="0" PlaneCount="2"><UUID FileName="/">urn:uuid:00000000-0000-0000-0000-000000000001</UUID></TiffData>')
assert dirref != xml, xml
tifffile.imwrite(f'{d}/filename-dir.ome.tif', img, description=dirref, metadata=None)
files['filename-dir.ome.tif'] = f'{d}/filename-dir.ome.tif'
with tifffile.TiffFile(files['spp-huge.ome.tif']) as t:
    px = np.stack([p.asarray() for p in t.pages])
with tifffile.TiffFile(files['filename-dir.ome.tif']) as t:
    pages = np.stack([p.asarray() for p in t.pages])
print(json.dumps({'files': files, 'sppPixels': px.ravel().tolist(), 'sppChannels': len(t.pages), 'dirPixels': pages.ravel().tolist()}))
`,
      { dir },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function refusal(name: string): Promise<Error> {
    const file = peer.files[name]!;
    const started = Date.now();
    const err = await (async () => {
      await using br = await BioReader.open(file);
      await br.read({}, { maxBytes: 2 ** 20 });
    })().catch((e: unknown) => e);
    expect(Date.now() - started, `${name} took too long`).toBeLessThan(10_000);
    expect(isBfioError(err), `${name}: ${String(err)}`).toBe(true);
    expect((err as Error).message).toContain(file);
    return err as Error;
  }

  it('a tag count far beyond the file is a corrupt-file error naming the tag', async () => {
    const err = await refusal('count-huge.tif');
    expect(isBfioError(err, 'corrupt-file')).toBe(true);
    expect(err.message).toMatch(/tag 279 claims 2147483648 values .* past the end of the file/);
  });

  it('a BigTIFF IFD entry count of 2^64-1 is a corrupt-file error', async () => {
    const err = await refusal('entries-huge.tif');
    expect(err.message).toMatch(/the IFD claims \d+ entries, more than fit in the file/);
  });

  it('ImageWidth stored as a FLOAT is refused as an invalid size, not an untyped RangeError', async () => {
    const err = await refusal('width-float.tif');
    expect(err.message).toMatch(/invalid image or block size/);
  });

  it('SamplesPerPixel retyped to LONG8 (a value in the trillions) is refused, not an untyped RangeError', async () => {
    // Depending on the bytes the 8-byte value reads, the IFD is unparsable or the page's size invalid.
    const err = await refusal('spp-long8.ome.tif');
    expect(err.message).toMatch(
      /invalid image or block size .* samples per pixel|the IFD could not be parsed/,
    );
  });

  it('SamplesPerPixel="1000000000" in the OME-XML: channel names bounded by C, pixels as tifffile reads them', async () => {
    await using br = await BioReader.open(peer.files['spp-huge.ome.tif']!);
    expect(br.C).toBe(peer.sppChannels);
    expect(br.channelNames).toHaveLength(br.C);
    const px = await br.read({}, { squeeze: false, shared: false });
    // Ours is planar (T, C, Z, Y, X); tifffile's stack is (C, Y, X): the same order for T = Z = 1.
    expect(Array.from(px.data as Uint8Array)).toEqual(peer.sppPixels);
  });

  it('a TiffData FileName naming a directory: read as the plain TIFF it is, with a warning naming the fix', async () => {
    // Was a raw EISDIR. The pages are all there, so (as for other OME-XML that does not match the file)
    // the file reads as a plain TIFF, equal to tifffile's pages.
    await using br = await BioReader.open(peer.files['filename-dir.ome.tif']!);
    const warnings = (br.details as { warnings?: string[] }).warnings ?? [];
    expect(warnings.join('\n')).toMatch(
      /refers to "\/", which cannot be opened .*fix the TiffData UUID FileName/,
    );
    const px = await br.read({}, { squeeze: false, shared: false });
    expect(Array.from(px.data as Uint8Array)).toEqual(peer.dirPixels);
  });
});
