/**
 * Tab, line feed and carriage return in attribute values (a channel named "GFP<TAB>488" by a script): we
 * write them as character references, so Python's ElementTree (the parser under tifffile and ome-types)
 * reads back the same characters; and a document with them raw reads as XML requires, as spaces, as
 * ElementTree reads it (they used to be written raw and read back raw: two readers, two names).
 */
import { describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { buildOmeXml, createOme, parseOmeXml } from '../src/index.js';

const NAME = 'GFP\t488\nnm\rraw & <ok>';

describe.skipIf(!available('python'))('whitespace characters in attribute values', () => {
  it('round-trips through our writer and ElementTree, and raw ones normalise like ElementTree', async () => {
    const ome = createOme({ sizeX: 2, sizeY: 2, sizeC: 1, type: 'uint8' });
    const channel = ome.images[0]?.pixels.channels[0];
    if (!channel) throw new Error('createOme made no channel');
    channel.name = NAME;
    const written = buildOmeXml(ome);
    const raw = written.replace('GFP&#9;488&#10;nm&#13;raw', 'GFP\t488\nnm\rraw');
    expect(raw).not.toBe(written);
    const peer = await runPythonJson<string[]>(
      `
import json, sys, xml.etree.ElementTree as ET
docs = json.load(sys.stdin)
ns = '{http://www.openmicroscopy.org/Schemas/OME/2016-06}'
print(json.dumps([ET.fromstring(d).find(f'.//{ns}Channel').get('Name') for d in docs]))
`,
      [written, raw],
    );
    expect(peer[0]).toBe(NAME);
    expect(parseOmeXml(written).images[0]?.pixels.channels[0]?.name).toBe(peer[0]);
    expect(parseOmeXml(raw).images[0]?.pixels.channels[0]?.name).toBe(peer[1]);
    expect(peer[1]).toBe('GFP 488 nm raw & <ok>');
  });
});
