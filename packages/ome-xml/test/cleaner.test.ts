/**
 * The cleaner and the strict/clean split on real producer mistakes, plus the typed errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { buildOmeXml, cleanOmeXml, OME_NAMESPACE, OmeXmlError, parseOmeXml } from '../src/index.js';
import { imageDescription, validateMany } from './helpers.js';

const ok = available('data', 'xmllint');
const read = (rel: string) => readFileSync(dataPath(rel), 'utf8');

function errorOf(fn: () => unknown): OmeXmlError {
  try {
    fn();
  } catch (e) {
    if (OmeXmlError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an OmeXmlError');
}

describe.skipIf(!ok)('cleaner on real files', () => {
  it('upgrades the 2008-09 instrument sample to a valid 2016-06 document', () => {
    const file = 'ome-types/2008_instrument.ome.xml';
    expect(errorOf(() => parseOmeXml(read(file), { clean: false, file })).reason).toBe('namespace');
    const ome = parseOmeXml(read(file), { file });
    const [image] = ome.images;
    expect(image?.id).toBe('Image:0');
    expect(image?.name).toBe('6x6x1x8-swatch.tif');
    expect(image?.acquisitionDate).toBe('2010-02-23T12:51:30'); // from 2008's CreationDate
    expect(image?.instrumentRef).toBe('Instrument:0');
    const p = image?.pixels;
    expect(p).toMatchObject({
      type: 'uint8',
      dimensionOrder: 'XYCZT',
      sizeX: 6,
      sizeY: 4,
      sizeZ: 1,
      sizeC: 1,
      sizeT: 1,
    });
    expect(p?.physicalSizeX).toEqual({ value: 10000, unit: 'µm' });
    expect(p?.physicalSizeZ).toBeUndefined(); // PhysicalSizeZ="0.0" is not a PositiveFloat: dropped
    expect(p?.channels.map((c) => c.id)).toEqual(['Channel:0']); // from LogicalChannel:0
    expect(ome.instruments[0]?.objectives[0]).toMatchObject({
      id: 'Objective:0',
      lensNA: 1.2,
      nominalMagnification: 60,
      immersion: 'Air',
      model: '60xUV-Air',
    });
    const v = validateMany({ built: buildOmeXml(ome) });
    expect(v.built?.errors).toEqual([]);
    expect(v.built?.valid).toBe(true);
  });

  it('renames Micro-Manager IDs and every reference to them', () => {
    const file = 'ome-types/MMStack.ome.xml';
    const strict = errorOf(() => parseOmeXml(read(file), { clean: false, file }));
    expect(strict.reason).toBe('bad-id');
    expect(strict.message).toContain(file);
    expect(strict.message).toContain('"Microscope"');
    const cleaned = cleanOmeXml(read(file));
    expect(cleaned).toContain('<Instrument ID="Instrument:Microscope">');
    expect(cleaned).toContain('<Detector ID="Detector:Camera"');
    expect(cleaned).toContain('<DetectorSettings Binning="2x2" Gain="1.0" ID="Detector:Camera"');
    expect(cleaned).not.toMatch(/ID="(Microscope|Camera)"/);
    const ome = parseOmeXml(read(file), { file });
    expect(ome.instruments.map((i) => i.id)).toEqual(['Instrument:Microscope']);
    expect(ome.images.map((i) => i.instrumentRef)).toEqual([
      'Instrument:Microscope',
      'Instrument:Microscope',
    ]);
    expect(validateMany({ cleaned, built: buildOmeXml(ome) })).toEqual({
      cleaned: { valid: true, errors: [] },
      built: { valid: true, errors: [] },
    });
  });

  it('upgrades a 2015-01 Micro-Manager OME-TIFF (namespace) and keeps its values', () => {
    const file = dataPath(
      'exampletiffs/ometiff_testdata/singles/181003_multi_pos_time_course_1_MMStack.ome.tif',
    );
    const xml = imageDescription(file) as string;
    expect(xml).toContain('Schemas/OME/2015-01');
    const ome = parseOmeXml(xml, { file });
    expect(ome.images).toHaveLength(2);
    expect(ome.images[0]?.pixels).toMatchObject({
      sizeX: 256,
      sizeY: 256,
      sizeZ: 1,
      sizeC: 1,
      sizeT: 10,
      type: 'uint16',
    });
    const cleaned = cleanOmeXml(xml);
    expect(cleaned).toContain(`xmlns="${OME_NAMESPACE}"`);
    expect(cleaned).not.toContain('2015-01');
  });

  it('puts Channels back before Planes (AICS 3d-cell-viewer)', () => {
    const file = 'ome-types/aics/3d-cell-viewer.ome.xml';
    const strict = errorOf(() => parseOmeXml(read(file), { clean: false, file }));
    expect(strict.reason).toBe('child-order');
    expect(strict.problem).toMatch(/<Channel> comes after <Plane>/);
    const ome = parseOmeXml(read(file), { file });
    const p = ome.images[0]?.pixels;
    expect(p?.channels.length).toBe(p?.sizeC);
    expect(p?.planes.length).toBe((p?.sizeZ ?? 0) * (p?.sizeC ?? 0) * (p?.sizeT ?? 0));
  });

  it('drops an AcquisitionDate that is no date (polus bunny: "%(DEFAULT_NOW)s")', () => {
    const file = dataPath('polus-image-tools/bunny.ome.tif');
    const xml = imageDescription(file) as string;
    expect(xml).toContain('<AcquisitionDate>%(DEFAULT_NOW)s</AcquisitionDate>');
    const ome = parseOmeXml(xml, { file });
    expect(ome.images[0]?.acquisitionDate).toBeUndefined();
    expect(ome.images[0]?.id).toBe('Image:bunny.ome.tif');
    expect(ome.images[0]?.pixels.sizeZ).toBe(101);
  });

  it('repairs fixable dates instead of dropping them', () => {
    const xml = read('ome-xml-schema/samples/2016-06/single-image.ome.xml').replace(
      /<AcquisitionDate>[^<]*<\/AcquisitionDate>/,
      '<AcquisitionDate>2019-06-27 18:39:25+0200</AcquisitionDate>',
    );
    expect(errorOf(() => parseOmeXml(xml, { clean: false })).reason).toBe('bad-date');
    expect(parseOmeXml(xml).images[0]?.acquisitionDate).toBe('2019-06-27T18:39:25+02:00');
  });

  it('fixes bad.ome.xml (Channel ID "InvalidName") and the builder adds the missing MetadataOnly', () => {
    const file = 'ome-types/bad.ome.xml';
    expect(errorOf(() => parseOmeXml(read(file), { clean: false, file })).reason).toBe('bad-id');
    const ome = parseOmeXml(read(file), { file });
    expect(ome.images[0]?.pixels.channels[0]?.id).toBe('Channel:InvalidName');
    const built = buildOmeXml(ome);
    expect(built).toContain('<MetadataOnly/>');
    expect(validateMany({ built }).built?.valid).toBe(true);
  });

  it('leaves well-formed but hopeless documents to a typed error naming the file', () => {
    const notXml = errorOf(() => parseOmeXml('<OME><Image></OME>', { file: 'broken.ome.xml' }));
    expect(notXml.reason).toBe('not-xml');
    expect(notXml.file).toBe('broken.ome.xml');
    expect(notXml.message).toMatch(/^broken\.ome\.xml: /);
    expect(notXml.name).toBe('OmeXmlError');
    expect(notXml).toBeInstanceOf(Error);

    const notOme = errorOf(() => parseOmeXml('<ImageJ><x/></ImageJ>', { file: 'imagej.tif' }));
    expect(notOme.reason).toBe('not-ome');

    // A required attribute the cleaner cannot invent: SizeX.
    const noSize = read('ome-xml-schema/samples/2016-06/single-image.ome.xml').replace(/ SizeX="\d+"/, '');
    const e = errorOf(() => parseOmeXml(noSize, { file: 'nosize.ome.xml' }));
    expect(e.reason).toBe('missing-attribute');
    expect(e.afterCleaning).toBe(true);
    expect(e.problem).toMatch(/SizeX/);

    const badType = read('ome-xml-schema/samples/2016-06/single-image.ome.xml').replace(
      / Type="\w+"/,
      ' Type="uint12"',
    );
    expect(errorOf(() => parseOmeXml(badType)).reason).toBe('bad-value');
  });

  it('isInstance recognises only OmeXmlError', () => {
    expect(OmeXmlError.isInstance(new OmeXmlError('f', 'bad-value', 'x'))).toBe(true);
    expect(OmeXmlError.isInstance(new Error('x'))).toBe(false);
    expect(OmeXmlError.isInstance({ name: 'OmeXmlError' })).toBe(false);
    expect(OmeXmlError.isInstance(null)).toBe(false);
  });

  it('maps unit spellings and unsigned colours to the schema forms', () => {
    const xml = read('ome-xml-schema/samples/2016-06/multi-channel.ome.xml');
    const src = xml
      .replace('PhysicalSizeX="10000.0"', 'PhysicalSizeX="0.5" PhysicalSizeXUnit="um"')
      .replace('Color="-16776961"', 'Color="4294967295"');
    expect(src).toContain('Color="4294967295"');
    expect(errorOf(() => parseOmeXml(src, { clean: false })).reason).toBe('bad-value');
    const ome = parseOmeXml(src);
    expect(ome.images[0]?.pixels.physicalSizeX).toEqual({ value: 0.5, unit: 'µm' });
    expect(ome.images[0]?.pixels.channels[0]?.color).toBe(-1);
  });
});
