export { type ConvertOptions, type ConvertedFile, convertToOmeTiff, stem } from './convert.js';
export { SAMPLE, writeSample } from './sample.js';
