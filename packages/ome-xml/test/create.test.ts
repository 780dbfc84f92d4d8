import { describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { buildOmeXml, createOme, OME_NAMESPACE, parseOmeXml } from '../src/index.js';
import { validateMany } from './helpers.js';

const ok = available('xmllint');

describe('createOme', () => {
  const gray = createOme({
    sizeX: 640,
    sizeY: 480,
    sizeZ: 5,
    sizeC: 2,
    sizeT: 3,
    type: 'uint16',
    channelNames: ['DAPI', 'GFP & co <1>'],
    physicalSizeX: { value: 0.325, unit: 'µm' },
    physicalSizeY: { value: 0.325, unit: 'µm' },
    physicalSizeZ: { value: 2, unit: 'µm' },
    name: 'séance "1"',
  });
  const rgb = createOme({
    sizeX: 4,
    sizeY: 3,
    sizeC: 3,
    samplesPerPixel: 3,
    type: 'uint8',
    dimensionOrder: 'XYCZT',
  });
  const minimal = createOme({ sizeX: 1, sizeY: 1, type: 'float' });

  it('uses the IDs and defaults writers expect', () => {
    const p = gray.images[0]?.pixels;
    expect(gray.images[0]?.id).toBe('Image:0');
    expect(p?.id).toBe('Pixels:0');
    expect(p?.dimensionOrder).toBe('XYZCT');
    expect(p?.channels.map((c) => [c.id, c.name, c.samplesPerPixel])).toEqual([
      ['Channel:0:0', 'DAPI', 1],
      ['Channel:0:1', 'GFP & co <1>', 1],
    ]);
    expect(minimal.images[0]?.pixels).toMatchObject({
      sizeZ: 1,
      sizeC: 1,
      sizeT: 1,
      dimensionOrder: 'XYZCT',
    });
    // RGB: three samples along C, one Channel element carrying them.
    expect(rgb.images[0]?.pixels.channels).toEqual([{ id: 'Channel:0:0', samplesPerPixel: 3 }]);
  });

  it('refuses impossible shapes', () => {
    expect(() => createOme({ sizeX: 0, sizeY: 1, type: 'uint8' })).toThrow(RangeError);
    expect(() => createOme({ sizeX: 1, sizeY: 1, sizeC: 4, samplesPerPixel: 3, type: 'uint8' })).toThrow(
      /multiple/,
    );
    expect(() => createOme({ sizeX: 1, sizeY: 1, sizeC: 2, channelNames: ['a'], type: 'uint8' })).toThrow(
      /channel names/,
    );
    expect(() => createOme({ sizeX: 1, sizeY: 1, type: 'uint12' as never })).toThrow(/pixel type/);
  });

  it('builds UTF-8 OME-XML with escaped entities that round-trips', () => {
    const xml = buildOmeXml(gray);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<OME ')).toBe(true);
    expect(xml).toContain(`xmlns="${OME_NAMESPACE}"`);
    expect(xml).toContain('PhysicalSizeXUnit="µm"'); // the character itself, not a reference
    expect(xml).toContain('Name="GFP &amp; co &lt;1&gt;"');
    expect(xml).toContain('Name="séance &quot;1&quot;"');
    expect(xml).toContain('<MetadataOnly/>');
    expect(parseOmeXml(xml, { clean: false })).toEqual(gray);
  });

  it.skipIf(!ok)('validates against ome.xsd 2016-06', () => {
    const v = validateMany({ gray: buildOmeXml(gray), rgb: buildOmeXml(rgb), minimal: buildOmeXml(minimal) });
    expect(v).toEqual({
      gray: { valid: true, errors: [] },
      rgb: { valid: true, errors: [] },
      minimal: { valid: true, errors: [] },
    });
  });

  it.skipIf(!ok)(
    'keeps a model valid when a writer adds TiffData, Planes and unknown children out of order',
    () => {
      const ome = createOme({ sizeX: 8, sizeY: 8, sizeC: 2, type: 'uint8' });
      const p = ome.images[0]?.pixels;
      if (!p) throw new Error('no pixels');
      p.planes.push(
        { theZ: 0, theC: 0, theT: 0, deltaT: { value: 0.5, unit: 's' } },
        { theZ: 0, theC: 1, theT: 0 },
      );
      p.tiffData.push({ ifd: 0, firstZ: 0, firstC: 0, firstT: 0, planeCount: 2 });
      // An unknown child that belongs before Pixels in Image, appended "after" everything.
      const image = ome.images[0];
      if (!image) throw new Error('no image');
      image.extra = {
        attributes: {},
        children: [{ after: 99, node: { StageLabel: [], ':@': { '@_Name': 'pos 1' } } }],
      };
      image.acquisitionDate = '2024-01-02T03:04:05Z';
      const xml = buildOmeXml(ome);
      expect(xml.indexOf('<StageLabel')).toBeLessThan(xml.indexOf('<Pixels'));
      expect(xml.indexOf('<TiffData')).toBeLessThan(xml.indexOf('<Plane'));
      expect(xml).not.toContain('MetadataOnly');
      expect(validateMany({ xml }).xml).toEqual({ valid: true, errors: [] });
      const back = parseOmeXml(xml, { clean: false });
      expect(back.images[0]?.pixels.planes).toEqual(p.planes);
      expect(back.images[0]?.pixels.tiffData).toEqual(p.tiffData);
    },
  );
});
