/**
 * OME-XML mutations: the XML in an OME-TIFF's ImageDescription is rewritten (broken, huge Size*, entity
 * expansion "billion laughs", external entities, huge attribute counts, deep nesting, many Images or
 * Channels, TiffData pointing at other or special files) and put back: appended at the end of the file,
 * with IFD0's ImageDescription entry pointing at it.
 */
import fc from 'fast-check';
import { Rng } from './rng.js';
import { FieldView, parseTiff } from './tiff-structure.js';

const SIZE_ATTRS = [
  'SizeX',
  'SizeY',
  'SizeZ',
  'SizeC',
  'SizeT',
  'SignificantBits',
  'SamplesPerPixel',
  'PhysicalSizeX',
];
const BAD_NUMBERS = [
  '0',
  '-5',
  '1',
  '1000000000',
  '2147483647',
  '4294967296',
  '9007199254740993',
  '1e308',
  'NaN',
  'Infinity',
  'abc',
  '',
  ' 3 ',
  '0x10',
  '99999999999999999999999',
];
const OTHER_ATTRS: Array<[string, string[]]> = [
  ['DimensionOrder', ['XYZCT', 'XYXYX', '', 'ZZZZZ', 'xyzct']],
  ['Type', ['float128', 'bit', '', 'uint64', 'double', 'int32']],
  ['IFD', ['0', '-1', '4294967295', '1000000', 'x']],
  ['PlaneCount', ['0', '-1', '1000000000', '2147483647']],
  ['FirstZ', ['0', '-1', '1000000000']],
  ['FirstC', ['0', '-1', '1000000000']],
  ['FirstT', ['0', '-1', '1000000000']],
  ['BigEndian', ['true', 'maybe']],
  ['Interleaved', ['true', 'false', '1']],
];

export type XmlOp =
  | { op: 'truncate'; at: number }
  | { op: 'size'; attr: string; value: string; all: boolean }
  | { op: 'attr'; attr: number; value: number }
  | { op: 'billion-laughs'; levels: number; where: 'attr' | 'text' }
  | { op: 'external-entity'; target: string }
  | { op: 'many-attrs'; count: number }
  | { op: 'deep-nesting'; depth: number }
  | { op: 'repeat'; element: 'Image' | 'Channel' | 'TiffData' | 'Plane'; times: number }
  | { op: 'filename'; name: string }
  | { op: 'flip'; flips: number }
  | { op: 'remove'; element: 'Pixels' | 'TiffData' | 'Channel' | 'Image' | 'UUID' }
  | { op: 'replace'; text: string };

export const xmlOp: fc.Arbitrary<XmlOp> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('size' as const),
      attr: fc.constantFrom(...SIZE_ATTRS),
      value: fc.oneof(fc.constantFrom(...BAD_NUMBERS), fc.integer().map(String)),
      all: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('attr' as const), attr: fc.nat(), value: fc.nat() }) },
  fc.record({
    op: fc.constant('billion-laughs' as const),
    levels: fc.integer({ min: 1, max: 12 }),
    where: fc.constantFrom('attr' as const, 'text' as const),
  }),
  fc.record({
    op: fc.constant('external-entity' as const),
    target: fc.constantFrom('file:///dev/zero', 'file:///etc/passwd', 'http://127.0.0.1:9/x', '/dev/urandom'),
  }),
  fc.record({
    op: fc.constant('many-attrs' as const),
    count: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 10_000, max: 200_000 })),
  }),
  fc.record({
    op: fc.constant('deep-nesting' as const),
    depth: fc.oneof(fc.integer({ min: 10, max: 500 }), fc.integer({ min: 10_000, max: 200_000 })),
  }),
  fc.record({
    op: fc.constant('repeat' as const),
    element: fc.constantFrom('Image' as const, 'Channel' as const, 'TiffData' as const, 'Plane' as const),
    times: fc.oneof(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 1000, max: 30_000 })),
  }),
  fc.record({
    op: fc.constant('filename' as const),
    name: fc.constantFrom(
      '/dev/zero',
      '/dev/urandom',
      '../../../../etc/passwd',
      'missing.ome.tif',
      '',
      '.',
      '/',
      '/proc/self/mem',
      'a\u0000b.tif',
    ),
  }),
  fc.record({ op: fc.constant('flip' as const), flips: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    op: fc.constant('remove' as const),
    element: fc.constantFrom(
      'Pixels' as const,
      'TiffData' as const,
      'Channel' as const,
      'Image' as const,
      'UUID' as const,
    ),
  }),
  fc.record({
    op: fc.constant('replace' as const),
    text: fc.oneof(
      fc.constantFrom(
        '',
        '<',
        '<OME/>',
        '<OME><Image/></OME>',
        '\uFEFF<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"/>',
      ),
      fc.string({ maxLength: 200 }),
    ),
  }),
);

export const xmlPlan = fc.record({ ops: fc.array(xmlOp, { minLength: 1, maxLength: 3 }), rng: fc.nat() });
export type XmlPlan = { ops: XmlOp[]; rng: number };

function setAttr(xml: string, attr: string, value: string, all: boolean): string {
  const re = new RegExp(`(\\s${attr}=")[^"]*(")`, all ? 'g' : '');
  return xml.replace(re, `$1${value.replace(/"/g, '&quot;')}$2`);
}

function repeatElement(xml: string, element: string, times: number): string {
  const re = new RegExp(`<(?:\\w+:)?${element}\\b[^>]*?(?:/>|>[\\s\\S]*?</(?:\\w+:)?${element}>)`);
  const m = re.exec(xml);
  if (!m) return xml;
  // Many elements, not many megabytes: beyond ~1 MB this measures the XML parser's throughput (a 4 MB
  // document takes 3.5 s to parse on an idle 2-core machine, past the time cap under load).
  const n = Math.max(1, Math.min(times, Math.floor(1e6 / m[0].length)));
  return xml.slice(0, m.index) + m[0].repeat(n) + xml.slice(m.index + m[0].length);
}

/** Inserts a DOCTYPE after the XML declaration (or at the start). */
function withDoctype(xml: string, doctype: string): string {
  const decl = /^\s*(\uFEFF)?<\?xml[^>]*\?>/.exec(xml);
  const at = decl ? decl[0].length : 0;
  return `${xml.slice(0, at)}${doctype}${xml.slice(at)}`;
}

export function applyXmlOp(xml: string, op: XmlOp, rng: Rng): string {
  switch (op.op) {
    case 'truncate':
      return xml.slice(0, Math.floor(op.at * xml.length));
    case 'size':
      return setAttr(xml, op.attr, op.value, op.all);
    case 'attr': {
      const [name, values] = OTHER_ATTRS[op.attr % OTHER_ATTRS.length]!;
      return setAttr(xml, name, values[op.value % values.length]!, op.value % 2 === 0);
    }
    case 'billion-laughs': {
      let ents = '<!ENTITY lol0 "lol">';
      for (let i = 1; i <= op.levels; i++) ents += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
      const ref = `&lol${op.levels};`;
      const doc = withDoctype(xml, `<!DOCTYPE OME [${ents}]>`);
      return op.where === 'attr'
        ? doc
            .replace(/(<(?:\w+:)?Image\b[^>]*?\sName=")/, `$1${ref}`)
            .replace(/(<(?:\w+:)?Image\b)(?![^>]*Name=)/, `$1 Name="${ref}"`)
        : doc.replace(/(<(?:\w+:)?Image\b[^>]*>)/, `$1<Description>${ref}</Description>`);
    }
    case 'external-entity':
      return withDoctype(xml, `<!DOCTYPE OME [<!ENTITY xxe SYSTEM "${op.target}">]>`).replace(
        /(<(?:\w+:)?Image\b[^>]*>)/,
        '$1<Description>&xxe;</Description>',
      );
    case 'many-attrs': {
      const attrs = Array.from({ length: op.count }, (_, i) => ` a${i}="${i}"`).join('');
      return xml.replace(/(<(?:\w+:)?Pixels\b)/, `$1${attrs}`);
    }
    case 'deep-nesting': {
      const open = '<a>'.repeat(op.depth);
      const close = '</a>'.repeat(op.depth);
      return xml.replace(/(<(?:\w+:)?Image\b[^>]*>)/, `$1<Description>x</Description>${open}${close}`);
    }
    case 'repeat':
      return repeatElement(xml, op.element, op.times);
    case 'filename':
      return xml.includes('FileName=')
        ? setAttr(xml, 'FileName', op.name, true)
        : xml.replace(
            /<((?:\w+:)?)TiffData\b([^>]*?)\/>/,
            `<$1TiffData$2><$1UUID FileName="${op.name}">urn:uuid:00000000-0000-0000-0000-000000000000</$1UUID></$1TiffData>`,
          );
    case 'flip': {
      const chars = [...xml];
      for (let i = 0; i < op.flips && chars.length; i++) {
        const at = rng.int(chars.length);
        chars[at] = String.fromCharCode(chars[at]!.charCodeAt(0) ^ (1 << rng.int(7)));
      }
      return chars.join('');
    }
    case 'remove': {
      const re = new RegExp(`<(?:\\w+:)?${op.element}\\b[^>]*?(?:/>|>[\\s\\S]*?</(?:\\w+:)?${op.element}>)`);
      return xml.replace(re, '');
    }
    case 'replace':
      return op.text;
  }
}

/** IFD0's ImageDescription text, or undefined. */
export function readDescription(bytes: Uint8Array): string | undefined {
  const t = parseTiff(bytes);
  const e = t?.ifds[0]?.entries.find((x) => x.tag === 270);
  if (!t || !e) return undefined;
  const f = new FieldView(bytes, t.little);
  const word = t.big ? 8 : 4;
  const at = e.count <= word ? e.valueAt : f.get(e.valueAt, word);
  return new TextDecoder().decode(bytes.subarray(at, at + e.count)).replace(/\0+$/, '');
}

/** The TIFF with IFD0's ImageDescription replaced by `text` (appended at the end of the file). */
export function writeDescription(bytes: Uint8Array, text: string): Uint8Array {
  const t = parseTiff(bytes);
  const e = t?.ifds[0]?.entries.find((x) => x.tag === 270);
  if (!t || !e) return bytes;
  const data = new TextEncoder().encode(`${text}\0`);
  const start = bytes.length + (bytes.length % 2);
  const out = new Uint8Array(start + data.length);
  out.set(bytes);
  out.set(data, start);
  const f = new FieldView(out, t.little);
  const word = t.big ? 8 : 4;
  f.set(e.at + 2, 2, 2n);
  f.set(e.at + 4, word, BigInt(data.length));
  f.set(e.valueAt, word, BigInt(start));
  return out;
}

export function mutateXml(seed: Uint8Array, plan: XmlPlan): Uint8Array {
  const xml = readDescription(seed);
  if (xml === undefined) return seed;
  const rng = new Rng(plan.rng);
  let text = xml;
  for (const op of plan.ops) text = applyXmlOp(text, op, rng);
  return writeDescription(seed, text);
}
