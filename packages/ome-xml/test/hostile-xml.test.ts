/**
 * OME-XML shapes the fuzzer (apps/fuzz) broke the parser with: 200,000 attributes on one element kept the
 * validator busy for seconds per parse (a hang once a reader parsed it twice), and 100,000 nested elements
 * ended in fast-xml-parser's untyped `Error: Maximum nested tags exceeded`. Both are now an OmeXmlError
 * ('not-xml') naming the file, quickly. Entity expansion ("billion laughs") stays bounded. xmllint, where
 * installed, refuses the same deep nesting and entity expansion (without --huge).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { OmeXmlError, parseOmeXml } from '../src/index.js';

const BASE = `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0" Name="x"><Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="uint8" SizeX="2" SizeY="2" SizeZ="1" SizeC="1" SizeT="1"><Channel ID="Channel:0:0" SamplesPerPixel="1"/><TiffData/></Pixels></Image></OME>`;

const manyAttributes = BASE.replace(
  '<Pixels',
  `<Pixels${Array.from({ length: 200_000 }, (_, i) => ` a${i}="${i}"`).join('')}`,
);
const deep = BASE.replace('<TiffData/>', `<TiffData/>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`);
const laughs = BASE.replace(
  '<?xml version="1.0" encoding="UTF-8"?>',
  `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE OME [<!ENTITY l0 "lol">${Array.from(
    { length: 10 },
    (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`,
  ).join('')}]>`,
).replace('Name="x"', 'Name="&l10;"');

function refused(xml: string, file: string): OmeXmlError {
  const started = performance.now();
  let err: unknown;
  try {
    parseOmeXml(xml, { file });
  } catch (e) {
    err = e;
  }
  expect(performance.now() - started).toBeLessThan(3_000);
  expect(OmeXmlError.isInstance(err), String(err)).toBe(true);
  expect((err as OmeXmlError).reason).toBe('not-xml');
  expect((err as Error).message).toContain(file);
  return err as OmeXmlError;
}

describe('hostile OME-XML shapes', () => {
  it('200,000 attributes on one element: refused quickly', () => {
    const err = refused(manyAttributes, 'attrs.ome.xml');
    expect(err.message).toMatch(/an element has 200008 attributes, more than the 10000/);
  });

  it('100,000 nested elements: an OmeXmlError, not the parser untyped Error', () => {
    const err = refused(deep, 'deep.ome.xml');
    expect(err.message).toMatch(/elements nest more than 1000 deep/);
  });

  it('entity expansion ("billion laughs") stays bounded in time and memory', () => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    let name: string | undefined;
    try {
      name = parseOmeXml(laughs).images[0]?.name;
    } catch (err) {
      expect(OmeXmlError.isInstance(err), String(err)).toBe(true);
    }
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
    // Expanded in full it would be 3 × 10^10 characters.
    expect((name ?? '').length).toBeLessThan(1e7);
  });
});

describe.skipIf(!available('xmllint'))('xmllint refuses the same documents', () => {
  for (const [what, xml] of [
    ['deep nesting', deep],
    ['entity expansion', laughs],
  ] as const) {
    it(what, () => {
      const r = spawnSync('xmllint', ['--noout', '--noent', '-'], {
        input: xml,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).not.toBe(0);
    });
  }
});
