/**
 * What the builder and the strict parser need to know about ome.xsd (2016-06): namespace, child order of the
 * elements that carry unknown children, and the ID patterns.
 */

export const OME_NAMESPACE = 'http://www.openmicroscopy.org/Schemas/OME/2016-06';
export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
export const OME_SCHEMA_LOCATION = `${OME_NAMESPACE} ${OME_NAMESPACE}/ome.xsd`;

/**
 * Child order per parent, read from ome.xsd. Names in the same inner array share a rank (an xsd:choice), so
 * their relative document order is kept.
 */
const ORDER: Record<string, string[][]> = {
  OME: [
    ['Rights'],
    ['Project'],
    ['Dataset'],
    ['Folder'],
    ['Experiment'],
    ['Plate'],
    ['Screen'],
    ['Experimenter'],
    ['ExperimenterGroup'],
    ['Instrument'],
    ['Image'],
    ['StructuredAnnotations'],
    ['ROI'],
    ['BinaryOnly'],
  ],
  Image: [
    ['AcquisitionDate'],
    ['ExperimenterRef'],
    ['Description'],
    ['ExperimentRef'],
    ['ExperimenterGroupRef'],
    ['InstrumentRef'],
    ['ObjectiveSettings'],
    ['ImagingEnvironment'],
    ['StageLabel'],
    ['Pixels'],
    ['ROIRef'],
    ['MicrobeamManipulationRef'],
    ['AnnotationRef'],
  ],
  Pixels: [['Channel'], ['BinData', 'TiffData', 'MetadataOnly'], ['Plane']],
  Channel: [
    ['LightSourceSettings'],
    ['DetectorSettings'],
    ['FilterSetRef'],
    ['AnnotationRef'],
    ['LightPath'],
  ],
  Plane: [['HashSHA1'], ['AnnotationRef']],
  TiffData: [['UUID']],
  Instrument: [
    ['Microscope'],
    ['Laser', 'Arc', 'Filament', 'LightEmittingDiode', 'GenericExcitationSource'],
    ['Detector'],
    ['Objective'],
    ['FilterSet'],
    ['Filter'],
    ['Dichroic'],
    ['AnnotationRef'],
  ],
  Objective: [['AnnotationRef']],
  StructuredAnnotations: [
    [
      'XMLAnnotation',
      'FileAnnotation',
      'ListAnnotation',
      'LongAnnotation',
      'DoubleAnnotation',
      'CommentAnnotation',
      'BooleanAnnotation',
      'TimestampAnnotation',
      'TagAnnotation',
      'TermAnnotation',
      'MapAnnotation',
    ],
  ],
  MapAnnotation: [['Description'], ['AnnotationRef'], ['Value']],
};

const RANKS: Record<string, Map<string, number>> = {};
for (const [parent, groups] of Object.entries(ORDER)) {
  const m = new Map<string, number>();
  groups.forEach((names, rank) => {
    for (const n of names) m.set(n, rank);
  });
  RANKS[parent] = m;
}

/** Schema rank of `child` under `parent`; undefined for names the schema does not allow there. */
export function childRank(parent: string, child: string): number | undefined {
  return RANKS[parent]?.get(child);
}

const SHAPES = ['Rectangle', 'Mask', 'Point', 'Ellipse', 'Line', 'Polyline', 'Polygon', 'Label'];
const LIGHT_SOURCES = ['Laser', 'Arc', 'Filament', 'LightEmittingDiode', 'GenericExcitationSource'];

/** Elements whose ID pattern names another type than the element (refs and settings point at their target). */
const ID_TYPE: Record<string, string> = {
  Pump: 'LightSource',
  Leader: 'Experimenter',
  ExcitationFilterRef: 'Filter',
  EmissionFilterRef: 'Filter',
  DetectorSettings: 'Detector',
  LightSourceSettings: 'LightSource',
  ObjectiveSettings: 'Objective',
  LightSourceRef: 'LightSource',
};
for (const s of SHAPES) ID_TYPE[s] = 'Shape';
for (const s of LIGHT_SOURCES) ID_TYPE[s] = 'LightSource';

/** The ID type whose pattern an element's `ID` attribute must match (ome.xsd's `<Type>ID` simple types). */
export function idTypeOf(element: string): string {
  const mapped = ID_TYPE[element];
  if (mapped) return mapped;
  if (element.endsWith('Annotation')) return 'Annotation';
  if (element.endsWith('Ref')) return element.slice(0, -3);
  return element;
}

/** True for elements whose `ID` refers to another element rather than defining one. */
export function isReference(element: string): boolean {
  return (
    element.endsWith('Ref') || element.endsWith('Settings') || element === 'Pump' || element === 'Leader'
  );
}

const patternCache = new Map<string, RegExp>();
/**
 * ome.xsd: `(urn:lsid:([\w\-\.]+\.[\w\-\.]+)+:Type:\S+)|(Type:\S+)`. The repeated group is written as one
 * token (same language) to avoid exponential backtracking. XSD patterns match the whole value.
 */
export function idMatches(type: string, id: string): boolean {
  let re = patternCache.get(type);
  if (!re) {
    re = new RegExp(`^(?:urn:lsid:[\\w\\-.]+\\.[\\w\\-.]+:${type}:[^\\s]+|${type}:[^\\s]+)$`);
    patternCache.set(type, re);
  }
  return re.test(id);
}

/** xsd:dateTime lexical form. */
export const DATE_TIME =
  /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;
