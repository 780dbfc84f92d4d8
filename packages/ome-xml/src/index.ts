export { buildOmeXml } from './build.js';
export { type CleanOptions, cleanOmeXml } from './clean.js';
export { type CreateOmeOptions, createOme } from './create.js';
export { OmeXmlError, type OmeXmlErrorReason } from './errors.js';
export * from './model.js';
export { type ParseOptions, parseOmeXml } from './parse.js';
export { type PlaneCoords, planeCoords, planeIndex } from './plane-index.js';
export {
  type NamingConvention,
  type PlateAcquisitionInfo,
  type PlateInfo,
  type PlateWell,
  type PlateWellSample,
  plateAxisName,
  plateElement,
  platesOf,
} from './plate.js';
export { OME_NAMESPACE, OME_SCHEMA_LOCATION } from './schema.js';
export {
  convertLength,
  convertTime,
  DEFAULT_UNITS,
  LENGTH_UNITS,
  normalizeUnit,
  TIME_UNITS,
} from './units.js';
