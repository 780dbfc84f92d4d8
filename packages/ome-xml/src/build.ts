/**
 * buildOmeXml: the model → schema-valid OME-XML 2016-06. Known children are written in schema order; unknown
 * children (`extra`) go back next to the known sibling they followed, then everything is stably sorted by
 * the schema's child order (ome.xsd), which keeps the document valid after edits.
 */
import type {
  Channel,
  Extra,
  Image,
  Instrument,
  MapAnnotation,
  Objective,
  OME,
  Pixels,
  Plane,
  Quantity,
  StructuredAnnotations,
  TiffData,
  XmlNode,
} from './model.js';
import { childRank, OME_NAMESPACE, OME_SCHEMA_LOCATION, XSI_NAMESPACE } from './schema.js';
import { buildXml, element, stripInvalidXmlChars, tagOf, textNode } from './xml-nodes.js';

type AttrValue = string | number | boolean | undefined;

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function buildOmeXml(ome: OME): string {
  const root = element(
    'OME',
    attributes(
      [
        ['xmlns', OME_NAMESPACE],
        ['xmlns:xsi', XSI_NAMESPACE],
        ['UUID', ome.uuid],
        ['Creator', ome.creator],
        ['xsi:schemaLocation', OME_SCHEMA_LOCATION],
      ],
      ome.extra,
    ),
    compose(
      'OME',
      [
        ...ome.instruments.map(instrumentNode),
        ...ome.images.map(imageNode),
        ...(ome.structuredAnnotations ? [structuredAnnotationsNode(ome.structuredAnnotations)] : []),
      ],
      ome.extra,
    ),
  );
  return `${XML_DECLARATION}\n${stripInvalidXmlChars(buildXml([root]))}`;
}

function fmtFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'INF';
  if (v === Number.NEGATIVE_INFINITY) return '-INF';
  return String(v);
}

function fmt(v: Exclude<AttrValue, undefined>): string {
  if (typeof v === 'number') return fmtFloat(v);
  return String(v);
}

/** Known attributes (undefined skipped) followed by the unknown ones; a known name wins a clash. */
function attributes(known: Array<[string, AttrValue]>, extra?: Extra): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of known) if (v !== undefined) out[k] = fmt(v);
  if (extra) for (const [k, v] of Object.entries(extra.attributes)) if (!(k in out)) out[k] = v;
  return out;
}

function quantity(name: string, q: Quantity | undefined): Array<[string, AttrValue]> {
  return q === undefined
    ? []
    : [
        [name, q.value],
        [`${name}Unit`, q.unit],
      ];
}

/**
 * Merge known children with extras (each extra after the `after`-th known child), then stable-sort by
 * schema rank. Names the schema does not know under `parent` keep the rank of the element before them.
 */
export function compose(parent: string, known: XmlNode[], extra?: Extra): XmlNode[] {
  const extras = extra?.children ?? [];
  const merged: XmlNode[] = [];
  let e = 0;
  for (let i = 0; i <= known.length; i++) {
    while (e < extras.length && (extras[e]?.after ?? 0) <= i)
      merged.push((extras[e++] as { node: XmlNode }).node);
    if (i < known.length) merged.push(known[i] as XmlNode);
  }
  while (e < extras.length) merged.push((extras[e++] as { node: XmlNode }).node);
  let last = 0;
  const ranked = merged.map((node, index) => {
    const rank = childRank(parent, tagOf(node) ?? '') ?? last;
    last = rank;
    return { node, rank, index };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map((r) => r.node);
}

function textElement(tag: string, text: string, attrs: Record<string, string> = {}): XmlNode {
  return element(tag, attrs, text === '' ? [] : [textNode(text)]);
}

function instrumentNode(inst: Instrument): XmlNode {
  return element(
    'Instrument',
    attributes([['ID', inst.id]], inst.extra),
    compose('Instrument', inst.objectives.map(objectiveNode), inst.extra),
  );
}

function objectiveNode(o: Objective): XmlNode {
  return element(
    'Objective',
    attributes(
      [
        ['ID', o.id],
        ['Manufacturer', o.manufacturer],
        ['Model', o.model],
        ['NominalMagnification', o.nominalMagnification],
        ['LensNA', o.lensNA],
        ['Immersion', o.immersion],
      ],
      o.extra,
    ),
    compose('Objective', [], o.extra),
  );
}

function imageNode(img: Image): XmlNode {
  const known: XmlNode[] = [];
  if (img.acquisitionDate !== undefined) known.push(textElement('AcquisitionDate', img.acquisitionDate));
  if (img.description !== undefined) known.push(textElement('Description', img.description));
  if (img.instrumentRef !== undefined) known.push(element('InstrumentRef', { ID: img.instrumentRef }));
  known.push(pixelsNode(img.pixels));
  return element(
    'Image',
    attributes(
      [
        ['ID', img.id],
        ['Name', img.name],
      ],
      img.extra,
    ),
    compose('Image', known, img.extra),
  );
}

function pixelsNode(p: Pixels): XmlNode {
  const known = [...p.channels.map(channelNode), ...p.tiffData.map(tiffDataNode), ...p.planes.map(planeNode)];
  const children = compose('Pixels', known, p.extra);
  // The schema wants one of BinData / TiffData / MetadataOnly; MetadataOnly is the honest default.
  if (!children.some((c) => ['BinData', 'TiffData', 'MetadataOnly'].includes(tagOf(c) ?? ''))) {
    const at = children.findIndex((c) => tagOf(c) === 'Plane');
    children.splice(at < 0 ? children.length : at, 0, element('MetadataOnly'));
  }
  return element(
    'Pixels',
    attributes(
      [
        ['ID', p.id],
        ['DimensionOrder', p.dimensionOrder],
        ['Type', p.type],
        ['SignificantBits', p.significantBits],
        ['Interleaved', p.interleaved],
        ['BigEndian', p.bigEndian],
        ['SizeX', p.sizeX],
        ['SizeY', p.sizeY],
        ['SizeZ', p.sizeZ],
        ['SizeC', p.sizeC],
        ['SizeT', p.sizeT],
        ...quantity('PhysicalSizeX', p.physicalSizeX),
        ...quantity('PhysicalSizeY', p.physicalSizeY),
        ...quantity('PhysicalSizeZ', p.physicalSizeZ),
        ...quantity('TimeIncrement', p.timeIncrement),
      ],
      p.extra,
    ),
    children,
  );
}

function channelNode(c: Channel): XmlNode {
  return element(
    'Channel',
    attributes(
      [
        ['ID', c.id],
        ['Name', c.name],
        ['SamplesPerPixel', c.samplesPerPixel],
        ['IlluminationType', c.illuminationType],
        ...quantity('PinholeSize', c.pinholeSize),
        ['AcquisitionMode', c.acquisitionMode],
        ['ContrastMethod', c.contrastMethod],
        ...quantity('ExcitationWavelength', c.excitationWavelength),
        ...quantity('EmissionWavelength', c.emissionWavelength),
        ['Fluor', c.fluor],
        ['NDFilter', c.ndFilter],
        ['PockelCellSetting', c.pockelCellSetting],
        ['Color', c.color],
      ],
      c.extra,
    ),
    compose('Channel', [], c.extra),
  );
}

function tiffDataNode(t: TiffData): XmlNode {
  const known: XmlNode[] = [];
  if (t.uuid) {
    known.push(
      textElement('UUID', t.uuid.value, t.uuid.fileName === undefined ? {} : { FileName: t.uuid.fileName }),
    );
  }
  return element(
    'TiffData',
    attributes(
      [
        ['IFD', t.ifd],
        ['FirstZ', t.firstZ],
        ['FirstT', t.firstT],
        ['FirstC', t.firstC],
        ['PlaneCount', t.planeCount],
      ],
      t.extra,
    ),
    compose('TiffData', known, t.extra),
  );
}

function planeNode(p: Plane): XmlNode {
  return element(
    'Plane',
    attributes(
      [
        ['TheZ', p.theZ],
        ['TheT', p.theT],
        ['TheC', p.theC],
        ...quantity('DeltaT', p.deltaT),
        ...quantity('ExposureTime', p.exposureTime),
        ...quantity('PositionX', p.positionX),
        ...quantity('PositionY', p.positionY),
        ...quantity('PositionZ', p.positionZ),
      ],
      p.extra,
    ),
    compose('Plane', [], p.extra),
  );
}

function structuredAnnotationsNode(sa: StructuredAnnotations): XmlNode {
  return element(
    'StructuredAnnotations',
    attributes([], sa.extra),
    compose('StructuredAnnotations', sa.mapAnnotations.map(mapAnnotationNode), sa.extra),
  );
}

function mapAnnotationNode(m: MapAnnotation): XmlNode {
  const known: XmlNode[] = [];
  if (m.description !== undefined) known.push(textElement('Description', m.description));
  known.push(
    element(
      'Value',
      {},
      m.values.map(([k, v]) => textElement('M', v, { K: k })),
    ),
  );
  return element(
    'MapAnnotation',
    attributes(
      [
        ['ID', m.id],
        ['Namespace', m.namespace],
      ],
      m.extra,
    ),
    compose('MapAnnotation', known, m.extra),
  );
}
